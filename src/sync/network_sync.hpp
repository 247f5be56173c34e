#pragma once
// The sync stages that write NetBox core objects from the guests' devices and the nodes'
// networks: virtual disks (plugin stage 5), node interfaces and addresses (8), VM interfaces with
// their VLANs and MAC addresses (stage 9), IP addresses and the VMs' primary IPs (stage 10), SDN
// zones, VNets and subnets as VLAN groups, VLANs and prefixes (stage 11).
// Diff-based and bulk through the engine's sync_kind (plugin_sync.hpp's PluginStageContext), so an
// unchanged re-sync writes nothing and a changed address is one PATCH of its object.
//
// What this run could not read is unknown, never gone: the disks and interfaces of a guest whose
// configuration failed, the addresses of an interface whose guest agent did not answer (or of a
// container whose address is dhcp) are neither updated nor deleted.

#include <vector>

#include "sync/netbox_client.hpp"
#include "sync/plugin_sync.hpp"

namespace pbx::sync {

struct NetworkStages {
  bool virtual_disks = false;
  bool node_interfaces = false;
  bool vm_interfaces = false;
  bool ip_addresses = false;  // runs the VM interfaces' sync too (for their ids)
  bool sdn = false;
};
NetworkStages network_stages_of(SyncScope scope);

// The big listings (virtual disks, VM interfaces, MAC addresses, the VMs' IP addresses) the
// stages of `stages` will make, in their order, without the tag filter: what the engine plans
// ahead (listing_prefetch.hpp). The stages compute the same filters.
std::vector<PlannedListing> network_listings(PluginStageContext& context,
                                             const NetworkStages& stages,
                                             const std::vector<EndpointSnapshot>& endpoints,
                                             const NetBoxVersion& version);

// Runs the stages of `stages` in the plugin's order. Never throws for a stage's problem: it
// becomes an error of that stage.
void sync_network_stages(PluginStageContext& context, const NetworkStages& stages,
                         const std::vector<EndpointSnapshot>& endpoints,
                         const NetBoxVersion& version);

}  // namespace pbx::sync
