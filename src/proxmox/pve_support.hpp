#pragma once
// What the Proxmox VE handler files share: the views of a guest, node and storage that several
// API subtrees print (/cluster/resources, the guest lists, pools, storage status), the lookups of
// {node}/{vmid}, and the errors Proxmox answers when they fail. Also the registration function of
// each API subtree, which pve_handlers() composes.

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "proxmox/handlers.hpp"

namespace pbx::proxmox {

constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kGiB = int64_t{1} << 30;

// ---- errors, as Proxmox words them ---------------------------------------------------------
ApiResult no_such_guest(std::string_view type, std::string_view node, int64_t vmid);
ApiResult no_such_node(std::string_view node);

// ---- guest views ---------------------------------------------------------------------------
std::string guest_kind_word(const GuestState& guest);  // "VM" | "CT"
std::string display_name(const GuestState& guest);     // the name, else "VM 100" / "CT101"
int64_t guest_maxmem(const GuestState& guest);
int64_t guest_maxdisk(const GuestState& guest);
// Fields shared by the guest list, status/current and /cluster/resources.
boost::json::object guest_metrics(const GuestState& guest, int64_t now);

// ---- node views ----------------------------------------------------------------------------
struct NodeUsage {
  int64_t mem = 0;
  double cpu = 0;
};
NodeUsage node_usage(const ClusterState& state, const NodeState& node);
// One entry of GET /nodes (and the node entries of /cluster/resources).
boost::json::object node_entry(const ClusterState& state, const NodeState& node, int64_t now);

// ---- storage views -------------------------------------------------------------------------
bool has_content(const StorageScenario& storage, std::string_view content);
// Whether a guest's disk on `storage` shows on `node` (shared storage: on every node).
bool disk_visible_on(const StorageScenario& storage, const GuestState& guest,
                     std::string_view node);
// The storage {storage} as {node} sees it, or the answer explaining why not (pve_storage.cpp).
common::Result<const StorageScenario*, ApiResult> node_storage(const ClusterState& state,
                                                               const ApiCall& call);
// One storage on one node, from the state's storage ledger (no pass over the guests).
int64_t storage_used(const ClusterState& state, const StorageScenario& storage,
                     std::string_view node);

// ---- HA ------------------------------------------------------------------------------------
// The HA resource of each managed guest, by vmid (one pass, for the big listings).
std::unordered_map<int, const HaResourceScenario*> ha_by_vmid(const ClusterState& state);
// status/current "ha": {"managed":0} or {"managed":1,"state":"started",...}.
boost::json::object guest_ha_status(const ClusterState& state, const GuestState& guest);

// ---- lookups -------------------------------------------------------------------------------
// The guest named by {node}/{vmid} of the given type, or the answer explaining why not.
template <typename State>
auto find_guest(State& state, const ApiCall& call, std::string_view type)
    -> common::Result<decltype(state.find_guest(0)), ApiResult> {
  const std::string node = call.text("node");
  const int64_t vmid = call.integer("vmid").value_or(0);
  auto* guest = state.find_guest(static_cast<int>(vmid));
  if (state.find_node(node) == nullptr) return common::Failure{no_such_node(node)};
  if (guest == nullptr || guest->spec.type != type || guest->spec.node != node) {
    return common::Failure{no_such_guest(type, node, vmid)};
  }
  return guest;
}

// The answer to a change of `guest`: the UPID of the task Proxmox runs for it.
ApiResult guest_task(ClusterState& state, const GuestState& guest, std::string_view task_type,
                     const ApiCall& call, std::string exitstatus = "OK");

// ---- the API subtrees ----------------------------------------------------------------------
void add_cluster_handlers(HandlerTable& table, const Release& release);  // /version, /cluster/*
void add_cluster_job_handlers(HandlerTable& table);  // /cluster/backup, /cluster/replication
void add_node_handlers(HandlerTable& table, const Release& release);  // /nodes, node status
void add_node_network_handlers(HandlerTable& table);                  // /nodes/{node}/network
void add_guest_handlers(HandlerTable& table, const std::string& type, const Release& release);
// .../{vmid}/clone and .../{vmid}/template (pve_guest_clone.cpp)
void add_guest_clone_handlers(HandlerTable& table, const std::string& type);
// .../{vmid}/unlink, move_disk (qemu), move_volume (lxc) (pve_guest_disks.cpp)
void add_guest_disk_handlers(HandlerTable& table, const std::string& type);
void add_guest_agent_handlers(HandlerTable& table);  // /nodes/{node}/qemu/{vmid}/agent/*
void add_storage_handlers(HandlerTable& table);      // /storage, /nodes/{node}/storage
// .../storage/{storage}/upload, download-url, content DELETE (pve_storage_content.cpp)
void add_storage_content_handlers(HandlerTable& table);
void add_pool_handlers(HandlerTable& table);          // /pools
void add_cluster_task_handlers(HandlerTable& table);  // /cluster/tasks
void add_ha_handlers(HandlerTable& table);            // /cluster/ha
void add_sdn_handlers(HandlerTable& table);           // /cluster/sdn
void add_firewall_handlers(HandlerTable& table);      // */firewall rules, options, groups
void add_firewall_set_handlers(HandlerTable& table);  // groups, */firewall/ipset, */aliases
void add_cpu_model_handlers(HandlerTable& table);     // capabilities/qemu/cpu
// /access/users (and their tokens), /access/password (pve_access_users.cpp)
void add_access_user_handlers(HandlerTable& table);
// /access/domains, /access/groups, /access/roles (pve_access.cpp)
void add_access_handlers(HandlerTable& table);
void add_access_acl_handlers(HandlerTable& table);  // /access/acl (pve_access_acl.cpp)
// /access/permissions (pve_access_permissions.cpp)
void add_access_permission_handlers(HandlerTable& table);

}  // namespace pbx::proxmox
