#pragma once
// A Proxmox node's network configuration (GET /nodes/{node}/network) as plain data: physical
// NICs, bonds, bridges and VLAN interfaces with their addresses and the links between them.
// Proxmox does not list hardware addresses there, so a node interface has no MAC.

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pbx::sync {

struct NodeInterface {
  std::string name;   // eno1, bond0, vmbr0, vmbr0.20
  std::string type;   // eth | bond | bridge | vlan | OVSBridge | OVSBond | OVSIntPort | ...
  std::string cidr;   // "192.0.2.11/24"
  std::string cidr6;  // "2001:db8::11/64"
  std::vector<std::string> bridge_ports;  // bridge: its ports
  std::vector<std::string> slaves;        // bond: its members
  std::string vlan_raw_device;            // vlan: its parent (also from "vmbr0.20")
  int vlan_id = 0;
  int mtu = 0;  // 0: not set
  bool active = false;
  std::string comments;
};

// The `data` of GET /nodes/{node}/network, sorted by name.
std::vector<NodeInterface> parse_node_network(const boost::json::value& data);

// The NetBox interface type of a Proxmox interface type: bridge → bridge, bond → lag,
// vlan and OVS internal ports → virtual, anything else (eth) → other (physical, speed unknown).
std::string netbox_interface_type(std::string_view proxmox_type);

}  // namespace pbx::sync
