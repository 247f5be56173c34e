// Hand-written Proxmox VE behaviour: the paths a sync client reads and the guest life cycle,
// all over one ClusterState so every write shows up in every view. One file per API subtree.

#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {

HandlerTable pve_handlers(const Release& release) {
  HandlerTable table;
  add_task_handlers(table);
  add_cluster_handlers(table, release);
  add_cluster_job_handlers(table);
  add_node_handlers(table, release);
  add_node_network_handlers(table);
  add_guest_handlers(table, "qemu", release);
  add_guest_handlers(table, "lxc", release);
  add_guest_agent_handlers(table);
  add_storage_handlers(table);
  add_storage_content_handlers(table);
  add_pool_handlers(table);
  add_cluster_task_handlers(table);
  add_ha_handlers(table);
  add_sdn_handlers(table);
  add_firewall_handlers(table);
  add_cpu_model_handlers(table);
  add_access_user_handlers(table);
  add_access_handlers(table);
  add_access_acl_handlers(table);
  add_access_permission_handlers(table);
  return table;
}

}  // namespace pbx::proxmox
