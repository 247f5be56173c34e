// Integration: the real proxmox-mock binary on ephemeral loopback ports, driven over HTTP and by
// the real client libraries (proxmoxer: Debian's and the newest from PyPI; npm proxmox-api).

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "client_python.hpp"
#include "common/files.hpp"
#include "common/process.hpp"
#include "http/client.hpp"
#include "proxmox/api_schema.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path build_dir() {
  const char* dir = std::getenv("PBX_BUILD_DIR");
  return dir != nullptr ? fs::path(dir) : fs::current_path();
}

fs::path mock_binary() {
  return build_dir() / "apps/proxmox-mock/proxmox-mock";
}

class MockProcess {
 public:
  explicit MockProcess(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("pstate-mock-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(dir_);
    std::vector<std::string> argv = {mock_binary().string(), "--threads", "2", "--task-ms", "30",
                                     "--log-level",          "warn"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto program = common::start_until_ready({.argv = std::move(argv), .env = std::move(env)}, dir_,
                                             "mock", 20s);
    process_ = std::move(program.process);
    log_ = std::move(program.log);
    if (program.ready) ready_ = json::parse(*program.ready).as_object();
  }
  ~MockProcess() {
    if (process_) process_->terminate();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  bool ready() const { return !ready_.empty(); }
  std::string log() const { return common::read_file(log_); }
  const json::array& endpoints() const { return ready_.at("endpoints").as_array(); }
  std::string url(size_t index = 0) const {
    return std::string(endpoints().at(index).as_object().at("url").as_string());
  }
  int64_t port(size_t index = 0) const {
    return endpoints().at(index).as_object().at("port").to_number<int64_t>();
  }

 private:
  fs::path dir_;
  std::unique_ptr<common::Process> process_;
  fs::path log_;
  json::object ready_;
};

http::Headers token_header(std::string_view separator = "=") {
  http::Headers headers;
  headers.set(http::Field::authorization, std::string("PVEAPIToken=root@pam!proxbox") +
                                              std::string(separator) +
                                              "00000000-0000-0000-0000-000000000000");
  return headers;
}

size_t openapi_operation_count(const json::value& document) {
  size_t count = 0;
  for (const auto& [path, item] : document.at("paths").as_object()) {
    for (const auto& [method, operation] : item.as_object()) {
      static const std::set<std::string_view> kMethods = {"get",   "post", "put",    "delete",
                                                          "patch", "head", "options"};
      if (kMethods.contains(std::string_view(method))) ++count;
    }
  }
  return count;
}

TEST(MockProgramTest, ServesHealthRootAndFullOpenapiOnPortZero) {
  MockProcess mock({"--listen", "127.0.0.1:0"});
  ASSERT_TRUE(mock.ready()) << mock.log();
  EXPECT_NE(mock.port(), 0);
  http::Client client;
  EXPECT_EQ(client.get(mock.url() + "/health").json().at("status").as_string(), "ready");
  const json::value root = client.get(mock.url() + "/").json();
  EXPECT_EQ(root.at("service").as_string(), "pve");
  const auto schema =
      ApiSchema::load(*ApiSchema::default_file(Service::pve, ApiSchema::default_schema_dir()));
  EXPECT_EQ(root.at("operations").to_number<int64_t>(),
            static_cast<int64_t>(schema.operation_count()));
  const auto openapi = client.get(mock.url() + "/openapi.json");
  ASSERT_EQ(openapi.status, 200u);
  // Every schema operation plus the mock's own 13 (/health, /, /version, /openapi.json, /mock/...).
  EXPECT_EQ(openapi_operation_count(openapi.json()), schema.operation_count() + 13);
  // Auth is on by default.
  EXPECT_EQ(client.get(mock.url() + "/api2/json/nodes").status, 401u);
  EXPECT_EQ(client.get(mock.url() + "/api2/json/nodes", token_header()).status, 200u);
}

TEST(MockProgramTest, MultiClusterScenarioGetsOneListenerPerCluster) {
  MockProcess mock({"--listen", "127.0.0.1:0", "--scenario",
                    std::string(PBX_SOURCE_DIR) + "/data/scenarios/multi-cluster.json"});
  ASSERT_TRUE(mock.ready()) << mock.log();
  ASSERT_EQ(mock.endpoints().size(), 2u);
  http::Client client;
  for (size_t i = 0; i < 2; ++i) {
    const std::string cluster(mock.endpoints()[i].as_object().at("cluster").as_string());
    const auto status =
        client.get(mock.url(i) + "/api2/json/cluster/status", token_header()).json();
    EXPECT_EQ(status.at("data").at(0).at("name").as_string(), cluster);
  }
  EXPECT_NE(mock.endpoints()[0].as_object().at("cluster"),
            mock.endpoints()[1].as_object().at("cluster"));
}

TEST(MockProgramTest, PbsAndPdmServices) {
  MockProcess pbs({"--listen", "127.0.0.1:0", "--service", "pbs"});
  ASSERT_TRUE(pbs.ready()) << pbs.log();
  http::Client client;
  EXPECT_NE(client.get(pbs.url() + "/").body.find("\"service\":\"pbs\""), std::string::npos);
  http::Headers pbs_token;
  pbs_token.set(http::Field::authorization,
                "PBSAPIToken=root@pam!proxbox:00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(client.get(pbs.url() + "/api2/json/admin/datastore", pbs_token).status, 200u);

  MockProcess pdm({"--listen", "127.0.0.1:0"}, {{"PROXMOX_SERVICE", "pdm"}});
  ASSERT_TRUE(pdm.ready()) << pdm.log();
  EXPECT_NE(client.get(pdm.url() + "/").body.find("\"schema_status\":\"pending\""),
            std::string::npos);
  EXPECT_EQ(client.get(pdm.url() + "/api2/json/nodes").status, 501u);
}

TEST(MockProgramTest, RejectsUnsupportedApiModeClearly) {
  common::ProcessOptions options;
  options.argv = {mock_binary().string(), "--listen", "127.0.0.1:0"};
  options.env = {{"PROXMOX_API_MODE", "real"}};
  const auto result = common::run_command(options, 20s);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("PROXMOX_API_MODE=real"), std::string::npos) << result.output;
}

TEST(MockProgramTest, UnreadableScenarioFileIsAUsageErrorNamingIt) {
  common::ProcessOptions options;
  const std::string missing = "/nonexistent/pstate-scenario.json";
  options.argv = {mock_binary().string(), "--listen", "127.0.0.1:0", "--scenario", missing};
  const auto result = common::run_command(options, 20s);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("proxmox-mock: --scenario: cannot read " + missing),
            std::string::npos)
      << result.output;
}

TEST(MockProgramTest, ScenarioGeneratePrintsLoadableJson) {
  common::ProcessOptions options;
  options.argv = {mock_binary().string(),
                  "scenario",
                  "generate",
                  "--clusters",
                  "3",
                  "--nodes",
                  "6",
                  "--guests",
                  "300",
                  "--backups",
                  "1",
                  "--seed",
                  "1"};
  const auto result = common::run_command(options, 60s);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const Scenario scenario = Scenario::from_json(json::parse(result.output));
  EXPECT_EQ(scenario.clusters.size(), 3u);
  EXPECT_EQ(scenario.clusters[0].guests[0].nics.size(), 2u);
  EXPECT_FALSE(scenario.clusters[0].sdn_zones.empty());
}

TEST(MockProgramTest, ScenarioGenerateSizesDevicesSnapshotsAndExtras) {
  common::ProcessOptions options;
  options.argv = {mock_binary().string(),
                  "scenario",
                  "generate",
                  "--nodes",
                  "2",
                  "--guests",
                  "10",
                  "--nics",
                  "1",
                  "--disks",
                  "3",
                  "--snapshots",
                  "2",
                  "--no-extras"};
  const auto result = common::run_command(options, 60s);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const Scenario scenario = Scenario::from_json(json::parse(result.output));
  const ClusterScenario& cluster = scenario.clusters[0];
  for (const auto& guest : cluster.guests) {
    EXPECT_EQ(guest.nics.size(), 1u);
    EXPECT_EQ(guest.disks.size(), 3u);
    EXPECT_EQ(guest.snapshots.size(), 2u);
  }
  EXPECT_TRUE(cluster.sdn_zones.empty());
  EXPECT_TRUE(cluster.ha_resources.empty());
  options.argv = {mock_binary().string(), "scenario", "generate", "--nics", "9"};
  EXPECT_NE(common::run_command(options, 60s).exit_code, 0);
}

TEST(MockProgramTest, ResetAndTruncateFaultsAreTransportErrorsOverTheWire) {
  MockProcess mock({"--listen", "127.0.0.1:0", "--no-auth"});
  ASSERT_TRUE(mock.ready()) << mock.log();
  http::ClientOptions no_retries;
  no_retries.max_retries = 0;
  http::Client client(no_retries);
  const std::string nodes = mock.url() + "/api2/json/nodes";
  ASSERT_EQ(client.get(nodes).status, 200u);
  for (const char* rule : {R"({"path":"/api2/json/nodes","reset_rate":1})",
                           R"({"path":"/api2/json/nodes","truncate_rate":1})"}) {
    ASSERT_EQ(
        client.send_json(http::Verb::post, mock.url() + "/mock/faults", json::parse(rule)).status,
        200u);
    EXPECT_THROW(client.get(nodes), http::TransportError) << rule;
    const auto journal = client.get(mock.url() + "/mock/requests?limit=1").json();
    EXPECT_EQ(journal.at("data").at(0).at("path").as_string(), "/api2/json/nodes");
    ASSERT_EQ(client.request(http::Verb::delete_, mock.url() + "/mock/faults").status, 200u);
  }
  EXPECT_EQ(client.get(nodes).status, 200u);
}

TEST(MockProgramTest, AdminTokenGuardsTheAdminApiOverTheWire) {
  MockProcess mock({"--listen", "127.0.0.1:0"}, {{"PROXMOX_MOCK_ADMIN_TOKEN", "t0ken-from-env"}});
  ASSERT_TRUE(mock.ready()) << mock.log();
  http::Client client;
  const std::string faults = mock.url() + "/mock/faults";
  const json::value rule = json::parse(R"({"path":"/api2/json/nodes","error":{"status":503}})");
  EXPECT_EQ(client.send_json(http::Verb::post, faults, rule).status, 401u);
  EXPECT_EQ(client.get(mock.url() + "/mock/state").status, 401u);
  http::Headers bearer;
  bearer.set(http::Field::authorization, "Bearer t0ken-from-env");
  EXPECT_EQ(client.send_json(http::Verb::post, faults, rule, bearer).status, 200u);
  http::Headers header;
  header.set("X-Mock-Admin-Token", "t0ken-from-env");
  EXPECT_EQ(client.get(faults, header).json().at("data").as_array().size(), 1u);
  EXPECT_EQ(client.get(mock.url() + "/health").status, 200u);  // not an admin path
  EXPECT_EQ(client.get(mock.url() + "/api2/json/nodes", token_header()).status, 503u);
}

// The status line as a raw socket receives it (the http::Client keeps only the code).
std::string raw_status_line(int64_t port, std::string_view request) {
  namespace net = boost::asio;
  net::io_context context;
  net::ip::tcp::socket socket(context);
  socket.connect({net::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
  net::write(socket, net::buffer(request));
  net::streambuf received;
  boost::system::error_code error;
  net::read_until(socket, received, "\r\n", error);
  std::string text(net::buffers_begin(received.data()), net::buffers_end(received.data()));
  return text.substr(0, text.find("\r\n"));
}

TEST(MockProgramTest, ErrorMessagesAreTheStatusLineReason) {
  MockProcess mock({"--listen", "127.0.0.1:0"});
  ASSERT_TRUE(mock.ready()) << mock.log();
  EXPECT_EQ(raw_status_line(mock.port(), "GET /api2/json/nodes HTTP/1.1\r\nHost: x\r\n\r\n"),
            "HTTP/1.1 401 No ticket");
  const std::string token =
      "Authorization: PVEAPIToken=root@pam!proxbox=00000000-0000-0000-0000-000000000000\r\n";
  EXPECT_EQ(raw_status_line(mock.port(),
                            "GET /api2/json/cluster/resources?type=bogus HTTP/1.1\r\n"
                            "Host: x\r\n" +
                                token + "\r\n"),
            "HTTP/1.1 400 Parameter verification failed.");
  EXPECT_EQ(
      raw_status_line(mock.port(), "GET /api2/json/nodes HTTP/1.1\r\nHost: x\r\n" + token + "\r\n"),
      "HTTP/1.1 200 OK");
}

// ---- real clients -------------------------------------------------------------------------

std::string run_peer(const std::vector<std::string>& argv, std::map<std::string, std::string> env,
                     const MockProcess& mock) {
  common::ProcessOptions options;
  options.argv = argv;
  options.env = std::move(env);
  const auto result = common::run_command(options, 120s);
  EXPECT_EQ(result.exit_code, 0) << result.output << "\n--- mock log ---\n" << mock.log();
  return result.output;
}

using conformance::Clients;

// proxmoxer_flow.py with Debian's python3-proxmoxer and with the newest proxmoxer from PyPI.
class ProxmoxerConformance : public ::testing::TestWithParam<Clients> {};

TEST_P(ProxmoxerConformance, Flow) {
  const auto python = conformance::clients_python(GetParam());
  ASSERT_TRUE(python.error.empty()) << python.error;
  if (python.path.empty()) GTEST_SKIP() << python.unavailable;
  MockProcess mock({"--listen", "127.0.0.1:0", "--tls"});
  ASSERT_TRUE(mock.ready()) << mock.log();
  const auto script = conformance::conformance_dir() / "proxmox" / "proxmoxer_flow.py";
  for (const char* mode : {"password", "token"}) {
    const auto output = run_peer(
        {python.path, script.string(), "127.0.0.1", std::to_string(mock.port()), mode}, {}, mock);
    // The script's first line names the client it used; the newest variant must use the pin.
    std::cout << output.substr(0, output.find('\n')) << "\n";
    if (GetParam() == Clients::kNewest) {
      EXPECT_NE(output.find("proxmoxer " + conformance::pinned_version("proxmoxer") + " "),
                std::string::npos)
          << output;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Python, ProxmoxerConformance,
                         ::testing::Values(Clients::kDebian, Clients::kNewest),
                         [](const auto& test_info) {
                           return conformance::clients_name(test_info.param);
                         });

TEST(MockConformanceTest, NpmProxmoxApi) {
  const fs::path modules = fs::path(PBX_SOURCE_DIR) / "build/npm-peers/node_modules";
  ASSERT_TRUE(fs::exists(modules / "proxmox-api")) << "run scripts/setup to install proxmox-api";
  MockProcess mock({"--listen", "127.0.0.1:0", "--tls"});
  ASSERT_TRUE(mock.ready()) << mock.log();
  const std::string script =
      std::string(PBX_SOURCE_DIR) + "/tests/conformance/proxmox/proxmox_api_flow.js";
  for (const char* mode : {"password", "token"}) {
    run_peer({"/usr/bin/env", "node", script, "127.0.0.1", std::to_string(mock.port()), mode},
             {{"NODE_PATH", modules.string()}, {"NODE_TLS_REJECT_UNAUTHORIZED", "0"}}, mock);
  }
}

}  // namespace
}  // namespace pbx::proxmox
