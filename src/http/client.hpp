#pragma once
// Blocking HTTP/1.1 client with a keep-alive connection pool per origin. Safe to use from many
// threads at once: each request borrows a pooled connection exclusively.
//
// Error policy: transport failures (connect, TLS, timeout, reset) throw TransportError once the
// retries are spent; any HTTP status is a normal ClientResponse.

#include <boost/json/value.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>

#include "http/message.hpp"

namespace pbx::http {

class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The caller's stop token fired while the request was in flight (or before it was sent): the
// socket was closed at once. Never retried.
class RequestCancelled : public TransportError {
 public:
  using TransportError::TransportError;
};

// Limits one call sets on top of the client's options: a `deadline` caps the connect and
// request timeouts (and no retry starts after it); a `stop` request aborts the exchange in
// flight, so a caller that is shutting down never waits out a server that does not answer.
struct RequestControl {
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::stop_token stop;
};

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{30'000};
  bool verify_tls = true;
  std::filesystem::path ca_file;  // extra trust anchor (PEM); system store otherwise
  std::string ca_pem;             // same, in memory
  // Idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS) are retried on connect errors, resets,
  // timeouts and 5xx answers; POST/PATCH only when the connection failed before sending.
  unsigned max_retries = 2;
  std::chrono::milliseconds retry_backoff{100};  // doubled per attempt
  size_t max_idle_per_origin = 16;
  std::string user_agent = "proxbox";
};

struct ClientResponse {
  unsigned status = 0;
  Headers headers;
  std::string body;

  bool ok() const { return status >= 200 && status < 300; }
  std::string_view header(std::string_view name) const;
  // Parses the body; throws std::runtime_error naming the status when it is not JSON.
  boost::json::value json() const;
};

class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // `url` is absolute: "http://127.0.0.1:8006/api2/json/nodes", "https://[::1]:443/x".
  ClientResponse request(Verb method, std::string_view url, std::string body = {},
                         const Headers& headers = {}, const RequestControl& control = {});
  ClientResponse get(std::string_view url, const Headers& headers = {}) {
    return request(Verb::get, url, {}, headers);
  }
  // Sends `body` as application/json.
  ClientResponse send_json(Verb method, std::string_view url, const boost::json::value& body,
                           const Headers& headers = {});

  // Reads a `text/event-stream`, calling `on_event(event, data)` per frame until the server
  // closes or the callback returns false. Returns the response head (status, headers).
  ClientResponse stream_events(
      std::string_view url, const Headers& headers,
      const std::function<bool(std::string_view event, std::string_view data)>& on_event);

  // Counters for tests and benchmarks.
  size_t connections_opened() const;
  size_t requests_sent() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pbx::http
