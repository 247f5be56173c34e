// IPAM objects with NetBox's own rules: IP addresses and the primary IPs of devices and VMs
// (IPAddress, Device and VirtualMachine clean()), prefixes, VLAN groups and VLANs.

#include <gtest/gtest.h>

#include "emulator_test_support.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

constexpr const char* kIps = "/api/ipam/ip-addresses/";

json::value refusal(EmulatorClient& client, Verb verb, const std::string& path,
                    const json::value& body) {
  const auto response = client.send(verb, path, body);
  EXPECT_EQ(response.code(), 400u) << path << ": " << response.body;
  return body_of(response);
}

int64_t ip_on(EmulatorClient& client, const std::string& address, const char* type,
              int64_t interface) {
  return client.create(
      kIps,
      {{"address", address}, {"assigned_object_type", type}, {"assigned_object_id", interface}});
}

TEST(NetboxIpAddresses, MaskSharedRolesAndSlaacFollowNetbox) {
  EmulatorClient client;
  EXPECT_EQ(refusal(client, Verb::post, kIps, {{"address", "10.0.0.1/0"}}),
            (json::value{{"address", {"Cannot create IP address with /0 mask."}}}));
  EXPECT_EQ(refusal(client, Verb::post, kIps, {{"address", "10.0.0.1/24"}, {"status", "slaac"}}),
            (json::value{{"status", {"Only IPv6 addresses can be assigned SLAAC status"}}}));
  client.create(kIps, {{"address", "2001:db8::1/64"}, {"status", "slaac"}});
  // Addresses may repeat only when every copy has a shared role (anycast, VIP, FHRP).
  client.create(kIps, {{"address", "10.0.0.9/24"}, {"role", "vip"}});
  client.create(kIps, {{"address", "10.0.0.9/24"}, {"role", "anycast"}});
  client.create(kIps, {{"address", "10.0.0.7/24"}});
  EXPECT_EQ(
      refusal(client, Verb::post, kIps, {{"address", "10.0.0.7/32"}, {"role", "vip"}}),
      (json::value{{"address", {"Duplicate IP address found in global table: 10.0.0.7/24"}}}));
  EXPECT_EQ(
      refusal(client, Verb::post, kIps, {{"address", "10.0.0.9/24"}}),
      (json::value{{"address", {"Duplicate IP address found in global table: 10.0.0.9/24"}}}));
}

