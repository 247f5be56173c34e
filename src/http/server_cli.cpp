#include "http/server_cli.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <stdexcept>

namespace pbx::http {

void add_server_flags(CLI::App& app, ServerCli& cli, std::string default_listen) {
  if (cli.listen.empty()) cli.listen.push_back(std::move(default_listen));
  app.add_option("--listen", cli.listen,
                 "Address to listen on, repeatable: 127.0.0.1:8006, [::1]:0, [::]:8006 "
                 "(dual-stack), https://127.0.0.1:8443")
      ->capture_default_str()
      ->take_all();
  app.add_flag("--tls", cli.tls, "Serve TLS on every listener");
  app.add_option("--tls-cert", cli.tls_cert,
                 "PEM certificate chain (default with --tls: self-signed, generated at start)");
  app.add_option("--tls-key", cli.tls_key, "PEM private key for --tls-cert");
  app.add_option("--ready-file", cli.ready_file,
                 "Write the bound endpoints here as JSON once accepting connections");
  app.add_option("--threads", cli.threads, "I/O threads (0: one per hardware thread)")
      ->capture_default_str();
  app.add_option("--log-level", cli.log_level, "trace, debug, info, warn, error, critical, off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_flag("!--no-access-log", cli.access_log, "Do not log one line per request");
}

ServerOptions to_server_options(const ServerCli& cli, std::string name) {
  ServerOptions options;
  options.name = std::move(name);
  if (cli.listen.empty()) throw std::invalid_argument("--listen: at least one address is needed");
  for (const auto& text : cli.listen) {
    try {
      auto address = ListenAddress::parse(text);
      if (cli.tls) address.tls = true;
      options.listen.push_back(std::move(address));
    } catch (const std::invalid_argument& error) {
      throw std::invalid_argument(std::string("--listen: ") + error.what());
    }
  }
  if (cli.tls_cert.empty() != cli.tls_key.empty()) {
    throw std::invalid_argument("--tls-cert and --tls-key must be given together");
  }
  if (!cli.tls_cert.empty()) {
    const bool any_tls = std::any_of(options.listen.begin(), options.listen.end(),
                                     [](const ListenAddress& address) { return address.tls; });
    if (!any_tls) {
      throw std::invalid_argument(
          "--tls-cert given but no listener uses TLS (add --tls or an https:// --listen)");
    }
    for (const auto& file : {cli.tls_cert, cli.tls_key}) {
      if (!std::filesystem::is_regular_file(file)) {
        throw std::invalid_argument("--tls-cert/--tls-key: no such file: " + file);
      }
    }
    options.tls.certificate_file = cli.tls_cert;
    options.tls.private_key_file = cli.tls_key;
  }
  options.io_threads = cli.threads;
  options.access_log = cli.access_log;
  return options;
}

void configure_logging(const ServerCli& cli) {
  const auto level = spdlog::level::from_str(cli.log_level);
  if (level == spdlog::level::off && cli.log_level != "off") {
    throw std::invalid_argument("--log-level: unknown level '" + cli.log_level + "'");
  }
  auto logger = spdlog::get("main");
  if (!logger) logger = spdlog::stderr_logger_mt("main");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %n %l: %v");
  spdlog::set_level(level);
}

}  // namespace pbx::http
