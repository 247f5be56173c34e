#pragma once
// proxmox-mock, netbox-emulator and proxbox-api as real processes on ephemeral loopback ports,
// configured with an API key, the emulator as NetBox and the mock (cluster "lab": nodes pve1 and
// pve2, VMs 100 web and 101 db, CT 200 cache, one backup) as the Proxmox endpoint. A test
// fixture for the suites that drive proxbox-api over HTTP; skips itself when a program is not
// built.

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/process.hpp"
#include "http/client.hpp"
#include "proxmox/scenario.hpp"

namespace pbx::api::stack_test {
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline const std::string kApiKey = "integration-key-0123456789abcdef0123456789";
inline const std::string kNetBoxToken = "0123456789abcdef0123456789abcdef01234567";
inline const std::string kProxmoxToken = "root@pam!proxbox=00000000-0000-0000-0000-000000000000";

// The body that registers the proxmox-mock at `mock_url` ("http://127.0.0.1:<port>") as the
// Proxmox endpoint "lab", with the mock's API token.
inline json::value mock_proxmox_endpoint(const std::string& mock_url) {
  const auto port = mock_url.substr(mock_url.rfind(':') + 1);
  return json::object{{"name", "lab"},
                      {"address", "127.0.0.1"},
                      {"port", std::stoi(port)},
                      {"scheme", "http"},
                      {"username", "root@pam"},
                      {"token_name", "proxbox"},
                      {"token_value", "00000000-0000-0000-0000-000000000000"}};
}

inline fs::path build_dir() {
  const char* dir = std::getenv("PBX_BUILD_DIR");
  return dir ? fs::path(dir) : fs::current_path();
}

// The first of `programs` (paths under the build dir) that is not built, or empty.
inline std::string missing_program(std::initializer_list<const char*> programs) {
  for (const char* program : programs) {
    if (!fs::exists(build_dir() / program)) return program;
  }
  return {};
}

// An empty directory of this test's own: <temp>/<prefix>-<pid>-<test name>.
inline fs::path fresh_test_dir(const std::string& prefix) {
  const fs::path dir =
      fs::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline proxmox::ClusterScenario lab_cluster() {
  proxmox::ClusterScenario cluster;
  cluster.name = "lab";
  // Each node its own address: NetBox holds IP addresses in one global table.
  cluster.nodes = {{"pve1", "online", "192.0.2.11"}, {"pve2", "online", "192.0.2.12"}};
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

class ApiStackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string missing =
        missing_program({"apps/proxmox-mock/proxmox-mock", "apps/netbox-emulator/netbox-emulator",
                         "apps/proxbox-api/proxbox-api"});
    if (!missing.empty()) GTEST_SKIP() << missing << " is not built";
    dir_ = fresh_test_dir("proxbox-stack");

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
    const json::value proxmox = mock_proxmox_endpoint(proxmox_.url);
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

  // Every frame of a route's answer: the SSE frames of a 200 event stream (data parsed as JSON;
  // a frame that is not JSON fails the test), or the status and body of any other answer.
  struct Answer {
    unsigned status = 0;
    std::vector<std::pair<std::string, json::value>> frames;
    std::string body;
  };
  Answer stream_frames(const std::string& route) {
    Answer answer;
    const auto head = client_.stream_events(
        api_.url + route, api_headers(), [&](std::string_view event, std::string_view data) {
          boost::system::error_code error;
          json::value parsed = json::parse(data, error);
          EXPECT_FALSE(error) << route << ": frame '" << event << "' is not JSON: " << data;
          answer.frames.emplace_back(std::string(event), std::move(parsed));
          return true;
        });
    answer.status = head.status;
    answer.body = head.body;
    return answer;
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

}  // namespace pbx::api::stack_test