TEST(NetboxIpAddresses, VmPrimaryIpMustBeOnItsInterfaceAndStaysThere) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t vm = client.create(kVms, {{"name", "vm1"}, {"cluster", t.cluster}});
  const int64_t other = client.create(kVms, {{"name", "vm2"}, {"cluster", t.cluster}});
  const int64_t net0 =
      client.create("/api/virtualization/interfaces/", {{"virtual_machine", vm}, {"name", "net0"}});
  const int64_t foreign = client.create("/api/virtualization/interfaces/",
                                        {{"virtual_machine", other}, {"name", "net0"}});
  const int64_t v4 = ip_on(client, "192.0.2.10/24", "virtualization.vminterface", net0);
  const int64_t v6 = ip_on(client, "2001:db8::10/64", "virtualization.vminterface", net0);
  const int64_t elsewhere = ip_on(client, "192.0.2.20/24", "virtualization.vminterface", foreign);
  const int64_t loose = client.create(kIps, {{"address", "192.0.2.30/24"}});
  const std::string vm_path = std::string(kVms) + std::to_string(vm) + "/";

  EXPECT_EQ(refusal(client, Verb::patch, vm_path, {{"primary_ip4", v6}}),
            (json::value{{"primary_ip4",
                          {"Must be an IPv4 address. (2001:db8::10/64 is an IPv6 "
                           "address.)"}}}));
  for (const auto& [ip, address] :
       {std::pair{elsewhere, "192.0.2.20/24"}, std::pair{loose, "192.0.2.30/24"}}) {
    EXPECT_EQ(
        text(refusal(client, Verb::patch, vm_path, {{"primary_ip4", ip}}).at("primary_ip4").at(0)),
        std::string("The specified IP address (") + address + ") is not assigned to this VM.");
  }
  EXPECT_EQ(refusal(client, Verb::post, kVms,
                    {{"name", "vm3"}, {"cluster", t.cluster}, {"primary_ip4", v4}}),
            (json::value{{"primary_ip4",
                          {"The specified IP address (192.0.2.10/24) is not "
                           "assigned to this VM."}}}));
  const auto set = client.send(Verb::patch, vm_path, {{"primary_ip4", v4}, {"primary_ip6", v6}});
  ASSERT_EQ(set.code(), 200u) << set.body;
  EXPECT_EQ(body_of(set).at("primary_ip4").at("address"), "192.0.2.10/24");
  EXPECT_EQ(body_of(set).at("primary_ip6").at("address"), "2001:db8::10/64");

  const std::string v4_path = std::string(kIps) + std::to_string(v4) + "/";
  EXPECT_EQ(refusal(client, Verb::patch, v4_path, {{"assigned_object_id", foreign}}),
            (json::value{{"__all__",
                          {"Cannot reassign primary IP address for the parent "
                           "device/VM"}}}));
  EXPECT_EQ(refusal(client, Verb::patch, v4_path,
                    {{"assigned_object_type", nullptr}, {"assigned_object_id", nullptr}}),
            (json::value{{"__all__",
                          {"Cannot reassign primary IP address for the parent "
                           "device/VM"}}}));
  const int64_t net1 =
      client.create("/api/virtualization/interfaces/", {{"virtual_machine", vm}, {"name", "net1"}});
  const auto moved = client.send(Verb::patch, v4_path, {{"assigned_object_id", net1}});
  EXPECT_EQ(moved.code(), 200u) << "another interface of the same VM: " << moved.body;
  // Deleting the primary address clears it on the VM (SET_NULL).
  EXPECT_EQ(client.call(Verb::delete_, v4_path).code(), 204u);
  EXPECT_TRUE(client.get(vm_path).at("primary_ip4").is_null());
}

TEST(NetboxIpAddresses, DevicePrimaryAndOobIpMustBeOnItsInterfaces) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  auto device = [&](const char* name) {
    return client.create(
        "/api/dcim/devices/",
        {{"name", name}, {"device_type", t.device_type}, {"role", t.role}, {"site", t.site}});
  };
  const int64_t node1 = device("node1");
  const int64_t node2 = device("node2");
  auto interface = [&](int64_t on) {
    return client.create("/api/dcim/interfaces/",
                         {{"device", on}, {"name", "eth0"}, {"type", "1000base-t"}});
  };
  const int64_t eth_node1 = interface(node1);
  const int64_t eth_node2 = interface(node2);
  const int64_t v4 = ip_on(client, "198.51.100.1/24", "dcim.interface", eth_node1);
  const int64_t v6 = ip_on(client, "2001:db8:1::1/64", "dcim.interface", eth_node1);
  const int64_t foreign = ip_on(client, "198.51.100.2/24", "dcim.interface", eth_node2);
  const std::string path = "/api/dcim/devices/" + std::to_string(node1) + "/";
  EXPECT_EQ(refusal(client, Verb::patch, path, {{"primary_ip6", v4}}),
            (json::value{{"primary_ip6", {"198.51.100.1/24 is not an IPv6 address."}}}));
  EXPECT_EQ(refusal(client, Verb::patch, path, {{"primary_ip4", foreign}}),
            (json::value{{"primary_ip4",
                          {"The specified IP address (198.51.100.2/24) is not "
                           "assigned to this device."}}}));
  EXPECT_EQ(refusal(client, Verb::patch, path, {{"oob_ip", foreign}}),
            (json::value{{"oob_ip",
                          {"The specified IP address (198.51.100.2/24) is not "
                           "assigned to this device."}}}));
  const auto set =
      client.send(Verb::patch, path, {{"primary_ip4", v4}, {"primary_ip6", v6}, {"oob_ip", v4}});
  EXPECT_EQ(set.code(), 200u) << set.body;
  const int64_t cluster_elsewhere = [&] {
    const int64_t site = client.create("/api/dcim/sites/", {{"name", "DC2"}, {"slug", "dc2"}});
    return client.create("/api/virtualization/clusters/", {{"name", "far"},
                                                           {"type", t.cluster_type},
                                                           {"scope_type", "dcim.site"},
                                                           {"scope_id", site}});
  }();
  EXPECT_EQ(refusal(client, Verb::patch, path, {{"cluster", cluster_elsewhere}}),
            (json::value{{"cluster", {"The assigned cluster belongs to a different site (DC2)"}}}));
}

