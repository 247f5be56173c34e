// Issue 12, item 2, against the real programs: proxbox-api serve with a NetBox that accepts
// connections and never answers (a loopback listener that never accepts). A sync is bounded by
// the configured --sync-timeout while /health keeps answering, even with every other handler
// thread stuck on that NetBox; SIGTERM during a run ends it within the stop grace period and
// the stream still gets its summary. Timing is asserted against the configured limits with
// wide margins only.

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <thread>

#include "api_stack.hpp"
#include "common/process.hpp"
#include "fakes.hpp"
#include "http/client.hpp"

namespace pbx::api {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using stack_test::build_dir;
using stack_test::kApiKey;
using sync::testing::SilentListener;

http::ClientOptions client_options(std::chrono::milliseconds timeout) {
  http::ClientOptions options;
  options.request_timeout = timeout;
  options.max_retries = 0;
  return options;
}

class ReliabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string missing = stack_test::missing_program(
        {"apps/proxmox-mock/proxmox-mock", "apps/proxbox-api/proxbox-api"});
    if (!missing.empty()) GTEST_SKIP() << missing << " is not built";
    dir_ = stack_test::fresh_test_dir("proxbox-reliability");
    proxmox_url_ = start(
        "proxmox-mock",
        {(build_dir() / "apps/proxmox-mock/proxmox-mock").string(), "--listen", "127.0.0.1:0"},
        proxmox_);
  }

  void TearDown() override {
    api_.reset();
    proxmox_.reset();
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_);
  }

  std::string start(const std::string& name, std::vector<std::string> argv,
                    std::unique_ptr<common::Process>& process,
                    std::map<std::string, std::string> env = {}) {
    auto program = common::start_until_ready({.argv = std::move(argv), .env = std::move(env)}, dir_,
                                             name, 30s);
    if (!program.ready)
      throw std::runtime_error(name + " did not become ready; see " + program.log.string());
    process = std::move(program.process);
    return std::string(json::parse(*program.ready).at("endpoints").at(0).at("url").as_string());
  }

  // proxbox-api serve with the silent NetBox and the mock configured.
  void start_api(std::vector<std::string> extra_args = {}) {
    std::vector<std::string> argv{(build_dir() / "apps/proxbox-api/proxbox-api").string(), "serve",
                                  "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    api_url_ = start("proxbox-api", argv, api_,
                     {{"PROXBOX_DATABASE_PATH", (dir_ / "state" / "proxbox.db").string()},
                      {"PROXBOX_ENCRYPTION_KEY", std::string(64, 'c')}});
    http::Client client(client_options(30s));
    const json::value key{{"api_key", kApiKey}, {"label", "reliability"}};
    ASSERT_EQ(client.send_json(http::Verb::post, api_url_ + "/auth/register-key", key).status,
              201u);
    const json::value netbox{{"name", "silent"},
                             {"address", "127.0.0.1"},
                             {"port", silent_.port()},
                             {"scheme", "http"},
                             {"token", stack_test::kNetBoxToken}};
    ASSERT_EQ(
        client.send_json(http::Verb::post, api_url_ + "/netbox/endpoint", netbox, headers()).status,
        201u);
    const json::value proxmox = stack_test::mock_proxmox_endpoint(proxmox_url_);
    ASSERT_EQ(
        client.send_json(http::Verb::post, api_url_ + "/proxmox/endpoints", proxmox, headers())
            .status,
        201u);
  }

  http::Headers headers() const {
    http::Headers headers;
    headers.set("X-Proxbox-API-Key", kApiKey);
    return headers;
  }

  SilentListener silent_;
  fs::path dir_;
  std::unique_ptr<common::Process> proxmox_, api_;
  std::string proxmox_url_, api_url_;
};

