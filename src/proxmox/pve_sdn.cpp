// /cluster/sdn: zones, VNets and their subnets as state. Writes apply at once (the real API keeps
// them pending until PUT /cluster/sdn applies them).

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "proxmox/handler_support.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;

constexpr std::string_view kDigest = "3d6f0a9b8c7e5d4f3a2b1c0d9e8f7a6b5c4d3e2f";

json::object zone_entry(const SdnZoneScenario& zone) {
  json::object entry{{"zone", zone.zone}, {"type", zone.type}, {"digest", kDigest}};
  if (!zone.bridge.empty()) entry["bridge"] = zone.bridge;
  if (zone.mtu > 0) entry["mtu"] = zone.mtu;
  if (!zone.nodes.empty()) entry["nodes"] = join(zone.nodes, ",");
  if (!zone.ipam.empty()) entry["ipam"] = zone.ipam;
  return entry;
}

json::object vnet_entry(const SdnVnetScenario& vnet) {
  json::object entry{
      {"vnet", vnet.vnet}, {"zone", vnet.zone}, {"type", "vnet"}, {"digest", kDigest}};
  if (vnet.tag > 0) entry["tag"] = vnet.tag;
  if (!vnet.alias.empty()) entry["alias"] = vnet.alias;
  if (vnet.vlanaware) entry["vlanaware"] = 1;
  return entry;
}

std::string zone_of(const ClusterState& state, std::string_view vnet) {
  for (const auto& entry : state.sdn_vnets()) {
    if (entry.vnet == vnet) return entry.zone;
  }
  return {};
}

// Proxmox names a subnet "<zone>-<network>-<prefix>": "zone1-10.10.0.0-24".
std::string subnet_id(const ClusterState& state, const SdnSubnetScenario& subnet) {
  std::string id = subnet.cidr;
  std::replace(id.begin(), id.end(), '/', '-');
  return zone_of(state, subnet.vnet) + "-" + id;
}

json::object subnet_entry(const ClusterState& state, const SdnSubnetScenario& subnet) {
  const size_t slash = subnet.cidr.find('/');
  json::object entry{{"subnet", subnet_id(state, subnet)},
                     {"cidr", subnet.cidr},
                     {"network", subnet.cidr.substr(0, slash)},
                     {"mask", slash == std::string::npos ? "32" : subnet.cidr.substr(slash + 1)},
                     {"type", "subnet"},
                     {"vnet", subnet.vnet},
                     {"zone", zone_of(state, subnet.vnet)},
                     {"digest", kDigest}};
  if (!subnet.gateway.empty()) entry["gateway"] = subnet.gateway;
  if (subnet.snat) entry["snat"] = 1;
  return entry;
}

ApiResult missing(std::string_view kind, std::string_view id) {
  return ApiResult::error(500, fmt::format("sdn {} '{}' does not exist", kind, id));
}

ApiResult already_defined(std::string_view kind, std::string_view id) {
  return ApiResult::error(500, fmt::format("sdn {} object ID '{}' already defined", kind, id));
}

void apply_zone(SdnZoneScenario& zone, const ApiCall& call) {
  if (call.has("type")) zone.type = call.text("type");
  if (call.has("bridge")) zone.bridge = call.text("bridge");
  if (const auto mtu = call.integer("mtu")) zone.mtu = static_cast<int>(*mtu);
  if (call.has("nodes")) zone.nodes = split_list(call.text("nodes"), ", ");
  if (call.has("ipam")) zone.ipam = call.text("ipam");
}

void apply_vnet(SdnVnetScenario& vnet, const ApiCall& call) {
  if (call.has("zone")) vnet.zone = call.text("zone");
  if (const auto tag = call.integer("tag")) vnet.tag = static_cast<int>(*tag);
  if (call.has("alias")) vnet.alias = call.text("alias");
  if (call.has("vlanaware")) vnet.vlanaware = call.flag("vlanaware");
}

void apply_subnet(SdnSubnetScenario& subnet, const ApiCall& call) {
  if (call.has("gateway")) subnet.gateway = call.text("gateway");
  if (call.has("snat")) subnet.snat = call.flag("snat");
  for (const auto& key : split_list(call.text("delete"), ",; ")) {
    if (key == "gateway") subnet.gateway.clear();
    if (key == "snat") subnet.snat = false;
  }
}

template <typename State>
auto find_zone(State& state, std::string_view id) {
  auto& zones = state.sdn_zones();
  return std::find_if(zones.begin(), zones.end(), [&](const auto& z) { return z.zone == id; });
}

template <typename State>
auto find_vnet(State& state, std::string_view id) {
  auto& vnets = state.sdn_vnets();
  return std::find_if(vnets.begin(), vnets.end(), [&](const auto& v) { return v.vnet == id; });
}

template <typename State>
auto find_subnet(State& state, std::string_view vnet, std::string_view id) {
  auto& subnets = state.sdn_subnets();
  return std::find_if(subnets.begin(), subnets.end(), [&](const auto& s) {
    return s.vnet == vnet && (subnet_id(state, s) == id || s.cidr == id);
  });
}

