#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "proxmox/engine.hpp"
#include "proxmox/scenario.hpp"
#include "proxmox/state.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;

Scenario sample_scenario() {
  Scenario scenario;
  ClusterScenario cluster = default_cluster(Service::pve);
  cluster.backups.push_back(BackupScenario{"local", "pve1", 100, "", "vma.zst", 1 << 20, 1767225600,
                                           "nightly", true, "ok"});
  scenario.clusters.push_back(cluster);
  scenario.users.push_back(UserScenario{"alice@pve", "secret", {TokenScenario{"ci", "s3", true}}});
  return scenario;
}

TEST(StateScenarioTest, JsonRoundTripKeepsEveryField) {
  const Scenario original = sample_scenario();
  const json::value first = original.to_json();
  const Scenario parsed = Scenario::from_json(json::parse(json::serialize(first)));
  EXPECT_EQ(json::serialize(parsed.to_json()), json::serialize(first));
  ASSERT_EQ(parsed.clusters.size(), 1u);
  EXPECT_TRUE(parsed.clusters[0].backups[0].protected_);
  EXPECT_EQ(parsed.clusters[0].guests[0].tags, (std::vector<std::string>{"prod", "web"}));
  EXPECT_EQ(parsed.users[0].tokens[0].secret, "s3");
}

TEST(StateScenarioTest, UnknownKeyIsRejectedByName) {
  json::value value = sample_scenario().to_json();
  value.as_object()["clusters"]
      .as_array()[0]
      .as_object()["guests"]
      .as_array()[1]
      .as_object()["vmidd"] = 7;
  try {
    Scenario::from_json(value);
    FAIL() << "unknown key accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("clusters[0].guests[1].vmidd"), std::string::npos)
        << error.what();
  }
}

TEST(StateScenarioTest, WrongTypesAndDanglingReferencesAreClearErrors) {
  EXPECT_THROW(Scenario::from_json(json::parse(R"({"clusters":[{"nodes":"pve1"}]})")),
               std::invalid_argument);
  EXPECT_THROW(Scenario::from_json(json::parse(R"({"service":"vmware"})")), std::invalid_argument);
  try {
    Scenario::from_json(json::parse(
        R"({"clusters":[{"nodes":[{"name":"pve1"}],"guests":[{"vmid":100,"node":"pve9"}]}]})"));
    FAIL() << "guest on an unknown node accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("pve9"), std::string::npos) << error.what();
  }
  EXPECT_THROW(Scenario::from_json(json::parse(
                   R"({"clusters":[{"nodes":[{"name":"a"}],"guests":[{"vmid":5,"node":"a"}]}]})")),
               std::invalid_argument);
}

TEST(StateScenarioTest, GenerateIsDeterministicAndSpreadsTotals) {
  GenerateOptions options;
  options.clusters = 3;
  options.nodes = 10;
  options.guests = 1000;
  options.backups_per_guest = 2;
  options.seed = 7;
  const Scenario a = generate_scenario(options);
  const Scenario b = generate_scenario(options);
  EXPECT_EQ(json::serialize(a.to_json()), json::serialize(b.to_json()));
  ASSERT_EQ(a.clusters.size(), 3u);
  size_t nodes = 0, guests = 0, backups = 0;
  for (const auto& cluster : a.clusters) {
    nodes += cluster.nodes.size();
    guests += cluster.guests.size();
    backups += cluster.backups.size();
  }
  EXPECT_EQ(nodes, 10u);
  EXPECT_EQ(guests, 1000u);
  EXPECT_EQ(backups, 2000u);
  // The generated scenario passes its own validation.
  EXPECT_NO_THROW(Scenario::from_json(a.to_json()));
  options.seed = 8;
  EXPECT_NE(json::serialize(generate_scenario(options).to_json()), json::serialize(a.to_json()));
}

TEST(StateScenarioTest, ShippedScenariosLoad) {
  for (const char* name : {"minimal", "multi-cluster", "with-backups"}) {
    std::ifstream file(std::string(PBX_SOURCE_DIR) + "/data/scenarios/" + name + ".json");
    ASSERT_TRUE(file) << name;
    std::stringstream text;
    text << file.rdbuf();
    EXPECT_NO_THROW(Scenario::from_json(json::parse(text.str()))) << name;
  }
}

TEST(StateScenarioTest, StateExportRoundTripsAndFillsGeneratedFields) {
  const Scenario scenario = sample_scenario();
  ClusterState state(scenario.clusters[0], Service::pve, std::chrono::milliseconds(10));
  const ClusterScenario exported = state.export_scenario();
  EXPECT_EQ(exported.guests.size(), 2u);
  EXPECT_FALSE(exported.guests[0].nics[0].mac.empty());
  EXPECT_EQ(exported.backups[0].volid, "local:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst");
  Scenario again;
  again.clusters.push_back(exported);
  EXPECT_NO_THROW(Scenario::from_json(again.to_json()));
}

TEST(StateScenarioTest, TaskUpidHasProxmoxShapeAndFinishes) {
  ClusterState state(default_cluster(Service::pve), Service::pve, std::chrono::milliseconds(20));
  const Task& task = state.start_task("pve1", "qmstart", "100", "root@pam");
  // UPID:<node>:<pid 8 hex>:<pstart 8 hex>:<starttime 8 hex>:<type>:<id>:<user>:
  EXPECT_TRUE(task.upid.starts_with("UPID:pve1:")) << task.upid;
  EXPECT_TRUE(task.upid.ends_with(":qmstart:100:root@pam:")) << task.upid;
  EXPECT_EQ(std::count(task.upid.begin(), task.upid.end(), ':'), 8);
  const auto now = std::chrono::steady_clock::now();
  EXPECT_TRUE(task.running(now));
  EXPECT_FALSE(task.running(now + std::chrono::milliseconds(50)));
  EXPECT_EQ(state.tasks_of("pve1").size(), 1u);
}

}  // namespace
}  // namespace pbx::proxmox
