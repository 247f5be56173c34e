#pragma once
// The estate's checks per object kind (internal to the E2E suite): each compares what NetBox
// holds with what the Proxmox endpoint holds, by the plugin stage that writes it.

#include <cstdint>

#include "estate.hpp"

namespace pbx::e2e::suite::estate {

// Guests (estate_guest_checks.cpp)
void expect_vm_interfaces(NetBoxReader& netbox, const proxmox::GuestScenario& guest, int64_t vm_id);
void expect_vm_details(NetBoxReader& netbox, const proxmox::GuestScenario& guest, int64_t vm_id,
                       bool sizes_in_mb);
void expect_snapshots(NetBoxReader& netbox, const proxmox::GuestScenario& guest, int64_t vm_id);
void expect_backups(NetBoxReader& netbox, ProxmoxSide& pve, const proxmox::ClusterScenario& cluster,
                    const proxmox::GuestScenario& guest, int64_t vm_id);

// The cluster (estate_cluster_checks.cpp)
void expect_task_history(NetBoxReader& netbox, ProxmoxSide& pve,
                         const proxmox::ClusterScenario& cluster, const EstateIds& ids);
void expect_jobs(NetBoxReader& netbox, const proxmox::ClusterScenario& cluster,
                 const EstateIds& ids);
void expect_node_interfaces(NetBoxReader& netbox, const proxmox::NodeScenario& node,
                            int64_t device_id);
void expect_sdn(NetBoxReader& netbox, const proxmox::ClusterScenario& cluster, int64_t cluster_id);
void expect_storages(NetBoxReader& netbox, const proxmox::ClusterScenario& cluster,
                     int64_t cluster_id);

}  // namespace pbx::e2e::suite::estate