TEST(NetboxPrefixes, NoZeroMaskAndUniqueInTheGlobalTable) {
  EmulatorClient client;
  EXPECT_EQ(refusal(client, Verb::post, "/api/ipam/prefixes/", {{"prefix", "0.0.0.0/0"}}),
            (json::value{{"prefix", {"Cannot create prefix with /0 mask."}}}));
  client.create("/api/ipam/prefixes/", {{"prefix", "10.20.0.0/16"}});
  EXPECT_EQ(refusal(client, Verb::post, "/api/ipam/prefixes/", {{"prefix", "10.20.1.1/16"}}),
            (json::value{{"prefix", {"Duplicate prefix found in global table: 10.20.0.0/16"}}}));
  client.create("/api/ipam/prefixes/", {{"prefix", "10.20.0.0/24"}});
}

TEST(NetboxVlanGroups, ScopesUniquenessUtilizationAndTheirVlans) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t other_site = client.create("/api/dcim/sites/", {{"name", "DC2"}, {"slug", "dc2"}});
  const char* kGroups = "/api/ipam/vlan-groups/";
  EXPECT_EQ(refusal(client, Verb::post, kGroups,
                    {{"name", "g"}, {"slug", "g"}, {"scope_type", "dcim.site"}}),
            (json::value{{"__all__", {"Cannot set scope_type without scope_id."}}}));
  const int64_t group = client.create(
      kGroups,
      {{"name", "pve"}, {"slug", "pve"}, {"scope_type", "dcim.site"}, {"scope_id", t.site}});
  const int64_t other_group = client.create(kGroups, {{"name", "lab"}, {"slug", "lab"}});
  const std::string group_path = std::string(kGroups) + std::to_string(group) + "/";
  EXPECT_EQ(client.get(group_path).at("utilization"), "0.00");
  EXPECT_EQ(client.get(group_path).at("scope").at("name"), "DC1");
  client.create("/api/ipam/vlans/", {{"name", "mgmt"}, {"vid", 10}, {"group", group}});
  EXPECT_EQ(client.get(group_path).at("vlan_count"), 1);
  EXPECT_EQ(client.get(group_path).at("utilization"), "0.02");
  EXPECT_EQ(refusal(client, Verb::post, "/api/ipam/vlans/",
                    {{"name", "other"}, {"vid", 10}, {"group", group}}),
            (json::value{{"__all__", {"VLAN with this Group and VLAN ID already exists."}}}));
  EXPECT_EQ(refusal(client, Verb::post, "/api/ipam/vlans/",
                    {{"name", "mgmt"}, {"vid", 11}, {"group", group}}),
            (json::value{{"__all__", {"VLAN with this Group and Name already exists."}}}));
  client.create("/api/ipam/vlans/", {{"name", "mgmt"}, {"vid", 10}, {"group", other_group}});
  client.create("/api/ipam/vlans/", {{"name", "mgmt"}, {"vid", 10}});
  EXPECT_EQ(refusal(client, Verb::post, "/api/ipam/vlans/",
                    {{"name", "far"}, {"vid", 12}, {"group", group}, {"site", other_site}}),
            (json::value{{"__all__",
                          {"VLAN is assigned to group pve (scope: DC1); cannot also "
                           "assign to site DC2."}}}));
  EXPECT_EQ(client.call(Verb::delete_, group_path).code(), 409u);
}

}  // namespace
}  // namespace pbx::netbox::testing
