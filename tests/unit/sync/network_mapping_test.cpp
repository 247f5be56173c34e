// Guest device parsing (guest_devices.hpp) and the mapping of disks, interfaces, MAC and IP
// addresses to NetBox objects (network_mapping.hpp): pure functions, no I/O.

#include "sync/network_mapping.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "sync/guest_devices.hpp"
#include "sync/guest_tags.hpp"
#include "sync/json_util.hpp"
#include "sync/node_interface_mapping.hpp"
#include "sync/node_network.hpp"
#include "sync/sdn.hpp"

namespace pbx::sync {
namespace {
namespace json = boost::json;

NetBoxVersion version(std::string_view text) {
  return NetBoxVersion::parse(text);
}

TEST(GuestDevices, DiskSizesInEveryUnit) {
  EXPECT_EQ(disk_size_bytes("32G"), 32LL << 30);
  EXPECT_EQ(disk_size_bytes("512M"), 512LL << 20);
  EXPECT_EQ(disk_size_bytes("1T"), 1LL << 40);
  EXPECT_EQ(disk_size_bytes("4096K"), 4096LL << 10);
  EXPECT_EQ(disk_size_bytes("1073741824"), 1LL << 30);
  EXPECT_EQ(disk_size_bytes("1.5G"), 3LL << 29);
  EXPECT_FALSE(disk_size_bytes("").has_value());
  EXPECT_FALSE(disk_size_bytes("12X").has_value());
  EXPECT_FALSE(disk_size_bytes("big").has_value());
}

TEST(GuestDevices, QemuDisksAndNicsFromTheConfig) {
  const json::object config{
      {"scsi0", "local-lvm:vm-100-disk-0,iothread=1,size=32G"},
      {"virtio1", "ceph:vm-100-disk-1,size=512M"},
      {"ide2", "local:iso/debian.iso,media=cdrom,size=600M"},
      {"sata1", "none,media=cdrom"},
      {"unused0", "local-lvm:vm-100-disk-9"},
      {"net1", "e1000=BC:24:11:00:00:02,bridge=vmbr1,tag=20,link_down=1,mtu=9000"},
      {"net0", "virtio=bc:24:11:00:00:01,bridge=vmbr0,firewall=1"},
      {"name", "web01"},
      {"netfoo", "x"}};
  const auto devices = parse_guest_devices(config, "qemu");
  ASSERT_EQ(devices.disks.size(), 2u);
  EXPECT_EQ(devices.disks[0].key, "scsi0");
  EXPECT_EQ(devices.disks[0].storage, "local-lvm");
  EXPECT_EQ(devices.disks[0].volume, "local-lvm:vm-100-disk-0");
  EXPECT_EQ(devices.disks[0].size_bytes, 32LL << 30);
  EXPECT_EQ(devices.disks[1].key, "virtio1");
  ASSERT_EQ(devices.nics.size(), 2u);
  EXPECT_EQ(devices.nics[0].key, "net0");
  EXPECT_EQ(devices.nics[0].model, "virtio");
  EXPECT_EQ(devices.nics[0].mac, "bc:24:11:00:00:01");
  EXPECT_TRUE(devices.nics[0].firewall);
  EXPECT_EQ(devices.nics[0].vlan_tag, 0);
  EXPECT_EQ(devices.nics[1].model, "e1000");
  EXPECT_EQ(devices.nics[1].bridge, "vmbr1");
  EXPECT_EQ(devices.nics[1].vlan_tag, 20);
  EXPECT_EQ(devices.nics[1].mtu, 9000);
  EXPECT_TRUE(devices.nics[1].link_down);
}

TEST(GuestDevices, ContainerDisksAndStaticOrDhcpAddresses) {
  const json::object config{
      {"rootfs", "local-lvm:subvol-101-disk-0,size=8G"},
      {"mp0", "local-lvm:subvol-101-disk-1,mp=/srv,size=16G"},
      {"mp1", "/host/data,mp=/data"},  // a bind mount: no volume, no size
      {"net0",
       "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:06:50,ip=192.0.2.101/24,ip6=2001:db8::65/64,"
       "type=veth"},
      {"net1", "name=eth1,bridge=vmbr0,hwaddr=BC:24:11:00:06:51,ip=dhcp,type=veth"}};
  const auto devices = parse_guest_devices(config, "lxc");
  ASSERT_EQ(devices.disks.size(), 2u);
  EXPECT_EQ(devices.disks[0].key, "mp0");
  EXPECT_EQ(devices.disks[1].key, "rootfs");
  EXPECT_EQ(devices.disks[1].size_bytes, 8LL << 30);
  ASSERT_EQ(devices.nics.size(), 2u);
  EXPECT_EQ(devices.nics[0].name, "eth0");
  EXPECT_EQ(devices.nics[0].model, "veth");
  EXPECT_EQ(devices.nics[0].mac, "BC:24:11:00:06:50");
  EXPECT_TRUE(devices.nics[0].addresses_known);
  EXPECT_EQ(devices.nics[0].addresses,
            (std::vector<std::string>{"192.0.2.101/24", "2001:db8::65/64"}));
  EXPECT_FALSE(devices.nics[1].addresses_known);
}

TEST(GuestDevices, AgentInterfacesAndAddressFilters) {
  const auto answer = json::parse(R"({"result":[
    {"name":"lo","hardware-address":"00:00:00:00:00:00","ip-addresses":[
      {"ip-address":"127.0.0.1","prefix":8},{"ip-address":"::1","prefix":128}]},
    {"name":"ens18","hardware-address":"bc:24:11:00:00:01","ip-addresses":[
      {"ip-address":"192.0.2.100","prefix":24},{"ip-address":"fe80::1","prefix":64}]}]})");
  const auto interfaces = parse_agent_interfaces(answer);
  ASSERT_EQ(interfaces.size(), 2u);
  EXPECT_EQ(interfaces[1].mac, "bc:24:11:00:00:01");
  EXPECT_EQ(interfaces[1].addresses, (std::vector<std::string>{"192.0.2.100/24", "fe80::1/64"}));
  EXPECT_TRUE(is_loopback_or_link_local("127.0.0.1/8"));
  EXPECT_TRUE(is_loopback_or_link_local("::1/128"));
  EXPECT_TRUE(is_loopback_or_link_local("169.254.3.4/16"));
  EXPECT_TRUE(is_loopback_or_link_local("FE80::abcd/64"));
  EXPECT_TRUE(is_loopback_or_link_local("febf::1/64"));
  EXPECT_FALSE(is_loopback_or_link_local("fec0::1/64"));
  EXPECT_FALSE(is_loopback_or_link_local("192.0.2.1/24"));
  EXPECT_FALSE(is_loopback_or_link_local("2001:db8::1/64"));
  EXPECT_EQ(normalized_mac("bc-24-11-00-00-01"), "BC:24:11:00:00:01");
}

