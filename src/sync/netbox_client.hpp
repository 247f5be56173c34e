#pragma once
// NetBox REST client for the sync: paged reads, bulk writes of lists, errors with NetBox's body.

#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "http/message.hpp"
#include "sync/keyset_paging.hpp"
#include "sync/parallel.hpp"
#include "sync/transport.hpp"

namespace pbx::sync {

// A NetBox answer that is not a success; `body` is NetBox's error document.
class NetBoxError : public std::runtime_error {
 public:
  NetBoxError(unsigned status, const std::string& what_text, std::string body)
      : std::runtime_error(what_text), status_(status), body_(std::move(body)) {}
  unsigned status() const { return status_; }
  const std::string& body() const { return body_; }

 private:
  unsigned status_;
  std::string body_;
};

struct NetBoxVersion {
  int major = 0;
  int minor = 0;
  std::string text;
  bool at_least(int want_major, int want_minor) const {
    return major > want_major || (major == want_major && minor >= want_minor);
  }
  static NetBoxVersion parse(std::string_view text);  // "4.2.2" → {4,2}
};

// The netbox-proxbox plugin's Django app name, as /api/status/ lists it under "plugins".
inline constexpr const char* kProxboxPluginName = "netbox_proxbox";

struct NetBoxStatus {
  NetBoxVersion version;
  std::chrono::milliseconds latency{0};
  // /api/status/ lists the netbox-proxbox plugin: its API (/api/plugins/proxbox/) and object
  // types (netbox_proxbox.*) exist. A NetBox without it refuses anything that names them.
  bool proxbox_plugin = false;
};

// Counts of what this client sent, for summaries and benchmarks.
struct NetBoxWriteCounts {
  size_t get = 0, post = 0, patch = 0, del = 0;
  size_t writes() const { return post + patch + del; }
};

class NetBoxClient {
 public:
  // `base_url`: "https://netbox.example.com" (an "/api" suffix is accepted). `token`: a v1
  // token (sent as "Token x") or a v2 token "nbt_key.secret" (sent as "Bearer ...").
  NetBoxClient(Transport& transport, std::string base_url, const std::string& token);

  static constexpr size_t kPageSize = 1000;
  static constexpr size_t kWriteChunk = 500;
  static constexpr size_t kPagesInFlight = 4;
  // Chunks of one bulk write sent at once: a real NetBox serves them on its workers side by
  // side (one chunk of 500 takes it tens of seconds); the items of one write never refer to
  // each other, so their order of creation does not matter.
  static constexpr size_t kWritesInFlight = 2;
  static constexpr size_t write_chunk_count(size_t count) {
    return (count + kWriteChunk - 1) / kWriteChunk;
  }
  // write(index, start, end) for each chunk [start, end) of `count` items, kWritesInFlight at a
  // time; an exception escaping one is rethrown once the chunks in flight have ended.
  template <typename Write>
  static void for_each_write_chunk(size_t count, Write&& write) {
    parallel_for(write_chunk_count(count), kWritesInFlight, [&](size_t index) {
      const size_t start = index * kWriteChunk;
      write(index, start, std::min(count, start + kWriteChunk));
    });
  }

  NetBoxStatus status();
  // Every object of a list endpoint ("/dcim/devices/") matching `filters`, ordered by id. Once
  // the first page tells the total and `ordering=-id` the highest id, the ids after the first
  // page are cut into ranges listed concurrently, each paged by `id__gt` (keyset_paging.hpp):
  // no page costs the server a scan of the rows before it, and an object that exists
  // throughout the listing is listed exactly once whatever is written meanwhile.
  std::vector<boost::json::object> list(const std::string& path, const http::Params& filters = {});
  // Bulk writes, up to kWritesInFlight chunks at once; each throws NetBoxError for the first
  // failing chunk once the chunks in flight have answered (chunks that succeeded stay written:
  // the next run lists them).
  std::vector<boost::json::object> create(const std::string& path,
                                          const std::vector<boost::json::object>& items);
  std::vector<boost::json::object> update(const std::string& path,
                                          const std::vector<boost::json::object>& items);
  void remove(const std::string& path, const std::vector<int64_t>& ids);

  const std::string& api_root() const { return api_root_; }
  NetBoxWriteCounts counts() const;
  // The run's deadline and stop token for every request from now on (set while no request is
  // in flight: the engine does it at the start and the end of a run).
  void set_control(http::RequestControl control) { control_ = std::move(control); }

 private:
  http::ClientResponse send(http::Verb method, const std::string& url, std::string body,
                            bool retry);
  std::string list_url(const std::string& path, const http::Params& filters,
                       http::Params paging) const;
  ListPage get_page(const std::string& url);
  // Appends the objects of `range` to `out`, paged by id; false when the server does not
  // honour id__gt/id__lte (an object outside the range or out of order).
  bool list_range(const std::string& path, const http::Params& filters, IdRange range,
                  std::vector<boost::json::object>& out, size_t& pages);
  std::vector<boost::json::object> write_chunks(http::Verb method, const std::string& path,
                                                const std::vector<boost::json::object>& items);

  Transport& transport_;
  std::string api_root_;
  http::Headers headers_;
  http::RequestControl control_;
  std::atomic<size_t> gets_{0}, posts_{0}, patches_{0}, deletes_{0};
};

// "Token x" or "Bearer nbt_..." — the NetBox version of a token is chosen by its nbt_ prefix.
std::string netbox_authorization(const std::string& token);

}  // namespace pbx::sync
