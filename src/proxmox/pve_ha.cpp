// /cluster/ha: HA resources as state, and the HA stack's status derived from them and the nodes.

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "common/text.hpp"
#include "proxmox/handler_support.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;

int vmid_of(std::string_view sid) {
  const size_t colon = sid.find(':');
  return common::parse_number<int>(sid.substr(colon == std::string_view::npos ? 0 : colon + 1),
                                   common::kLeadingNumber)
      .value_or(0);
}

// "100" → "vm:100" / "ct:100" by the guest's type; "vm:100" stays.
std::string normalised_sid(const ClusterState& state, std::string sid) {
  if (sid.find(':') != std::string::npos) return sid;
  const GuestState* guest =
      state.find_guest(common::parse_number<int>(sid, common::kLeadingNumber).value_or(0));
  return guest != nullptr ? guest->ha_sid() : "vm:" + sid;
}

json::object resource_entry(const HaResourceScenario& resource) {
  json::object entry{{"sid", resource.sid},
                     {"type", resource.sid.substr(0, resource.sid.find(':'))},
                     {"state", resource.state},
                     {"max_restart", resource.max_restart},
                     {"max_relocate", resource.max_relocate},
                     {"digest", "8c1a5b9e2f3d4c6b7a8e9f0d1c2b3a4f5e6d7c8b"}};
  if (!resource.group.empty()) entry["group"] = resource.group;
  if (!resource.comment.empty()) entry["comment"] = resource.comment;
  return entry;
}

void apply_resource(HaResourceScenario& resource, const ApiCall& call) {
  if (call.has("state")) resource.state = call.text("state");
  if (call.has("group")) resource.group = call.text("group");
  if (call.has("comment")) resource.comment = call.text("comment");
  if (const auto value = call.integer("max_restart"))
    resource.max_restart = static_cast<int>(*value);
  if (const auto value = call.integer("max_relocate")) {
    resource.max_relocate = static_cast<int>(*value);
  }
  for (const auto& key : split_list(call.text("delete"), ",; ")) {
    if (key == "group") resource.group.clear();
    if (key == "comment") resource.comment.clear();
  }
}

ApiResult no_such_resource(std::string_view sid) {
  return ApiResult::error(500, fmt::format("no such resource '{}'", sid));
}

// What the CRM reports for a resource: the request, and where it runs.
std::string service_state(const HaResourceScenario& resource, const GuestState* guest) {
  if (resource.state == "ignored") return "ignored";
  if (resource.state == "disabled" || resource.state == "stopped") return "stopped";
  return guest != nullptr && guest->running() ? "started" : "starting";
}

json::array ha_status(const ClusterState& state) {
  const int64_t now = ClusterState::now_seconds();
  json::array out;
  const auto& nodes = state.nodes();
  const size_t online = std::count_if(nodes.begin(), nodes.end(),
                                      [](const NodeState& n) { return n.spec.status == "online"; });
  const bool quorate = online * 2 > nodes.size();
  const std::string master = nodes.empty() ? "" : nodes.front().spec.name;
  out.push_back(json::object{{"id", "quorum"},
                             {"type", "quorum"},
                             {"node", master},
                             {"status", quorate ? "OK" : "No quorum on node"},
                             {"quorate", quorate ? 1 : 0}});
  if (state.ha_resources().empty()) return out;
  out.push_back(json::object{{"id", "master"},
                             {"type", "master"},
                             {"node", master},
                             {"status", fmt::format("{} (active, {})", master, now)},
                             {"timestamp", now}});
  for (const auto& node : nodes) {
    const bool up = node.spec.status == "online";
    out.push_back(json::object{
        {"id", "lrm:" + node.spec.name},
        {"type", "lrm"},
        {"node", node.spec.name},
        {"status",
         fmt::format("{} ({}, {})", node.spec.name, up ? "active" : "old timestamp - dead?", now)},
        {"timestamp", now}});
  }
  for (const auto& resource : state.ha_resources()) {
    const GuestState* guest = state.find_guest(vmid_of(resource.sid));
    const std::string node = guest != nullptr ? guest->spec.node : master;
    const std::string current = service_state(resource, guest);
    out.push_back(
        json::object{{"id", "service:" + resource.sid},
                     {"type", "service"},
                     {"sid", resource.sid},
                     {"node", node},
                     {"state", current},
                     {"crm_state", current},
                     {"request_state", resource.state},
                     {"max_restart", resource.max_restart},
                     {"max_relocate", resource.max_relocate},
                     {"status", fmt::format("{} ({}, {})", resource.sid, node, current)}});
  }
  return out;
}

}  // namespace

