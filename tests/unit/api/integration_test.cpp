// proxmox-mock, netbox-emulator and proxbox-api as real processes on ephemeral loopback ports:
// the routes, the SSE stream, idempotency, a rename, a deleted guest and injected faults.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include "common/process.hpp"
#include "http/client.hpp"
#include "proxmox/scenario.hpp"

namespace pbx::api {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kApiKey = "integration-key-0123456789abcdef0123456789";
const std::string kNetBoxToken = "0123456789abcdef0123456789abcdef01234567";
const std::string kProxmoxToken = "root@pam!proxbox=00000000-0000-0000-0000-000000000000";

fs::path build_dir() {
  const char* dir = std::getenv("PBX_BUILD_DIR");
  return dir ? fs::path(dir) : fs::current_path();
}

proxmox::ClusterScenario lab_cluster() {
  proxmox::ClusterScenario cluster;
  cluster.name = "lab";
  cluster.nodes = {{"pve1"}, {"pve2"}};
  auto guest = [](int vmid, std::string type, std::string name, std::string node,
                  std::string status) {
    proxmox::GuestScenario g;
    g.vmid = vmid;
    g.type = std::move(type);
    g.name = std::move(name);
    g.node = std::move(node);
    g.status = std::move(status);
    g.cores = 2;
    g.memory_mb = 2048;
    g.disk_gb = 16;
    g.onboot = true;
    return g;
  };
  cluster.guests = {guest(100, "qemu", "web", "pve1", "running"),
                    guest(101, "qemu", "db", "pve2", "stopped"),
                    guest(200, "lxc", "cache", "pve1", "running")};
  proxmox::StorageScenario local;
  local.id = "local";
  proxmox::StorageScenario backup;
  backup.id = "backup";
  backup.content = {"backup"};
  backup.shared = true;
  cluster.storages = {local, backup};
  proxmox::BackupScenario b;
  b.storage = "backup";
  b.node = "pve1";
  b.vmid = 100;
  b.ctime = 1767225600;
  cluster.backups = {b};
  return cluster;
}

struct Started {
  std::unique_ptr<common::Process> process;
  std::string url;
};

class IntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* program :
         {"apps/proxmox-mock/proxmox-mock", "apps/netbox-emulator/netbox-emulator",
          "apps/proxbox-api/proxbox-api"}) {
      if (!fs::exists(build_dir() / program)) GTEST_SKIP() << program << " is not built";
    }
    dir_ = fs::temp_directory_path() /
           ("proxbox-integration-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);

    proxmox::Scenario scenario;
    scenario.clusters = {lab_cluster()};
    std::ofstream(dir_ / "scenario.json") << json::serialize(scenario.to_json());

    proxmox_ = start("proxmox-mock",
                     {(build_dir() / "apps/proxmox-mock/proxmox-mock").string(), "--scenario",
                      (dir_ / "scenario.json").string(), "--listen", "127.0.0.1:0"});
    netbox_ = start("netbox-emulator",
                    {(build_dir() / "apps/netbox-emulator/netbox-emulator").string(), "--listen",
                     "127.0.0.1:0", "--token", kNetBoxToken, "--netbox-version", "4.6"});
    api_ = start("proxbox-api",
                 {(build_dir() / "apps/proxbox-api/proxbox-api").string(), "serve", "--listen",
                  "127.0.0.1:0"},
                 {{"PROXBOX_DATABASE_PATH", (dir_ / "state" / "proxbox.db").string()},
                  {"PROXBOX_ENCRYPTION_KEY", std::string(64, 'c')}});
    configure();
  }

  void TearDown() override {
    api_.process.reset();
    netbox_.process.reset();
    proxmox_.process.reset();
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_);
  }

  Started start(const std::string& name, std::vector<std::string> argv,
                std::map<std::string, std::string> env = {}) {
    auto program = common::start_until_ready({.argv = std::move(argv), .env = std::move(env)}, dir_,
                                             name, 30s);
    if (!program.ready)
      throw std::runtime_error(name + " did not become ready; see " + program.log.string());
    Started started;
    started.process = std::move(program.process);
    started.url =
        std::string(json::parse(*program.ready).at("endpoints").at(0).at("url").as_string());
    return started;
  }

  http::Headers api_headers() const {
    http::Headers headers;
    headers.set("X-Proxbox-API-Key", kApiKey);
    return headers;
  }

  http::ClientResponse api(http::Verb method, const std::string& path,
                           const json::value* body = nullptr) {
    if (body) return client_.send_json(method, api_.url + path, *body, api_headers());
    return client_.request(method, api_.url + path, {}, api_headers());
  }

  void configure() {
    const json::value key{{"api_key", kApiKey}, {"label", "integration"}};
    ASSERT_EQ(client_.send_json(http::Verb::post, api_.url + "/auth/register-key", key).status,
              201u);
    const auto netbox_port = netbox_.url.substr(netbox_.url.rfind(':') + 1);
    const json::value netbox{{"name", "emulator"},
                             {"address", "127.0.0.1"},
                             {"port", std::stoi(netbox_port)},
                             {"scheme", "http"},
                             {"token", kNetBoxToken}};
    ASSERT_EQ(api(http::Verb::post, "/netbox/endpoint", &netbox).status, 201u);
    const auto proxmox_port = proxmox_.url.substr(proxmox_.url.rfind(':') + 1);
    const json::value proxmox{{"name", "lab"},
                              {"address", "127.0.0.1"},
                              {"port", std::stoi(proxmox_port)},
                              {"scheme", "http"},
                              {"username", "root@pam"},
                              {"token_name", "proxbox"},
                              {"token_value", "00000000-0000-0000-0000-000000000000"}};
    ASSERT_EQ(api(http::Verb::post, "/proxmox/endpoints", &proxmox).status, 201u);
  }

  // Runs a sync route's SSE twin; returns the `complete` event's data.
  json::object stream(const std::string& route, std::vector<std::string>* errors = nullptr,
                      std::vector<std::string>* event_types = nullptr) {
    std::optional<json::object> complete;
    const auto head = client_.stream_events(api_.url + route, api_headers(),
                                            [&](std::string_view event, std::string_view data) {
                                              if (event_types) event_types->emplace_back(event);
                                              if (event == "error" && errors)
                                                errors->emplace_back(data);
                                              if (event == "complete") {
                                                complete = json::parse(data).as_object();
                                                return false;
                                              }
                                              return true;
                                            });
    EXPECT_EQ(head.status, 200u);
    if (!complete) throw std::runtime_error("stream ended without a complete event");
    return *complete;
  }

  json::array netbox_list(const std::string& path) {
    http::Headers headers;
    headers.set(http::Field::authorization, "Token " + kNetBoxToken);
    const auto response = client_.get(netbox_.url + "/api/" + path + "?limit=1000", headers);
    EXPECT_EQ(response.status, 200u) << response.body;
    return response.json().at("results").as_array();
  }

  int64_t netbox_writes() {
    http::Headers headers;
    headers.set(http::Field::authorization, "Token " + kNetBoxToken);
    return client_.get(netbox_.url + "/api/__emulator__/stats/", headers)
        .json()
        .at("writes")
        .as_int64();
  }

  void load_cluster(const proxmox::ClusterScenario& cluster) {
    proxmox::Scenario scenario;
    scenario.clusters = {cluster};
    http::Headers headers;
    headers.set(http::Field::authorization, "PVEAPIToken=" + kProxmoxToken);
    const auto response = client_.send_json(http::Verb::post, proxmox_.url + "/mock/scenario",
                                            scenario.to_json(), headers);
    ASSERT_EQ(response.status, 200u) << response.body;
  }

  std::map<std::string, json::object> vms_by_name() {
    std::map<std::string, json::object> vms;
    for (const auto& vm : netbox_list("virtualization/virtual-machines/")) {
      vms[std::string(vm.at("name").as_string())] = vm.as_object();
    }
    return vms;
  }

  fs::path dir_;
  Started proxmox_, netbox_, api_;
  http::Client client_{[] {
    http::ClientOptions options;
    options.request_timeout = 120s;
    return options;
  }()};
};