// One QEMU guest (VM id 7) with two NICs, the second tagged, and one container (VM id 8).
class NetworkMapping : public ::testing::Test {
 protected:
  NetworkMapping() {
    ProxmoxGuest qemu;
    qemu.vmid = 100;
    qemu.type = "qemu";
    qemu.name = "web01";
    qemu.node = "pve1";
    qemu.devices =
        parse_guest_devices(json::object{{"scsi0", "local-lvm:vm-100-disk-0,size=32G"},
                                         {"scsi1", "local-lvm:vm-100-disk-1,size=1500K"},
                                         {"net0", "virtio=BC:24:11:00:00:01,bridge=vmbr0"},
                                         {"net1", "virtio=BC:24:11:00:00:02,bridge=vmbr1,tag=20"}},
                            "qemu");
    qemu.devices.agent_answered = true;
    qemu.devices.agent_interfaces = {
        {"lo", "00:00:00:00:00:00", {"127.0.0.1/8"}},
        {"ens18", "bc:24:11:00:00:01", {"192.0.2.100/24", "fe80::1/64", "2001:db8::100/64"}},
        {"ens19", "bc:24:11:00:00:02", {"198.51.100.7/24"}}};
    ProxmoxGuest lxc;
    lxc.vmid = 101;
    lxc.type = "lxc";
    lxc.name = "dns01";
    lxc.node = "pve1";
    lxc.devices = parse_guest_devices(
        json::object{{"rootfs", "local-lvm:subvol-101-disk-0,size=8G"},
                     {"net0", "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:06:50,ip=192.0.2.101/24"}},
        "lxc");
    ProxmoxGuest broken;
    broken.vmid = 102;
    broken.type = "qemu";
    broken.config_error = "403";
    endpoint.snapshot.cluster_name = "pve";
    endpoint.snapshot.guests = {qemu, lxc, broken};
    refs.tag = 1;
    refs.vms = {{vm_key("pve", "qemu", 100), 7},
                {vm_key("pve", "lxc", 101), 8},
                {vm_key("pve", "qemu", 102), 9}};
    endpoints = {endpoint};
    guests = guests_with_vms(endpoints, refs);
  }

