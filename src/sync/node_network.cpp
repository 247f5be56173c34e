#include "sync/node_network.hpp"

#include <algorithm>

#include "sync/guest_tags.hpp"
#include "sync/json_util.hpp"

namespace pbx::sync {
namespace json = boost::json;

std::vector<NodeInterface> parse_node_network(const json::value& data) {
  std::vector<NodeInterface> interfaces;
  if (!data.is_array()) return interfaces;
  for (const auto& entry : data.as_array()) {
    if (!entry.is_object()) continue;
    const auto& object = entry.as_object();
    NodeInterface interface;
    interface.name = json_string(field(object, "iface"));
    if (interface.name.empty()) continue;
    interface.type = json_string(field(object, "type"));
    interface.cidr = json_string(field(object, "cidr"));
    interface.cidr6 = json_string(field(object, "cidr6"));
    interface.bridge_ports = split_proxmox_list(json_string(field(object, "bridge_ports")));
    interface.slaves = split_proxmox_list(json_string(field(object, "slaves")));
    interface.vlan_id = static_cast<int>(json_int(field(object, "vlan-id")));
    interface.vlan_raw_device = json_string(field(object, "vlan-raw-device"));
    if (interface.type == "vlan" && interface.vlan_raw_device.empty()) {
      const size_t dot = interface.name.rfind('.');
      if (dot != std::string::npos) interface.vlan_raw_device = interface.name.substr(0, dot);
    }
    interface.mtu = static_cast<int>(json_int(field(object, "mtu")));
    interface.active = json_bool(field(object, "active"));
    interface.comments = json_string(field(object, "comments"));
    interfaces.push_back(std::move(interface));
  }
  std::sort(interfaces.begin(), interfaces.end(),
            [](const NodeInterface& a, const NodeInterface& b) { return a.name < b.name; });
  return interfaces;
}

std::string netbox_interface_type(std::string_view proxmox_type) {
  if (proxmox_type == "bridge" || proxmox_type == "OVSBridge") return "bridge";
  if (proxmox_type == "bond" || proxmox_type == "OVSBond") return "lag";
  if (proxmox_type == "vlan" || proxmox_type == "OVSIntPort" || proxmox_type == "alias" ||
      proxmox_type == "unknown") {
    return "virtual";
  }
  return "other";
}

}  // namespace pbx::sync
