// proxbox-api sync benchmark: a generated estate (by default issue #10's: 3 clusters, 30 nodes
// with 4 interfaces each, 10,000 guests with 2 NICs of one address each, 2 disks, 3 snapshots
// and a backup) served by proxmox-mock, synced into netbox-emulator over loopback HTTP by the
// engine in this process. Phases: initial sync, unchanged re-sync, one guest changed (its first
// address, or with --change name its name). Every phase is a fresh engine that loads the guest
// read cache from a SQLite file and saves it afterwards, as `proxbox-api sync --read-cache` does
// (--no-read-cache: every guest read every run); an address change does not show in
// /cluster/resources, so that phase runs with a full read. Prints one JSON document with time,
// requests (the engine's per-kind counts and the emulator's per-route request counts) and peak RSS
// per phase.
//
// With --netbox-url URL --netbox-token TOKEN the sync writes into that NetBox (a real one,
// bench/sync/real-netbox.sh) instead of an emulator it starts; the URL's form and the token are
// checked before anything starts or is written (exit 2 for a malformed URL or token, 1 when
// NetBox cannot be reached or refuses the token). Request counts then come from the sync's own
// client only (a real NetBox has no per-route statistics). Every phase also carries the client's
// counts, so the two kinds of run compare like for like.
//
//   sync_bench [--guests N] [--nodes N] [--clusters N] [--nics N] [--disks N] [--snapshots N]
//              [--backups N] [--no-extras] [--scope S] [--change ip|name] [--build-dir DIR]
//              [--log-level L] [--no-read-cache] [--listings-ahead N] [--emulator-version V]
//              [--emulator-db file|memory]
//              [--netbox-url URL --netbox-token TOKEN]

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
#include <map>
#include <string>

#include "common/process.hpp"
#include "http/client.hpp"
#include "proxmox/scenario.hpp"
#include "sync/engine.hpp"
#include "sync/netbox_target.hpp"

