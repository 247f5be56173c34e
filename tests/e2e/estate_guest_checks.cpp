// The estate checks of each guest: its VM, interfaces, disks, snapshots and backups.

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <map>
#include <set>
#include <string>

#include "estate_kind_checks.hpp"
#include "estate_reading.hpp"

namespace pbx::e2e::suite::estate {

namespace json = boost::json;
using proxmox::ClusterScenario;
using proxmox::GuestScenario;
using proxmox::NicScenario;

// Stage 9 and 10: one VM interface per netN with its MAC, VLAN and addresses; the primary IPs.
void expect_vm_interfaces(NetBoxReader& netbox, const GuestScenario& guest, int64_t vm_id) {
  const auto interfaces = by_name(
      netbox.list("/api/virtualization/interfaces/", fmt::format("virtual_machine_id={}", vm_id)));
  EXPECT_EQ(interfaces.size(), guest.nics.size()) << "interfaces of " << guest.name;
  std::string primary4, primary6;
  bool addresses_known = true;
  for (const auto& nic : guest.nics) {
    const std::string key = nic_key(guest, nic);
    SCOPED_TRACE(guest.name + " " + key);
    const auto found = interfaces.find(key);
    if (found == interfaces.end()) {
      ADD_FAILURE() << "no NetBox interface " << key;
      continue;
    }
    const auto& interface = found->second;
    EXPECT_EQ(upper(string_field(interface, "mac_address")), upper(nic.mac));
    if (const auto* primary = interface.if_contains("primary_mac_address")) {
      ASSERT_TRUE(primary->is_object()) << "NetBox 4.2+: the MAC is a MAC address object";
      EXPECT_EQ(upper(string_field(primary->as_object(), "mac_address")), upper(nic.mac));
    }
    const auto* vlan = interface.if_contains("untagged_vlan");
    if (nic.tag > 0) {
      ASSERT_TRUE(vlan && vlan->is_object()) << "VLAN tag " << nic.tag << " has no VLAN";
      EXPECT_EQ(vlan->as_object().at("vid").to_number<int64_t>(), nic.tag);
      EXPECT_EQ(choice_value(interface, "mode"), "access") << json::serialize(interface);
    } else {
      EXPECT_TRUE(vlan == nullptr || vlan->is_null()) << json::serialize(interface);
    }
    EXPECT_EQ(interface.at("enabled").as_bool(), !nic.link_down);
    EXPECT_TRUE(tag_slugs(interface).contains("proxbox"));

    const auto expected = expected_addresses(guest, nic);
    const auto held = addresses_on(netbox, "vminterface_id", interface.at("id").as_int64());
    if (!expected) {
      addresses_known = false;
      EXPECT_TRUE(held.empty()) << "addresses nobody could read: " << *held.begin();
      continue;
    }
    EXPECT_EQ(held, std::set<std::string>(expected->begin(), expected->end()));
    for (const auto& address : *expected) {
      std::string& slot = is_v6(address) ? primary6 : primary4;
      if (slot.empty()) slot = address;
    }
  }
  const auto vm = netbox.get(fmt::format("/api/virtualization/virtual-machines/{}/", vm_id));
  ASSERT_EQ(vm.status, 200u);
  const auto object = vm.json().as_object();
  if (addresses_known) {
    EXPECT_EQ(address_of(object.if_contains("primary_ip4")), primary4) << guest.name;
    EXPECT_EQ(address_of(object.if_contains("primary_ip6")), primary6) << guest.name;
  } else {
    EXPECT_EQ(address_of(object.if_contains("primary_ip4")), "") << guest.name;
  }
}

// Stage 3 (tags, notes) and 5 (virtual disks, the VM's disk their sum).
void expect_vm_details(NetBoxReader& netbox, const GuestScenario& guest, int64_t vm_id,
                       bool sizes_in_mb) {
  const auto vm = netbox.get(fmt::format("/api/virtualization/virtual-machines/{}/", vm_id));
  ASSERT_EQ(vm.status, 200u);
  const auto object = vm.json().as_object();
  const auto tags = tag_slugs(object);
  for (const auto& tag : guest.tags)
    EXPECT_TRUE(tags.contains(tag)) << guest.name << " lacks its Proxmox tag " << tag;
  EXPECT_EQ(string_field(object, "description"), guest.description) << guest.name;

  const auto disks = by_name(netbox.list("/api/virtualization/virtual-disks/",
                                         fmt::format("virtual_machine_id={}", vm_id)));
  EXPECT_EQ(disks.size(), guest.disks.size()) << "virtual disks of " << guest.name;
  int64_t sum = 0;
  for (const auto& disk : guest.disks) {
    const int64_t size = sizes_in_mb ? disk.size_gb * 1024 : disk.size_gb;
    sum += size;
    const auto found = disks.find(disk.key);
    if (found == disks.end()) {
      ADD_FAILURE() << guest.name << ": no virtual disk " << disk.key;
      continue;
    }
    EXPECT_EQ(found->second.at("size").to_number<int64_t>(), size) << guest.name << " " << disk.key;
  }
  const auto* total = object.if_contains("disk");
  ASSERT_TRUE(total && total->is_number()) << guest.name << " has no disk size";
  EXPECT_EQ(total->to_number<int64_t>(), sum) << guest.name << ": the sum of its virtual disks";
}

// Stage 7: one snapshot object per guest snapshot.
void expect_snapshots(NetBoxReader& netbox, const GuestScenario& guest, int64_t vm_id) {
  const auto snapshots = by_name(
      netbox.list("/api/plugins/proxbox/snapshots/", fmt::format("virtual_machine_id={}", vm_id)));
  EXPECT_EQ(snapshots.size(), guest.snapshots.size()) << "snapshots of " << guest.name;
  for (const auto& snapshot : guest.snapshots) {
    const auto found = snapshots.find(snapshot.name);
    if (found == snapshots.end()) {
      ADD_FAILURE() << guest.name << ": no snapshot " << snapshot.name;
      continue;
    }
    const auto& object = found->second;
    EXPECT_EQ(string_field(object, "description"), snapshot.description);
    EXPECT_EQ(string_field(object, "parent"), snapshot.parent) << snapshot.name;
    EXPECT_EQ(unix_seconds(object.if_contains("snaptime")), snapshot.snaptime) << snapshot.name;
    EXPECT_EQ(choice_value(object, "subtype"), guest.type);
    EXPECT_EQ(string_field(object, "node"), guest.node);
    EXPECT_EQ(object.at("vmid").to_number<int64_t>(), guest.vmid);
  }
}

// Stage 6: each listed backup with its size, format, notes, protection and verification, and
// an entry in its VM's journal.
void expect_backups(NetBoxReader& netbox, ProxmoxSide& pve, const ClusterScenario& cluster,
                    const GuestScenario& guest, int64_t vm_id) {
  const auto listed = listed_backups(pve, cluster, guest);
  const auto held = by_name(
      netbox.list("/api/plugins/proxbox/backups/", fmt::format("virtual_machine_id={}", vm_id)),
      "volume_id");
  EXPECT_EQ(held.size(), listed.size()) << "backups of " << guest.name;
  const auto journal = vm_journal(netbox, vm_id);
  for (const auto& volume : listed) {
    const std::string volid = string_field(volume, "volid");
    const auto found = held.find(volid);
    if (found == held.end()) {
      ADD_FAILURE() << guest.name << ": no backup " << volid;
      continue;
    }
    const auto& backup = found->second;
    EXPECT_EQ(backup.at("size").to_number<int64_t>(), number_of(volume.at("size")));
    EXPECT_EQ(string_field(backup, "notes"), string_field(volume, "notes")) << volid;
    EXPECT_EQ(unix_seconds(backup.if_contains("creation_time")), number_of(volume.at("ctime")))
        << volid;
    if (const auto* verification = volume.if_contains("verification")) {
      EXPECT_EQ(string_field(backup, "verification_state"),
                string_field(verification->as_object(), "state"))
          << volid;
    }
    const bool journaled = std::any_of(journal.begin(), journal.end(), [&](const auto& entry) {
      return string_field(entry, "comments").find(volid) != std::string::npos;
    });
    EXPECT_TRUE(journaled) << guest.name << "'s journal does not mention " << volid;
  }
}

}  // namespace pbx::e2e::suite::estate
