#include "api/program.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/serialize.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stop_token>
#include <thread>

#include "api/keys.hpp"
#include "api/secrets.hpp"
#include "api/service.hpp"
#include "api/sync_console.hpp"
#include "http/server.hpp"
#include "http/server_cli.hpp"
#include "sync/engine.hpp"

namespace pbx::api {
namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::filesystem::path default_database_path() {
  if (auto configured = env("PROXBOX_DATABASE_PATH"); !configured.empty()) return configured;
  std::filesystem::path data = env("XDG_DATA_HOME");
  if (data.empty()) data = std::filesystem::path(env("HOME")) / ".local" / "share";
  return data / "proxbox" / "proxbox.db";
}

// Requests a stop on SIGINT or SIGTERM for as long as it lives (from its own thread). Other
// waiters on the same signals (Server::run_until_signal) are notified too.
class StopOnSignal {
 public:
  explicit StopOnSignal(std::stop_source& stop) : signals_(context_, SIGINT, SIGTERM) {
    signals_.async_wait([&stop](const boost::system::error_code& error, int number) {
      if (error) return;
      spdlog::warn("signal {} received: stopping the running sync", number);
      stop.request_stop();
    });
    thread_ = std::thread([this] { context_.run(); });
  }
  ~StopOnSignal() {
    context_.stop();
    thread_.join();
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  boost::asio::io_context context_;
  boost::asio::signal_set signals_;
  std::thread thread_;
};

// Handler threads of `serve`. A sync, or a NetBox or Proxmox that does not answer, may hold a
// handler thread for long; those routes get all but two of them, beyond which they are answered
// 503 at once, so /health and /version always find a thread.
constexpr unsigned kHandlerThreads = 8;
constexpr unsigned kThreadsKeptForLiveness = 2;

// `--scope` takes the scope's name (common::enum_name, as reports and the API write it) and also
// `virtual-machines`, the spelling the command line has documented since its first release.
constexpr std::array<common::EnumAlias<sync::SyncScope>, 1> kCliScopeAliases{
    {{"virtual-machines", sync::SyncScope::virtual_machines}}};

http::Handler keep_threads_for_liveness(http::Handler handler, unsigned busy_limit) {
  auto busy = std::make_shared<std::atomic<unsigned>>(0);
  return [handler = std::move(handler), busy, busy_limit](http::Request& request) {
    if (request.path == "/health" || request.path == "/version") return handler(request);
    if (busy->fetch_add(1) >= busy_limit) {
      busy->fetch_sub(1);
      auto response = http::Response::json(
          http::Status::service_unavailable,
          boost::json::object{{"detail", "busy: " + std::to_string(busy_limit) +
                                             " requests are waiting on NetBox or Proxmox; "
                                             "try again shortly"}});
      response.headers.set(http::Field::retry_after, "1");
      return response;
    }
    struct Release {
      std::atomic<unsigned>& count;
      ~Release() { count.fetch_sub(1); }
    } release{*busy};
    return handler(request);
  };
}

int serve(const http::ServerCli& server_cli, const std::string& ca_file,
          std::chrono::seconds sync_timeout, const std::vector<std::string>& trusted_proxies,
          std::optional<std::chrono::seconds> read_cache_max_age) {
  http::configure_logging(server_cli);
  const auto database = default_database_path();
  if (!database.parent_path().empty()) std::filesystem::create_directories(database.parent_path());
  ServiceOptions options;
  options.database_path = database.string();
  options.key_guard.trusted_proxies = trusted_proxies;
  options.encryption_key =
      load_or_create_key(env("PROXBOX_ENCRYPTION_KEY"), database.parent_path() / "proxbox.key");
  // SIGTERM aborts a running sync's requests at once, so it ends (summary kept as last_run and
  // sent to its client) within the server's stop grace period; other routes' NetBox and
  // Proxmox calls are aborted as well.
  std::stop_source shutdown;
  options.transport_factory = [factory = http_transport_factory(ca_file),
                               token = shutdown.get_token()](const RemoteTarget& target) {
    return std::make_shared<sync::StopOnShutdownTransport>(factory(target), token);
  };
  options.sync_limits = {sync_timeout, shutdown.get_token()};
  if (read_cache_max_age) {
    options.use_read_cache = true;
    options.read_cache.max_age = *read_cache_max_age;
  }
  Service service(std::move(options));
  http::ServerOptions server_options = http::to_server_options(server_cli, "proxbox-api");
  // Sync handlers block for the whole run; keep them off the I/O threads.
  server_options.handler_threads = kHandlerThreads;
  http::Server server(
      std::move(server_options),
      keep_threads_for_liveness(service.as_handler(), kHandlerThreads - kThreadsKeptForLiveness));
  server.start();
  http::announce_ready(server, server_cli.ready_file);
  spdlog::info("proxbox-api serving, state in {}", database.string());
  StopOnSignal stop_syncs_on_signal(shutdown);
  server.run_until_signal();
  return 0;
}

struct SyncCli {
  std::vector<std::string> proxmox_urls;
  std::vector<std::string> proxmox_tokens;
  std::string proxmox_user = "root@pam";
  std::string proxmox_password;
  std::string netbox_url;
  std::string netbox_token;
  // Files holding secrets, so they stay out of /proc/PID/cmdline (see with_secrets).
  std::string netbox_token_file;
  std::string proxmox_token_file;
  std::string proxmox_password_file;
  std::string scope = "full";
  bool delete_orphans = false;
  bool dry_run = false;
  bool insecure = false;
  int request_timeout = 60;      // seconds, per request to NetBox or Proxmox
  int sync_timeout = 3600;       // seconds, for the whole run
  bool json = false;             // the JSON summary also on a terminal
  std::string read_cache;        // SQLite file of the guest read cache; empty: read every guest
  bool full_read = false;        // read every guest (and refresh the cache)
  int read_cache_max_age = 600;  // seconds
};

// The sync's secrets from the flags, the files or the environment (resolve_secrets); throws
// std::invalid_argument (exit 2) naming what is missing or conflicting.
SyncCli with_secrets(SyncCli cli) {
  const auto on_command_line = [](std::string_view flag, std::string_view env) {
    std::cerr << "warning: " << flag << " on the command line can be read by every local user "
              << "(/proc/PID/cmdline); prefer " << env << " or " << flag << "-file\n";
  };
  const auto one = [](std::vector<std::string> found, std::string_view flag) {
    if (found.size() > 1) throw std::invalid_argument(std::string(flag) + ": one value expected");
    return found.empty() ? std::string() : found.front();
  };
  if (!cli.netbox_token.empty()) on_command_line("--netbox-token", "PROXBOX_NETBOX_TOKEN");
  cli.netbox_token =
      one(resolve_secrets({"--netbox-token", "--netbox-token-file", "PROXBOX_NETBOX_TOKEN",
                           cli.netbox_token.empty() ? std::vector<std::string>{}
                                                    : std::vector<std::string>{cli.netbox_token},
                           cli.netbox_token_file}),
          "--netbox-token");
  if (cli.netbox_token.empty()) {
    throw std::invalid_argument(
        "a NetBox token is required: set PROXBOX_NETBOX_TOKEN or give --netbox-token-file FILE "
        "(or --netbox-token)");
  }
  if (!cli.proxmox_tokens.empty()) on_command_line("--proxmox-token", "PROXBOX_PROXMOX_TOKEN");
  cli.proxmox_tokens =
      resolve_secrets({"--proxmox-token", "--proxmox-token-file", "PROXBOX_PROXMOX_TOKEN",
                       cli.proxmox_tokens, cli.proxmox_token_file});
  if (!cli.proxmox_password.empty()) {
    on_command_line("--proxmox-password", "PROXBOX_PROXMOX_PASSWORD");
  }
  cli.proxmox_password =
      one(resolve_secrets(
              {"--proxmox-password", "--proxmox-password-file", "PROXBOX_PROXMOX_PASSWORD",
               cli.proxmox_password.empty() ? std::vector<std::string>{}
                                            : std::vector<std::string>{cli.proxmox_password},
               cli.proxmox_password_file}),
          "--proxmox-password");
  for (const auto& file :
       {cli.netbox_token_file, cli.proxmox_token_file, cli.proxmox_password_file}) {
    if (!file.empty() && readable_by_others(file)) {
      std::cerr << "warning: " << file << " is readable by group or others (chmod 600 it)\n";
    }
  }
  return cli;
}

int sync_once(const SyncCli& cli, const std::string& ca_file) {
  if (!cli.proxmox_tokens.empty() && cli.proxmox_tokens.size() != 1 &&
      cli.proxmox_tokens.size() != cli.proxmox_urls.size()) {
    std::cerr << "give one --proxmox-token, or one per --proxmox\n";
    return 2;
  }
  if (cli.proxmox_tokens.empty() && cli.proxmox_password.empty()) {
    std::cerr << "give --proxmox-token or --proxmox-user/--proxmox-password\n";
    return 2;
  }
  http::configure_logging({});  // to stderr: stdout carries the JSON summary only
  const auto factory = http_transport_factory(ca_file);
  auto netbox_transport = factory({cli.netbox_url, !cli.insecure, cli.request_timeout});
  sync::NetBoxClient netbox(*netbox_transport, cli.netbox_url, cli.netbox_token);
  std::vector<sync::ProxmoxSource> sources;
  for (size_t i = 0; i < cli.proxmox_urls.size(); ++i) {
    sync::ProxmoxSource source;
    source.name = cli.proxmox_urls[i];
    source.credentials.base_url = cli.proxmox_urls[i];
    if (!cli.proxmox_tokens.empty()) {
      source.credentials.token = cli.proxmox_tokens[cli.proxmox_tokens.size() == 1 ? 0 : i];
    }
    source.credentials.user = cli.proxmox_user;
    source.credentials.password = cli.proxmox_password;
    source.transport = factory({cli.proxmox_urls[i], !cli.insecure, cli.request_timeout});
    sources.push_back(std::move(source));
  }
  sync::SyncOptions options;
  options.scope = common::parse_enum<sync::SyncScope>(cli.scope, kCliScopeAliases)
                      .value_or(sync::SyncScope::full);
  options.delete_orphans = cli.delete_orphans;
  options.dry_run = cli.dry_run;
  options.reader.full_read = cli.full_read;
  std::optional<sync::ReadCacheFile> read_cache;
  if (!cli.read_cache.empty()) {
    read_cache = sync::open_read_cache_file(
        cli.read_cache, {std::chrono::seconds(cli.read_cache_max_age), {}},
        [](const std::string& message) { std::cerr << "warning: " << message << "\n"; });
    if (read_cache) options.reader.read_cache = read_cache->cache;
  }
  // SIGINT/SIGTERM end the run at once (requests in flight aborted); its summary is printed.
  std::stop_source stop;
  options.stop = stop.get_token();
  options.limits.run_timeout = std::chrono::seconds(cli.sync_timeout);
  StopOnSignal stop_on_signal(stop);
  const bool json = cli.json || ::isatty(STDOUT_FILENO) == 0;
  const bool err_is_terminal = ::isatty(STDERR_FILENO) != 0;
  SyncConsole console(std::cerr, {.progress = err_is_terminal}, planned_stages(options.scope));
  netbox_transport->set_retry_observer(console.retry_observer("NetBox"));
  for (auto& source : sources)
    source.transport->set_retry_observer(console.retry_observer("Proxmox " + source.name));
  const size_t endpoints = sources.size();
  sync::SyncEngine engine(netbox, std::move(sources), options,
                          [&](const sync::SyncEvent& event) { console.on_event(event); });
  try {
    const auto summary = engine.run();
    if (read_cache) {
      try {
        read_cache->save();
      } catch (const std::exception& error) {
        std::cerr << "warning: read cache " << cli.read_cache << " not saved: " << error.what()
                  << "\n";
      }
    }
    console.finish();
    return report_sync(summary, endpoints, std::cout, std::cerr, {json, err_is_terminal});
  } catch (const std::exception& error) {
    console.finish();
    std::cerr << "sync failed: " << error.what() << "\n";
    if (json) {
      std::cout << boost::json::serialize(
                       boost::json::object{{"ok", false}, {"error", error.what()}})
                << std::endl;
    }
    return kSyncCouldNotRun;
  }
}

// The `sync` subcommand's options, into `sync_cli` (and the CA file both subcommands take).
void add_sync_options(CLI::App& sync_command, SyncCli& sync_cli, std::string& ca_file) {
  sync_command.footer(std::string(kSyncExitCodes));
  sync_command.add_flag("--json", sync_cli.json,
                        "Print the JSON summary on a terminal too (it always is when stdout is "
                        "not a terminal)");
  sync_command.add_option("--proxmox", sync_cli.proxmox_urls, "Proxmox URL (repeatable)")
      ->required();
  sync_command.add_option("--proxmox-token", sync_cli.proxmox_tokens,
                          "API token user@realm!id=secret (one, or one per --proxmox); "
                          "prefer env PROXBOX_PROXMOX_TOKEN (comma-separated for several) or "
                          "--proxmox-token-file: the command line is visible to local users");
  sync_command.add_option("--proxmox-token-file", sync_cli.proxmox_token_file,
                          "File with the Proxmox API token(s), one per line");
  sync_command.add_option("--proxmox-password-file", sync_cli.proxmox_password_file,
                          "File with the password for ticket auth (or env "
                          "PROXBOX_PROXMOX_PASSWORD)");
  sync_command.add_option("--proxmox-user", sync_cli.proxmox_user, "User for ticket auth");
  sync_command.add_option("--proxmox-password", sync_cli.proxmox_password,
                          "Password for ticket auth");
  sync_command.add_option("--netbox", sync_cli.netbox_url, "NetBox URL")->required();
  sync_command.add_option("--netbox-token", sync_cli.netbox_token,
                          "NetBox token (v1, or nbt_ v2); prefer env PROXBOX_NETBOX_TOKEN or "
                          "--netbox-token-file: the command line is visible to local users");
  sync_command.add_option("--netbox-token-file", sync_cli.netbox_token_file,
                          "File with the NetBox token (one line)");
  sync_command
      .add_option("--scope", sync_cli.scope,
                  "full | devices | virtual_machines | backups (virtual-machines: the same)")
      ->check(
          CLI::IsMember({"full", "devices", "virtual_machines", "virtual-machines", "backups"}));
  sync_command.add_flag("--delete-orphans", sync_cli.delete_orphans,
                        "Delete proxbox-owned objects Proxmox no longer has");
  sync_command.add_flag("--dry-run", sync_cli.dry_run, "Report changes without writing");
  sync_command.add_flag("--insecure", sync_cli.insecure, "Do not verify TLS certificates");
  sync_command.add_option("--read-cache", sync_cli.read_cache,
                          "SQLite file keeping what was read of each guest: unchanged guests "
                          "are not read again (created when missing)");
  sync_command.add_flag("--full-read", sync_cli.full_read,
                        "Read every guest's config and agent, whatever --read-cache holds");
  sync_command
      .add_option("--read-cache-max-age", sync_cli.read_cache_max_age,
                  "Seconds after which a cached guest is read again (default 600)")
      ->check(CLI::PositiveNumber);
  sync_command.add_option("--ca-file", ca_file, "Extra CA (PEM) to trust (PROXBOX_CA_FILE)");
  sync_command
      .add_option("--request-timeout", sync_cli.request_timeout,
                  "Seconds one request to NetBox or Proxmox may take (default 60)")
      ->check(CLI::PositiveNumber);
  sync_command
      .add_option("--sync-timeout", sync_cli.sync_timeout,
                  "Seconds the run may take; then it stops, deleting nothing (default 3600)")
      ->check(CLI::PositiveNumber);
}

}  // namespace

int run_program(int argc, char** argv) {
  CLI::App app{"proxbox-api: Proxmox → NetBox sync service"};
  app.require_subcommand(1);
  std::string ca_file = env("PROXBOX_CA_FILE");

  http::ServerCli server_cli;
  auto* serve_command = app.add_subcommand("serve", "Run the HTTP service");
  http::add_server_flags(*serve_command, server_cli, "127.0.0.1:8800");
  std::vector<std::string> trusted_proxies;
  serve_command
      ->add_option("--trusted-proxy", trusted_proxies,
                   "IP address of a reverse proxy (e.g. the local nginx) whose "
                   "X-Forwarded-For names the client for the API key limiter "
                   "(repeatable; without it X-Forwarded-For is ignored)")
      ->check([](const std::string& value) {
        return is_ip_address(value) ? std::string() : "not an IP address: " + value;
      });
  serve_command->add_option("--ca-file", ca_file,
                            "Extra CA (PEM) trusted for NetBox and Proxmox (PROXBOX_CA_FILE)");
  int serve_sync_timeout = 3600;
  serve_command
      ->add_option("--sync-timeout", serve_sync_timeout,
                   "Seconds a sync may run; then it stops, deleting nothing (default 3600)")
      ->check(CLI::PositiveNumber);
  bool serve_read_cache = false;
  serve_command->add_flag("--read-cache", serve_read_cache,
                          "Keep a guest read cache in the database: a guest unchanged in "
                          "/cluster/resources is not read again until --read-cache-max-age "
                          "(NIC, address and description edits reach NetBox that late; "
                          "?full_read=true reads every guest). Off: every sync reads every guest");
  int serve_read_cache_max_age = 600;
  serve_command
      ->add_option("--read-cache-max-age", serve_read_cache_max_age,
                   "With --read-cache: seconds after which a guest unchanged in "
                   "/cluster/resources is read again (default 600)")
      ->check(CLI::PositiveNumber);

  SyncCli sync_cli;
  auto* sync_command = app.add_subcommand(
      "sync",
      "Run one sync: progress on a terminal, then a table; a JSON summary on stdout with --json "
      "or when stdout is not a terminal");
  add_sync_options(*sync_command, sync_cli, ca_file);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  try {
    if (serve_command->parsed()) {
      return serve(server_cli, ca_file, std::chrono::seconds(serve_sync_timeout), trusted_proxies,
                   serve_read_cache ? std::optional(std::chrono::seconds(serve_read_cache_max_age))
                                    : std::nullopt);
    }
    return sync_once(with_secrets(sync_cli), ca_file);
  } catch (const std::exception& error) {
    std::cerr << "proxbox-api: " << error.what() << "\n";
    return 2;
  }
}

}  // namespace pbx::api
