#include "sync/node_interface_mapping.hpp"

#include <algorithm>

#include "sync/guest_tags.hpp"
#include "sync/json_util.hpp"
#include "sync/network_mapping.hpp"
#include "sync/node_network.hpp"

namespace pbx::sync {
namespace json = boost::json;

namespace {

bool lists(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::vector<NodeWithDevice> nodes_with_networks(const std::vector<EndpointSnapshot>& endpoints,
                                                const References& refs) {
  std::vector<NodeWithDevice> nodes;
  for (const auto& endpoint : endpoints) {
    for (const auto& node : endpoint.snapshot.nodes) {
      const int64_t device =
          lookup_id(refs.devices, device_key(endpoint.snapshot.cluster_name, node.name));
      if (node.network && device > 0) nodes.push_back({&node, device});
    }
  }
  return nodes;
}

std::string current_device_interface_key(const json::object& interface) {
  return vm_child_key(nested_id(interface, "device"), json_string(field(interface, "name")));
}

std::vector<DesiredObject> desired_node_interfaces(const std::vector<NodeWithDevice>& nodes,
                                                   const References& refs) {
  std::vector<DesiredObject> interfaces;
  for (const auto& entry : nodes) {
    for (const auto& interface : *entry.node->network) {
      interfaces.push_back(
          {vm_child_key(entry.device_id, interface.name),
           {{"device", entry.device_id},
            {"name", interface.name},
            {"type", netbox_interface_type(interface.type)},
            {"enabled", interface.active},
            {"mtu", interface.mtu > 0 ? json::value(interface.mtu) : json::value(nullptr)},
            {"description", netbox_description(interface.comments)},
            {"tags", json::array{refs.tag}}}});
    }
  }
  return interfaces;
}

std::vector<DesiredObject> desired_node_interface_links(
    const std::vector<NodeWithDevice>& nodes, const std::map<std::string, int64_t>& interfaces) {
  std::vector<DesiredObject> links;
  for (const auto& entry : nodes) {
    const auto& network = *entry.node->network;
    auto id_of = [&](const std::string& name) {
      return lookup_id(interfaces, vm_child_key(entry.device_id, name));
    };
    for (const auto& interface : network) {
      const int64_t id = id_of(interface.name);
      if (id <= 0) continue;
      int64_t lag = 0, bridge = 0;
      for (const auto& other : network) {
        const std::string type = netbox_interface_type(other.type);
        if (type == "lag" && lists(other.slaves, interface.name)) lag = id_of(other.name);
        if (type == "bridge" && lists(other.bridge_ports, interface.name))
          bridge = id_of(other.name);
      }
      const int64_t parent =
          interface.vlan_raw_device.empty() ? 0 : id_of(interface.vlan_raw_device);
      links.push_back({vm_child_key(entry.device_id, interface.name),
                       {{"lag", id_or_null(lag)},
                        {"bridge", id_or_null(bridge)},
                        {"parent", id_or_null(parent)}}});
    }
  }
  return links;
}

std::vector<DesiredObject> desired_node_addresses(const std::vector<NodeWithDevice>& nodes,
                                                  const References& refs,
                                                  const std::map<std::string, int64_t>& interfaces,
                                                  const std::vector<json::object>& current) {
  std::map<int64_t, std::vector<std::string>> held;
  for (const auto& ip : current)
    held[json_int(field(ip, "assigned_object_id"))].push_back(json_string(field(ip, "address")));
  std::vector<DesiredObject> addresses;
  for (const auto& entry : nodes) {
    for (const auto& interface : *entry.node->network) {
      const int64_t id = lookup_id(interfaces, vm_child_key(entry.device_id, interface.name));
      if (id <= 0) continue;
      std::vector<std::string> wanted;
      for (const auto* cidr : {&interface.cidr, &interface.cidr6}) {
        if (!cidr->empty() && !is_loopback_or_link_local(*cidr)) wanted.push_back(*cidr);
      }
      for (auto& ip : interface_addresses(id, kDeviceInterfaceType, wanted, held[id], refs))
        addresses.push_back(std::move(ip));
    }
  }
  return addresses;
}

}  // namespace pbx::sync
