// Firewall rules and options as state, at the datacenter (/cluster/firewall), per node
// (/nodes/{node}/firewall) and per guest (/nodes/{node}/{qemu|lxc}/{vmid}/firewall): a rule
// POSTed shows up in the listing at pos 0 (or the pos it asked for), PUT rules/{pos} changes or
// moves it (`moveto`), DELETE removes it; PUT options sets keys and unsets those `delete` lists.
// Groups, IP sets and aliases still answer from the schema (sample-only).

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

// Parameters that address the rule or guard the write rather than being part of it.
bool addressing(std::string_view key) {
  return key == "node" || key == "vmid" || key == "pos" || key == "digest" || key == "delete" ||
         key == "moveto";
}

// The zone key of a call ("cluster", "node/pve1", "qemu/100"), or why the call names none.
template <typename State>
std::pair<std::string, std::optional<ApiResult>> zone_of(State& state, const ApiCall& call,
                                                         std::string_view kind) {
  if (kind == "cluster") return {"cluster", std::nullopt};
  if (kind == "node") {
    const std::string node = call.text("node");
    if (state.find_node(node) == nullptr) return {{}, no_such_node(node)};
    return {"node/" + node, std::nullopt};
  }
  auto [guest, refusal] = find_guest(state, call, kind);
  if (refusal) return {{}, refusal};
  return {std::string(kind) + "/" + std::to_string(guest->spec.vmid), std::nullopt};
}

// As Proxmox prints it: booleans as 1 and 0.
json::value stored(const json::value& value) {
  if (value.is_bool()) return value.as_bool() ? 1 : 0;
  return value;
}

const FirewallZone& zone_or_empty(const ClusterState& state, const std::string& key) {
  static const FirewallZone empty;
  const auto found = state.firewall().find(key);
  return found == state.firewall().end() ? empty : found->second;
}

json::object listed(const json::object& rule, size_t pos) {
  json::object out = rule;
  out["pos"] = static_cast<int64_t>(pos);
  return out;
}

// The rule at {pos}, or Proxmox's refusal.
std::optional<size_t> position(const ApiCall& call, size_t count) {
  const auto pos = call.integer("pos");
  if (!pos || *pos < 0 || static_cast<size_t>(*pos) >= count) return std::nullopt;
  return static_cast<size_t>(*pos);
}

ApiResult no_rule(const ApiCall& call) {
  return ApiResult::error(500, fmt::format("no rule at position {}", call.text("pos")));
}

std::vector<std::string> delete_list(const ApiCall& call) {
  return common::split_list(call.text("delete"), ",;", common::kWhitespace);
}

void add_zone_handlers(HandlerTable& table, const std::string& base, const std::string& kind) {
  const std::string rules = base + "/rules";
  const std::string rule = rules + "/{pos}";
  table.add(Verb::get, rules,
            reader([kind](const ClusterState& state, const ApiCall& call) -> ApiResult {
              auto [key, refusal] = zone_of(state, call, kind);
              if (refusal) return *refusal;
              json::array out;
              const auto& zone = zone_or_empty(state, key);
              for (size_t pos = 0; pos < zone.rules.size(); ++pos)
                out.push_back(listed(zone.rules[pos], pos));
              return ApiResult::ok(std::move(out));
            }));
  table.add(
      Verb::post, rules, writer([kind](ClusterState& state, const ApiCall& call) -> ApiResult {
        auto [key, refusal] = zone_of(state, call, kind);
        if (refusal) return *refusal;
        auto& zone = state.firewall()[key];
        json::object added;
        for (const auto& [name, value] : call.params) {
          if (!addressing(name)) added[name] = stored(value);
        }
        const size_t at = std::min<size_t>(
            static_cast<size_t>(std::max<int64_t>(call.integer("pos").value_or(0), 0)),
            zone.rules.size());
        zone.rules.insert(zone.rules.begin() + static_cast<std::ptrdiff_t>(at), std::move(added));
        state.touch();
        return ApiResult::ok();
      }));
  table.add(Verb::get, rule,
            reader([kind](const ClusterState& state, const ApiCall& call) -> ApiResult {
              auto [key, refusal] = zone_of(state, call, kind);
              if (refusal) return *refusal;
              const auto& zone = zone_or_empty(state, key);
              const auto pos = position(call, zone.rules.size());
              if (!pos) return no_rule(call);
              return ApiResult::ok(listed(zone.rules[*pos], *pos));
            }));
  table.add(Verb::put, rule, writer([kind](ClusterState& state, const ApiCall& call) -> ApiResult {
              auto [key, refusal] = zone_of(state, call, kind);
              if (refusal) return *refusal;
              auto& zone = state.firewall()[key];
              const auto pos = position(call, zone.rules.size());
              if (!pos) return no_rule(call);
              json::object changed = zone.rules[*pos];
              for (const auto& name : delete_list(call))
                changed.erase(name);
              for (const auto& [name, value] : call.params) {
                if (!addressing(name)) changed[name] = stored(value);
              }
              zone.rules.erase(zone.rules.begin() + static_cast<std::ptrdiff_t>(*pos));
              size_t to = *pos;
              if (const auto moveto = call.integer("moveto")) {
                to = static_cast<size_t>(std::max<int64_t>(*moveto, 0));
                if (to > *pos && to > 0) --to;  // Proxmox moves before the rule now at moveto
              }
              to = std::min(to, zone.rules.size());
              zone.rules.insert(zone.rules.begin() + static_cast<std::ptrdiff_t>(to),
                                std::move(changed));
              state.touch();
              return ApiResult::ok();
            }));
  table.add(Verb::delete_, rule,
            writer([kind](ClusterState& state, const ApiCall& call) -> ApiResult {
              auto [key, refusal] = zone_of(state, call, kind);
              if (refusal) return *refusal;
              auto& zone = state.firewall()[key];
              const auto pos = position(call, zone.rules.size());
              if (!pos) return no_rule(call);
              zone.rules.erase(zone.rules.begin() + static_cast<std::ptrdiff_t>(*pos));
              state.touch();
              return ApiResult::ok();
            }));
  table.add(Verb::get, base + "/options",
            reader([kind](const ClusterState& state, const ApiCall& call) -> ApiResult {
              auto [key, refusal] = zone_of(state, call, kind);
              if (refusal) return *refusal;
              return ApiResult::ok(zone_or_empty(state, key).options);
            }));
  table.add(Verb::put, base + "/options",
            writer([kind](ClusterState& state, const ApiCall& call) -> ApiResult {
              auto [key, refusal] = zone_of(state, call, kind);
              if (refusal) return *refusal;
              auto& options = state.firewall()[key].options;
              for (const auto& name : delete_list(call))
                options.erase(name);
              for (const auto& [name, value] : call.params) {
                if (!addressing(name)) options[name] = stored(value);
              }
              state.touch();
              return ApiResult::ok();
            }));
}

}  // namespace

void add_firewall_handlers(HandlerTable& table) {
  add_zone_handlers(table, "/cluster/firewall", "cluster");
  add_zone_handlers(table, "/nodes/{node}/firewall", "node");
  for (const std::string type : {"qemu", "lxc"})
    add_zone_handlers(table, "/nodes/{node}/" + type + "/{vmid}/firewall", type);
}

}  // namespace pbx::proxmox