void add_zone_handlers(HandlerTable& table) {
  table.add(Verb::get, "/cluster/sdn/zones",
            reader([](const ClusterState& state, const ApiCall& call) {
              const std::string type = call.text("type");
              json::array out;
              for (const auto& zone : state.sdn_zones()) {
                if (type.empty() || zone.type == type) out.push_back(zone_entry(zone));
              }
              return ApiResult::ok(std::move(out));
            }));
  table.add(Verb::get, "/cluster/sdn/zones/{zone}",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto it = find_zone(state, call.text("zone"));
              if (it == state.sdn_zones().end()) return missing("zone", call.text("zone"));
              return ApiResult::ok(zone_entry(*it));
            }));
  table.add(Verb::post, "/cluster/sdn/zones",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string id = call.text("zone");
              if (find_zone(state, id) != state.sdn_zones().end())
                return already_defined("zone", id);
              SdnZoneScenario zone{.zone = id};
              apply_zone(zone, call);
              state.sdn_zones().push_back(std::move(zone));
              state.touch();
              return ApiResult::ok();
            }));
  table.add(Verb::put, "/cluster/sdn/zones/{zone}",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto it = find_zone(state, call.text("zone"));
              if (it == state.sdn_zones().end()) return missing("zone", call.text("zone"));
              apply_zone(*it, call);
              state.touch();
              return ApiResult::ok();
            }));
  table.add(Verb::delete_, "/cluster/sdn/zones/{zone}",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string id = call.text("zone");
              const auto it = find_zone(state, id);
              if (it == state.sdn_zones().end()) return missing("zone", id);
              for (const auto& vnet : state.sdn_vnets()) {
                if (vnet.zone == id) {
                  return ApiResult::error(
                      500, fmt::format("Can't delete zone {}, it is still used by vnet {}", id,
                                       vnet.vnet));
                }
              }
              state.sdn_zones().erase(it);
              state.touch();
              return ApiResult::ok();
            }));
}

void add_vnet_handlers(HandlerTable& table) {
  table.add(Verb::get, "/cluster/sdn/vnets", reader([](const ClusterState& state, const ApiCall&) {
              json::array out;
              for (const auto& vnet : state.sdn_vnets())
                out.push_back(vnet_entry(vnet));
              return ApiResult::ok(std::move(out));
            }));
  table.add(Verb::get, "/cluster/sdn/vnets/{vnet}",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto it = find_vnet(state, call.text("vnet"));
              if (it == state.sdn_vnets().end()) return missing("vnet", call.text("vnet"));
              return ApiResult::ok(vnet_entry(*it));
            }));
  table.add(Verb::post, "/cluster/sdn/vnets",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string id = call.text("vnet");
              if (find_vnet(state, id) != state.sdn_vnets().end())
                return already_defined("vnet", id);
              if (find_zone(state, call.text("zone")) == state.sdn_zones().end()) {
                return missing("zone", call.text("zone"));
              }
              SdnVnetScenario vnet{.vnet = id};
              apply_vnet(vnet, call);
              state.sdn_vnets().push_back(std::move(vnet));
              state.touch();
              return ApiResult::ok();
            }));
  table.add(Verb::put, "/cluster/sdn/vnets/{vnet}",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto it = find_vnet(state, call.text("vnet"));
              if (it == state.sdn_vnets().end()) return missing("vnet", call.text("vnet"));
              apply_vnet(*it, call);
              state.touch();
              return ApiResult::ok();
            }));
  table.add(Verb::delete_, "/cluster/sdn/vnets/{vnet}",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string id = call.text("vnet");
              const auto it = find_vnet(state, id);
              if (it == state.sdn_vnets().end()) return missing("vnet", id);
              if (std::any_of(state.sdn_subnets().begin(), state.sdn_subnets().end(),
                              [&](const auto& subnet) { return subnet.vnet == id; })) {
                return ApiResult::error(500, "cannot delete vnet with subnets");
              }
              state.sdn_vnets().erase(it);
              state.touch();
              return ApiResult::ok();
            }));
}

void add_subnet_handlers(HandlerTable& table) {
  const std::string base = "/cluster/sdn/vnets/{vnet}/subnets";
  table.add(Verb::get, base,
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string vnet = call.text("vnet");
              if (find_vnet(state, vnet) == state.sdn_vnets().end()) return missing("vnet", vnet);
              json::array out;
              for (const auto& subnet : state.sdn_subnets()) {
                if (subnet.vnet == vnet) out.push_back(subnet_entry(state, subnet));
              }
              return ApiResult::ok(std::move(out));
            }));
  table.add(Verb::get, base + "/{subnet}",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto it = find_subnet(state, call.text("vnet"), call.text("subnet"));
              if (it == state.sdn_subnets().end()) return missing("subnet", call.text("subnet"));
              return ApiResult::ok(subnet_entry(state, *it));
            }));
  table.add(Verb::post, base, writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string vnet = call.text("vnet");
              if (find_vnet(state, vnet) == state.sdn_vnets().end()) return missing("vnet", vnet);
              SdnSubnetScenario subnet{.vnet = vnet, .cidr = call.text("subnet")};
              if (find_subnet(state, vnet, subnet.cidr) != state.sdn_subnets().end()) {
                return already_defined("subnet", subnet_id(state, subnet));
              }
              apply_subnet(subnet, call);
              state.sdn_subnets().push_back(std::move(subnet));
              state.touch();
              return ApiResult::ok();
            }));
  table.add(Verb::put, base + "/{subnet}",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto it = find_subnet(state, call.text("vnet"), call.text("subnet"));
              if (it == state.sdn_subnets().end()) return missing("subnet", call.text("subnet"));
              apply_subnet(*it, call);
              state.touch();
              return ApiResult::ok();
            }));
  table.add(Verb::delete_, base + "/{subnet}",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto it = find_subnet(state, call.text("vnet"), call.text("subnet"));
              if (it == state.sdn_subnets().end()) return missing("subnet", call.text("subnet"));
              state.sdn_subnets().erase(it);
              state.touch();
              return ApiResult::ok();
            }));
}

}  // namespace

void add_sdn_handlers(HandlerTable& table) {
  add_zone_handlers(table);
  add_vnet_handlers(table);
  add_subnet_handlers(table);
}

}  // namespace pbx::proxmox
