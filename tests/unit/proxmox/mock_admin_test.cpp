// Admin API (/mock/...), faults, the request journal and bad input.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "mock_test_support.hpp"
#include "proxmox/admin_access.hpp"
#include "proxmox/faults.hpp"
#include "proxmox/journal.hpp"
#include "proxmox/response_cache.hpp"

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
  EXPECT_EQ(entries[1].as_object().at("status").to_number<int64_t>(), 501);  // PVE: no handler
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

// Issue 12.3: std::regex overflowed its stack on `^/(a|b)*$` with a 15,000-character path
// (SIGSEGV) and backtracked exponentially on `(a|a)*b`. RE2 matches both in linear time.
TEST(MockAdminTest, FaultPathRegexCannotCrashOrHangTheMock) {
  Engine engine(test_options());
  ASSERT_EQ(post_json(engine, "/mock/faults",
                      json::parse(R"({"path_regex":"^/(a|b)*$","error":{"status":503}})"))
                .status,
            200u);
  ASSERT_EQ(post_json(engine, "/mock/faults",
                      json::parse(R"({"path_regex":"(a|a)*b","error":{"status":504}})"))
                .status,
            200u);
  const Reply long_path = get(engine, "/" + std::string(15'000, 'a'));
  EXPECT_EQ(long_path.status, 503u);  // the first rule matched; no crash
  EXPECT_EQ(get(engine, "/" + std::string(64, 'a') + "c").status, 404u);   // neither rule
  EXPECT_EQ(get(engine, "/" + std::string(64, 'a') + "bc").status, 504u);  // the second
}

TEST(MockAdminTest, InvalidOrUnboundedPathRegexIs400WithAClearMessage) {
  Engine engine(test_options());
  for (const std::string& pattern :
       {std::string("("), std::string("(a)\\1"), std::string("(?=a)b"), std::string(2000, 'a')}) {
    const Reply reply = post_json(engine, "/mock/faults", json::object{{"path_regex", pattern}});
    EXPECT_EQ(reply.status, 400u) << pattern;
    EXPECT_NE(reply.body.find("path_regex"), std::string::npos) << reply.body;
  }
  const Reply reply = post_json(engine, "/mock/faults", json::parse(R"({"path_regex":"("})"));
  EXPECT_NE(reply.body.find("not a valid RE2 regular expression"), std::string::npos) << reply.body;
  EXPECT_EQ(get(engine, "/mock/faults").data().as_array().size(), 0u);  // nothing half-added
}

TEST(MockAdminTest, AdminTokenGuardsOnlyTheAdminApi) {
  const AdminAccess open;
  http::Request request = http::Request::make(Verb::post, "/mock/faults");
  EXPECT_TRUE(open.admit(request));

  const AdminAccess guarded("s3cret-token");
  const auto refused = guarded.admit(request);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), 401u);
  EXPECT_NE(refused.error().body.find("--admin-token"), std::string::npos) << refused.error().body;
  request.headers.set("X-Mock-Admin-Token", "s3cret-tokem");
  EXPECT_FALSE(guarded.admit(request));
  request.headers.set("X-Mock-Admin-Token", "s3cret-token");
  EXPECT_TRUE(guarded.admit(request));

  http::Request bearer = http::Request::make(Verb::get, "/mock/requests");
  bearer.headers.set(http::Field::authorization, "Bearer s3cret-token");
  EXPECT_TRUE(guarded.admit(bearer));
  bearer.headers.set(http::Field::authorization, "Bearer s3cret");
  EXPECT_FALSE(guarded.admit(bearer));
  // The Proxmox API keeps its own authentication; /health stays open.
  EXPECT_TRUE(guarded.admit(http::Request::make(Verb::get, "/api2/json/nodes")));
  EXPECT_TRUE(guarded.admit(http::Request::make(Verb::get, "/health")));
}

// Issue 12.6: 520 distinct URLs for /cluster/resources grew the mock from 47 MB to 1.47 GB.
// URLs that ask the same thing (encoding, order) share one entry; the bytes stay bounded.
TEST(MockAdminTest, CacheIsKeyedByTheNormalisedRequestAndBoundedByBytes) {
  Engine engine(test_options());
  const auto spellings = [](std::string_view text) {
    std::vector<std::string> out{""};
    for (const char c : text) {
      std::vector<std::string> next;
      for (const auto& prefix : out) {
        next.push_back(prefix + c);
        next.push_back(prefix + fmt::format("%{:02X}", c));
        next.push_back(prefix + fmt::format("%{:02x}", c));
      }
      std::sort(next.begin(), next.end());
      next.erase(std::unique(next.begin(), next.end()), next.end());
      out = std::move(next);
    }
    return out;
  };
  std::vector<std::string> urls;
  for (const char* type : {"vm", "storage", "node"}) {
    for (const auto& name : spellings("type")) {
      for (const auto& value : spellings(type))
        urls.push_back("/api2/json/cluster/resources?" + name + "=" + value);
    }
  }
  ASSERT_GE(urls.size(), 520u);
  urls.resize(520);  // distinct raw URLs, three distinct requests
  ASSERT_EQ(urls.size(), 520u);
  size_t answered = 0;
  for (const auto& url : urls)
    answered += get(engine, url).status == 200u ? 1 : 0;
  EXPECT_EQ(answered, 520u);
  const auto stats = get(engine, "/mock/cache").data().at("cache");
  EXPECT_LE(stats.at("entries").to_number<int64_t>(), 3);  // vm, storage, node
  EXPECT_LE(stats.at("bytes").to_number<int64_t>(), stats.at("max_bytes").to_number<int64_t>());

  ResponseCache small(4096);
  for (int i = 0; i < 520; ++i) {
    small.store(ResponseCache::key_for("/cluster/resources", json::object{{"n", i}}), 1, 1,
                std::string(100, 'x'));
    ASSERT_LE(small.stats().bytes, 4096u);
  }
  const std::string newest = ResponseCache::key_for("/cluster/resources", json::object{{"n", 519}});
  EXPECT_TRUE(small.find(newest, 1, 1));
  EXPECT_FALSE(small.find(newest, 2, 1));  // another state version
  EXPECT_FALSE(small.find(ResponseCache::key_for("/cluster/resources", json::object{{"n", 0}}), 1,
                          1));                        // evicted, least recently used
  small.store("huge", 1, 1, std::string(5000, 'x'));  // larger than the bound: not kept
  EXPECT_FALSE(small.find("huge", 1, 1));
  EXPECT_EQ(ResponseCache::key_for("/p", json::object{{"b", 1}, {"a", "x"}}),
            ResponseCache::key_for("/p", json::object{{"a", "x"}, {"b", 1}}));
  EXPECT_NE(ResponseCache::key_for("/p", json::object{{"a", "1"}}),
            ResponseCache::key_for("/p", json::object{{"a", 1}}));
}

// Issue 12.6: a 15 KB query string journalled 10,000 times grew the mock by 150 MB and
// DELETE /mock/requests did not give it back.
TEST(MockAdminTest, JournalIsBoundedByBytesAndClearedByDelete) {
  RequestJournal journal(10'000, 1 << 20);
  const std::string query(15'000, 'q');
  for (int i = 0; i < 10'000; ++i) {
    journal.record(JournalEntry{"GET", "/api2/json/nodes", query, 200, 1, 1, "root@pam"});
    ASSERT_LE(journal.bytes(), journal.max_bytes());
  }
  EXPECT_GT(journal.size(), 10u);  // the newest entries are kept
  EXPECT_LT(journal.size(), 100u);
  EXPECT_EQ(journal.last(1).front().query, query);
  journal.record(JournalEntry{"GET", "/x", std::string(2 << 20, 'q'), 200, 1, 1, ""});
  EXPECT_LE(journal.bytes(), journal.max_bytes());  // an oversized query is cut to fit
  EXPECT_EQ(journal.last(1).front().path, "/x");
  journal.clear();
  EXPECT_EQ(journal.size(), 0u);
  EXPECT_EQ(journal.bytes(), 0u);

  Engine engine(test_options());
  for (int i = 0; i < 50; ++i)
    get(engine, "/api2/json/nodes?" + std::string(15'000, 'x'));
  const auto bounds = get(engine, "/mock/cache").data().at("journal");
  EXPECT_EQ(bounds.at("entries").to_number<int64_t>(), 50);
  EXPECT_LE(bounds.at("bytes").to_number<int64_t>(), bounds.at("max_bytes").to_number<int64_t>());
  ASSERT_EQ(call(engine, Verb::delete_, "/mock/requests").status, 200u);
  EXPECT_EQ(get(engine, "/mock/cache").data().at("journal").at("bytes").to_number<int64_t>(), 0);
}

}  // namespace
}  // namespace pbx::proxmox