std::unordered_map<int, const HaResourceScenario*> ha_by_vmid(const ClusterState& state) {
  std::unordered_map<int, const HaResourceScenario*> out;
  out.reserve(state.ha_resources().size());
  for (const auto& resource : state.ha_resources())
    out.emplace(vmid_of(resource.sid), &resource);
  return out;
}

json::object guest_ha_status(const ClusterState& state, const GuestState& guest) {
  const HaResourceScenario* resource = state.find_ha_resource(guest.ha_sid());
  if (resource == nullptr) return json::object{{"managed", 0}};
  json::object out{{"managed", 1}, {"state", resource->state}};
  if (!resource->group.empty()) out["group"] = resource->group;
  return out;
}

void add_ha_handlers(HandlerTable& table) {
  table.add(Verb::get, "/cluster/ha/resources",
            reader([](const ClusterState& state, const ApiCall& call) {
              const std::string type = call.text("type");
              json::array out;
              for (const auto& resource : state.ha_resources()) {
                if (type.empty() || resource.sid.starts_with(type + ":")) {
                  out.push_back(resource_entry(resource));
                }
              }
              return ApiResult::ok(std::move(out));
            }));

  table.add(Verb::get, "/cluster/ha/resources/{sid}",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string sid = normalised_sid(state, call.text("sid"));
              const HaResourceScenario* resource = state.find_ha_resource(sid);
              if (resource == nullptr) return no_such_resource(sid);
              return ApiResult::ok(resource_entry(*resource));
            }));

  table.add(Verb::post, "/cluster/ha/resources",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string sid = normalised_sid(state, call.text("sid"));
              const GuestState* guest = state.find_guest(vmid_of(sid));
              if (guest == nullptr || guest->ha_sid() != sid) {
                return ApiResult::error(
                    500, fmt::format("unable to create resource '{}' - no such guest", sid));
              }
              if (state.find_ha_resource(sid) != nullptr) {
                return ApiResult::error(500, fmt::format("resource ID '{}' already defined", sid));
              }
              HaResourceScenario resource;
              resource.sid = sid;
              apply_resource(resource, call);
              state.ha_resources().push_back(std::move(resource));
              state.touch();
              return ApiResult::ok();
            }));

  table.add(Verb::put, "/cluster/ha/resources/{sid}",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string sid = normalised_sid(state, call.text("sid"));
              auto& resources = state.ha_resources();
              const auto it = std::find_if(resources.begin(), resources.end(),
                                           [&](const auto& r) { return r.sid == sid; });
              if (it == resources.end()) return no_such_resource(sid);
              apply_resource(*it, call);
              state.touch();
              return ApiResult::ok();
            }));

  table.add(
      Verb::delete_, "/cluster/ha/resources/{sid}",
      writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string sid = normalised_sid(state, call.text("sid"));
        if (std::erase_if(state.ha_resources(), [&](const auto& r) { return r.sid == sid; }) == 0) {
          return no_such_resource(sid);
        }
        state.touch();
        return ApiResult::ok();
      }));

  table.add(Verb::get, "/cluster/ha/status/current",
            reader([](const ClusterState& state, const ApiCall&) {
              return ApiResult::ok(ha_status(state));
            }));
}

}  // namespace pbx::proxmox
