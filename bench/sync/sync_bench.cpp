// proxbox-api sync benchmark: a generated scenario (3 clusters, 30 nodes, 10,000 guests with a
// backup each) served by proxmox-mock, synced into netbox-emulator over loopback HTTP by the
// engine in this process. Phases: initial sync, unchanged re-sync, one guest changed.
// Prints one JSON document with time, requests and peak RSS per phase.
//
//   sync_bench [--guests N] [--nodes N] [--clusters N] [--build-dir DIR] [--log-level L]

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "common/process.hpp"
#include "http/client.hpp"
#include "proxmox/scenario.hpp"
#include "sync/engine.hpp"

namespace {
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace pbx;

const std::string kNetBoxToken = "0123456789abcdef0123456789abcdef01234567";
const std::string kProxmoxToken = "root@pam!proxbox=00000000-0000-0000-0000-000000000000";

long peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

struct Started {
  std::unique_ptr<common::Process> process;
  json::array endpoints;
};

Started start(const fs::path& dir, const std::string& name, std::vector<std::string> argv) {
  argv.insert(argv.end(), {"--log-level", "warn", "--no-access-log"});
  auto program = common::start_until_ready({.argv = std::move(argv)}, dir, name, 120s);
  if (!program.ready)
    throw std::runtime_error(name + " did not start; see " + program.log.string());
  return {std::move(program.process), json::parse(*program.ready).at("endpoints").as_array()};
}

int64_t emulator_writes(http::Client& client, const std::string& url) {
  http::Headers headers;
  headers.set(http::Field::authorization, "Token " + kNetBoxToken);
  return client.get(url + "/api/__emulator__/stats/", headers).json().at("writes").as_int64();
}

}  // namespace

int main(int argc, char** argv) {
  proxmox::GenerateOptions generate;
  generate.clusters = 3;
  generate.nodes = 30;
  generate.guests = 10'000;
  generate.backups_per_guest = 1;
  generate.seed = 1;
  fs::path build_dir = fs::path(argv[0]).parent_path().parent_path().parent_path();
  std::string log_level = "warn";

  CLI::App app{
      "proxbox-api sync benchmark: initial, unchanged and one-change syncs of a "
      "generated scenario over loopback HTTP; prints a JSON report"};
  app.add_option("--guests", generate.guests, "Guests in the scenario")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--nodes", generate.nodes, "Nodes in the scenario")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--clusters", generate.clusters, "Clusters (one proxmox-mock listener each)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--build-dir", build_dir,
                 "Build tree holding apps/proxmox-mock and apps/netbox-emulator")
      ->check(CLI::ExistingDirectory)
      ->capture_default_str();
  app.add_option("--log-level", log_level,
                 "Log level of the sync engine on stderr (debug shows where the time goes)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help is a success; anything else is a usage error, exit status 2 as the apps use.
    return app.exit(error) == 0 ? 0 : 2;
  }
  // stdout carries the JSON report only.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("sync_bench"));
  spdlog::set_pattern("%H:%M:%S.%e %l: %v");
  spdlog::set_level(spdlog::level::from_str(log_level));
  const fs::path dir =
      fs::temp_directory_path() / ("proxbox-sync-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const proxmox::Scenario scenario = proxmox::generate_scenario(generate);
  std::ofstream(dir / "scenario.json") << json::serialize(scenario.to_json());

  Started mock = start(dir, "proxmox-mock",
                       {(build_dir / "apps/proxmox-mock/proxmox-mock").string(), "--scenario",
                        (dir / "scenario.json").string(), "--listen", "127.0.0.1:0"});
  Started emulator =
      start(dir, "netbox-emulator",
            {(build_dir / "apps/netbox-emulator/netbox-emulator").string(), "--listen",
             "127.0.0.1:0", "--token", kNetBoxToken, "--netbox-version", "4.6"});
  const std::string netbox_url(emulator.endpoints.at(0).at("url").as_string());

  http::ClientOptions client_options;
  client_options.request_timeout = 300s;
  client_options.max_retries = 4;
  sync::HttpTransport netbox_transport(client_options);
  sync::NetBoxClient netbox(netbox_transport, netbox_url, kNetBoxToken);
  std::vector<sync::ProxmoxSource> sources;
  for (const auto& endpoint : mock.endpoints) {
    const std::string url(endpoint.at("url").as_string());
    sources.push_back({url,
                       {url, kProxmoxToken, "", ""},
                       std::make_shared<sync::HttpTransport>(client_options),
                       "",
                       {}});
  }
  http::Client admin(client_options);

  json::array phases;
  auto run_phase = [&](const std::string& name) {
    const int64_t writes_before = emulator_writes(admin, netbox_url);
    sync::SyncEngine engine(netbox, sources, {});
    const auto started = std::chrono::steady_clock::now();
    const auto summary = engine.run();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    json::object phase = summary.to_json();
    phase.erase("error_messages");
    phase["phase"] = name;
    phase["seconds"] = seconds;
    phase["netbox_writes_seen_by_emulator"] = emulator_writes(admin, netbox_url) - writes_before;
    phase["peak_rss_mb"] = static_cast<double>(peak_rss_kb()) / 1024.0;
    if (!summary.errors.empty()) phase["first_error"] = summary.errors.front();
    std::cerr << name << ": " << seconds << " s\n";
    phases.push_back(std::move(phase));
  };

  run_phase("initial");
  run_phase("unchanged");
  proxmox::ClusterScenario changed = scenario.clusters.front();
  changed.guests.front().name += "-renamed";
  http::Headers headers;
  headers.set(http::Field::authorization, "PVEAPIToken=" + kProxmoxToken);
  proxmox::Scenario one;
  one.clusters = {changed};
  std::string first_mock(mock.endpoints.at(0).at("url").as_string());
  for (const auto& endpoint : mock.endpoints) {
    if (const auto* cluster = endpoint.as_object().if_contains("cluster");
        cluster && cluster->is_string() && cluster->get_string() == changed.name) {
      first_mock = std::string(endpoint.at("url").as_string());
    }
  }
  const auto loaded =
      admin.send_json(http::Verb::post, first_mock + "/mock/scenario", one.to_json(), headers);
  if (!loaded.ok()) std::cerr << "could not change the scenario: " << loaded.body << "\n";
  run_phase("one_guest_changed");

  json::object report{{"scenario", json::object{{"clusters", generate.clusters},
                                                {"nodes", generate.nodes},
                                                {"guests", generate.guests},
                                                {"backups_per_guest", generate.backups_per_guest}}},
                      {"phases", std::move(phases)}};
  std::cout << json::serialize(report) << std::endl;
  mock.process.reset();
  emulator.process.reset();
  fs::remove_all(dir);
  return 0;
}
