// /nodes/{node}/network as state: scenario interfaces listed in Proxmox's shape, writes read back.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mock_test_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using namespace pbx::proxmox::testing;
using http::Verb;

const json::object* named(const json::value& list, std::string_view iface) {
  for (const auto& entry : list.as_array()) {
    if (entry.at("iface").as_string() == iface) return &entry.as_object();
  }
  return nullptr;
}

TEST(NodeNetworkTest, ScenarioInterfacesAreListedAsProxmoxDoes) {
  ClusterScenario cluster = default_cluster(Service::pve);
  InterfaceScenario bond{.iface = "bond0", .type = "bond", .slaves = "eno1 eno2"};
  bond.bond_mode = "802.3ad";
  InterfaceScenario bridge{.iface = "vmbr0", .type = "bridge", .cidr = "192.0.2.11/24"};
  bridge.gateway = "192.0.2.1";
  bridge.cidr6 = "2001:db8::11/64";
  bridge.bridge_ports = "bond0";
  bridge.bridge_vlan_aware = true;
  InterfaceScenario vlan{.iface = "vmbr0.50", .type = "vlan", .cidr = "10.50.0.11/24"};
  vlan.mtu = 1400;
  cluster.nodes[0].interfaces = {InterfaceScenario{.iface = "eno1", .mac = "3C:EC:EF:00:00:01"},
                                 InterfaceScenario{.iface = "eno2", .mac = "3C:EC:EF:00:00:02"},
                                 bond, bridge, vlan};
  Engine engine(test_options_with(cluster));
  const Reply list = get(engine, "/api2/json/nodes/pve1/network");
  ASSERT_EQ(list.status, 200u) << list.body;
  ASSERT_EQ(list.data().as_array().size(), 5u);
  const auto* vmbr0 = named(list.data(), "vmbr0");
  ASSERT_NE(vmbr0, nullptr);
  EXPECT_EQ(vmbr0->at("address"), "192.0.2.11");
  EXPECT_EQ(vmbr0->at("netmask"), "255.255.255.0");
  EXPECT_EQ(vmbr0->at("cidr6"), "2001:db8::11/64");
  EXPECT_EQ(vmbr0->at("bridge_ports"), "bond0");
  EXPECT_EQ(vmbr0->at("bridge_vlan_aware").to_number<int>(), 1);
  EXPECT_EQ(named(list.data(), "bond0")->at("slaves"), "eno1 eno2");
  const auto* vlan_entry = named(list.data(), "vmbr0.50");
  EXPECT_EQ(vlan_entry->at("vlan-id").to_number<int>(), 50);
  EXPECT_EQ(vlan_entry->at("vlan-raw-device"), "vmbr0");
  EXPECT_EQ(vlan_entry->at("mtu").to_number<int>(), 1400);
  // No MAC in the listing: the real API has none either.
  EXPECT_FALSE(named(list.data(), "eno1")->contains("mac"));
  const Reply bridges = get(engine, "/api2/json/nodes/pve1/network?type=any_bridge");
  EXPECT_EQ(bridges.data().as_array().size(), 1u);
  // The scenario (MACs included) comes back from the admin state.
  EXPECT_EQ(engine.export_state().clusters[0].nodes[0].interfaces, cluster.nodes[0].interfaces);
}

TEST(NodeNetworkTest, CreateUpdateDeleteShowInEveryRead) {
  Engine engine(test_options());
  const std::string base = "/api2/json/nodes/pve1/network";
  const Reply created = call(engine, Verb::post, base,
                             "iface=vmbr1&type=bridge&cidr=10.9.0.2%2F16&bridge_ports=eno2");
  ASSERT_EQ(created.status, 200u) << created.body;
  EXPECT_EQ(call(engine, Verb::post, base, "iface=vmbr1&type=bridge").status, 400u);
  const Reply one = get(engine, base + "/vmbr1");
  ASSERT_EQ(one.status, 200u) << one.body;
  EXPECT_EQ(one.data().at("netmask"), "255.255.0.0");
  ASSERT_EQ(
      call(engine, Verb::put, base + "/vmbr1", "type=bridge&mtu=9000&comments=storage").status,
      200u);
  const Reply after_update = get(engine, base);
  const auto* listed = named(after_update.data(), "vmbr1");
  ASSERT_NE(listed, nullptr);
  EXPECT_EQ(listed->at("mtu").to_number<int>(), 9000);
  EXPECT_EQ(listed->at("comments"), "storage");
  EXPECT_EQ(listed->at("cidr"), "10.9.0.2/16");
  // Reload answers a task; delete removes it from list, item and state.
  EXPECT_EQ(call(engine, Verb::put, base).status, 200u);
  ASSERT_EQ(call(engine, Verb::delete_, base + "/vmbr1").status, 200u);
  EXPECT_EQ(get(engine, base + "/vmbr1").status, 400u);
  const Reply after_delete = get(engine, base);
  EXPECT_EQ(named(after_delete.data(), "vmbr1"), nullptr);
  EXPECT_EQ(call(engine, Verb::delete_, base + "/vmbr1").status, 400u);
  const Scenario exported = engine.export_state();
  for (const auto& iface : exported.clusters[0].nodes[0].interfaces)
    EXPECT_NE(iface.iface, "vmbr1");
  EXPECT_EQ(get(engine, "/api2/json/nodes/nosuch/network").status, 500u);
}

TEST(NodeNetworkTest, DefaultNodesHaveNicsWithMacsAndABridge) {
  Engine engine(test_options());
  const auto interfaces = engine.export_state().clusters[0].nodes[0].interfaces;
  ASSERT_EQ(interfaces.size(), 3u);
  EXPECT_EQ(interfaces[0].iface, "eno1");
  EXPECT_EQ(interfaces[0].mac.size(), 17u);
  EXPECT_NE(interfaces[0].mac, interfaces[1].mac);
  EXPECT_EQ(interfaces[2].cidr, "192.0.2.11/24");
}

}  // namespace
}  // namespace pbx::proxmox
