#pragma once
// The command-line flags every server program shares (proxmox-mock, netbox-emulator,
// proxbox-api), declared once so they read and validate the same everywhere.

#include <string>
#include <vector>

#include "http/server.hpp"

namespace CLI {
class App;
}

namespace pbx::http {

struct ServerCli {
  std::vector<std::string> listen;  // "127.0.0.1:8006", "[::1]:0", "https://[::]:8443"
  bool tls = false;                 // every listener speaks TLS
  std::string tls_cert;             // PEM files; empty with --tls → self-signed at start
  std::string tls_key;
  std::string ready_file;
  unsigned threads = 0;  // I/O threads; 0 → hardware threads
  std::string log_level = "info";
  bool access_log = true;
};

// Declares --listen (repeatable), --tls, --tls-cert, --tls-key, --ready-file, --threads,
// --log-level and --no-access-log on `app`, storing into `cli`. `default_listen` is used when
// --listen is not given.
void add_server_flags(CLI::App& app, ServerCli& cli, std::string default_listen);

// Turns parsed flags into ServerOptions named `name` (logger name, Server header).
// Throws std::invalid_argument with a message naming the offending flag.
ServerOptions to_server_options(const ServerCli& cli, std::string name);

// Sends spdlog output to stderr (stdout carries "listening on ..." lines) at --log-level.
void configure_logging(const ServerCli& cli);

}  // namespace pbx::http