namespace {
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace pbx;

const std::string kNetBoxToken = "0123456789abcdef0123456789abcdef01234567";
const std::string kProxmoxToken = "root@pam!proxbox=00000000-0000-0000-0000-000000000000";
// TEST-NET-2: no generated guest or node holds an address there.
const std::string kChangedHost = "198.51.100.77";

struct BenchOptions {
  proxmox::GenerateOptions generate;
  sync::SyncScope scope = sync::SyncScope::full;
  std::string change = "ip";
  fs::path build_dir;
  std::string log_level = "warn";
  bool read_cache = true;
  size_t listings_ahead = sync::SyncOptions{}.listings_ahead;
  std::string emulator_version = "4.6";
  // Where the started emulator keeps its SQLite database: "file" (in the benchmark's temporary
  // folder; reads are then served side by side) or "memory" (one connection, every request in
  // turn).
  std::string emulator_db = "file";
  // Empty: an emulator started by the benchmark. Otherwise the NetBox the sync writes into.
  std::string netbox_url;
  std::string netbox_token;
  // Per request to NetBox or Proxmox: a real NetBox on a loaded machine took over 300 s for one
  // bulk POST of 500 addresses (README).
  int request_timeout_seconds = 300;
};

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

// The emulator's own count of writes and of requests per "METHOD route pattern".
struct EmulatorStats {
  int64_t writes = 0;
  std::map<std::string, int64_t> requests;
};

EmulatorStats emulator_stats(http::Client& client, const std::string& url) {
  http::Headers headers;
  headers.set(http::Field::authorization, "Token " + kNetBoxToken);
  const json::value body = client.get(url + "/api/__emulator__/stats/", headers).json();
  EmulatorStats stats{body.at("writes").as_int64(), {}};
  for (const auto& [route, count] : body.at("requests").as_object())
    stats.requests[std::string(route)] = count.as_int64();
  return stats;
}

// Requests of one phase per route; the stats route itself (read before and after) left out.
json::object requests_between(const EmulatorStats& before, const EmulatorStats& after) {
  json::object routes;
  for (const auto& [route, count] : after.requests) {
    const auto earlier = before.requests.find(route);
    const int64_t phase = count - (earlier == before.requests.end() ? 0 : earlier->second);
    if (phase > 0 && route.find("__emulator__") == std::string::npos) routes[route] = phase;
  }
  return routes;
}

// Returns the exit status when the command line ends the program (help, usage error).
std::optional<int> parse_options(int argc, char** argv, BenchOptions& options) {
  auto& generate = options.generate;
  std::string scope = "full";
  bool no_extras = false;
  CLI::App app{
      "proxbox-api sync benchmark: initial, unchanged and one-change syncs of a "
      "generated scenario over loopback HTTP; prints a JSON report"};
  const auto count = [&](const std::string& flag, int& value, const std::string& help) {
    return app.add_option(flag, value, help)->capture_default_str();
  };
  count("--guests", generate.guests, "Guests in the scenario")->check(CLI::PositiveNumber);
  count("--nodes", generate.nodes, "Nodes in the scenario (4 interfaces each)")
      ->check(CLI::PositiveNumber);
  count("--clusters", generate.clusters, "Clusters (one proxmox-mock listener each)")
      ->check(CLI::PositiveNumber);
  count("--nics", generate.nics_per_guest, "NICs per guest, one address each (0..8)")
      ->check(CLI::NonNegativeNumber);
  count("--disks", generate.disks_per_guest, "Disks per guest (0..8)")
      ->check(CLI::NonNegativeNumber);
  count("--snapshots", generate.snapshots_per_guest, "Snapshots per guest (each with its task)")
      ->check(CLI::NonNegativeNumber);
  count("--backups", generate.backups_per_guest, "Backups per guest")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--no-extras", no_extras,
               "No replication, HA, SDN, backup job or start tasks in the scenario");
  app.add_option("--scope", scope, "Sync scope of every phase (full runs every stage)")
      ->capture_default_str();
  app.add_option("--change", options.change,
                 "What the third phase changes in one guest: ip (its first address) or name")
      ->check(CLI::IsMember({"ip", "name"}))
      ->capture_default_str();
  app.add_option("--build-dir", options.build_dir,
                 "Build tree holding apps/proxmox-mock and apps/netbox-emulator")
      ->check(CLI::ExistingDirectory)
      ->capture_default_str();
  bool no_read_cache = false;
  app.add_flag("--no-read-cache", no_read_cache,
               "No guest read cache: every phase reads every guest's config and agent");
  app.add_option("--listings-ahead", options.listings_ahead,
                 "NetBox listings listed ahead of their stage (SyncOptions::listings_ahead; 0: "
                 "each stage lists when it comes to it)")
      ->capture_default_str();
  app.add_option("--emulator-version", options.emulator_version,
                 "NetBox version the started netbox-emulator emulates (without --netbox-url)")
      ->capture_default_str();
  app.add_option("--emulator-db", options.emulator_db,
                 "The started emulator's database: file (reads side by side) or memory")
      ->check(CLI::IsMember({"file", "memory"}))
      ->capture_default_str();
  auto* netbox_url = app.add_option(
      "--netbox-url", options.netbox_url,
      "Sync into this NetBox (e.g. a real one) instead of a started emulator; it should be "
      "empty, the first phase is then the initial sync");
  auto* netbox_token = app.add_option("--netbox-token", options.netbox_token,
                                      "API token of --netbox-url (v1, or v2 nbt_<key>.<secret>)");
  netbox_url->needs(netbox_token);
  app.add_option("--request-timeout", options.request_timeout_seconds,
                 "Seconds one request to NetBox or Proxmox may take")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  netbox_token->needs(netbox_url);
  app.add_option("--log-level", options.log_level,
                 "Log level of the sync engine on stderr (debug shows where the time goes)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help is a success; anything else is a usage error, exit status 2 as the apps use.
    return app.exit(error) == 0 ? 0 : 2;
  }
  const auto named = common::parse_enum<sync::SyncScope>(scope);
  if (!named) {
    std::cerr << "--scope: unknown scope '" << scope << "'\n";
    return 2;
  }
  options.scope = *named;
  if (!options.netbox_url.empty()) {
    if (const auto url = sync::check_netbox_base_url(options.netbox_url); !url) {
      std::cerr << "sync_bench: --netbox-url '" << options.netbox_url << "': " << url.error()
                << "\n";
      return 2;
    }
    if (const auto token = sync::check_netbox_token(options.netbox_token); !token) {
      std::cerr << "sync_bench: --netbox-token: " << token.error() << "\n";
      return 2;
    }
  }
  options.read_cache = !no_read_cache;
  generate.extras = !no_extras;
  return std::nullopt;
}

