#pragma once
// What the firewall handler files (pve_firewall.cpp, pve_firewall_sets.cpp) share: the zone a
// call addresses and how a written value is kept.

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "proxmox/pve_support.hpp"
#include "proxmox/state.hpp"

namespace pbx::proxmox {

// The zone key of a call ("cluster", "node/pve1", "qemu/100"), or why the call names none.
template <typename State>
common::Result<std::string, ApiResult> firewall_zone_of(State& state, const ApiCall& call,
                                                        std::string_view kind) {
  if (kind == "cluster") return std::string("cluster");
  if (kind == "node") {
    const std::string node = call.text("node");
    if (state.find_node(node) == nullptr) return common::Failure{no_such_node(node)};
    return "node/" + node;
  }
  const auto guest = find_guest(state, call, kind);
  if (!guest) return common::Failure{guest.error()};
  return std::string(kind) + "/" + std::to_string((*guest)->spec.vmid);
}

// The zone `key` of the state, or an empty one (a zone nobody wrote to).
const FirewallZone& firewall_zone_or_empty(const ClusterState& state, const std::string& key);

// As Proxmox prints a stored value: booleans as 1 and 0.
inline boost::json::value firewall_stored(const boost::json::value& value) {
  if (value.is_bool()) return value.as_bool() ? 1 : 0;
  return value;
}

}  // namespace pbx::proxmox