TEST_F(IntegrationTest, FullUpdateStreamFillsNetBoxAndSecondRunWritesNothing) {
  ASSERT_EQ(api(http::Verb::get, "/extras/custom-fields/create").status, 200u);
  std::vector<std::string> errors, types;
  const auto first = stream("/full-update/stream", &errors, &types);
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(types.front(), "step");
  EXPECT_EQ(first.at("ok"), true);
  EXPECT_EQ(first.at("errors"), json::array{});

  const auto vms = vms_by_name();
  ASSERT_EQ(vms.size(), 3u);
  const auto& web = vms.at("web");
  EXPECT_EQ(web.at("status").at("value"), "active");
  EXPECT_EQ(web.at("cluster").at("name"), "lab");
  EXPECT_EQ(web.at("memory"), 2048);
  EXPECT_EQ(web.at("custom_fields").at("proxmox_vm_id"), 100);
  EXPECT_EQ(web.at("custom_fields").at("proxmox_vm_type"), "qemu");
  EXPECT_EQ(vms.at("db").at("status").at("value"), "offline");
  EXPECT_EQ(vms.at("cache").at("role").at("name"), "Container (LXC)");
  EXPECT_EQ(netbox_list("dcim/devices/").size(), 2u);
  const auto sites = netbox_list("dcim/sites/");
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_EQ(sites[0].at("name"), "Proxmox Default Site - lab");
  EXPECT_EQ(netbox_list("plugins/proxbox/backups/").size(), 1u);

  const int64_t writes = netbox_writes();
  const auto second = stream("/full-update/stream");
  EXPECT_EQ(netbox_writes(), writes) << "an unchanged re-sync writes nothing";
  EXPECT_EQ(second.at("result").at("created"), 0);
  EXPECT_EQ(second.at("result").at("updated"), 0);
}

