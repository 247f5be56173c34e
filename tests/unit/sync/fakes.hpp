#pragma once
// In-process stand-ins for Proxmox VE and NetBox, just deep enough for the sync's unit tests
// (the real mock and emulator are exercised by the integration tests).

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/object.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/message.hpp"
#include "sync/netbox_client.hpp"
#include "sync/transport.hpp"

namespace pbx::sync::testing {

struct FakeGuest {
  int vmid = 100;
  std::string type = "qemu";
  std::string name;
  std::string node = "pve1";
  std::string status = "running";
  int cpus = 2;
  int64_t memory_mb = 2048;
  int64_t disk_gb = 32;
  bool onboot = true;
  bool agent = false;
  bool config_fails = false;
};

struct FakeBackup {
  std::string volid;
  int vmid = 100;
  int64_t ctime = 1767225600;
};

class FakeProxmox {
 public:
  std::string cluster_name = "lab";
  bool standalone = false;
  std::vector<std::string> nodes{"pve1", "pve2"};
  std::vector<FakeGuest> guests;
  std::vector<FakeBackup> backups;  // on storage "backup" (shared)
  std::string token = "root@pam!proxbox=secret";
  std::string password = "proxmox";

  http::Response handle(http::Request& request);
  http::Handler handler() {
    return [this](http::Request& request) { return handle(request); };
  }
  size_t requests() const { return requests_; }

 private:
  std::mutex mutex_;
  size_t requests_ = 0;
};

class FakeNetBox {
 public:
  std::string version = "4.2.2";
  std::string token = "0123456789abcdef0123456789abcdef01234567";
  std::string advertised_origin = "http://netbox.internal:8080";  // what `next` links carry
  size_t max_page_size = 1000;      // NetBox's MAX_PAGE_SIZE: a larger `limit` is capped
  bool id_lookups_honoured = true;  // false: id__gt/id__lte... ignored, as by an odd server
  // Whether the netbox-proxbox plugin is installed: /api/status/ lists it, its API answers and
  // custom fields may name its object types (a real NetBox without it refuses them).
  bool proxbox_plugin = true;

  http::Response handle(http::Request& request);
  http::Handler handler() {
    return [this](http::Request& request) { return handle(request); };
  }

  std::vector<boost::json::object> objects(const std::string& path);
  size_t writes() const { return posts + patches + deletes; }
  void reset_counts() { gets = posts = patches = deletes = 0; }
  size_t gets = 0, posts = 0, patches = 0, deletes = 0;

 private:
  using Table = std::map<int64_t, boost::json::object>;  // one collection by id
  http::Response list(const http::Request& request, const Table& table);
  http::Response create(const std::string& path, const std::string& request_body, Table& table);
  http::Response update(const std::string& path, const std::string& request_body, Table& table);
  static http::Response remove(const std::string& request_body, Table& table);
  boost::json::object expand(const std::string& path, const boost::json::object& input);
  std::string validate(const std::string& path, const boost::json::object& object, int64_t id);

  std::mutex mutex_;
  int64_t next_id_ = 1;
  std::map<std::string, std::map<int64_t, boost::json::object>> store_;
};

// The worst NetBox there is: a loopback listener that accepts connections, holds them open and
// never answers (nor reads). `accepted()` tells a test that a client has reached it.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  size_t accepted() const { return accepted_.load(); }

 private:
  void accept();

  boost::asio::io_context context_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<boost::asio::ip::tcp::socket> held_;
  std::atomic<size_t> accepted_{0};
  std::thread thread_;
};

// A transport in front of another that passes every request on (thread-safe: list pages go out
// concurrently), after the derived class's before() under `mutex_`.
class ForwardingTransport : public Transport {
 protected:
  explicit ForwardingTransport(Transport& target) : inner_(target) {}
  virtual void before(http::Verb method, std::string_view url) = 0;
  http::ClientResponse exchange(http::Verb method, std::string_view url, std::string body,
                                const http::Headers& headers,
                                const http::RequestControl& control) final;

  std::mutex mutex_;

 private:
  Transport& inner_;
};

// Passes requests on and records their URLs.
class RecordingTransport final : public ForwardingTransport {
 public:
  explicit RecordingTransport(Transport& target) : ForwardingTransport(target) {}
  std::vector<std::string> urls();
  void clear();

 protected:
  void before(http::Verb method, std::string_view url) override;

 private:
  std::vector<std::string> urls_;
};

// Tags "t<from>" ... "t<from + count - 1>" (name = slug), to create.
std::vector<boost::json::object> numbered_tags(int from, int count);

// Before every GET it passes on, deletes one tag (alternately the lowest and the highest id
// left of `doomed`) and creates two, through `writer`: a listing under concurrent writes.
class WritingTransport final : public ForwardingTransport {
 public:
  WritingTransport(Transport& target, NetBoxClient& writer, std::deque<int64_t> doomed,
                   std::string path = "/extras/tags/")
      : ForwardingTransport(target),
        writer_(writer),
        doomed_(std::move(doomed)),
        path_(std::move(path)) {}
  size_t writes();

 protected:
  void before(http::Verb method, std::string_view url) override;

 private:
  NetBoxClient& writer_;
  std::deque<int64_t> doomed_;
  std::string path_;
  size_t writes_ = 0;
};

}  // namespace pbx::sync::testing
