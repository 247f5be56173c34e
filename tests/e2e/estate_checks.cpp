// The estate's entry points for the suites: the whole estate synced, and the changes a test
// makes through the Proxmox API (a container's address, a deleted backup) followed into NetBox.

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/serialize.hpp>

#include "estate.hpp"
#include "estate_kind_checks.hpp"
#include "estate_reading.hpp"

namespace pbx::e2e::suite {

namespace json = boost::json;
using proxmox::ClusterScenario;
using proxmox::GuestScenario;
using proxmox::NicScenario;
using namespace estate;  // NOLINT(google-build-using-namespace): the estate's own helpers

EstateIds estate_ids(NetBoxReader& netbox, const ClusterScenario& cluster) {
  EstateIds ids;
  const auto found = netbox.find_one("/api/virtualization/clusters/",
                                     "name=" + http::percent_encode(cluster.name));
  if (!found) return ids;
  ids.cluster = found->at("id").as_int64();
  for (const auto& device :
       netbox.list("/api/dcim/devices/", fmt::format("cluster_id={}", ids.cluster)))
    ids.devices[string_field(device, "name")] = device.at("id").as_int64();
  for (const auto& vm : netbox.list("/api/virtualization/virtual-machines/",
                                    fmt::format("cluster_id={}", ids.cluster))) {
    if (const auto* vmid = custom_field(vm, "proxmox_vm_id"); vmid && vmid->is_int64())
      ids.vms[static_cast<int>(vmid->as_int64())] = vm.at("id").as_int64();
  }
  return ids;
}

void expect_estate_synced(NetBoxReader& netbox, ProxmoxSide& pve, bool plugin_objects) {
  const auto cluster = pve.state();
  proxmox::Scenario scenario;
  scenario.clusters = {cluster};
  expect_devices_synced(netbox, scenario);
  expect_vms_synced(netbox, scenario);
  const auto ids = estate_ids(netbox, cluster);
  ASSERT_NE(ids.cluster, 0);
  const bool sizes_in_mb = at_least(netbox_version(netbox), 4, 1);
  for (const auto& guest : cluster.guests) {
    SCOPED_TRACE(guest.name);
    const auto vm = ids.vms.find(guest.vmid);
    if (vm == ids.vms.end()) continue;  // expect_vms_synced said so
    expect_vm_details(netbox, guest, vm->second, sizes_in_mb);
    expect_vm_interfaces(netbox, guest, vm->second);
    if (!plugin_objects) continue;
    expect_snapshots(netbox, guest, vm->second);
    expect_backups(netbox, pve, cluster, guest, vm->second);
  }
  for (const auto& node : cluster.nodes) {
    const auto device = ids.devices.find(node.name);
    if (device != ids.devices.end()) expect_node_interfaces(netbox, node, device->second);
  }
  expect_sdn(netbox, cluster, ids.cluster);
  if (!plugin_objects) return;
  expect_storages(netbox, cluster, ids.cluster);
  expect_task_history(netbox, pve, cluster, ids);
  expect_jobs(netbox, cluster, ids);
}

std::map<int64_t, std::string> vm_ip_addresses(NetBoxReader& netbox, const EstateIds& ids) {
  std::map<int64_t, std::string> addresses;
  for (const auto& [vmid, vm_id] : ids.vms) {
    for (const auto& ip :
         netbox.list("/api/ipam/ip-addresses/", fmt::format("virtual_machine_id={}", vm_id)))
      addresses[ip.at("id").as_int64()] = string_field(ip, "address");
  }
  return addresses;
}

std::string change_container_address(ProxmoxSide& pve, const ClusterScenario& cluster, int vmid,
                                     std::string_view key, std::string_view cidr) {
  const auto guest = std::find_if(cluster.guests.begin(), cluster.guests.end(),
                                  [&](const GuestScenario& g) { return g.vmid == vmid; });
  if (guest == cluster.guests.end() || guest->type != "lxc") {
    ADD_FAILURE() << "no container " << vmid;
    return "";
  }
  const std::string path = fmt::format("/nodes/{}/lxc/{}/config", guest->node, vmid);
  const auto config = pve.get(path);
  if (!config.is_object() || !config.as_object().contains(key)) {
    ADD_FAILURE() << vmid << " has no " << key << ": " << json::serialize(config);
    return "";
  }
  // "name=eth0,bridge=vmbr0,hwaddr=..,ip=10.1.3.20/24,..": replace the ip= item.
  std::string replaced, changed;
  for (const auto& item : split_list(std::string(config.at(key).as_string()), ',')) {
    const bool address = item.starts_with("ip=");
    if (address) replaced = item.substr(3);
    changed += (changed.empty() ? "" : ",") + (address ? "ip=" + std::string(cidr) : item);
  }
  EXPECT_FALSE(replaced.empty()) << key << " has no static ip=";
  pve.put(path, {{std::string(key), changed}});
  return replaced;
}

std::string delete_first_backup(ProxmoxSide& pve, const ClusterScenario& cluster, int vmid) {
  const auto guest = std::find_if(cluster.guests.begin(), cluster.guests.end(),
                                  [&](const GuestScenario& g) { return g.vmid == vmid; });
  if (guest == cluster.guests.end()) {
    ADD_FAILURE() << "no guest " << vmid;
    return "";
  }
  const auto backups = listed_backups(pve, cluster, *guest);
  const auto deletable = std::find_if(backups.begin(), backups.end(), [](const auto& backup) {
    return !backup.contains("protected");  // Proxmox refuses to delete a protected one
  });
  if (deletable == backups.end()) {
    ADD_FAILURE() << vmid << " has no unprotected backup to delete";
    return "";
  }
  const std::string volid = string_field(*deletable, "volid");
  const std::string storage = volid.substr(0, volid.find(':'));
  pve.remove(fmt::format("/nodes/{}/storage/{}/content/{}", guest->node, storage,
                         http::percent_encode(volid)));
  return volid;
}

void expect_backup_deleted(NetBoxReader& netbox, int64_t vm_id, std::string_view volid,
                           size_t backups_left) {
  const auto backups =
      netbox.list("/api/plugins/proxbox/backups/", fmt::format("virtual_machine_id={}", vm_id));
  EXPECT_EQ(backups.size(), backups_left);
  for (const auto& backup : backups)
    EXPECT_NE(string_field(backup, "volume_id"), volid) << "still in NetBox";
  const auto journal = vm_journal(netbox, vm_id);
  const bool warned = std::any_of(journal.begin(), journal.end(), [&](const auto& entry) {
    const auto* kind = entry.if_contains("kind");
    return kind && choice_value(entry, "kind") == "warning" &&
           string_field(entry, "comments").find(volid) != std::string::npos;
  });
  EXPECT_TRUE(warned) << "no warning in the VM's journal about the deleted " << volid;
}

}  // namespace pbx::e2e::suite