  EndpointSnapshot endpoint;
  std::vector<EndpointSnapshot> endpoints;
  References refs;
  std::vector<GuestWithVm> guests;
  const std::map<std::string, int64_t> interfaces{{"7/net0", 70}, {"7/net1", 71}, {"8/net0", 80}};
};

TEST_F(NetworkMapping, GuestsWithoutAReadableConfigHaveNoDesiredDevices) {
  ASSERT_EQ(guests.size(), 2u);
  EXPECT_EQ(guests[0].vm_id, 7);
  EXPECT_EQ(guests[1].vm_id, 8);
}

TEST_F(NetworkMapping, VirtualDisksInTheVersionsUnitRoundedUp) {
  const auto disks = desired_virtual_disks(guests, refs, version("4.2.0"));
  ASSERT_EQ(disks.size(), 3u);
  EXPECT_EQ(disks[0].key, "7/scsi0");
  EXPECT_EQ(disks[0].fields.at("size").as_int64(), 32768);
  EXPECT_EQ(disks[0].fields.at("virtual_machine").as_int64(), 7);
  EXPECT_EQ(disks[0].fields.at("name").as_string(), "scsi0");
  EXPECT_EQ(disks[1].fields.at("size").as_int64(), 2);  // 1500 KiB → 2 MB
  EXPECT_EQ(disks[2].key, "8/rootfs");
  const auto old = desired_virtual_disks(guests, refs, version("4.0.11"));
  EXPECT_EQ(old[0].fields.at("size").as_int64(), 32);
  EXPECT_EQ(old[1].fields.at("size").as_int64(), 1);
}

TEST_F(NetworkMapping, InterfacesWithVlanAndMacByVersion) {
  const auto vlans = desired_vlans(guests, refs);
  ASSERT_EQ(vlans.size(), 1u);
  EXPECT_EQ(vlans[0].key, "20");
  EXPECT_EQ(vlans[0].fields.at("vid").as_int64(), 20);

  const auto current = desired_vm_interfaces(guests, refs, version("4.2.0"), {{"20", 5}});
  ASSERT_EQ(current.size(), 3u);
  EXPECT_EQ(current[0].key, "7/net0");
  EXPECT_TRUE(current[0].fields.at("mode").is_null());
  EXPECT_TRUE(current[0].fields.at("untagged_vlan").is_null());
  EXPECT_FALSE(current[0].fields.contains("mac_address"));
  EXPECT_TRUE(current[0].fields.at("enabled").as_bool());
  EXPECT_EQ(current[1].fields.at("mode").as_string(), "access");
  EXPECT_EQ(current[1].fields.at("untagged_vlan").as_int64(), 5);

  const auto old = desired_vm_interfaces(guests, refs, version("4.1.0"), {});
  EXPECT_EQ(old[0].fields.at("mac_address").as_string(), "BC:24:11:00:00:01");
  EXPECT_TRUE(old[1].fields.at("mode").is_null());  // the VLAN does not exist (dry run)

  const auto macs = desired_mac_addresses(guests, refs, interfaces);
  ASSERT_EQ(macs.size(), 3u);
  EXPECT_EQ(macs[0].key, "70/BC:24:11:00:00:01");
  EXPECT_EQ(macs[0].fields.at("assigned_object_type").as_string(), "virtualization.vminterface");
  EXPECT_EQ(macs[0].fields.at("assigned_object_id").as_int64(), 70);
  const auto primaries = desired_primary_macs(guests, interfaces, {{"70/BC:24:11:00:00:01", 700}});
  ASSERT_EQ(primaries.size(), 3u);
  EXPECT_EQ(primaries[0].fields.at("primary_mac_address").as_int64(), 700);
  EXPECT_TRUE(primaries[1].fields.at("primary_mac_address").is_null());
}

TEST_F(NetworkMapping, AddressesMatchedByMacWithoutLoopbackOrLinkLocal) {
  const auto plan = desired_ip_addresses(guests, refs, interfaces, {});
  std::vector<std::string> keys;
  for (const auto& ip : plan.addresses)
    keys.push_back(ip.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"70/192.0.2.100/24", "70/2001:db8::100/64",
                                            "71/198.51.100.7/24", "80/192.0.2.101/24"}));
  EXPECT_EQ(plan.addresses[0].fields.at("assigned_object_id").as_int64(), 70);
  EXPECT_EQ(plan.known_interfaces, (std::set<int64_t>{70, 71, 80}));
  EXPECT_EQ(plan.primaries.at(7).v4, "70/192.0.2.100/24");
  EXPECT_EQ(plan.primaries.at(7).v6, "70/2001:db8::100/64");
  EXPECT_EQ(plan.primaries.at(8).v4, "80/192.0.2.101/24");
  EXPECT_TRUE(plan.primaries.at(8).v6.empty());

  const auto vms = desired_primary_ips(
      plan, {{"70/192.0.2.100/24", 1}, {"70/2001:db8::100/64", 2}, {"80/192.0.2.101/24", 3}});
  ASSERT_EQ(vms.size(), 2u);
  EXPECT_EQ(vms[0].key, "7");
  EXPECT_EQ(vms[0].fields.at("primary_ip4").as_int64(), 1);
  EXPECT_EQ(vms[0].fields.at("primary_ip6").as_int64(), 2);
  EXPECT_EQ(vms[1].fields.at("primary_ip4").as_int64(), 3);
  EXPECT_TRUE(vms[1].fields.at("primary_ip6").is_null());  // every interface known, none
}

