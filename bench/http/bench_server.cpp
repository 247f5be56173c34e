// Serves a fixed 1 KiB JSON body at /bench, for wrk against nginx (see run.sh).

#include <CLI/CLI.hpp>
#include <iostream>

#include "http/server.hpp"
#include "http/server_cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{"HTTP core benchmark server: 1 KiB JSON at /bench"};
  pbx::http::ServerCli cli;
  cli.access_log = false;
  pbx::http::add_server_flags(app, cli, "127.0.0.1:0");
  CLI11_PARSE(app, argc, argv);
  try {
    pbx::http::configure_logging(cli);
    // 1024 bytes exactly: {"data":"xxx..."} with the filler sized to fit.
    const std::string prefix = R"({"data":")";
    const std::string suffix = R"("})";
    std::string body = prefix + std::string(1024 - prefix.size() - suffix.size(), 'x') + suffix;
    pbx::http::Server server(
        pbx::http::to_server_options(cli, "bench"), [&body](pbx::http::Request&) {
          return pbx::http::Response::text(pbx::http::Status::ok, body, "application/json");
        });
    server.start();
    pbx::http::announce_ready(server, cli.ready_file);
    server.run_until_signal();
  } catch (const std::exception& error) {
    std::cerr << "bench_server: " << error.what() << '\n';
    return 1;
  }
  return 0;
}