// The first guest whose first address the sync reads (LXC config, or a running QEMU guest's
// agent) gets kChangedHost, same prefix length. Returns "vmid old → new" for the report.
std::string change_first_address(proxmox::ClusterScenario& cluster) {
  for (auto& guest : cluster.guests) {
    const bool read = guest.type == "lxc" || (guest.agent && guest.status == "running");
    if (!read || guest.nics.empty() || guest.nics.front().ip_addresses.empty()) continue;
    std::string& address = guest.nics.front().ip_addresses.front();
    if (address.find(':') != std::string::npos) continue;
    const std::string before = address;
    address = kChangedHost + address.substr(address.find('/'));
    return std::to_string(guest.vmid) + " " + before + " -> " + address;
  }
  throw std::runtime_error("no guest with an address the sync reads; use --change name");
}

// Replaces one cluster's state in its mock with the scenario changed in one guest.
std::string change_one_guest(const proxmox::Scenario& scenario, const json::array& endpoints,
                             const std::string& change, http::Client& admin) {
  proxmox::ClusterScenario changed = scenario.clusters.front();
  std::string description;
  if (change == "name") {
    changed.guests.front().name += "-renamed";
    description = std::to_string(changed.guests.front().vmid) + " renamed";
  } else {
    description = change_first_address(changed);
  }
  std::string mock_url(endpoints.at(0).at("url").as_string());
  for (const auto& endpoint : endpoints) {
    if (const auto* cluster = endpoint.as_object().if_contains("cluster");
        cluster && cluster->is_string() && cluster->get_string() == changed.name) {
      mock_url = std::string(endpoint.at("url").as_string());
    }
  }
  http::Headers headers;
  headers.set(http::Field::authorization, "PVEAPIToken=" + kProxmoxToken);
  proxmox::Scenario one;
  one.clusters = {changed};
  const auto loaded =
      admin.send_json(http::Verb::post, mock_url + "/mock/scenario", one.to_json(), headers);
  if (!loaded.ok()) throw std::runtime_error("could not change the scenario: " + loaded.body);
  return description;
}

// How a phase runs: its scope, the read cache file (empty: none) and whether it reads every guest.
struct PhaseRun {
  sync::SyncScope scope = sync::SyncScope::full;
  fs::path read_cache;
  bool full_read = false;
  size_t listings_ahead = sync::SyncOptions{}.listings_ahead;
};

// The NetBox the phases write into: an emulator this benchmark started, or --netbox-url.
struct Target {
  std::string url;
  std::string token;
  bool emulator = true;
  std::string version;  // as /api/status/ tells it
  // It has the netbox-proxbox plugin (the emulator emulates it); without it the sync leaves the
  // plugin's objects out, so the two runs write different amounts.
  bool proxbox_plugin = false;
};

