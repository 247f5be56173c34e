// Cluster-wide state: task lists, backup and replication jobs, HA, SDN; scenario round trips and
// the generator.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mock_test_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using namespace pbx::proxmox::testing;
using http::Verb;

bool has_upid(const json::value& list, std::string_view upid) {
  for (const auto& entry : list.as_array()) {
    if (entry.at("upid").as_string() == upid) return true;
  }
  return false;
}

TEST(ClusterStateTest, TasksShowInClusterAndNodeListsAndScenarioTasksAreHistory) {
  ClusterScenario cluster = default_cluster(Service::pve);
  cluster.tasks = {
      TaskScenario{"pve1", "vzdump", "100", "root@pam", 1767225600, 1767225700, "OK"},
      TaskScenario{"pve1", "qmstart", "100", "root@pam", 1767229200, 1767229201, "start failed"}};
  Engine engine(test_options_with(cluster));
  const Reply listed = get(engine, "/api2/json/cluster/tasks");
  ASSERT_EQ(listed.status, 200u) << listed.body;
  ASSERT_EQ(listed.data().as_array().size(), 2u);
  const auto& newest = listed.data().as_array()[0];
  EXPECT_EQ(newest.at("type"), "qmstart");
  EXPECT_EQ(newest.at("status"), "start failed");
  EXPECT_EQ(newest.at("endtime").to_number<int64_t>(), 1767229201);
  const Reply errors = get(engine, "/api2/json/nodes/pve1/tasks?errors=1");
  EXPECT_EQ(errors.data().as_array().size(), 1u);
  // A new task shows in both lists.
  const Reply started = call(engine, Verb::post, "/api2/json/nodes/pve1/qemu/100/status/reboot");
  ASSERT_EQ(started.status, 200u);
  const std::string upid(started.data().as_string());
  wait_task(engine, "pve1", upid);
  EXPECT_TRUE(has_upid(get(engine, "/api2/json/cluster/tasks").data(), upid));
  EXPECT_TRUE(has_upid(get(engine, "/api2/json/nodes/pve1/tasks").data(), upid));
  EXPECT_EQ(engine.export_state().clusters[0].tasks.size(), 3u);
}

TEST(ClusterStateTest, JobsRoundTripThroughTheAdminState) {
  Engine engine(test_options());
  ASSERT_EQ(call(engine, Verb::post, "/api2/json/cluster/backup",
                 "id=backup-weekly&schedule=sun%2001%3A00&storage=local&vmid=100")
                .status,
            200u);
  const Scenario exported = engine.export_state();
  ASSERT_EQ(exported.clusters[0].backup_jobs.size(), 2u);  // the default daily job and this one
  EngineOptions options = test_options();
  options.cluster = Scenario::from_json(exported.to_json()).clusters[0];
  Engine reloaded(options);
  const Reply job = get(reloaded, "/api2/json/cluster/backup/backup-weekly");
  ASSERT_EQ(job.status, 200u) << job.body;
  EXPECT_EQ(job.data().at("schedule"), "sun 01:00");
  EXPECT_EQ(get(reloaded, "/api2/json/cluster/backup").data().as_array().size(), 2u);
}

TEST(ClusterStateTest, ReplicationJobsShowOnTheirGuestsNode) {
  ClusterScenario cluster = default_cluster(Service::pve);
  cluster.nodes.push_back(NodeScenario{"pve2", "online", "192.0.2.12"});
  Engine engine(test_options_with(cluster));
  ASSERT_EQ(call(engine, Verb::post, "/api2/json/cluster/replication",
                 "id=100-0&type=local&target=pve2&schedule=*%2F30")
                .status,
            200u);
  const Reply on_node = get(engine, "/api2/json/nodes/pve1/replication");
  ASSERT_EQ(on_node.status, 200u) << on_node.body;
  ASSERT_EQ(on_node.data().as_array().size(), 1u);
  EXPECT_EQ(on_node.data().as_array()[0].at("target"), "pve2");
  EXPECT_EQ(on_node.data().as_array()[0].at("vmtype"), "qemu");
  EXPECT_TRUE(get(engine, "/api2/json/nodes/pve2/replication").data().as_array().empty());
  EXPECT_EQ(get(engine, "/api2/json/nodes/pve1/replication/100-0/status").status, 200u);
  ASSERT_EQ(call(engine, Verb::delete_, "/api2/json/cluster/replication/100-0").status, 200u);
  EXPECT_TRUE(get(engine, "/api2/json/nodes/pve1/replication").data().as_array().empty());
  EXPECT_EQ(get(engine, "/api2/json/nodes/pve1/replication/100-0/status").status, 500u);
}

