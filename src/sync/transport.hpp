#pragma once
// The seam between the sync engine and the network: the engine talks to Proxmox and NetBox only
// through a Transport, so the same engine runs over real sockets or against a handler linked
// into the same process (tests, the E2E `mock_backend` pass).

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>

#include "http/client.hpp"
#include "http/message.hpp"

namespace pbx::sync {

// The circuit of one target opened: it failed at the transport level (refused, reset, no answer
// in time) this many times in a row, so the run stops asking it instead of paying a timeout per
// object. Never retried.
class CircuitOpen : public http::TransportError {
 public:
  using http::TransportError::TransportError;
};

struct CircuitOptions {
  unsigned failures_to_open = 4;               // consecutive transport failures
  std::chrono::milliseconds cooldown{30'000};  // then one request may try again
};

// A retry send_with_retry is about to make, for whoever shows the run to a person (the CLI
// announces it: "retrying NetBox in 2 s (attempt 2/3): connection refused").
struct RetryNotice {
  http::Verb method = http::Verb::get;
  std::string_view url;
  unsigned attempt = 2;  // the attempt about to start
  unsigned attempts = 3;
  std::chrono::milliseconds delay{0};
  std::string cause;  // "503" or the transport failure, without the request
};
using RetryObserver = std::function<void(const RetryNotice&)>;

class Transport {
 public:
  explicit Transport(CircuitOptions circuit = {}) : circuit_(circuit) {}
  virtual ~Transport() = default;
  // `url` is absolute ("http://host:port/path?query"). Transport failures throw
  // http::TransportError (CircuitOpen at once while the circuit is open; http::RequestCancelled
  // when `control.stop` fires); HTTP statuses are values. One attempt: retries are
  // send_with_retry's, the only retry layer of the sync.
  http::ClientResponse send(http::Verb method, std::string_view url, std::string body,
                            const http::Headers& headers, const http::RequestControl& control = {});
  size_t requests() const { return requests_.load(); }
  // Told of every retry of a request sent through this transport; set before the first request
  // (it may be called from several threads at once).
  void set_retry_observer(RetryObserver observer) { retry_observer_ = std::move(observer); }
  const RetryObserver& retry_observer() const { return retry_observer_; }

 protected:
  virtual http::ClientResponse exchange(http::Verb method, std::string_view url, std::string body,
                                        const http::Headers& headers,
                                        const http::RequestControl& control) = 0;
  void count_request() { requests_.fetch_add(1, std::memory_order_relaxed); }

 private:
  std::atomic<size_t> requests_{0};
  RetryObserver retry_observer_;
  CircuitOptions circuit_;
  std::mutex circuit_mutex_;
  unsigned consecutive_failures_ = 0;
  std::chrono::steady_clock::time_point open_until_{};
  std::string last_failure_;
};

// Real sockets through the pooled http::Client. Its own retries are turned off
// (`max_retries` is ignored): send_with_retry is the one retry layer, so attempts never multiply.
class HttpTransport final : public Transport {
 public:
  explicit HttpTransport(http::ClientOptions options, CircuitOptions circuit = {});
  ~HttpTransport() override;

 protected:
  http::ClientResponse exchange(http::Verb method, std::string_view url, std::string body,
                                const http::Headers& headers,
                                const http::RequestControl& control) override;

 private:
  std::unique_ptr<http::Client> client_;
};

// Gives every request that carries no stop token of its own the process's `shutdown` token:
// when the service stops, the NetBox and Proxmox calls its handlers wait on are aborted too.
class StopOnShutdownTransport final : public Transport {
 public:
  StopOnShutdownTransport(std::shared_ptr<Transport> inner, std::stop_token shutdown)
      : inner_(std::move(inner)), shutdown_(std::move(shutdown)) {}

 protected:
  http::ClientResponse exchange(http::Verb method, std::string_view url, std::string body,
                                const http::Headers& headers,
                                const http::RequestControl& control) override;

 private:
  std::shared_ptr<Transport> inner_;
  std::stop_token shutdown_;
};

// Calls a handler directly: the URL's path and query become the http::Request target; its
// origin is ignored. The handler must be safe to call from several threads at once. A response
// whose http::Delivery is not `normal` (an injected reset or truncation) throws
// http::TransportError, as the socket client does for the same answer.
class InProcessTransport final : public Transport {
 public:
  explicit InProcessTransport(http::Handler handler, CircuitOptions circuit = {})
      : Transport(circuit), handler_(std::move(handler)) {}

 protected:
  http::ClientResponse exchange(http::Verb method, std::string_view url, std::string body,
                                const http::Headers& headers,
                                const http::RequestControl& control) override;

 private:
  http::Handler handler_;
};

// The sync's one retry policy: transport failures and 502/503/504 answers are tried again with
// doubling backoff, for requests that are safe to repeat (reads, PATCH/DELETE of known ids).
// No retry after a cancellation or an open circuit, nor one that would start after
// `control.deadline`. The last answer or error is returned/thrown.
struct RetryPolicy {
  unsigned attempts = 3;
  std::chrono::milliseconds backoff{100};
};
http::ClientResponse send_with_retry(Transport& transport, http::Verb method, std::string_view url,
                                     const std::string& body, const http::Headers& headers,
                                     const http::RequestControl& control = {},
                                     const RetryPolicy& policy = {});

// "connect: Connection refused (GET http://host/api/...)": a failure leads with its cause and
// names the request after it, so a long URL never hides what went wrong.
std::string describe_failure(std::string_view cause, http::Verb method, std::string_view url);

// Splits "https://host:8006/api2/json?x=1" into origin ("https://host:8006") and the rest
// ("/api2/json?x=1", "/" when empty). Throws std::invalid_argument without a scheme.
struct SplitUrl {
  std::string origin;
  std::string target;
};
SplitUrl split_url(std::string_view url);

}  // namespace pbx::sync