json::object run_phase(const std::string& name, sync::NetBoxClient& netbox,
                       const std::vector<sync::ProxmoxSource>& sources, const PhaseRun& how,
                       http::Client& admin, const Target& target) {
  // A real NetBox has no statistics route; the sync's own counts (summary) cover both.
  std::optional<EmulatorStats> before;
  if (target.emulator) before = emulator_stats(admin, target.url);
  const auto started = std::chrono::steady_clock::now();
  sync::SyncOptions sync_options;
  sync_options.scope = how.scope;
  sync_options.reader.full_read = how.full_read;
  sync_options.listings_ahead = how.listings_ahead;
  // Loaded and saved by this phase, as a fresh `proxbox-api sync --read-cache FILE` would.
  std::optional<sync::ReadCacheFile> cache;
  if (!how.read_cache.empty()) {
    cache = sync::open_read_cache_file(how.read_cache.string(), {}, [](const std::string& message) {
      throw std::runtime_error(message);
    });
    sync_options.reader.read_cache = cache->cache;
  }
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  sync::SyncEngine engine(netbox, sources, sync_options);
  const auto summary = engine.run();
  const auto synced = std::chrono::steady_clock::now();
  if (cache) cache->save();
  const double save_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - synced).count();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  json::object phase = summary.to_json();
  phase.erase("error_messages");
  phase["phase"] = name;
  phase["seconds"] = seconds;
  phase["full_read"] = how.full_read;
  phase["read_cache"] = !how.read_cache.empty();
  phase["read_cache_load_seconds"] = load_seconds;
  phase["read_cache_save_seconds"] = save_seconds;
  const size_t guests = summary.guests_read + summary.guests_cached;
  phase["proxmox_requests_per_guest"] =
      guests == 0 ? 0.0 : static_cast<double>(summary.proxmox_requests) / guests;
  const auto& sent = summary.netbox_requests;
  phase["netbox_requests_total"] = sent.get + sent.writes();
  phase["netbox_writes"] = sent.writes();
  const auto totals = summary.totals();
  phase["objects_written"] = totals.created + totals.updated + totals.deleted;
  if (before) {
    const EmulatorStats after = emulator_stats(admin, target.url);
    phase["netbox_writes_seen_by_emulator"] = after.writes - before->writes;
    phase["netbox_requests_by_route"] = requests_between(*before, after);
  }
  phase["peak_rss_mb"] = static_cast<double>(peak_rss_kb()) / 1024.0;
  phase["error_count"] = summary.errors.size();
  if (!summary.errors.empty()) phase["first_error"] = summary.errors.front();
  std::cerr << name << ": " << seconds << " s, " << summary.proxmox_requests
            << " Proxmox requests (" << summary.guests_read << " guests read, "
            << summary.guests_cached << " from the read cache), " << sent.get + sent.writes()
            << " NetBox requests (" << sent.writes() << " writes)\n";
  return phase;
}

// Asks NetBox with the token before anything is started or written: a NetBox that cannot be
// reached, is not NetBox or refuses the token ends the benchmark with a message saying which.
// The token is tried on a list every NetBox guards (real NetBox refuses a bad token on
// /api/status/ too, the emulator does not), then /api/status/ tells version and plugin.
sync::NetBoxStatus check_netbox(const std::string& url, const std::string& token) {
  http::ClientOptions quick;
  quick.request_timeout = 30s;
  quick.max_retries = 0;
  sync::HttpTransport transport(quick);
  sync::NetBoxClient client(transport, url, token);
  http::Headers headers;
  headers.set(http::Field::authorization, sync::netbox_authorization(token));
  headers.set(http::Field::accept, "application/json");
  const std::string probe = client.api_root() + "/extras/tags/?limit=1";
  http::ClientResponse answer;
  try {
    answer = http::Client(quick).get(probe, headers);
  } catch (const http::TransportError& error) {
    throw std::runtime_error("cannot reach NetBox at " + url + ": " + error.what());
  }
  if (answer.status == 401 || answer.status == 403)
    throw std::runtime_error("NetBox at " + url + " refuses the token (" +
                             std::to_string(answer.status) + " " + answer.body +
                             "); nothing was started or written");
  if (!answer.ok())
    throw std::runtime_error("NetBox at " + url + " does not answer as NetBox: GET " + probe + " " +
                             std::to_string(answer.status));
  sync::NetBoxStatus status;
  try {
    status = client.status();
  } catch (const std::exception& error) {  // an error status or a body that is not JSON
    throw std::runtime_error("NetBox at " + url +
                             " does not answer /api/status/ as NetBox: " + error.what());
  }
  if (status.version.text.empty())
    throw std::runtime_error("NetBox at " + url +
                             " answered /api/status/ without a netbox-version: not a NetBox?");
  return status;
}

// The NetBox of --netbox-url (`external`, checked already), or an emulator started here.
Target netbox_target(const BenchOptions& options, const fs::path& dir,
                     const std::optional<sync::NetBoxStatus>& external,
                     std::optional<Started>& emulator) {
  Target target{options.netbox_url, options.netbox_token, !external, {}, false};
  if (target.emulator) {
    emulator = start(
        dir, "netbox-emulator",
        {(options.build_dir / "apps/netbox-emulator/netbox-emulator").string(), "--listen",
         "127.0.0.1:0", "--token", kNetBoxToken, "--netbox-version", options.emulator_version,
         "--db", options.emulator_db == "file" ? (dir / "netbox.sqlite").string() : ":memory:"});
    target.url = std::string(emulator->endpoints.at(0).at("url").as_string());
    target.token = kNetBoxToken;
  }
  const sync::NetBoxStatus status = external ? *external : check_netbox(target.url, target.token);
  target.version = status.version.text;
  target.proxbox_plugin = status.proxbox_plugin;
  return target;
}

