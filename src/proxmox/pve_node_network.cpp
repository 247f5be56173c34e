// /nodes/{node}/network: the node's interfaces (physical NICs, bonds, bridges, VLANs) as state.
// Writes apply at once (the real API stages them until PUT /nodes/{node}/network reloads).

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <boost/json.hpp>

#include "common/text.hpp"
#include "proxmox/handler_support.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;

// "255.255.255.0" for prefix 24.
std::string netmask_of(int prefix) {
  const uint32_t mask = prefix <= 0 ? 0 : ~uint32_t{0} << (32 - std::min(prefix, 32));
  return fmt::format("{}.{}.{}.{}", mask >> 24, (mask >> 16) & 0xFF, (mask >> 8) & 0xFF,
                     mask & 0xFF);
}

// Adds cidr/address/netmask (or their "6" forms) for "192.0.2.11/24".
void add_address(json::object& entry, const std::string& cidr, bool v6) {
  const size_t slash = cidr.find('/');
  const std::string address = cidr.substr(0, slash);
  const int prefix =
      slash == std::string::npos
          ? (v6 ? 128 : 32)
          : common::parse_number<int>(cidr.substr(slash + 1), common::kLeadingNumber).value_or(0);
  const std::string suffix = v6 ? "6" : "";
  entry["cidr" + suffix] = cidr;
  entry["address" + suffix] = address;
  // The schema types netmask6 as the prefix length (an integer), netmask as dotted quad.
  if (v6) {
    entry["netmask6"] = prefix;
  } else {
    entry["netmask"] = netmask_of(prefix);
  }
}

json::object interface_entry(const InterfaceScenario& iface, int priority) {
  json::array families;
  if (!iface.cidr.empty() || iface.type != "eth") families.push_back("inet");
  if (!iface.cidr6.empty()) families.push_back("inet6");
  json::object entry{{"iface", iface.iface},
                     {"type", iface.type},
                     {"method", iface.cidr.empty() ? "manual" : "static"},
                     {"method6", iface.cidr6.empty() ? "manual" : "static"},
                     {"families", std::move(families)},
                     {"priority", priority}};
  if (iface.active) entry["active"] = 1;
  if (iface.autostart) entry["autostart"] = 1;
  if (iface.type == "eth") entry["exists"] = 1;
  if (!iface.cidr.empty()) add_address(entry, iface.cidr, false);
  if (!iface.gateway.empty()) entry["gateway"] = iface.gateway;
  if (!iface.cidr6.empty()) add_address(entry, iface.cidr6, true);
  if (!iface.gateway6.empty()) entry["gateway6"] = iface.gateway6;
  if (iface.type == "bridge") {
    entry["bridge_ports"] = iface.bridge_ports;
    entry["bridge_stp"] = "off";
    entry["bridge_fd"] = "0";
    if (iface.bridge_vlan_aware) entry["bridge_vlan_aware"] = 1;
  }
  if (iface.type == "bond") {
    entry["slaves"] = iface.slaves;
    entry["bond_mode"] = iface.bond_mode.empty() ? "balance-rr" : iface.bond_mode;
  }
  if (iface.type == "vlan") {
    // "vmbr0.20" names its tag and parent when they are not set apart.
    const size_t dot = iface.iface.rfind('.');
    const bool dotted = dot != std::string::npos;
    const int tag =
        iface.vlan_id > 0 ? iface.vlan_id
        : dotted ? common::parse_number<int>(iface.iface.substr(dot + 1), common::kLeadingNumber)
                       .value_or(0)
                 : 0;
    const std::string parent = !iface.vlan_raw_device.empty() || !dotted
                                   ? iface.vlan_raw_device
                                   : iface.iface.substr(0, dot);
    if (tag > 0) entry["vlan-id"] = tag;
    if (!parent.empty()) entry["vlan-raw-device"] = parent;
  }
  if (iface.mtu > 0) entry["mtu"] = iface.mtu;
  if (!iface.comments.empty()) entry["comments"] = iface.comments;
  return entry;
}

bool type_matches(std::string_view filter, const InterfaceScenario& iface) {
  if (filter.empty() || filter == "include_sdn") return true;
  if (filter == "any_bridge" || filter == "any_local_bridge") return iface.type == "bridge";
  return filter == iface.type;
}

ApiResult parameter_problem(std::string_view name, std::string_view problem) {
  return ApiResult::error(400,
                          fmt::format("Parameter verification failed. ({}: {})", name, problem));
}

