#pragma once
// The reads behind the node interfaces stage: every online node's network configuration
// (GET /nodes/{node}/network). A node whose listing failed (or that is offline) keeps
// `network` empty (nullopt): its interfaces are unknown in this run, never deleted.

#include <stop_token>

#include "sync/proxmox_reader_plugin.hpp"  // ProxmoxGet
#include "sync/snapshot.hpp"

namespace pbx::sync {

// /cluster/sdn/zones, /cluster/sdn/vnets and each VNet's subnets; `snapshot.sdn` stays empty
// when any of them fails (the SDN objects are then unknown in this run).
void read_sdn(const ProxmoxGet& get, size_t max_in_flight, const std::stop_token& stop,
              ProxmoxSnapshot& snapshot);

void read_node_networks(const ProxmoxGet& get, size_t max_in_flight, const std::stop_token& stop,
                        ProxmoxSnapshot& snapshot);

}  // namespace pbx::sync