// Removes the benchmark's temporary files however it ends.
struct TempDir {
  fs::path path;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

int run_benchmark(const BenchOptions& options) {
  const auto& generate = options.generate;
  // stdout carries the JSON report only.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("sync_bench"));
  spdlog::set_pattern("%H:%M:%S.%e %l: %v");
  spdlog::set_level(spdlog::level::from_str(options.log_level));
  // Before any process starts: a NetBox of --netbox-url that is unreachable or refuses the token.
  std::optional<sync::NetBoxStatus> external;
  if (!options.netbox_url.empty())
    external = check_netbox(options.netbox_url, options.netbox_token);

  const TempDir dir{fs::temp_directory_path() /
                    ("proxbox-sync-bench-" + std::to_string(::getpid()))};
  fs::create_directories(dir.path);
  const proxmox::Scenario scenario = proxmox::generate_scenario(generate);
  std::ofstream(dir.path / "scenario.json") << json::serialize(scenario.to_json());

  // Declared before the programs so that their handles stop them before the directory goes.
  std::optional<Started> emulator;
  Started mock =
      start(dir.path, "proxmox-mock",
            {(options.build_dir / "apps/proxmox-mock/proxmox-mock").string(), "--scenario",
             (dir.path / "scenario.json").string(), "--listen", "127.0.0.1:0"});
  const Target target = netbox_target(options, dir.path, external, emulator);

  http::ClientOptions client_options;
  client_options.request_timeout = std::chrono::seconds(options.request_timeout_seconds);
  client_options.max_retries = 4;
  sync::HttpTransport netbox_transport(client_options);
  sync::NetBoxClient netbox(netbox_transport, target.url, target.token);
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
  PhaseRun how{options.scope, options.read_cache ? dir.path / "read-cache.sqlite" : fs::path(),
               false, options.listings_ahead};
  phases.push_back(run_phase("initial", netbox, sources, how, admin, target));
  phases.push_back(run_phase("unchanged", netbox, sources, how, admin, target));
  const std::string change = change_one_guest(scenario, mock.endpoints, options.change, admin);
  // An address does not show in /cluster/resources: a cached run would see it after the max age.
  how.full_read = options.change == "ip";
  json::object changed = run_phase("one_guest_changed", netbox, sources, how, admin, target);
  changed["change"] = change;
  phases.push_back(std::move(changed));

  json::object report{
      {"scenario", json::object{{"clusters", generate.clusters},
                                {"nodes", generate.nodes},
                                {"guests", generate.guests},
                                {"nics_per_guest", generate.nics_per_guest},
                                {"disks_per_guest", generate.disks_per_guest},
                                {"snapshots_per_guest", generate.snapshots_per_guest},
                                {"backups_per_guest", generate.backups_per_guest},
                                {"extras", generate.extras}}},
      {"netbox", json::object{{"target", target.emulator ? "emulator" : "url"},
                              {"url", target.url},
                              {"version", target.version},
                              {"proxbox_plugin", target.proxbox_plugin}}},
      {"scope", std::string(sync::to_string(options.scope))},
      {"read_cache", options.read_cache},
      {"phases", std::move(phases)}};
  std::cout << json::serialize(report) << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  BenchOptions options;
  auto& generate = options.generate;
  generate.clusters = 3;
  generate.nodes = 30;
  generate.guests = 10'000;
  generate.nics_per_guest = 2;
  generate.disks_per_guest = 2;
  generate.snapshots_per_guest = 3;
  generate.backups_per_guest = 1;
  generate.seed = 1;
  options.build_dir = fs::path(argv[0]).parent_path().parent_path().parent_path();
  if (const auto exit_status = parse_options(argc, argv, options)) return *exit_status;
  try {
    return run_benchmark(options);
  } catch (const std::exception& error) {
    // Reached after the programs' RAII handles stopped them.
    std::cerr << "sync_bench: " << error.what() << "\n";
    return 1;
  }
}
