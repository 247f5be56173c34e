// Device and VM interfaces and MAC addresses with NetBox's own rules (the Interface,
// VMInterface and MACAddress clean() beside their declarations in netbox/models/).

#include <gtest/gtest.h>

#include "emulator_test_support.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

constexpr const char* kInterfaces = "/api/dcim/interfaces/";
constexpr const char* kVmInterfaces = "/api/virtualization/interfaces/";
constexpr const char* kMacs = "/api/dcim/mac-addresses/";

struct Hosts {
  Topology t;
  int64_t device = 0;
  int64_t other_device = 0;
  int64_t vm = 0;
  int64_t other_vm = 0;
};

Hosts make_hosts(EmulatorClient& client) {
  Hosts h;
  h.t = make_topology(client);
  auto device = [&](const char* name) {
    return client.create(
        "/api/dcim/devices/",
        {{"name", name}, {"device_type", h.t.device_type}, {"role", h.t.role}, {"site", h.t.site}});
  };
  h.device = device("node1");
  h.other_device = device("node2");
  h.vm = client.create(kVms, {{"name", "vm1"}, {"cluster", h.t.cluster}});
  h.other_vm = client.create(kVms, {{"name", "vm2"}, {"cluster", h.t.cluster}});
  return h;
}

json::value refusal(EmulatorClient& client, Verb verb, const std::string& path,
                    const json::value& body) {
  const auto response = client.send(verb, path, body);
  EXPECT_EQ(response.code(), 400u) << path << ": " << response.body;
  return body_of(response);
}

TEST(NetboxInterfaces, ParentBridgeAndLagFollowNetboxRules) {
  EmulatorClient client;
  const Hosts h = make_hosts(client);
  const int64_t eth0 =
      client.create(kInterfaces, {{"device", h.device}, {"name", "eth0"}, {"type", "1000base-t"}});
  const int64_t bond =
      client.create(kInterfaces, {{"device", h.device}, {"name", "bond0"}, {"type", "lag"}});
  const int64_t foreign = client.create(
      kInterfaces, {{"device", h.other_device}, {"name", "eth0"}, {"type", "1000base-t"}});
  const std::string eth0_path = std::string(kInterfaces) + std::to_string(eth0) + "/";

  EXPECT_EQ(refusal(client, Verb::patch, eth0_path, {{"bridge", eth0}}),
            (json::value{{"bridge", {"An interface cannot be bridged to itself."}}}));
  EXPECT_EQ(refusal(client, Verb::patch, eth0_path, {{"parent", bond}}),
            (json::value{{"parent",
                          {"Only virtual interfaces may be assigned to a parent "
                           "interface."}}}));
  EXPECT_EQ(
      refusal(client, Verb::post, kInterfaces,
              {{"device", h.device}, {"name", "v1"}, {"type", "virtual"}, {"parent", foreign}}),
      (json::value{{"parent",
                    {"The selected parent interface (eth0) belongs to a different "
                     "device (node2)."}}}));
  EXPECT_EQ(refusal(client, Verb::post, kInterfaces,
                    {{"device", h.device}, {"name", "v1"}, {"type", "virtual"}, {"lag", bond}}),
            (json::value{{"lag", {"Virtual interfaces cannot have a parent LAG interface."}}}));
  EXPECT_EQ(refusal(client, Verb::patch, eth0_path, {{"lag", foreign}}),
            (json::value{{"lag",
                          {"The selected LAG interface (eth0) belongs to a different "
                           "device (node2)."}}}));
  EXPECT_EQ(
      refusal(
          client, Verb::post, kInterfaces,
          {{"device", h.device}, {"name", "br0"}, {"type", "bridge"}, {"mark_connected", true}}),
      (json::value{{"mark_connected", {"Bridge interfaces cannot be marked as connected."}}}));
  const auto member = client.send(Verb::patch, eth0_path, {{"lag", bond}});
  EXPECT_EQ(member.code(), 200u) << member.body;
  EXPECT_EQ(body_of(member).at("lag").at("id"), bond);
  const int64_t vlan_interface = client.create(
      kInterfaces,
      {{"device", h.device}, {"name", "eth0.10"}, {"type", "virtual"}, {"parent", eth0}});
  EXPECT_GT(vlan_interface, 0);
}

