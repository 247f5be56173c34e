// The virtual disks, VM interfaces and IP addresses stages (network_sync.hpp) against the real
// proxmox-mock Engine and netbox-emulator linked into this process: what NetBox holds after a
// run (disks and their sum, interface MACs and VLANs, addresses on the right interface, primary
// IPs), that an unchanged re-run writes nothing, that a changed address changes exactly its
// object, and that a failed read deletes nothing.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "inprocess_stack.hpp"
#include "sync/guest_devices.hpp"
#include "sync/json_util.hpp"
#include "sync/network_mapping.hpp"
#include "sync/node_interface_mapping.hpp"
#include "sync/sdn.hpp"

namespace pbx::sync {
namespace {
namespace json = boost::json;

// Two nodes, four guests with two NICs and two disks each; the first QEMU guest runs with its
// agent and has its second NIC on VLAN 20, the first container has static addresses.
proxmox::ClusterScenario cluster() {
  auto scenario = proxmox::generate_scenario(testing::two_node_cluster("net")).clusters.front();
  bool qemu = false, lxc = false;
  for (auto& guest : scenario.guests) {
    if (guest.type == "qemu" && !qemu) {
      qemu = true;
      guest.template_ = false;
      guest.status = "running";
      guest.agent = true;
      guest.tags = {"prod", "Tier.1"};
      guest.description = "the web server";
      guest.nics.at(0).ip_addresses = {"192.0.2.10/24", "fe80::10/64", "2001:db8::10/64"};
      guest.nics.at(1).ip_addresses = {"198.51.100.10/24"};
      guest.nics.at(1).tag = 20;
    } else if (guest.type == "lxc" && !lxc) {
      lxc = true;
      guest.template_ = false;
      guest.nics.at(0).ip_addresses = {"192.0.2.20/24"};
    }
  }
  proxmox::InterfaceScenario vlan{.iface = "vmbr0.30", .type = "vlan"};
  vlan.cidr = "10.30.0.11/24";
  vlan.mtu = 1400;
  scenario.nodes.front().interfaces.push_back(vlan);
  // SDN: a VLAN zone with a tagged VNet (two subnets) and a simple zone with an untagged one.
  scenario.sdn_zones = {{.zone = "dc", .type = "vlan", .bridge = "vmbr0"}, {.zone = "lab"}};
  scenario.sdn_vnets = {{.vnet = "prod", .zone = "dc", .tag = 100, .alias = "production"},
                        {.vnet = "test", .zone = "lab"}};
  scenario.sdn_subnets = {{.vnet = "prod", .cidr = "10.100.0.0/24", .gateway = "10.100.0.1"},
                          {.vnet = "prod", .cidr = "10.101.0.0/24"},
                          {.vnet = "test", .cidr = "10.200.0.0/24"}};
  return scenario;
}

class NetworkStagesTest : public ::testing::TestWithParam<std::string>,
                          protected testing::InProcessStack {
 protected:
  NetworkStagesTest()
      : InProcessStack(
            cluster(),
            [] {
              netbox::EmulatorOptions options;
              options.strict_fields = true;
              options.version = GetParam();
              options.full_version = GetParam() + ".0";
              return options;
            }(),
            "net") {
    for (const auto& guest : scenario.guests) {
      if (guest.type == "qemu" && guest.agent && qemu.vmid == 0) qemu = guest;
      if (guest.type == "lxc" && lxc.vmid == 0) lxc = guest;
    }
  }

  bool mac_objects() const { return NetBoxVersion::parse(GetParam()).at_least(4, 2); }

  json::object vm_of(const proxmox::GuestScenario& guest) {
    const auto vms = list("/virtualization/virtual-machines/",
                          {{"cf_proxmox_vm_id", std::to_string(guest.vmid)}});
    EXPECT_EQ(vms.size(), 1u);
    return vms.empty() ? json::object{} : vms.front();
  }

  std::string config_path(const proxmox::GuestScenario& guest) const {
    return "/nodes/" + guest.node + "/" + guest.type + "/" + std::to_string(guest.vmid) + "/config";
  }

  // name → interface of a VM.
  std::map<std::string, json::object> interfaces_of(int64_t vm) {
    std::map<std::string, json::object> found;
    for (auto& interface : list(kVmInterfacesPath, {{"virtual_machine_id", std::to_string(vm)}})) {
      found[json_string(field(interface, "name"))] = std::move(interface);
    }
    return found;
  }

  std::vector<std::string> addresses_on(int64_t interface) {
    std::vector<std::string> addresses;
    for (const auto& ip : list(kIpAddressesPath)) {
      if (json_int(field(ip, "assigned_object_id")) == interface &&
          json_string(field(ip, "assigned_object_type")) == kVmInterfaceType)
        addresses.push_back(json_string(field(ip, "address")));
    }
    std::sort(addresses.begin(), addresses.end());
    return addresses;
  }

  // name → interface of the first node's device.
  std::map<std::string, json::object> node_interfaces() {
    const auto devices = list("/dcim/devices/", {{"name", scenario.nodes.front().name}});
    EXPECT_EQ(devices.size(), 1u);
    std::map<std::string, json::object> found;
    if (devices.empty()) return found;
    for (auto& interface :
         list(kDeviceInterfacesPath,
              {{"device_id", std::to_string(json_int(field(devices.front(), "id")))}}))
      found[json_string(field(interface, "name"))] = std::move(interface);
    return found;
  }

  static std::string choice(const json::object& object, const char* name) {
    const auto* value = field(object, name);
    return value && value->is_object() ? json_string(field(value->as_object(), "value")) : "";
  }

  proxmox::GuestScenario qemu, lxc;
};

TEST_P(NetworkStagesTest, FullUpdateWritesDisksInterfacesAddressesOnceThenNothing) {
  ASSERT_NE(qemu.vmid, 0);
  ASSERT_NE(lxc.vmid, 0);
  const auto first = sync();
  ASSERT_TRUE(first.errors.empty()) << first.errors.front();

  // Proxmox tags as NetBox tags beside proxbox's, the notes as the description.
  const auto vm = vm_of(qemu);
  std::set<std::string> tags;
  for (const auto& tag : vm.at("tags").as_array())
    tags.insert(json_string(field(tag.as_object(), "slug")));
  EXPECT_EQ(tags, (std::set<std::string>{"proxbox", "prod", "tier-1"}));
  EXPECT_EQ(json_string(field(vm, "description")), "the web server");

  // Virtual disks: one per guest disk, sized from the spec, the VM's disk their sum (MB).
  const int64_t vm_id = json_int(field(vm, "id"));
  int64_t sum = 0;
  const auto disks = list(kVirtualDisksPath, {{"virtual_machine_id", std::to_string(vm_id)}});
  ASSERT_EQ(disks.size(), qemu.disks.size());
  for (const auto& disk : disks) {
    const auto spec = std::find_if(qemu.disks.begin(), qemu.disks.end(), [&](const auto& d) {
      return d.key == json_string(field(disk, "name"));
    });
    ASSERT_NE(spec, qemu.disks.end()) << json_string(field(disk, "name"));
    EXPECT_EQ(json_int(field(disk, "size")), spec->size_gb * 1024);
    sum += json_int(field(disk, "size"));
  }
  EXPECT_EQ(json_int(field(vm, "disk")), sum);

  // Interfaces: net0, net1 with their MACs; net1 an access port on VLAN 20.
  auto interfaces = interfaces_of(vm_id);
  ASSERT_EQ(interfaces.size(), qemu.nics.size());
  for (size_t i = 0; i < qemu.nics.size(); ++i) {
    const auto& interface = interfaces.at("net" + std::to_string(i));
    EXPECT_EQ(normalized_mac(json_string(field(interface, "mac_address"))),
              normalized_mac(qemu.nics[i].mac));
    if (mac_objects()) {
      EXPECT_NE(nested_id(interface, "primary_mac_address"), 0);
    }
  }
  const auto& tagged = interfaces.at("net1");
  const auto* mode = field(tagged, "mode");  // a choice: {"value", "label"}
  ASSERT_TRUE(mode && mode->is_object());
  EXPECT_EQ(json_string(field(mode->as_object(), "value")), "access");
  EXPECT_TRUE(field(interfaces.at("net0"), "mode")->is_null());
  const auto vlans = list(kVlansPath, {{"vid", "20"}});
  ASSERT_EQ(vlans.size(), 1u);
  EXPECT_EQ(nested_id(tagged, "untagged_vlan"), json_int(field(vlans.front(), "id")));
  if (mac_objects()) {
    EXPECT_EQ(list(kMacAddressesPath, {{"mac_address", qemu.nics[0].mac}}).size(), 1u);
  }

  // Addresses on the interface whose MAC the agent reported, link-local left out; primary IPs.
  const int64_t net0 = json_int(field(interfaces.at("net0"), "id"));
  const int64_t net1 = json_int(field(interfaces.at("net1"), "id"));
  EXPECT_EQ(addresses_on(net0), (std::vector<std::string>{"192.0.2.10/24", "2001:db8::10/64"}));
  EXPECT_EQ(addresses_on(net1), (std::vector<std::string>{"198.51.100.10/24"}));
  const auto with_ips = vm_of(qemu);
  const auto* primary4 = field(with_ips, "primary_ip4");
  ASSERT_TRUE(primary4 && primary4->is_object());
  EXPECT_EQ(json_string(field(primary4->as_object(), "address")), "192.0.2.10/24");
  const auto* primary6 = field(with_ips, "primary_ip6");
  ASSERT_TRUE(primary6 && primary6->is_object());
  EXPECT_EQ(json_string(field(primary6->as_object(), "address")), "2001:db8::10/64");

  // The container's address from its configuration.
  const int64_t ct = json_int(field(vm_of(lxc), "id"));
  const int64_t ct_net0 = json_int(field(interfaces_of(ct).at("net0"), "id"));
  EXPECT_EQ(addresses_on(ct_net0), (std::vector<std::string>{"192.0.2.20/24"}));

  const int64_t before = writes();
  const auto second = sync();
  EXPECT_TRUE(second.errors.empty()) << second.errors.front();
  EXPECT_EQ(writes(), before);
  EXPECT_EQ(second.netbox_requests.writes(), 0u);
}

TEST_P(NetworkStagesTest, NodeInterfacesWithTheirLinksAndAddresses) {
  sync(SyncScope::devices);  // the plugin's stage 1
  const auto first = sync(SyncScope::node_interfaces);
  ASSERT_TRUE(first.errors.empty()) << first.errors.front();
  auto interfaces = node_interfaces();
  ASSERT_EQ(interfaces.size(), scenario.nodes.front().interfaces.size());
  const auto id = [&](const char* name) { return json_int(field(interfaces.at(name), "id")); };
  EXPECT_EQ(choice(interfaces.at("eno1"), "type"), "other");
  EXPECT_EQ(choice(interfaces.at("bond0"), "type"), "lag");
  EXPECT_EQ(choice(interfaces.at("vmbr0"), "type"), "bridge");
  EXPECT_EQ(choice(interfaces.at("vmbr0.30"), "type"), "virtual");
  EXPECT_EQ(nested_id(interfaces.at("eno1"), "lag"), id("bond0"));
  EXPECT_EQ(nested_id(interfaces.at("eno2"), "lag"), id("bond0"));
  EXPECT_EQ(nested_id(interfaces.at("bond0"), "bridge"), id("vmbr0"));
  EXPECT_EQ(nested_id(interfaces.at("vmbr0.30"), "parent"), id("vmbr0"));
  EXPECT_EQ(json_int(field(interfaces.at("vmbr0.30"), "mtu")), 1400);
  // The node's addresses on the interfaces that carry them (listed whole and picked here:
  // NetBox 4.2 refuses assigned_object_type=<app.model> as a filter).
  std::map<int64_t, std::string> addresses;
  for (const auto& ip : list(kIpAddressesPath, {})) {
    if (json_string(field(ip, "assigned_object_type")) != kDeviceInterfaceType) continue;
    addresses[json_int(field(ip, "assigned_object_id"))] = json_string(field(ip, "address"));
  }
  EXPECT_EQ(addresses[id("vmbr0")], scenario.nodes.front().ip + "/24");
  EXPECT_EQ(addresses[id("vmbr0.30")], "10.30.0.11/24");
  EXPECT_EQ(addresses.count(id("eno1")), 0u);

  const int64_t before = writes();
  EXPECT_TRUE(sync(SyncScope::node_interfaces).errors.empty());
  EXPECT_EQ(writes(), before);

  // A node whose network listing fails: its interfaces are kept, none deleted.
  fail_reads("/nodes/" + scenario.nodes.front().name + "/network");
  const auto failed = sync(SyncScope::node_interfaces, true);
  EXPECT_GT(failed.kinds.at("node_interfaces").unknown, 0u);
  EXPECT_EQ(writes(), before);
  EXPECT_EQ(node_interfaces().size(), interfaces.size());
}

TEST_P(NetworkStagesTest, SdnZonesVnetsAndSubnets) {
  sync(SyncScope::devices);
  auto summary = sync(SyncScope::sdn);
  ASSERT_TRUE(summary.errors.empty()) << summary.errors.front();
  const auto groups = list(kVlanGroupsPath, {{"tag", "proxbox"}});
  ASSERT_EQ(groups.size(), 2u);
  int64_t dc = 0;
  for (const auto& group : groups) {
    EXPECT_EQ(json_string(field(group, "scope_type")), "virtualization.cluster");
    if (json_string(field(group, "name")) == "dc") dc = json_int(field(group, "id"));
  }
  ASSERT_NE(dc, 0);
  const auto vlans = list(kVlansPath, {{"tag", "proxbox"}});
  ASSERT_EQ(vlans.size(), 1u);  // the untagged VNet has no VLAN
  EXPECT_EQ(json_int(field(vlans.front(), "vid")), 100);
  EXPECT_EQ(json_string(field(vlans.front(), "name")), "prod");
  EXPECT_EQ(nested_id(vlans.front(), "group"), dc);
  const int64_t vlan = json_int(field(vlans.front(), "id"));
  std::map<std::string, int64_t> prefixes;
  for (const auto& prefix : list(kPrefixesPath, {{"tag", "proxbox"}}))
    prefixes[json_string(field(prefix, "prefix"))] = nested_id(prefix, "vlan");
  EXPECT_EQ(prefixes, (std::map<std::string, int64_t>{
                          {"10.100.0.0/24", vlan}, {"10.101.0.0/24", vlan}, {"10.200.0.0/24", 0}}));
  const int64_t before = writes();
  EXPECT_TRUE(sync(SyncScope::sdn).errors.empty());
  EXPECT_EQ(writes(), before);
  // The SDN listing fails: nothing is deleted.
  fail_reads("/cluster/sdn/vnets");
  summary = sync(SyncScope::sdn, true);
  EXPECT_EQ(writes(), before);
  EXPECT_EQ(list(kVlanGroupsPath, {{"tag", "proxbox"}}).size(), 2u);
  EXPECT_EQ(list(kVlansPath, {{"tag", "proxbox"}}).size(), 1u);
}

TEST_P(NetworkStagesTest, AChangedAddressChangesExactlyThatObject) {
  sync();
  const int64_t ct = json_int(field(vm_of(lxc), "id"));
  const int64_t ct_net0 = json_int(field(interfaces_of(ct).at("net0"), "id"));
  const auto held = list(kIpAddressesPath, {{"address", "192.0.2.20/24"}});
  ASSERT_EQ(held.size(), 1u);
  const int64_t ip_id = json_int(field(held.front(), "id"));

  // The container's net0 with another address, everything else as it was.
  auto net0 =
      std::string(proxmox(http::Verb::get, config_path(lxc)).at("data").at("net0").as_string());
  const size_t ip = net0.find("ip=192.0.2.20/24");
  ASSERT_NE(ip, std::string::npos) << net0;
  net0.replace(ip, std::string("ip=192.0.2.20/24").size(), "ip=192.0.2.21/24");
  proxmox(http::Verb::put, config_path(lxc), {{"net0", net0}});

  const auto summary = sync();
  EXPECT_TRUE(summary.errors.empty()) << summary.errors.front();
  EXPECT_EQ(summary.kinds.at("ip_addresses").updated, 1u);
  EXPECT_EQ(summary.kinds.at("ip_addresses").created, 0u);
  EXPECT_EQ(summary.netbox_requests.writes(), 1u);
  EXPECT_EQ(addresses_on(ct_net0), (std::vector<std::string>{"192.0.2.21/24"}));
  // The same object, still the container's primary IPv4.
  const auto moved = list(kIpAddressesPath, {{"address", "192.0.2.21/24"}});
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(json_int(field(moved.front(), "id")), ip_id);
  EXPECT_EQ(nested_id(vm_of(lxc), "primary_ip4"), ip_id);
}

// NetBox holds an address once: one created by hand (unassigned) is taken over, not duplicated.
TEST_P(NetworkStagesTest, AnAddressNetBoxAlreadyHoldsIsTakenOver) {
  const auto created =
      netbox.create(kIpAddressesPath, {json::object{{"address", "192.0.2.20/32"}}});
  ASSERT_EQ(created.size(), 1u);
  const auto summary = sync();
  EXPECT_TRUE(summary.errors.empty()) << summary.errors.front();
  const auto held = list(kIpAddressesPath, {{"address", "192.0.2.20"}});
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(json_int(field(held.front(), "id")), json_int(field(created.front(), "id")));
  EXPECT_EQ(json_string(field(held.front(), "address")), "192.0.2.20/24");
  const int64_t ct = json_int(field(vm_of(lxc), "id"));
  EXPECT_EQ(json_int(field(held.front(), "assigned_object_id")),
            json_int(field(interfaces_of(ct).at("net0"), "id")));
  const int64_t before = writes();
  sync();
  EXPECT_EQ(writes(), before);
}

TEST_P(NetworkStagesTest, EachStageRunsAlone) {
  sync(SyncScope::virtual_machines);
  auto summary = sync(SyncScope::virtual_disks);
  EXPECT_TRUE(summary.errors.empty()) << summary.errors.front();
  EXPECT_GT(summary.kinds.at("virtual_disks").created, 0u);
  EXPECT_EQ(summary.kinds.count("vm_interfaces"), 0u);
  summary = sync(SyncScope::vm_interfaces);
  EXPECT_TRUE(summary.errors.empty()) << summary.errors.front();
  EXPECT_GT(summary.kinds.at("vm_interfaces").created, 0u);
  EXPECT_EQ(summary.kinds.count("ip_addresses"), 0u);
  EXPECT_TRUE(list(kIpAddressesPath).empty());
  summary = sync(SyncScope::ip_addresses);
  EXPECT_TRUE(summary.errors.empty()) << summary.errors.front();
  EXPECT_EQ(summary.kinds.at("vm_interfaces").created, 0u);
  EXPECT_GT(summary.kinds.at("ip_addresses").created, 0u);
  EXPECT_NE(nested_id(vm_of(qemu), "primary_ip4"), 0);
}

TEST_P(NetworkStagesTest, AFailedReadDeletesNothing) {
  sync();
  const auto disks = list(kVirtualDisksPath).size();
  const auto interfaces = list(kVmInterfacesPath).size();
  const auto ips = list(kIpAddressesPath).size();
  ASSERT_GT(ips, 0u);
  // The agent and the first container's configuration answer 403: their guests' addresses,
  // and the container's disks and interfaces, are unknown in this run.
  fail_reads("/nodes/*/qemu/*/agent/network-get-interfaces");
  fail_reads(config_path(lxc));
  const int64_t before = writes();
  const auto summary = sync(SyncScope::full, true);
  EXPECT_FALSE(summary.errors.empty());  // the unreadable configuration is reported
  for (const char* kind : {"virtual_disks", "vm_interfaces", "ip_addresses", "primary_ips"}) {
    const auto& counts = summary.kinds.at(kind);
    EXPECT_EQ(counts.created + counts.updated + counts.deleted, 0u) << kind;
  }
  EXPECT_GT(summary.kinds.at("ip_addresses").unknown, 0u);
  EXPECT_EQ(writes(), before);
  EXPECT_EQ(list(kVirtualDisksPath).size(), disks);
  EXPECT_EQ(list(kVmInterfacesPath).size(), interfaces);
  EXPECT_EQ(list(kIpAddressesPath).size(), ips);
  EXPECT_NE(nested_id(vm_of(qemu), "primary_ip4"), 0);
}

// The oldest and newest NetBox the emulator behaves as (MAC address objects since 4.2).
INSTANTIATE_TEST_SUITE_P(Versions, NetworkStagesTest, ::testing::Values("4.2", "4.6"));

}  // namespace
}  // namespace pbx::sync