TEST_F(NetworkMapping, AChangedAddressTakesOverTheOldObject) {
  const std::vector<json::object> current{
      {{"id", 1}, {"assigned_object_id", 70}, {"address", "192.0.2.99/24"}},
      {{"id", 2}, {"assigned_object_id", 70}, {"address", "2001:db8::100/64"}},
      {{"id", 3}, {"assigned_object_id", 80}, {"address", "192.0.2.101/24"}}};
  const auto plan = desired_ip_addresses(guests, refs, interfaces, current);
  // The new IPv4 address reuses the old one's key (one PATCH of its address), the IPv6 one and
  // the container's are matched as they are.
  EXPECT_EQ(plan.addresses[0].key, "70/192.0.2.99/24");
  EXPECT_EQ(plan.addresses[0].fields.at("address").as_string(), "192.0.2.100/24");
  EXPECT_EQ(plan.addresses[1].key, "70/2001:db8::100/64");
  EXPECT_EQ(plan.addresses[3].key, "80/192.0.2.101/24");
}

TEST_F(NetworkMapping, UnansweredAgentOrDhcpMakesAddressesUnknown) {
  endpoints[0].snapshot.guests[0].devices.agent_answered = false;
  endpoints[0].snapshot.guests[1].devices.nics[0].addresses_known = false;
  guests = guests_with_vms(endpoints, refs);
  const auto plan = desired_ip_addresses(guests, refs, interfaces, {});
  EXPECT_TRUE(plan.addresses.empty());
  EXPECT_TRUE(plan.known_interfaces.empty());
  EXPECT_FALSE(plan.primaries.at(7).complete);
  // Unknown: no primary IP is cleared.
  EXPECT_TRUE(desired_primary_ips(plan, {}).empty());
}

TEST(NodeNetwork, ListingParsedWithLinksAndTypes) {
  const auto network = parse_node_network(json::parse(R"([
    {"iface":"vmbr0","type":"bridge","bridge_ports":"bond0","cidr":"192.0.2.11/24","active":1},
    {"iface":"eno1","type":"eth","active":1},
    {"iface":"bond0","type":"bond","slaves":"eno1 eno2","mtu":9000},
    {"iface":"vmbr0.20","type":"vlan","cidr6":"2001:db8::11/64"},
    {"type":"eth"}])"));
  ASSERT_EQ(network.size(), 4u);
  EXPECT_EQ(network[0].name, "bond0");
  EXPECT_EQ(network[0].slaves, (std::vector<std::string>{"eno1", "eno2"}));
  EXPECT_EQ(network[0].mtu, 9000);
  EXPECT_FALSE(network[0].active);
  EXPECT_EQ(network[2].name, "vmbr0");
  EXPECT_EQ(network[2].bridge_ports, (std::vector<std::string>{"bond0"}));
  EXPECT_EQ(network[3].vlan_raw_device, "vmbr0");  // from its name
  EXPECT_EQ(netbox_interface_type("eth"), "other");
  EXPECT_EQ(netbox_interface_type("bond"), "lag");
  EXPECT_EQ(netbox_interface_type("OVSBridge"), "bridge");
  EXPECT_EQ(netbox_interface_type("vlan"), "virtual");

  ProxmoxNode read{.name = "pve1"};
  read.network = network;
  ProxmoxNode unread{.name = "pve2"};
  EndpointSnapshot endpoint;
  endpoint.snapshot.cluster_name = "pve";
  endpoint.snapshot.nodes = {read, unread};
  References refs;
  refs.tag = 1;
  refs.devices = {{device_key("pve", "pve1"), 3}, {device_key("pve", "pve2"), 4}};
  const std::vector<EndpointSnapshot> endpoints{endpoint};  // the nodes point into it
  const auto nodes = nodes_with_networks(endpoints, refs);
  ASSERT_EQ(nodes.size(), 1u);  // the unread node's interfaces are unknown
  const auto desired = desired_node_interfaces(nodes, refs);
  ASSERT_EQ(desired.size(), 4u);
  EXPECT_EQ(desired[0].key, "3/bond0");
  EXPECT_EQ(desired[0].fields.at("type").as_string(), "lag");
  const std::map<std::string, int64_t> ids{
      {"3/bond0", 10}, {"3/eno1", 11}, {"3/vmbr0", 12}, {"3/vmbr0.20", 13}};
  const auto links = desired_node_interface_links(nodes, ids);
  ASSERT_EQ(links.size(), 4u);
  EXPECT_EQ(links[0].fields.at("bridge").as_int64(), 12);  // bond0 is vmbr0's port
  EXPECT_EQ(links[1].fields.at("lag").as_int64(), 10);     // eno1 is bond0's member
  EXPECT_TRUE(links[2].fields.at("parent").is_null());
  EXPECT_EQ(links[3].fields.at("parent").as_int64(), 12);
  const auto addresses = desired_node_addresses(nodes, refs, ids, {});
  ASSERT_EQ(addresses.size(), 2u);
  EXPECT_EQ(addresses[0].key, "12/192.0.2.11/24");
  EXPECT_EQ(addresses[0].fields.at("assigned_object_type").as_string(), "dcim.interface");
  EXPECT_EQ(addresses[1].key, "13/2001:db8::11/64");
}

