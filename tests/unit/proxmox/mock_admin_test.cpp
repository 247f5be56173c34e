// Admin API (/mock/...), faults, the request journal and bad input.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mock_test_support.hpp"
#include "proxmox/faults.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using namespace pbx::proxmox::testing;
using http::Verb;

Reply post_json(Engine& engine, std::string_view target, const json::value& body) {
  return call(engine, Verb::post, target, json::serialize(body), {}, "application/json");
}

TEST(MockAdminTest, ScenarioLoadExportAndReset) {
  Engine engine(test_options());
  GenerateOptions generate;
  generate.nodes = 2;
  generate.guests = 20;
  const Scenario scenario = generate_scenario(generate);
  const Reply loaded = post_json(engine, "/mock/scenario", scenario.to_json());
  ASSERT_EQ(loaded.status, 200u) << loaded.body;
  EXPECT_EQ(get(engine, "/api2/json/cluster/resources?type=vm").data().as_array().size(), 20u);

  // Export round-trips through from_json.
  const Reply state = get(engine, "/mock/state");
  ASSERT_EQ(state.status, 200u);
  const Scenario exported = Scenario::from_json(state.data());
  EXPECT_EQ(exported.clusters[0].guests.size(), 20u);

  // A bare ClusterScenario is accepted too.
  const Reply bare = post_json(engine, "/mock/scenario", scenario.to_json().at("clusters").at(0));
  EXPECT_EQ(bare.status, 200u) << bare.body;

  ASSERT_EQ(call(engine, Verb::post, "/mock/reset").status, 200u);
  EXPECT_EQ(get(engine, "/api2/json/cluster/resources?type=vm").data().as_array().size(), 2u);
}

TEST(MockAdminTest, BadScenarioIs400NamingTheProblem) {
  Engine engine(test_options());
  const Reply typo = post_json(engine, "/mock/scenario", json::parse(R"({"nodez":[]})"));
  EXPECT_EQ(typo.status, 400u);
  EXPECT_NE(typo.body.find("nodez"), std::string::npos) << typo.body;
  EXPECT_EQ(call(engine, Verb::post, "/mock/scenario", "{not json", {}, "application/json").status,
            400u);
  // The state is untouched.
  EXPECT_EQ(get(engine, "/api2/json/nodes").data().as_array().size(), 1u);
}

TEST(MockAdminTest, JournalRecordsRequests) {
  Engine engine(test_options());
  get(engine, "/api2/json/nodes");
  get(engine, "/api2/json/nope");
  const Reply journal = get(engine, "/mock/requests?limit=2");
  ASSERT_EQ(journal.status, 200u);
  const auto& entries = journal.data().as_array();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].as_object().at("path").as_string(), "/api2/json/nodes");
  EXPECT_EQ(entries[0].as_object().at("status").to_number<int64_t>(), 200);
  EXPECT_EQ(entries[1].as_object().at("status").to_number<int64_t>(), 404);
  EXPECT_TRUE(entries[0].as_object().contains("microseconds"));
  EXPECT_EQ(get(engine, "/mock/requests?limit=0").status, 400u);
  call(engine, Verb::delete_, "/mock/requests");
  EXPECT_EQ(get(engine, "/mock/requests").data().as_array().size(), 0u);
}

TEST(MockAdminTest, FaultRulesErrorLatencyResetTruncate) {
  Engine engine(test_options());
  const Reply added =
      post_json(engine, "/mock/faults", json::parse(R"({"method":"GET","path":"/api2/json/nodes",
                                                "error":{"status":503,"rate":1}})"));
  ASSERT_EQ(added.status, 200u) << added.body;
  EXPECT_EQ(get(engine, "/api2/json/nodes").status, 503u);
  EXPECT_EQ(get(engine, "/api2/json/cluster/resources").status, 200u);  // other paths unaffected
  EXPECT_EQ(get(engine, "/mock/faults").data().as_array().size(), 1u);
  call(engine, Verb::delete_, "/mock/faults");
  EXPECT_EQ(get(engine, "/api2/json/nodes").status, 200u);

  post_json(engine, "/mock/faults",
            json::parse(R"({"path":"/api2/json/version","latency":{"kind":"fixed","ms":60}})"));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(get(engine, "/api2/json/version").status, 200u);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(55));
  call(engine, Verb::delete_, "/mock/faults");

  post_json(engine, "/mock/faults",
            json::parse(R"({"path_regex":"^/api2/json/nodes$","reset_rate":1})"));
  http::Request request = http::Request::make(Verb::get, "/api2/json/nodes");
  auto response = engine.handle(request);
  EXPECT_EQ(response.delivery, http::Delivery::reset_connection);
  call(engine, Verb::delete_, "/mock/faults");
  post_json(engine, "/mock/faults",
            json::parse(R"({"path":"/api2/json/nodes","truncate_rate":1})"));
  request = http::Request::make(Verb::get, "/api2/json/nodes");
  response = engine.handle(request);
  EXPECT_EQ(response.delivery, http::Delivery::truncate_body);
  EXPECT_EQ(response.code(), 200u);
  EXPECT_EQ(response.truncate_at, response.body.size() / 2);
  EXPECT_GT(response.truncate_at, 0u);
}

