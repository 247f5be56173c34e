#pragma once
// The seam between the sync engine and the network: the engine talks to Proxmox and NetBox only
// through a Transport, so the same engine runs over real sockets or against a handler linked
// into the same process (tests, the E2E `mock_backend` pass).

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "http/client.hpp"
#include "http/message.hpp"

namespace pbx::sync {

class Transport {
 public:
  virtual ~Transport() = default;
  // `url` is absolute ("http://host:port/path?query"). Transport failures throw
  // http::TransportError; HTTP statuses are values.
  virtual http::ClientResponse send(http::Verb method, std::string_view url, std::string body,
                                    const http::Headers& headers) = 0;
  size_t requests() const { return requests_.load(); }

 protected:
  void count_request() { requests_.fetch_add(1, std::memory_order_relaxed); }

 private:
  std::atomic<size_t> requests_{0};
};

// Real sockets through the pooled, retrying http::Client.
class HttpTransport final : public Transport {
 public:
  explicit HttpTransport(http::ClientOptions options);
  ~HttpTransport() override;
  http::ClientResponse send(http::Verb method, std::string_view url, std::string body,
                            const http::Headers& headers) override;

 private:
  std::unique_ptr<http::Client> client_;
};

// Calls a handler directly: the URL's path and query become the http::Request target; its
// origin is ignored. The handler must be safe to call from several threads at once. A response
// whose http::Delivery is not `normal` (an injected reset or truncation) throws
// http::TransportError, as the socket client does for the same answer.
class InProcessTransport final : public Transport {
 public:
  explicit InProcessTransport(http::Handler handler) : handler_(std::move(handler)) {}
  http::ClientResponse send(http::Verb method, std::string_view url, std::string body,
                            const http::Headers& headers) override;

 private:
  http::Handler handler_;
};

// Retries on transport failures and 5xx answers with doubling backoff, for requests that are
// safe to repeat (reads, PATCH/DELETE of known ids). The last answer or error is returned/thrown.
struct RetryPolicy {
  unsigned attempts = 5;
  std::chrono::milliseconds backoff{50};
};
http::ClientResponse send_with_retry(Transport& transport, http::Verb method, std::string_view url,
                                     const std::string& body, const http::Headers& headers,
                                     const RetryPolicy& policy = {});

// Splits "https://host:8006/api2/json?x=1" into origin ("https://host:8006") and the rest
// ("/api2/json?x=1", "/" when empty). Throws std::invalid_argument without a scheme.
struct SplitUrl {
  std::string origin;
  std::string target;
};
SplitUrl split_url(std::string_view url);

}  // namespace pbx::sync