TEST(ClusterStateTest, HaResourcesShowInListsStatusAndGuestViews) {
  Engine engine(test_options());
  ASSERT_EQ(
      call(engine, Verb::post, "/api2/json/cluster/ha/resources", "sid=vm%3A100&state=started")
          .status,
      200u);
  EXPECT_EQ(call(engine, Verb::post, "/api2/json/cluster/ha/resources", "sid=100").status, 500u);
  EXPECT_EQ(call(engine, Verb::post, "/api2/json/cluster/ha/resources", "sid=vm%3A999").status,
            500u);
  const Reply list = get(engine, "/api2/json/cluster/ha/resources");
  ASSERT_EQ(list.data().as_array().size(), 1u);
  EXPECT_EQ(list.data().as_array()[0].at("sid"), "vm:100");
  const Reply status = get(engine, "/api2/json/nodes/pve1/qemu/100/status/current");
  EXPECT_EQ(status.data().at("ha").at("managed").to_number<int>(), 1);
  bool service = false;
  const Reply ha_status = get(engine, "/api2/json/cluster/ha/status/current");
  for (const auto& entry : ha_status.data().as_array()) {
    if (entry.at("type") == "service") {
      service = true;
      EXPECT_EQ(entry.at("sid"), "vm:100");
      EXPECT_EQ(entry.at("state"), "started");
    }
  }
  EXPECT_TRUE(service);
  bool hastate = false;
  const Reply resources = get(engine, "/api2/json/cluster/resources?type=vm");
  for (const auto& entry : resources.data().as_array()) {
    if (entry.at("id") == "qemu/100") hastate = entry.at("hastate") == "started";
  }
  EXPECT_TRUE(hastate);
  ASSERT_EQ(
      call(engine, Verb::put, "/api2/json/cluster/ha/resources/vm%3A100", "state=stopped").status,
      200u);
  EXPECT_EQ(get(engine, "/api2/json/cluster/ha/resources/vm%3A100").data().at("state"), "stopped");
  EXPECT_EQ(engine.export_state().clusters[0].ha_resources[0].state, "stopped");
  ASSERT_EQ(call(engine, Verb::delete_, "/api2/json/cluster/ha/resources/vm%3A100").status, 200u);
  EXPECT_EQ(get(engine, "/api2/json/cluster/ha/resources/vm%3A100").status, 500u);
  EXPECT_EQ(get(engine, "/api2/json/nodes/pve1/qemu/100/status/current")
                .data()
                .at("ha")
                .at("managed")
                .to_number<int>(),
            0);
}

TEST(ClusterStateTest, TagsShowInConfigListsResourcesAndState) {
  Engine engine(test_options());
  ASSERT_EQ(
      call(engine, Verb::put, "/api2/json/nodes/pve1/qemu/100/config", "tags=db%3Bcritical").status,
      200u);
  const auto tags_of = [](const Reply& reply) -> std::string {
    for (const auto& entry : reply.data().as_array()) {
      if (entry.at("vmid").to_number<int>() == 100)
        return std::string(entry.at("tags").as_string());
    }
    return "";
  };
  EXPECT_EQ(tags_of(get(engine, "/api2/json/nodes/pve1/qemu")), "db;critical");
  EXPECT_EQ(tags_of(get(engine, "/api2/json/cluster/resources?type=vm")), "db;critical");
  EXPECT_EQ(get(engine, "/api2/json/nodes/pve1/qemu/100/config").data().at("tags"), "db;critical");
  EXPECT_EQ(engine.export_state().clusters[0].guests[0].tags,
            (std::vector<std::string>{"db", "critical"}));
}

TEST(ClusterStateTest, DestroyingAGuestRemovesItsHaResourceAndReplication) {
  ClusterScenario cluster = default_cluster(Service::pve);
  cluster.guests[1].status = "stopped";
  cluster.ha_resources = {HaResourceScenario{"ct:101", "stopped", "", 1, 1, ""}};
  cluster.replication_jobs = {
      JobScenario{"101-0", json::object{{"id", "101-0"}, {"guest", "101"}, {"target", "pve2"}}}};
  Engine engine(test_options_with(cluster));
  ASSERT_EQ(get(engine, "/api2/json/cluster/ha/resources").data().as_array().size(), 1u);
  ASSERT_EQ(call(engine, Verb::delete_, "/api2/json/nodes/pve1/lxc/101").status, 200u);
  EXPECT_TRUE(get(engine, "/api2/json/cluster/ha/resources").data().as_array().empty());
  EXPECT_TRUE(get(engine, "/api2/json/cluster/replication").data().as_array().empty());
  const ClusterScenario exported = engine.export_state().clusters[0];
  EXPECT_TRUE(exported.ha_resources.empty());
  EXPECT_TRUE(exported.replication_jobs.empty());
}