TEST_F(IntegrationTest, RenameUpdatesInPlaceAndDeletedGuestNeedsDeleteOrphans) {
  ASSERT_EQ(api(http::Verb::get, "/virtualization/virtual-machines/create").status, 200u);
  const int64_t web_id = vms_by_name().at("web").at("id").as_int64();

  auto cluster = lab_cluster();
  cluster.guests[0].name = "web-renamed";
  cluster.guests.pop_back();  // "cache" is gone
  load_cluster(cluster);

  const auto response = api(http::Verb::get, "/virtualization/virtual-machines/create");
  ASSERT_EQ(response.status, 200u) << response.body;
  const auto summary = response.json();
  EXPECT_EQ(summary.at("kinds").at("virtual_machines").at("updated"), 1);
  EXPECT_EQ(summary.at("kinds").at("virtual_machines").at("orphans"), 1);
  auto vms = vms_by_name();
  ASSERT_EQ(vms.size(), 3u) << "without delete_orphans the orphan stays";
  EXPECT_EQ(vms.at("web-renamed").at("id"), web_id);

  const auto dry = api(http::Verb::get,
                       "/virtualization/virtual-machines/create?delete_orphans=true&dry_run=true");
  EXPECT_EQ(dry.json().at("deleted"), 0);
  EXPECT_EQ(vms_by_name().size(), 3u);

  const auto removed =
      api(http::Verb::get, "/virtualization/virtual-machines/create?delete_orphans=true");
  EXPECT_EQ(removed.json().at("deleted"), 1);
  vms = vms_by_name();
  EXPECT_EQ(vms.size(), 2u);
  EXPECT_FALSE(vms.count("cache"));
}

