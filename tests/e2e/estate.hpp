#pragma once
// A small estate with every object kind the plugin's 13 stages write (issue #10's E2E): node
// bonds, bridges and VLAN interfaces with addresses; QEMU and LXC guests with tagged NICs, MACs,
// addresses (agent or static), several disks, snapshots, Proxmox tags and notes; storages,
// backups, a backup job, a replication, finished tasks and an SDN zone. The checks read what
// the endpoint holds through the mock's own API (its state and its Proxmox API), never a copy
// of the builder's values, and compare NetBox with it. Shared by the mock_http and mock_backend
// passes.

#include <boost/json/value.hpp>
#include <map>
#include <string>
#include <string_view>

#include "proxmox/scenario.hpp"
#include "proxmox_side.hpp"
#include "session.hpp"

namespace pbx::e2e::suite {

// One cluster named `prefix` whose addresses all lie in 10.<octet>.0.0/16 and
// fd00:<octet>::/32 (NetBox holds IP addresses and prefixes in one global table, so each test
// takes an octet no other test in this NetBox uses: see free_address_octet).
proxmox::Scenario create_estate(std::string_view prefix, int octet);

// An octet in 100..249 no IP address NetBox holds starts with ("10.<octet>."), tried from one
// derived from the process id and a counter.
int free_address_octet(NetBoxReader& netbox);

// NetBox ids of the cluster's objects: the cluster, its devices by node, its VMs by vmid.
struct EstateIds {
  int64_t cluster = 0;
  std::map<std::string, int64_t> devices;
  std::map<int, int64_t> vms;
};
EstateIds estate_ids(NetBoxReader& netbox, const proxmox::ClusterScenario& cluster);

// Every object kind of the contract's table holds what `proxmox` holds (one cluster).
// `plugin_objects` false (a NetBox without the netbox-proxbox plugin, where the sync leaves them
// out): only NetBox's own kinds — devices, VMs with their tags, notes and disks, VM and node
// interfaces with MACs, VLANs and addresses, SDN — not snapshots, backups, storages, task
// history, replications and backup routines.
void expect_estate_synced(NetBoxReader& netbox, ProxmoxSide& pve, bool plugin_objects = true);

// Id → address of every IP address NetBox holds on the VM interfaces of `ids`' VMs.
std::map<int64_t, std::string> vm_ip_addresses(NetBoxReader& netbox, const EstateIds& ids);

// Gives LXC guest `vmid`'s NIC `key` the address `cidr` instead of its IPv4 one, through the
// Proxmox API (GET the config, PUT the changed netN). Returns the address it replaced.
std::string change_container_address(ProxmoxSide& pve, const proxmox::ClusterScenario& cluster,
                                     int vmid, std::string_view key, std::string_view cidr);

// Deletes the first unprotected backup of guest `vmid` through the Proxmox API (DELETE of the
// storage content); returns its volume id.
std::string delete_first_backup(ProxmoxSide& pve, const proxmox::ClusterScenario& cluster,
                                int vmid);

// After `volid` was deleted in Proxmox and a full update ran: NetBox no longer holds it, holds
// the guest's other backups, and the VM's journal says it was deleted.
void expect_backup_deleted(NetBoxReader& netbox, int64_t vm_id, std::string_view volid,
                           size_t backups_left);

}  // namespace pbx::e2e::suite