TEST_F(ReliabilityTest, ASilentNetBoxIsBoundedBySyncTimeoutWhileHealthAnswers) {
  start_api({"--sync-timeout", "4"});
  // The sync, waiting on the silent NetBox until its deadline.
  auto sync = std::async(std::launch::async, [&] {
    http::Client client(client_options(300s));
    const auto started = Clock::now();
    const auto response = client.get(api_url_ + "/full-update?delete_orphans=true", headers());
    return std::make_pair(Clock::now() - started, response);
  });
  for (const auto until = Clock::now() + 60s; silent_.accepted() == 0 && Clock::now() < until;) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_GT(silent_.accepted(), 0u) << "the sync never reached NetBox";
  // More requests stuck on the same NetBox than there are handler threads; the clients give up
  // after a second, the handlers go on waiting.
  std::vector<std::future<void>> stuck;
  for (int i = 0; i < 10; ++i) {
    stuck.push_back(std::async(std::launch::async, [&] {
      http::Client client(client_options(1s));
      try {
        client.get(api_url_ + "/netbox/status", headers());
      } catch (const http::TransportError&) {
      }
    }));
  }
  for (auto& request : stuck)
    request.wait();
  http::Client health(client_options(10s));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(health.get(api_url_ + "/health").status, 200u);
    EXPECT_EQ(health.get(api_url_ + "/version").status, 200u);
  }

  ASSERT_EQ(sync.wait_for(120s), std::future_status::ready) << "the sync was not bounded";
  const auto [took, response] = sync.get();
  EXPECT_LT(took, 60s) << "configured --sync-timeout 4";
  const auto summary = response.json().as_object();
  if (response.status == 200) {
    EXPECT_EQ(summary.at("timed_out"), true) << response.body;
    EXPECT_EQ(summary.at("ok"), false);
    EXPECT_EQ(summary.at("deleted"), 0);
  } else {
    EXPECT_EQ(response.status, 502u) << response.body;
  }
}

TEST_F(ReliabilityTest, SigtermEndsARunningSyncAndItsStreamGetsTheSummary) {
  start_api();
  const size_t connections_before = silent_.accepted();
  auto stream = std::async(std::launch::async, [&] {
    http::Client client(client_options(300s));
    std::optional<json::object> complete;
    try {
      client.stream_events(api_url_ + "/full-update/stream", headers(),
                           [&](std::string_view event, std::string_view data) {
                             if (event == "complete") complete = json::parse(data).as_object();
                             return event != "complete";
                           });
    } catch (const http::TransportError&) {
    }
    return complete;
  });
  // The run waits on the silent NetBox once it has connected there.
  for (const auto until = Clock::now() + 60s;
       silent_.accepted() == connections_before && Clock::now() < until;) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_GT(silent_.accepted(), connections_before) << "the sync never reached NetBox";
  const auto signalled = Clock::now();
  ASSERT_EQ(::kill(api_->pid(), SIGTERM), 0);
  const auto exit_code = api_->wait_for(60s);
  ASSERT_TRUE(exit_code.has_value()) << "proxbox-api did not stop within 60 s of SIGTERM";
  EXPECT_EQ(*exit_code, 0);
  // The server's stop grace is 5 s; a request to the silent NetBox would take 30 s per attempt.
  EXPECT_LT(Clock::now() - signalled, 25s);
  ASSERT_EQ(stream.wait_for(60s), std::future_status::ready);
  const auto complete = stream.get();
  ASSERT_TRUE(complete.has_value()) << "the stream ended without its summary";
  // The summary, at the top or under `result` (the plugin's event shape).
  const auto* result = complete->if_contains("result");
  const json::object& summary = result && result->is_object() ? result->as_object() : *complete;
  EXPECT_EQ(summary.at("cancelled"), true) << json::serialize(*complete);
  EXPECT_EQ(summary.at("deleted"), 0);
}

