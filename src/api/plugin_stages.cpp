#include "api/plugin_stages.hpp"

#include <array>
#include <string>

namespace pbx::api {

namespace {

using sync::SyncScope;

// Paths and order as the plugin's _SYNC_STAGE_ORDER / _SYNC_TYPE_PATH /
// _VM_SCOPED_PATH_TEMPLATES have them; the delete flags as its _build_stage_query_params sends.
const std::array<PluginStage, 13> kStages{{
    {"devices", "/dcim/devices/create",
     "Proxmox nodes as NetBox devices (cluster type, cluster, site, manufacturer, device type, "
     "role, one device per node)",
     SyncScope::devices},
    {"storage", "/virtualization/virtual-machines/storage/create",
     "Proxmox storages as the plugin's storage objects (one per storage per cluster)",
     SyncScope::storage},
    {"virtual-machines", "/virtualization/virtual-machines/create",
     "Proxmox guests as NetBox virtual machines (and the devices of their nodes)",
     SyncScope::virtual_machines, "/virtualization/virtual-machines/{vm_id}/create"},
    {"task-history", "/virtualization/virtual-machines/task-history/create",
     "Cluster and node task lists as the plugin's task-history objects", SyncScope::task_history},
    {"vm-disks", "/virtualization/virtual-machines/virtual-disks/create",
     "Guest disks as NetBox virtual disks (VM disk = their sum)", SyncScope::virtual_disks,
     "/virtualization/virtual-machines/{vm_id}/virtual-disks/create"},
    {"vm-backups", "/virtualization/virtual-machines/backups/all/create",
     "Proxmox backups as the plugin's backup objects linked to their virtual machines",
     SyncScope::backups, "/virtualization/virtual-machines/{vm_id}/backups/create",
     "delete_nonexistent_backup"},
    {"vm-snapshots", "/virtualization/virtual-machines/snapshots/all/create",
     "Guest snapshots as the plugin's snapshot objects", SyncScope::snapshots,
     "/virtualization/virtual-machines/{vm_id}/snapshots/create", "delete_nonexistent_snapshot"},
    {"network-interfaces", "/dcim/devices/interfaces/create",
     "Node NICs, bridges, bonds and VLANs as NetBox device interfaces (MAC, MTU, node IPs)",
     SyncScope::node_interfaces},
    {"vm-interfaces", "/virtualization/virtual-machines/interfaces/create",
     "Guest netN devices as NetBox VM interfaces (MAC address, VLAN, bridge)",
     SyncScope::vm_interfaces},
    {"ip-addresses", "/virtualization/virtual-machines/interfaces/ip-address/create",
     "Guest agent and container addresses as NetBox IP addresses; VM primary IPs",
     SyncScope::ip_addresses},
    {"sdn", "/proxmox/sdn/create", "SDN zones, VNets and subnets as VLAN groups, VLANs, prefixes",
     SyncScope::sdn},
    {"replications", "/proxmox/replication", "Replication jobs as the plugin's replication objects",
     SyncScope::replications},
    {"backup-routines", "/proxmox/cluster/backup",
     "Backup jobs as the plugin's backup-routine objects", SyncScope::backup_routines},
}};

}  // namespace

std::span<const PluginStage> plugin_stages() {
  return kStages;
}

const PluginStage* find_plugin_stage(std::string_view sync_type) {
  for (const auto& stage : kStages) {
    if (stage.sync_type == sync_type) return &stage;
  }
  return nullptr;
}

std::string not_implemented_detail(std::string_view method_and_path) {
  return std::string(method_and_path) +
         " is not implemented by this proxbox-api yet (it answers 501 until its sync exists; "
         "see /openapi.json for the implemented routes).";
}

}  // namespace pbx::api