TEST_F(IntegrationTest, InjectedProxmoxFaultsConvergeToTheCleanState) {
  http::Headers headers;
  headers.set(http::Field::authorization, "PVEAPIToken=" + kProxmoxToken);
  for (const char* rule :
       {R"({"path":"/api2/json/*","error":{"status":503,"rate":0.3}})",
        R"({"path":"/api2/json/nodes/*","reset_rate":0.1})",
        R"({"path":"/api2/json/nodes/*","truncate_rate":0.1})",
        R"({"path":"/api2/json/*","latency":{"kind":"uniform","min_ms":1,"max_ms":20}})"}) {
    const auto added = client_.request(http::Verb::post, proxmox_.url + "/mock/faults", rule, [&] {
      http::Headers h = headers;
      h.set(http::Field::content_type, "application/json");
      return h;
    }());
    ASSERT_EQ(added.status / 100, 2u) << added.body;
  }
  // A run may fail part-way under faults; the next runs finish the job without duplicates.
  for (int attempt = 0; attempt < 4; ++attempt) {
    const auto response = api(http::Verb::get, "/full-update");
    if (response.status == 200 && response.json().at("errors") == 0) break;
  }
  ASSERT_EQ(
      client_.request(http::Verb::delete_, proxmox_.url + "/mock/faults", {}, headers).status / 100,
      2u);
  const auto clean = api(http::Verb::get, "/full-update");
  ASSERT_EQ(clean.status, 200u);
  EXPECT_EQ(clean.json().at("errors"), 0);
  EXPECT_EQ(clean.json().at("created"), 0) << "everything was already there";
  const auto vms = vms_by_name();
  ASSERT_EQ(vms.size(), 3u);
  EXPECT_TRUE(vms.count("web") && vms.count("db") && vms.count("cache"));
  EXPECT_EQ(netbox_list("dcim/devices/").size(), 2u);
  EXPECT_EQ(netbox_list("plugins/proxbox/backups/").size(), 1u);
}

TEST_F(IntegrationTest, OneShotCliPrintsAJsonSummary) {
  common::ProcessOptions options;
  options.argv = {(build_dir() / "apps/proxbox-api/proxbox-api").string(),
                  "sync",
                  "--proxmox",
                  proxmox_.url,
                  "--proxmox-token",
                  kProxmoxToken,
                  "--netbox",
                  netbox_.url,
                  "--netbox-token",
                  kNetBoxToken};
  const auto result = common::run_command(options, 120s);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto summary = json::parse(result.output.substr(result.output.find('{')));
  EXPECT_EQ(summary.at("kinds").at("virtual_machines").at("created"), 3);
}

TEST_F(IntegrationTest, ClosedStreamCancelsItsSyncAndASecondSyncMeanwhileIs409) {
  // Reading Proxmox takes at least a second, so the run is still reading when the client goes.
  http::Headers headers;
  headers.set(http::Field::authorization, "PVEAPIToken=" + kProxmoxToken);
  headers.set(http::Field::content_type, "application/json");
  const auto slow = client_.request(
      http::Verb::post, proxmox_.url + "/mock/faults",
      R"({"path":"/api2/json/cluster/resources","latency":{"kind":"fixed","ms":1000}})", headers);
  ASSERT_EQ(slow.status / 100, 2u) << slow.body;
  const int64_t writes_before = netbox_writes();

  std::vector<std::string> seen;
  client_.stream_events(api_.url + "/full-update/stream", api_headers(),
                        [&](std::string_view event, std::string_view) {
                          seen.emplace_back(event);
                          return false;  // close the connection after the first event
                        });
  ASSERT_EQ(seen, std::vector<std::string>{"step"});

  const auto refused = api(http::Verb::get, "/full-update");
  EXPECT_EQ(refused.status, 409u) << refused.body;
  EXPECT_EQ(refused.json().at("detail"), "a sync is already running");

  json::value status;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  do {
    std::this_thread::sleep_for(50ms);
    status = api(http::Verb::get, "/sync/status").json();
  } while (status.at("running") == true && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(status.at("running"), false) << "the cancelled sync must end";
  EXPECT_EQ(status.at("last_run").at("cancelled"), true) << status;
  EXPECT_EQ(netbox_writes(), writes_before) << "it stopped before writing to NetBox";
  EXPECT_TRUE(vms_by_name().empty());

  // The next run is whole: nothing was half-written.
  const auto next = api(http::Verb::get, "/full-update");
  ASSERT_EQ(next.status, 200u) << next.body;
  EXPECT_EQ(next.json().at("cancelled"), false);
  EXPECT_EQ(next.json().at("errors"), 0);
  EXPECT_EQ(vms_by_name().size(), 3u);
  EXPECT_EQ(netbox_list("plugins/proxbox/backups/").size(), 1u);
}

}  // namespace
}  // namespace pbx::api