TEST(ClusterStateTest, SdnZonesVnetsSubnetsAreState) {
  Engine engine(test_options());
  const std::string sdn = "/api2/json/cluster/sdn";
  ASSERT_EQ(call(engine, Verb::post, sdn + "/zones", "zone=z1&type=vlan&bridge=vmbr0").status,
            200u);
  EXPECT_EQ(call(engine, Verb::post, sdn + "/zones", "zone=z1&type=vlan&bridge=vmbr0").status,
            500u);
  EXPECT_EQ(call(engine, Verb::post, sdn + "/vnets", "vnet=v1&zone=nozone").status, 500u);
  ASSERT_EQ(call(engine, Verb::post, sdn + "/vnets", "vnet=v1&zone=z1&tag=10").status, 200u);
  ASSERT_EQ(call(engine, Verb::post, sdn + "/vnets/v1/subnets",
                 "subnet=10.10.0.0%2F24&type=subnet&gateway=10.10.0.1")
                .status,
            200u);
  const Reply subnets = get(engine, sdn + "/vnets/v1/subnets");
  ASSERT_EQ(subnets.status, 200u) << subnets.body;
  ASSERT_EQ(subnets.data().as_array().size(), 1u);
  const auto& subnet = subnets.data().as_array()[0];
  EXPECT_EQ(subnet.at("subnet"), "z1-10.10.0.0-24");
  EXPECT_EQ(subnet.at("gateway"), "10.10.0.1");
  EXPECT_EQ(get(engine, sdn + "/vnets/v1").data().at("tag").to_number<int>(), 10);
  EXPECT_EQ(get(engine, sdn + "/zones/z1").data().at("bridge"), "vmbr0");
  // In use: the zone and the VNet refuse deletion until their children are gone.
  EXPECT_EQ(call(engine, Verb::delete_, sdn + "/zones/z1").status, 500u);
  EXPECT_EQ(call(engine, Verb::delete_, sdn + "/vnets/v1").status, 500u);
  const ClusterScenario exported = engine.export_state().clusters[0];
  EXPECT_EQ(exported.sdn_subnets.size(), 2u);  // the built-in scenario's and this one
  ASSERT_EQ(call(engine, Verb::delete_, sdn + "/vnets/v1/subnets/z1-10.10.0.0-24").status, 200u);
  ASSERT_EQ(call(engine, Verb::delete_, sdn + "/vnets/v1").status, 200u);
  ASSERT_EQ(call(engine, Verb::delete_, sdn + "/zones/z1").status, 200u);
  const Reply zones = get(engine, sdn + "/zones");
  ASSERT_EQ(zones.data().as_array().size(), 1u);
  EXPECT_EQ(zones.data().as_array()[0].at("zone"), "lan");
  // The exported state loads again with everything it held.
  EngineOptions options = test_options();
  options.cluster = exported;
  Engine reloaded(options);
  EXPECT_EQ(get(reloaded, sdn + "/vnets/v1/subnets").data().as_array().size(), 1u);
}

TEST(ClusterStateTest, GeneratedScenariosCarryDevicesAndExtrasDeterministically) {
  GenerateOptions options;
  options.nodes = 3;
  options.guests = 20;
  options.snapshots_per_guest = 3;
  options.backups_per_guest = 1;
  const Scenario scenario = generate_scenario(options);
  EXPECT_EQ(json::serialize(scenario.to_json()),
            json::serialize(generate_scenario(options).to_json()));
  const ClusterScenario& cluster = scenario.clusters[0];
  for (const auto& node : cluster.nodes)
    EXPECT_EQ(node.interfaces.size(), 4u) << node.name;
  for (const auto& guest : cluster.guests) {
    ASSERT_EQ(guest.nics.size(), 2u);
    EXPECT_NE(guest.nics[0].mac, guest.nics[1].mac);
    EXPECT_EQ(guest.nics[0].ip_addresses.size() + guest.nics[1].ip_addresses.size(), 2u);
    EXPECT_EQ(guest.disks.size(), 2u);
    EXPECT_EQ(guest.snapshots.size(), 3u);
  }
  EXPECT_EQ(cluster.replication_jobs.size(), 2u);  // every 10th guest
  EXPECT_FALSE(cluster.ha_resources.empty());
  EXPECT_EQ(cluster.sdn_vnets.size(), 2u);
  EXPECT_GE(cluster.tasks.size(), 60u);  // a snapshot task per snapshot, start tasks
  // It loads, and the mock serves it.
  EngineOptions engine_options = test_options();
  engine_options.cluster = Scenario::from_json(scenario.to_json()).clusters[0];
  Engine engine(engine_options);
  EXPECT_EQ(get(engine, "/api2/json/cluster/replication").data().as_array().size(), 2u);
  EXPECT_EQ(get(engine, "/api2/json/nodes/pve1/network").data().as_array().size(), 4u);
  // Without extras: devices only.
  options.extras = false;
  const ClusterScenario plain = generate_scenario(options).clusters[0];
  EXPECT_TRUE(plain.replication_jobs.empty());
  EXPECT_TRUE(plain.sdn_zones.empty());
  EXPECT_TRUE(plain.ha_resources.empty());
}

}  // namespace
}  // namespace pbx::proxmox