TEST(GuestTags, ProxmoxTagsAsNetBoxTagsBySlug) {
  EXPECT_EQ(split_proxmox_list("prod;web, db  x"),
            (std::vector<std::string>{"prod", "web", "db", "x"}));
  EXPECT_TRUE(split_proxmox_list("").empty());
  EndpointSnapshot endpoint;
  ProxmoxGuest a, b;
  a.tags = {"prod", "Web Tier"};
  b.tags = {"prod", "proxbox"};  // proxbox's own tag is not a guest tag
  endpoint.snapshot.guests = {a, b};
  const auto tags = desired_guest_tags({endpoint});
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags[0].key, "prod");
  EXPECT_EQ(tags[1].key, "web-tier");
  EXPECT_EQ(tags[1].fields.at("name").as_string(), "Web Tier");
  EXPECT_EQ(netbox_description("short"), "short");
  EXPECT_EQ(netbox_description(std::string(300, 'x')).size(), 200u);
  // 199 ASCII bytes then a 2-byte character across the limit: cut before it.
  EXPECT_EQ(netbox_description(std::string(199, 'x') + "\xC3\xA9tail"), std::string(199, 'x'));
}

TEST(Sdn, ZonesVnetsSubnetsAsGroupsVlansPrefixes) {
  SdnConfig config = parse_sdn(json::parse(R"([{"zone":"dc","type":"vlan"},{"type":"x"}])"),
                               json::parse(R"([{"vnet":"prod","zone":"dc","tag":100},
                                               {"vnet":"flat","zone":"dc"}])"));
  add_sdn_subnets(config, "prod", json::parse(R"([{"cidr":"10.0.0.0/24","gateway":"10.0.0.1"}])"));
  add_sdn_subnets(config, "flat", json::parse(R"([{"cidr":"10.1.0.0/24"}])"));
  ASSERT_EQ(config.zones.size(), 1u);
  ASSERT_EQ(config.vnets.size(), 2u);
  ASSERT_EQ(config.subnets.size(), 2u);
  const std::map<int64_t, const SdnConfig*> clusters{{5, &config}};
  const auto groups = desired_vlan_groups(clusters, 1);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].key, "5/dc");
  EXPECT_EQ(groups[0].fields.at("scope_id").as_int64(), 5);
  const auto vlans = desired_sdn_vlans(clusters, {{"5/dc", 7}}, 1);
  ASSERT_EQ(vlans.size(), 1u);  // the untagged VNet has none
  EXPECT_EQ(vlans[0].key, "7/prod");
  EXPECT_EQ(vlans[0].fields.at("vid").as_int64(), 100);
  const auto prefixes = desired_sdn_prefixes(clusters, {{"5/dc", 7}}, {{"7/prod", 9}}, 1);
  ASSERT_EQ(prefixes.size(), 2u);
  EXPECT_EQ(prefixes[0].key, "10.0.0.0/24");
  EXPECT_EQ(prefixes[0].fields.at("vlan").as_int64(), 9);
  EXPECT_TRUE(prefixes[1].fields.at("vlan").is_null());
}

}  // namespace
}  // namespace pbx::sync
