#include "proxmox/mock_program.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <boost/json.hpp>
#include <cstdlib>
#include <iostream>
#include <map>

#include "common/files.hpp"
#include "http/server.hpp"
#include "http/server_cli.hpp"
#include "proxmox/admin_access.hpp"
#include "proxmox/engine.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

std::string default_listen(Service service) {
  switch (service) {
    case Service::pbs:
      return "127.0.0.1:8007";
    case Service::pdm:
      return "127.0.0.1:8443";
    case Service::pve:
      break;
  }
  return "127.0.0.1:8006";
}

Scenario read_scenario(const std::string& file) {
  std::string text;
  try {
    text = common::read_file(file);
  } catch (const common::FileError& error) {
    throw std::invalid_argument(std::string("--scenario: ") + error.what());
  }
  json::error_code error;
  const json::value value = json::parse(text, error);
  if (error) throw std::invalid_argument("--scenario: " + file + ": " + error.message());
  return Scenario::from_json(value);
}

int generate_command(const GenerateOptions& options) {
  std::cout << json::serialize(generate_scenario(options).to_json()) << '\n';
  return 0;
}

struct MockCli {
  std::string service = env_or("PROXMOX_SERVICE", "pve");
  std::string schema;
  std::string scenario;
  uint64_t seed = 1;
  bool no_auth = false;
  int task_ms = 100;
  std::string admin_token = env_or("PROXMOX_MOCK_ADMIN_TOKEN", "");
  http::ServerCli server;
};

int serve(const MockCli& cli, Service service) {
  EngineOptions base;
  base.service = service;
  base.seed = cli.seed;
  base.auth = !cli.no_auth;
  base.task_duration = std::chrono::milliseconds(cli.task_ms);
  if (service != Service::pdm) {
    std::filesystem::path file = cli.schema;
    if (file.empty()) {
      const auto found = ApiSchema::default_file(service, ApiSchema::default_schema_dir());
      if (!found) {
        throw std::invalid_argument(
            fmt::format("no {} schema in {} (set --schema or "
                        "PROXMOX_MOCK_SCHEMA_DIR)",
                        to_string(service), ApiSchema::default_schema_dir().string()));
      }
      file = *found;
    }
    base.schema = std::make_shared<const ApiSchema>(ApiSchema::load(file));
  }

  std::vector<ClusterScenario> clusters;
  if (!cli.scenario.empty()) {
    Scenario scenario = read_scenario(cli.scenario);
    if (scenario.service != service) {
      throw std::invalid_argument(fmt::format("--scenario is for {} but the service is {}",
                                              to_string(scenario.service), to_string(service)));
    }
    base.access = AccessConfig::of(scenario);
    clusters = std::move(scenario.clusters);
  }
  if (clusters.empty()) clusters.push_back(default_cluster(service));

  std::vector<std::unique_ptr<Engine>> engines;
  for (auto& cluster : clusters) {
    EngineOptions options = base;
    options.cluster = std::move(cluster);
    engines.push_back(std::make_unique<Engine>(std::move(options)));
  }

  // Parsing a big scenario leaves tens of MB of freed JSON in malloc's arenas; hand it back so
  // the resident size reflects the state actually kept.
  malloc_trim(0);

  http::ServerCli server_cli = cli.server;
  if (server_cli.listen.size() == 1 && server_cli.listen.front().empty()) {
    server_cli.listen.front() = default_listen(service);
  }
  http::ServerOptions options = http::to_server_options(server_cli, "proxmox-mock");
  const size_t primary_listeners = options.listen.size();
  // Every further cluster gets its own listener beside the first one, on an ephemeral port.
  for (size_t i = 1; i < engines.size(); ++i) {
    http::ListenAddress extra = options.listen.front();
    extra.port = 0;
    options.listen.push_back(extra);
  }

  // Ports are known only after start(); the map is published once complete and read-only after.
  auto by_port = std::make_unique<std::map<uint16_t, Engine*>>();
  std::atomic<const std::map<uint16_t, Engine*>*> published{nullptr};
  Engine* primary = engines.front().get();
  const AdminAccess admin(cli.admin_token);
  http::Server server(options, [&published, primary, &admin](http::Request& request) {
    if (auto admitted = admin.admit(request); !admitted) return admitted.error();
    Engine* engine = primary;
    if (const auto* ports = published.load(std::memory_order_acquire)) {
      if (const auto it = ports->find(request.local_port); it != ports->end()) engine = it->second;
    }
    return engine->handle(request);
  });
  server.start();
  const auto& endpoints = server.endpoints();
  json::array listed;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    Engine* engine = i < primary_listeners ? primary : engines.at(i - primary_listeners + 1).get();
    (*by_port)[endpoints[i].port] = engine;
    listed.push_back(json::object{{"url", endpoints[i].url()},
                                  {"host", endpoints[i].host},
                                  {"port", endpoints[i].port},
                                  {"tls", endpoints[i].tls},
                                  {"cluster", engine->cluster_name()},
                                  {"service", to_string(service)}});
  }
  published.store(by_port.get(), std::memory_order_release);
  // Prints "listening on ..."; the ready file is ours because it also names the clusters.
  http::announce_ready(server, {});
  if (!server_cli.ready_file.empty()) {
    common::write_file_atomically(
        server_cli.ready_file,
        json::serialize(json::object{{"endpoints", std::move(listed)}}) + '\n');
  }
  server.run_until_signal();
  return 0;
}

}  // namespace

