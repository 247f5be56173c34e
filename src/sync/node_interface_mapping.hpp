#pragma once
// Node network configuration → NetBox device interfaces and their addresses (plugin stage 8):
// one dcim/interfaces object per NIC, bond, bridge and VLAN interface of a node (type, enabled,
// MTU, comments), the links between them (bond members' `lag`, bridge ports' `bridge`, VLAN
// interfaces' `parent`) and the node's addresses as IP address objects on them. Pure functions;
// only nodes whose network listing answered in this run are mapped (the others are unknown).

#include <map>
#include <string>
#include <vector>

#include "sync/diff.hpp"
#include "sync/mapping.hpp"

namespace pbx::sync {

inline constexpr const char* kDeviceInterfacesPath = "/dcim/interfaces/";
inline constexpr const char* kDeviceInterfaceType = "dcim.interface";

// A node whose network was read, with its NetBox device (id > 0).
struct NodeWithDevice {
  const ProxmoxNode* node = nullptr;
  int64_t device_id = 0;
};
std::vector<NodeWithDevice> nodes_with_networks(const std::vector<EndpointSnapshot>& endpoints,
                                                const References& refs);

// "<device id>/<name>" (vm_child_key's form) from a NetBox device interface.
std::string current_device_interface_key(const boost::json::object& interface);

std::vector<DesiredObject> desired_node_interfaces(const std::vector<NodeWithDevice>& nodes,
                                                   const References& refs);
// Per interface (its key) `lag`, `bridge` and `parent`; `interfaces`: key → NetBox id.
std::vector<DesiredObject> desired_node_interface_links(
    const std::vector<NodeWithDevice>& nodes, const std::map<std::string, int64_t>& interfaces);
// The nodes' cidr/cidr6 as IP addresses on their interfaces; `current`: the proxbox IP
// addresses NetBox holds on these interfaces.
std::vector<DesiredObject> desired_node_addresses(const std::vector<NodeWithDevice>& nodes,
                                                  const References& refs,
                                                  const std::map<std::string, int64_t>& interfaces,
                                                  const std::vector<boost::json::object>& current);

}  // namespace pbx::sync
