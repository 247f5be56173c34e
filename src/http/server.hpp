#pragma once
// Asynchronous HTTP/1.1 server on Boost.Beast: keep-alive, many listeners (IPv4, IPv6,
// dual-stack), optional TLS per listener, limits and timeouts, server-sent events, graceful stop.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/message.hpp"

namespace pbx::http {

struct ListenAddress {
  std::string host;  // "127.0.0.1", "::1", "::" (dual-stack), "0.0.0.0"
  uint16_t port = 0;
  bool tls = false;

  // Parses "127.0.0.1:8006", "[::1]:0", ":8006" (all addresses) and an optional
  // "https://" prefix that turns TLS on. Throws std::invalid_argument with a clear message.
  static ListenAddress parse(std::string_view text);
  std::string to_string() const;  // "[::1]:8006"
};

struct TlsSettings {
  std::filesystem::path certificate_file;  // PEM chain; empty → a self-signed certificate
  std::filesystem::path private_key_file;  // PEM key; empty with an empty certificate
};

struct ServerLimits {
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 16 * 1024 * 1024;  // 413 beyond
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive connection with no request
  size_t max_connections = 10'000;
};

struct ServerOptions {
  std::string name = "server";  // logger name and `Server` header
  std::vector<ListenAddress> listen;
  unsigned io_threads = 0;       // 0 → std::thread::hardware_concurrency()
  unsigned handler_threads = 0;  // >0: handlers run on a separate pool (for blocking handlers)
  ServerLimits limits;
  TlsSettings tls;
  bool access_log = true;
};

struct BoundEndpoint {
  std::string host;
  uint16_t port = 0;
  bool tls = false;
  std::string url() const;  // "https://[::1]:43123"
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();  // stops (gracefully) if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listener and starts the worker threads. Throws std::system_error on bind failure.
  void start();
  // Stops accepting, lets in-flight requests finish within `grace`, then closes what remains.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds{5'000});
  // Blocks until SIGINT or SIGTERM, then stops gracefully.
  void run_until_signal();

  const std::vector<BoundEndpoint>& endpoints() const;
  // The certificate served by TLS listeners (PEM); clients in tests trust it as their CA.
  std::string certificate_pem() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Tells a parent process the server accepts connections: prints one line per endpoint
// ("listening on http://127.0.0.1:43123") to stdout and, when `ready_file` is non-empty, writes
// {"endpoints":[{"url":...,"host":...,"port":...,"tls":...}]} to it atomically.
void announce_ready(const Server& server, const std::filesystem::path& ready_file);

}  // namespace pbx::http