// Issue 12, item 1, through the CLI: every storage-content listing failing must delete no backup
// and make `proxbox-api sync` exit non-zero, with the kept backups counted as unknown.
TEST_F(ReliabilityTest, CliDeletesNothingAndExitsNonZeroWhenBackupListingsFail) {
  if (!fs::exists(build_dir() / "apps/netbox-emulator/netbox-emulator")) GTEST_SKIP();
  const std::string token = stack_test::kNetBoxToken;
  std::unique_ptr<common::Process> netbox;
  const std::string netbox_url =
      start("netbox-emulator",
            {(build_dir() / "apps/netbox-emulator/netbox-emulator").string(), "--listen",
             "127.0.0.1:0", "--token", token, "--netbox-version", "4.6"},
            netbox);
  std::unique_ptr<common::Process> mock;
  const std::string mock_url =
      start("proxmox-mock-backups",
            {(build_dir() / "apps/proxmox-mock/proxmox-mock").string(), "--scenario",
             std::string(PBX_SOURCE_DIR) + "/data/scenarios/with-backups.json", "--listen",
             "127.0.0.1:0"},
            mock);
  const auto sync = [&] {
    return common::run_command(
        {.argv = {(build_dir() / "apps/proxbox-api/proxbox-api").string(), "sync", "--proxmox",
                  mock_url, "--netbox", netbox_url, "--delete-orphans", "--netbox-token", token,
                  "--proxmox-token", stack_test::kProxmoxToken}},
        300s);
  };
  // The summary is the last line of the output (stderr, merged, has the progress and errors).
  const auto summary_of = [](const std::string& output) {
    const auto start = output.rfind("\n{\"");
    return json::parse(output.substr(start == std::string::npos ? 0 : start + 1)).as_object();
  };
  const auto clean = sync();
  ASSERT_EQ(clean.exit_code, 0) << clean.output;
  const auto created = summary_of(clean.output).at("kinds").at("backups").at("created").as_int64();
  ASSERT_GT(created, 0);

  http::Client client(client_options(30s));
  http::Headers json_type;
  json_type.set(http::Field::content_type, "application/json");
  ASSERT_EQ(client.request(http::Verb::post, mock_url + "/mock/faults",
                           R"({"path":"/api2/json/nodes/*/storage/*/content",)"
                           R"("error":{"status":503,"rate":1}})",
                           json_type)
                    .status /
                100,
            2u);
  const auto failed = sync();
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  const auto summary = summary_of(failed.output);
  EXPECT_EQ(summary.at("deleted"), 0);
  EXPECT_EQ(summary.at("ok"), false);
  EXPECT_EQ(summary.at("kinds").at("backups").at("unknown"), created);
}

// SIGTERM to `proxbox-api sync` waiting on a silent NetBox: it stops at once and still prints
// its summary.
TEST_F(ReliabilityTest, SigtermStopsTheCliAndItPrintsTheSummary) {
  const fs::path out = dir_ / "sync.out";
  common::Process sync(
      {.argv = {(build_dir() / "apps/proxbox-api/proxbox-api").string(), "sync", "--proxmox",
                proxmox_url_, "--netbox", "http://127.0.0.1:" + std::to_string(silent_.port()),
                "--netbox-token", std::string(40, 'a'), "--proxmox-token",
                stack_test::kProxmoxToken},
       .stdout_file = out,
       .stderr_file = dir_ / "sync.err"});
  for (const auto until = Clock::now() + 60s; silent_.accepted() == 0 && Clock::now() < until;) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_GT(silent_.accepted(), 0u) << "the sync never reached NetBox";
  const auto signalled = Clock::now();
  ASSERT_EQ(::kill(sync.pid(), SIGTERM), 0);
  const auto exit_code = sync.wait_for(60s);
  ASSERT_TRUE(exit_code.has_value()) << "proxbox-api sync ignored SIGTERM";
  EXPECT_LT(Clock::now() - signalled, 25s) << "a request would take 60 s per attempt";
  EXPECT_EQ(*exit_code, 1);
  std::ifstream stream(out);
  const std::string printed((std::istreambuf_iterator<char>(stream)), {});
  const auto summary = json::parse(printed).as_object();
  EXPECT_EQ(summary.at("cancelled"), true) << printed;
}

}  // namespace
}  // namespace pbx::api