TEST(NetboxInterfaces, UntaggedVlanNeedsAModeAndTheParentsSite) {
  EmulatorClient client;
  const Hosts h = make_hosts(client);
  const int64_t other_site = client.create("/api/dcim/sites/", {{"name", "DC2"}, {"slug", "dc2"}});
  const int64_t global = client.create("/api/ipam/vlans/", {{"name", "global"}, {"vid", 10}});
  const int64_t remote =
      client.create("/api/ipam/vlans/", {{"name", "remote"}, {"vid", 20}, {"site", other_site}});
  // NetBox drops the untagged VLAN of an interface without an 802.1Q mode when it saves.
  const auto no_mode =
      client.send(Verb::post, kVmInterfaces,
                  {{"virtual_machine", h.vm}, {"name", "net0"}, {"untagged_vlan", global}});
  ASSERT_EQ(no_mode.code(), 201u) << no_mode.body;
  EXPECT_TRUE(body_of(no_mode).at("untagged_vlan").is_null());
  EXPECT_TRUE(body_of(no_mode).at("mode").is_null());
  const auto access = client.send(
      Verb::post, kVmInterfaces,
      {{"virtual_machine", h.vm}, {"name", "net1"}, {"mode", "access"}, {"untagged_vlan", global}});
  ASSERT_EQ(access.code(), 201u) << access.body;
  EXPECT_EQ(body_of(access).at("untagged_vlan").at("id"), global);
  EXPECT_EQ(body_of(access).at("mode"), (json::value{{"value", "access"}, {"label", "Access"}}));
  EXPECT_EQ(refusal(client, Verb::post, kVmInterfaces,
                    {{"virtual_machine", h.vm},
                     {"name", "net2"},
                     {"mode", "access"},
                     {"untagged_vlan", remote}}),
            (json::value{{"untagged_vlan",
                          {"The untagged VLAN (remote (20)) must belong to the same site as the "
                           "interface's parent virtual machine, or it must be global."}}}));
  EXPECT_EQ(refusal(client, Verb::post, kInterfaces,
                    {{"device", h.device},
                     {"name", "eth9"},
                     {"type", "1000base-t"},
                     {"mode", "tagged"},
                     {"untagged_vlan", remote}}),
            (json::value{{"untagged_vlan",
                          {"The untagged VLAN (remote (20)) must belong to the same site as the "
                           "interface's parent device, or it must be global."}}}));
}

TEST(NetboxInterfaces, VmInterfaceParentAndBridgeStayOnTheirVm) {
  EmulatorClient client;
  const Hosts h = make_hosts(client);
  const int64_t net0 = client.create(kVmInterfaces, {{"virtual_machine", h.vm}, {"name", "net0"}});
  const int64_t foreign =
      client.create(kVmInterfaces, {{"virtual_machine", h.other_vm}, {"name", "net0"}});
  const std::string path = std::string(kVmInterfaces) + std::to_string(net0) + "/";
  EXPECT_EQ(refusal(client, Verb::patch, path, {{"parent", net0}}),
            (json::value{{"parent", {"An interface cannot be its own parent."}}}));
  EXPECT_EQ(refusal(client, Verb::patch, path, {{"bridge", foreign}}),
            (json::value{{"bridge",
                          {"The selected bridge interface (net0) belongs to a different "
                           "virtual machine (vm2)."}}}));
}