int run_proxmox_mock(int argc, char** argv) {
  CLI::App app{"proxmox-mock: a stateful, schema-driven mock of the Proxmox VE / PBS / PDM API"};
  MockCli cli;
  app.add_option("--service", cli.service, "pve, pbs or pdm (env PROXMOX_SERVICE)")
      ->capture_default_str();
  app.add_option("--schema", cli.schema,
                 "API schema file (default: newest for the service under "
                 "PROXMOX_MOCK_SCHEMA_DIR or ../shared/schemas/proxmox)");
  app.add_option("--scenario", cli.scenario,
                 "Scenario JSON (one listener per cluster; see data/scenarios)");
  app.add_option("--seed", cli.seed, "Seed for generated data and fault draws")
      ->capture_default_str();
  app.add_flag("--no-auth", cli.no_auth, "Accept every request without credentials");
  app.add_option("--admin-token", cli.admin_token,
                 "Require this token for the /mock/* admin API (Authorization: Bearer <token> or "
                 "X-Mock-Admin-Token); env PROXMOX_MOCK_ADMIN_TOKEN keeps it off the command "
                 "line. Without it anyone who reaches a listener can use the admin API");
  app.add_option("--task-ms", cli.task_ms, "How long a task (UPID) runs before it stops")
      ->capture_default_str()
      ->check(CLI::Range(0, 600'000));
  http::add_server_flags(app, cli.server, "");

  GenerateOptions generate;
  auto* scenario_command = app.add_subcommand("scenario", "Scenario tools");
  auto* generate_command_app =
      scenario_command->add_subcommand("generate", "Print a generated scenario as JSON");
  generate_command_app->add_option("--clusters", generate.clusters)->capture_default_str();
  generate_command_app->add_option("--nodes", generate.nodes, "Total nodes")->capture_default_str();
  generate_command_app->add_option("--guests", generate.guests, "Total guests")
      ->capture_default_str();
  generate_command_app->add_option("--backups", generate.backups_per_guest, "Backups per guest")
      ->capture_default_str();
  generate_command_app->add_option("--nics", generate.nics_per_guest, "NICs per guest (0..8)")
      ->capture_default_str();
  generate_command_app->add_option("--disks", generate.disks_per_guest, "Disks per guest (0..8)")
      ->capture_default_str();
  generate_command_app
      ->add_option("--snapshots", generate.snapshots_per_guest, "Snapshots per guest")
      ->capture_default_str();
  generate_command_app->add_flag(
      "!--no-extras", generate.extras,
      "Leave out replication jobs, HA resources, SDN and the start-task history");
  generate_command_app->add_option("--seed", generate.seed)->capture_default_str();
  generate_command_app->add_option("--prefix", generate.prefix, "Cluster/node name prefix")
      ->capture_default_str();
  scenario_command->require_subcommand(1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  try {
    if (generate_command_app->parsed()) return generate_command(generate);
    const std::string mode = env_or("PROXMOX_API_MODE", "mock");
    if (mode != "mock") {
      std::cerr << "proxmox-mock: PROXMOX_API_MODE=" << mode
                << " is not supported here; proxmox-mock only serves the 'mock' mode\n";
      return 2;
    }
    const Service service = parse_service(cli.service);
    http::configure_logging(cli.server);
    return serve(cli, service);
  } catch (const std::invalid_argument& error) {
    std::cerr << "proxmox-mock: " << error.what() << '\n';
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "proxmox-mock: " << error.what() << '\n';
    return 1;
  }
}

}  // namespace pbx::proxmox
