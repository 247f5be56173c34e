// Firewall rules and options as state, at the datacenter (/cluster/firewall), per node
// (/nodes/{node}/firewall), per guest (/nodes/{node}/{qemu|lxc}/{vmid}/firewall) and in each
// security group (/cluster/firewall/groups/{group}): a rule POSTed shows up in the listing at
// pos 0 (or the pos it asked for), PUT rules/{pos} changes or moves it (`moveto`), DELETE removes
// it; PUT options sets keys and unsets those `delete` lists. Groups themselves, IP sets and
// aliases: pve_firewall_sets.cpp.

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <type_traits>

#include "common/text.hpp"
#include "proxmox/firewall_zones.hpp"
#include "proxmox/handler_support.hpp"

namespace pbx::proxmox {

const FirewallZone& firewall_zone_or_empty(const ClusterState& state, const std::string& key) {
  static const FirewallZone empty;
  const auto found = state.firewall().zones.find(key);
  return found == state.firewall().zones.end() ? empty : found->second;
}

namespace {

namespace json = boost::json;
using Verb = http::Verb;
using Rules = std::vector<json::object>;

// Parameters that address the rule or guard the write rather than being part of it.
bool addressing(std::string_view key) {
  return key == "node" || key == "vmid" || key == "group" || key == "pos" || key == "digest" ||
         key == "delete" || key == "moveto";
}

template <typename State>
using RulesOf = std::conditional_t<std::is_const_v<State>, const Rules, Rules>;

template <typename State>
using Located = common::Result<RulesOf<State>*, ApiResult>;

// The rules of a zone: a write creates the zone, a read of one nobody wrote is empty.
struct ZoneRules {
  std::string kind;
  template <typename State>
  Located<State> operator()(State& state, const ApiCall& call) const {
    const auto key = firewall_zone_of(state, call, kind);
    if (!key) return common::Failure{key.error()};
    if constexpr (std::is_const_v<State>) {
      return &firewall_zone_or_empty(state, *key).rules;
    } else {
      return &state.firewall().zones[*key].rules;
    }
  }
};

// The rules of security group {group}, which must exist.
struct GroupRules {
  template <typename State>
  Located<State> operator()(State& state, const ApiCall& call) const {
    const std::string name = call.text("group");
    auto& groups = state.firewall().groups;
    const auto found = groups.find(name);
    if (found == groups.end()) {
      return common::Failure{
          ApiResult::error(500, fmt::format("no such security group '{}'", name))};
    }
    return &found->second.rules;
  }
};

json::object listed(const json::object& rule, size_t pos) {
  json::object out = rule;
  out["pos"] = static_cast<int64_t>(pos);
  return out;
}

// The rule at {pos}, or none.
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

// PUT {pos}: changes the rule's settings, unsets those `delete` lists, moves it to `moveto`.
void change_rule(Rules& rules, size_t pos, const ApiCall& call) {
  json::object changed = rules[pos];
  for (const auto& name : delete_list(call))
    changed.erase(name);
  for (const auto& [name, value] : call.params) {
    if (!addressing(name)) changed[name] = firewall_stored(value);
  }
  rules.erase(rules.begin() + static_cast<std::ptrdiff_t>(pos));
  size_t to = pos;
  if (const auto moveto = call.integer("moveto")) {
    to = static_cast<size_t>(std::max<int64_t>(*moveto, 0));
    if (to > pos && to > 0) --to;  // Proxmox moves before the rule now at moveto
  }
  to = std::min(to, rules.size());
  rules.insert(rules.begin() + static_cast<std::ptrdiff_t>(to), std::move(changed));
}

// GET/POST `list` and GET/PUT/DELETE `item` over the rules `locate` finds.
template <typename Locate>
void add_rule_handlers(HandlerTable& table, const std::string& list, const std::string& item,
                       Locate locate) {
  table.add(Verb::get, list,
            reader([locate](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = locate(state, call);
              if (!lookup) return lookup.error();
              auto* rules = *lookup;
              json::array out;
              for (size_t pos = 0; pos < rules->size(); ++pos)
                out.push_back(listed((*rules)[pos], pos));
              return ApiResult::ok(std::move(out));
            }));
  table.add(Verb::post, list, writer([locate](ClusterState& state, const ApiCall& call) {
              const auto lookup = locate(state, call);
              if (!lookup) return lookup.error();
              auto* rules = *lookup;
              json::object added;
              for (const auto& [name, value] : call.params) {
                if (!addressing(name)) added[name] = firewall_stored(value);
              }
              const size_t at = std::min<size_t>(
                  static_cast<size_t>(std::max<int64_t>(call.integer("pos").value_or(0), 0)),
                  rules->size());
              rules->insert(rules->begin() + static_cast<std::ptrdiff_t>(at), std::move(added));
              state.touch();
              return ApiResult::ok();
            }));
  table.add(Verb::get, item,
            reader([locate](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = locate(state, call);
              if (!lookup) return lookup.error();
              auto* rules = *lookup;
              const auto pos = position(call, rules->size());
              if (!pos) return no_rule(call);
              return ApiResult::ok(listed((*rules)[*pos], *pos));
            }));
  table.add(Verb::put, item, writer([locate](ClusterState& state, const ApiCall& call) {
              const auto lookup = locate(state, call);
              if (!lookup) return lookup.error();
              auto* rules = *lookup;
              const auto pos = position(call, rules->size());
              if (!pos) return no_rule(call);
              change_rule(*rules, *pos, call);
              state.touch();
              return ApiResult::ok();
            }));
  table.add(Verb::delete_, item, writer([locate](ClusterState& state, const ApiCall& call) {
              const auto lookup = locate(state, call);
              if (!lookup) return lookup.error();
              auto* rules = *lookup;
              const auto pos = position(call, rules->size());
              if (!pos) return no_rule(call);
              rules->erase(rules->begin() + static_cast<std::ptrdiff_t>(*pos));
              state.touch();
              return ApiResult::ok();
            }));
}

void add_option_handlers(HandlerTable& table, const std::string& base, const std::string& kind) {
  table.add(Verb::get, base + "/options",
            reader([kind](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = firewall_zone_of(state, call, kind);
              if (!lookup) return lookup.error();
              const std::string& key = *lookup;
              return ApiResult::ok(firewall_zone_or_empty(state, key).options);
            }));
  table.add(Verb::put, base + "/options",
            writer([kind](ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = firewall_zone_of(state, call, kind);
              if (!lookup) return lookup.error();
              const std::string& key = *lookup;
              auto& options = state.firewall().zones[key].options;
              for (const auto& name : delete_list(call))
                options.erase(name);
              for (const auto& [name, value] : call.params) {
                if (!addressing(name)) options[name] = firewall_stored(value);
              }
              state.touch();
              return ApiResult::ok();
            }));
}

void add_zone_handlers(HandlerTable& table, const std::string& base, const std::string& kind) {
  add_rule_handlers(table, base + "/rules", base + "/rules/{pos}", ZoneRules{kind});
  add_option_handlers(table, base, kind);
}

}  // namespace

void add_firewall_handlers(HandlerTable& table) {
  add_zone_handlers(table, "/cluster/firewall", "cluster");
  add_zone_handlers(table, "/nodes/{node}/firewall", "node");
  for (const std::string type : {"qemu", "lxc"})
    add_zone_handlers(table, "/nodes/{node}/" + type + "/{vmid}/firewall", type);
  add_rule_handlers(table, "/cluster/firewall/groups/{group}",
                    "/cluster/firewall/groups/{group}/{pos}", GroupRules{});
  add_firewall_set_handlers(table);
}

}  // namespace pbx::proxmox