TEST(MockAdminTest, BadFaultRulesAreRejected) {
  Engine engine(test_options());
  for (const char* rule :
       {R"({"latency":{"kind":"cauchy"}})", R"({"error":{"status":200}})", R"({"path_regex":"("})",
        R"({"reset_rate":2})", R"({"bogus":1})", R"([1,2])"}) {
    EXPECT_EQ(post_json(engine, "/mock/faults", json::parse(rule)).status, 400u) << rule;
  }
}

TEST(MockAdminTest, FaultDecisionsRepeatForASeed) {
  const auto draw = [] {
    FaultInjector faults(42);
    faults.add(json::parse(R"({"error":{"status":500,"rate":0.5},
                                "latency":{"kind":"lognormal","median_ms":5,"sigma":1}})"));
    std::vector<int64_t> outcomes;
    for (int i = 0; i < 50; ++i) {
      const auto decision = faults.decide(Verb::get, "/x");
      outcomes.push_back(decision.error_status.value_or(0) * 1000000 + decision.delay.count());
    }
    return outcomes;
  };
  EXPECT_EQ(draw(), draw());
  EXPECT_TRUE(glob_match("/api2/json/nodes/*/qemu", "/api2/json/nodes/pve1/qemu"));
  EXPECT_FALSE(glob_match("/api2/json/nodes/*/qemu", "/api2/json/nodes/pve1/lxc"));
}

TEST(MockAdminTest, BadInputIsAProxmoxShaped4xx) {
  Engine engine(test_options());
  const auto expect_4xx = [&](const Reply& reply, std::string_view what) {
    EXPECT_GE(reply.status, 400u) << what << ": " << reply.body;
    EXPECT_LT(reply.status, 500u) << what << ": " << reply.body;
    ASSERT_TRUE(reply.json.is_object()) << what << ": " << reply.body;
    EXPECT_TRUE(reply.json.as_object().contains("data")) << what;
  };
  expect_4xx(
      call(engine, Verb::post, "/api2/json/nodes/pve1/qemu", "{\"vmid\":", {}, "application/json"),
      "malformed JSON");
  expect_4xx(call(engine, Verb::post, "/api2/json/nodes/pve1/qemu", "vmid=abc"), "wrong type");
  expect_4xx(call(engine, Verb::post, "/api2/json/nodes/pve1/qemu", "vmid=50"), "below minimum");
  expect_4xx(call(engine, Verb::post, "/api2/json/nodes/pve1/qemu", "vmid=105&bogus=1"),
             "unknown parameter");
  expect_4xx(call(engine, Verb::post, "/api2/json/nodes/pve1/qemu",
                  "vmid=106&name=" + std::string(100000, 'a')),
             "huge value");
  expect_4xx(call(engine, Verb::post, "/api2/json/nodes/pve1/qemu", "vmid=107&name=%FF%FE"),
             "invalid UTF-8");
  expect_4xx(get(engine, "/api2/json/nodes/../../etc/passwd"), "path traversal");
  expect_4xx(get(engine, "/api2/json/nodes/pve1/qemu/notanumber/config"), "bad path parameter");
  const Reply validation = call(engine, Verb::post, "/api2/json/nodes/pve1/qemu", "vmid=abc");
  EXPECT_TRUE(validation.json.as_object().at("errors").as_object().contains("vmid"))
      << validation.body;
  // Nothing was created by the rejected calls.
  EXPECT_EQ(get(engine, "/api2/json/nodes/pve1/qemu").data().as_array().size(), 1u);
}

TEST(MockAdminTest, ConcurrentReadersAndWriters) {
  Engine engine(test_options());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const int vmid = 1000 + t * 100 + i;
        if (call(engine, Verb::post, "/api2/json/nodes/pve1/qemu", "vmid=" + std::to_string(vmid))
                .status != 200) {
          ++failures;
        }
        if (get(engine, "/api2/json/cluster/resources").status != 200) ++failures;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(get(engine, "/api2/json/nodes/pve1/qemu").data().as_array().size(), 81u);
}

}  // namespace
}  // namespace pbx::proxmox