TEST(NetboxMacAddresses, ReadInAnyFormStoredUppercaseAndFiltered) {
  EmulatorClient client;
  const auto created = client.send(Verb::post, kMacs, {{"mac_address", "bc24.11aa.0001"}});
  ASSERT_EQ(created.code(), 201u) << created.body;
  EXPECT_EQ(body_of(created).at("mac_address"), "BC:24:11:AA:00:01");
  EXPECT_EQ(body_of(created).at("display"), "BC:24:11:AA:00:01");
  for (const char* same : {"bc:24:11:aa:00:01", "BC-24-11-AA-00-01", "bc2411aa0001"}) {
    EXPECT_EQ(client.get(std::string(kMacs) + "?mac_address=" + same).at("count"), 1) << same;
  }
  EXPECT_EQ(refusal(client, Verb::post, kMacs, {{"mac_address", "bc:24:11:zz:00:01"}}),
            (json::value{{"mac_address", {"Invalid MAC address format: bc:24:11:zz:00:01"}}}));
  EXPECT_EQ(refusal(client, Verb::post, kMacs, {{"mac_address", "bc:24:11:aa:00"}}),
            (json::value{{"mac_address", {"Invalid MAC address format: bc:24:11:aa:00"}}}));
}

TEST(NetboxMacAddresses, PrimaryMacMustBeTheInterfacesAndStaysOnIt) {
  EmulatorClient client;
  const Hosts h = make_hosts(client);
  const int64_t net0 = client.create(kVmInterfaces, {{"virtual_machine", h.vm}, {"name", "net0"}});
  const int64_t net1 = client.create(kVmInterfaces, {{"virtual_machine", h.vm}, {"name", "net1"}});
  const int64_t mac = client.create(kMacs, {{"mac_address", "02:00:00:00:00:01"},
                                            {"assigned_object_type", "virtualization.vminterface"},
                                            {"assigned_object_id", net0}});
  const int64_t loose = client.create(kMacs, {{"mac_address", "02:00:00:00:00:02"}});
  const std::string net0_path = std::string(kVmInterfaces) + std::to_string(net0) + "/";
  const std::string net1_path = std::string(kVmInterfaces) + std::to_string(net1) + "/";
  EXPECT_EQ(refusal(client, Verb::patch, net1_path, {{"primary_mac_address", mac}}),
            (json::value{{"primary_mac_address",
                          {"MAC address 02:00:00:00:00:01 is not assigned to this interface."}}}));
  EXPECT_EQ(refusal(client, Verb::patch, net1_path, {{"primary_mac_address", loose}}),
            (json::value{{"primary_mac_address",
                          {"MAC address 02:00:00:00:00:02 is not assigned to this interface."}}}));
  const auto primary = client.send(Verb::patch, net0_path, {{"primary_mac_address", mac}});
  ASSERT_EQ(primary.code(), 200u) << primary.body;
  EXPECT_EQ(body_of(primary).at("mac_address"), "02:00:00:00:00:01");
  const std::string mac_path = std::string(kMacs) + std::to_string(mac) + "/";
  EXPECT_EQ(refusal(client, Verb::patch, mac_path, {{"assigned_object_id", net1}}),
            (json::value{{"__all__",
                          {"Cannot reassign MAC Address while it is designated as the "
                           "primary MAC for an object"}}}));
  EXPECT_EQ(refusal(client, Verb::patch, mac_path,
                    {{"assigned_object_type", nullptr}, {"assigned_object_id", nullptr}}),
            (json::value{{"__all__",
                          {"Cannot unassign MAC Address while it is designated as the "
                           "primary MAC for an object"}}}));
  // Deleting the MAC clears the interface's primary MAC (SET_NULL), and its mac_address.
  EXPECT_EQ(client.call(Verb::delete_, mac_path).code(), 204u);
  const auto after = client.get(net0_path);
  EXPECT_TRUE(after.at("primary_mac_address").is_null());
  EXPECT_TRUE(after.at("mac_address").is_null());
}

}  // namespace
}  // namespace pbx::netbox::testing