// Applies the settings a create or update sends; `delete` clears the named ones.
void apply_interface(InterfaceScenario& iface, const ApiCall& call) {
  const auto text = [&](std::string_view name, std::string& out) {
    if (call.has(name)) out = call.text(name);
  };
  const auto number = [&](std::string_view name, int& out) {
    if (const auto value = call.integer(name)) out = static_cast<int>(*value);
  };
  text("type", iface.type);
  text("cidr", iface.cidr);
  if (call.has("address") && !call.has("cidr")) {
    // The older address + netmask form: keep it as a CIDR.
    const std::string netmask = call.text("netmask", "255.255.255.0");
    int prefix = 0;
    for (const auto& octet : split_list(netmask, ".")) {
      const int value = common::parse_number<int>(octet, common::kLeadingNumber).value_or(0);
      prefix += std::popcount(static_cast<unsigned>(value) & 0xFFu);
    }
    iface.cidr = fmt::format("{}/{}", call.text("address"), prefix);
  }
  text("gateway", iface.gateway);
  text("cidr6", iface.cidr6);
  text("gateway6", iface.gateway6);
  text("bridge_ports", iface.bridge_ports);
  if (call.has("bridge_vlan_aware")) iface.bridge_vlan_aware = call.flag("bridge_vlan_aware");
  text("slaves", iface.slaves);
  text("bond_mode", iface.bond_mode);
  number("vlan-id", iface.vlan_id);
  text("vlan-raw-device", iface.vlan_raw_device);
  number("mtu", iface.mtu);
  if (call.has("autostart")) iface.autostart = call.flag("autostart");
  text("comments", iface.comments);
  for (const auto& name : split_list(call.text("delete"), ",; ")) {
    if (name == "cidr" || name == "address") iface.cidr.clear();
    if (name == "gateway") iface.gateway.clear();
    if (name == "cidr6" || name == "address6") iface.cidr6.clear();
    if (name == "gateway6") iface.gateway6.clear();
    if (name == "mtu") iface.mtu = 0;
    if (name == "comments") iface.comments.clear();
    if (name == "bridge_ports") iface.bridge_ports.clear();
  }
}

template <typename Node>
auto find_interface(Node& node, std::string_view name) {
  auto& interfaces = node.spec.interfaces;
  return std::find_if(interfaces.begin(), interfaces.end(),
                      [&](const InterfaceScenario& iface) { return iface.iface == name; });
}

struct LocatedInterface {
  NodeState* node = nullptr;
  std::vector<InterfaceScenario>::iterator iface;
};

// The node {node} and its interface {iface}, or the answer explaining why not.
common::Result<LocatedInterface, ApiResult> located(ClusterState& state, const ApiCall& call) {
  NodeState* node = state.find_node(call.text("node"));
  if (node == nullptr) return common::Failure{no_such_node(call.text("node"))};
  const auto it = find_interface(*node, call.text("iface"));
  if (it == node->spec.interfaces.end()) {
    return common::Failure{parameter_problem("iface", "interface does not exist")};
  }
  return LocatedInterface{node, it};
}

}  // namespace

void add_node_network_handlers(HandlerTable& table) {
  table.add(Verb::get, "/nodes/{node}/network",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const NodeState* node = state.find_node(call.text("node"));
              if (node == nullptr) return no_such_node(call.text("node"));
              const std::string type = call.text("type");
              json::array out;
              int priority = 1;
              for (const auto& iface : node->spec.interfaces) {
                const int position = priority++;
                if (type_matches(type, iface)) out.push_back(interface_entry(iface, position));
              }
              return ApiResult::ok(std::move(out));
            }));

  table.add(Verb::get, "/nodes/{node}/network/{iface}",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const NodeState* node = state.find_node(call.text("node"));
              if (node == nullptr) return no_such_node(call.text("node"));
              const auto it = find_interface(*node, call.text("iface"));
              if (it == node->spec.interfaces.end()) {
                return parameter_problem("iface", "interface does not exist");
              }
              const int priority = static_cast<int>(it - node->spec.interfaces.begin()) + 1;
              return ApiResult::ok(interface_entry(*it, priority));
            }));

  table.add(Verb::post, "/nodes/{node}/network",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              NodeState* node = state.find_node(call.text("node"));
              if (node == nullptr) return no_such_node(call.text("node"));
              const std::string name = call.text("iface");
              if (find_interface(*node, name) != node->spec.interfaces.end()) {
                return parameter_problem("iface", "interface already exists");
              }
              InterfaceScenario iface{.iface = name};
              apply_interface(iface, call);
              node->spec.interfaces.push_back(std::move(iface));
              state.touch();
              return ApiResult::ok();
            }));

  table.add(Verb::put, "/nodes/{node}/network/{iface}",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto found = located(state, call);
              if (!found) return found.error();
              apply_interface(*found->iface, call);
              state.touch();
              return ApiResult::ok();
            }));

  table.add(Verb::delete_, "/nodes/{node}/network/{iface}",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto found = located(state, call);
              if (!found) return found.error();
              found->node->spec.interfaces.erase(found->iface);
              state.touch();
              return ApiResult::ok();
            }));

  // Reload: the changes are live already; the task reports the reload.
  table.add(
      Verb::put, "/nodes/{node}/network",
      writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string node = call.text("node");
        if (state.find_node(node) == nullptr) return no_such_node(node);
        return ApiResult::ok(state.start_task(node, "srvreload", "networking", call.user).upid);
      }));
}

}  // namespace pbx::proxmox
