// Security groups (/cluster/firewall/groups), IP sets (/cluster/firewall/ipset and each guest's
// firewall/ipset) and aliases (/cluster/firewall/aliases and each guest's) as state: what a
// client creates, renames, changes or deletes shows up in every listing, in the summary
// proxbox-api reads and in the scenario export. Refusals keep pve-firewall's wording
// (API2/Firewall/Groups.pm, IPSet.pm, Aliases.pm). A group's rules: pve_firewall.cpp.

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <type_traits>
#include <utility>

#include "proxmox/firewall_zones.hpp"
#include "proxmox/handler_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Sets `key` of `out` to the call's parameter when sent; an empty string unsets it.
void take_text(json::object& out, const ApiCall& call, const char* key) {
  if (!call.has(key)) return;
  const std::string value = call.text(key);
  if (value.empty())
    out.erase(key);
  else
    out[key] = value;
}

// A renamed or created entry of a name-keyed map, as Proxmox's create-with-`rename` does:
// with `rename`, the entry `rename` becomes `name` (which must then be free); without, `name`
// must be free. Answers the entry to fill, or the refusal.
template <typename Map>
common::Result<typename Map::mapped_type*, ApiResult> create_or_rename(Map& map,
                                                                       const std::string& name,
                                                                       const std::string& rename,
                                                                       const char* parameter,
                                                                       std::string_view what) {
  const auto exists = [&](const std::string& taken) {
    return common::Failure{
        ApiResult::invalid(parameter, fmt::format("{} '{}' already exists", what, taken))};
  };
  if (!rename.empty()) {
    auto found = map.find(rename);
    if (found == map.end()) {
      return common::Failure{
          ApiResult::invalid(parameter, fmt::format("{} '{}' does not exist", what, rename))};
    }
    if (rename == name) return &found->second;
    if (map.contains(name)) return exists(name);
    auto moved = std::move(found->second);
    map.erase(found);
    return &(map[name] = std::move(moved));
  }
  if (map.contains(name)) return exists(name);
  return &map[name];
}

// ---- security groups -----------------------------------------------------------------------

void add_group_handlers(HandlerTable& table) {
  table.add(Verb::get, "/cluster/firewall/groups",
            reader([](const ClusterState& state, const ApiCall&) {
              const auto& groups = state.firewall().groups;
              json::object all;
              for (const auto& [name, group] : groups)
                all[name] = json::object{{"comment", group.comment}, {"rules", group.rules.size()}};
              const std::string digest = content_digest(all);
              json::array out;
              for (const auto& [name, group] : groups) {
                json::object entry{{"group", name}, {"digest", digest}};
                if (!group.comment.empty()) entry["comment"] = group.comment;
                out.push_back(std::move(entry));
              }
              return ApiResult::ok(std::move(out));
            }));
  table.add(Verb::post, "/cluster/firewall/groups",
            writer([](ClusterState& state, const ApiCall& call) {
              const auto lookup = create_or_rename(state.firewall().groups, call.text("group"),
                                                   call.text("rename"), "group", "Security group");
              if (!lookup) return lookup.error();
              auto* group = *lookup;
              if (call.has("comment")) group->comment = call.text("comment");
              state.touch();
              return ApiResult::ok();
            }));
  table.add(Verb::delete_, "/cluster/firewall/groups/{group}",
            writer([](ClusterState& state, const ApiCall& call) {
              auto& groups = state.firewall().groups;
              const std::string name = call.text("group");
              const auto found = groups.find(name);
              if (found == groups.end()) return ApiResult::ok();
              if (!found->second.rules.empty()) {
                return ApiResult::error(500, fmt::format("Security group '{}' is not empty", name));
              }
              groups.erase(found);
              state.touch();
              return ApiResult::ok();
            }));
}

// The call's zone as stored (nullptr when nobody wrote to it), or the refusal.
template <typename State>
auto stored_zone(State& state, const ApiCall& call, const std::string& kind)
    -> common::Result<decltype(&state.firewall().zones.begin()->second), ApiResult> {
  const auto key = firewall_zone_of(state, call, kind);
  if (!key) return common::Failure{key.error()};
  auto& zones = state.firewall().zones;
  const auto found = zones.find(*key);
  if (found == zones.end()) return nullptr;
  return &found->second;
}

// ---- IP sets -------------------------------------------------------------------------------

ApiResult no_ipset(const std::string& name) {
  return ApiResult::error(500, fmt::format("no such IPSet '{}'", name));
}

std::string entries_digest(const FirewallIpSet& ipset) {
  return content_digest(json::array(ipset.entries.begin(), ipset.entries.end()));
}

// The entry `cidr` of an IP set, or the end.
template <typename Entries>
auto find_cidr(Entries& entries, const std::string& cidr) {
  return std::find_if(entries.begin(), entries.end(), [&](const json::object& entry) {
    const auto* value = entry.if_contains("cidr");
    return value && value->is_string() && value->as_string() == cidr;
  });
}

// The IP set {name} of the call's zone, or the refusal.
template <typename State>
auto ipset_of(State& state, const ApiCall& call, const std::string& kind)
    -> common::Result<decltype(&state.firewall().zones.begin()->second.ipsets.begin()->second),
                      ApiResult> {
  const auto zone = stored_zone(state, call, kind);
  if (!zone) return common::Failure{zone.error()};
  const std::string name = call.text("name");
  if (!*zone) return common::Failure{no_ipset(name)};
  const auto found = (*zone)->ipsets.find(name);
  if (found == (*zone)->ipsets.end()) return common::Failure{no_ipset(name)};
  return &found->second;
}

void add_ipset_list_handlers(HandlerTable& table, const std::string& base,
                             const std::string& kind) {
  table.add(Verb::get, base,
            reader([kind](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = stored_zone(state, call, kind);
              if (!lookup) return lookup.error();
              auto* zone = *lookup;
              json::array out;
              if (!zone) return ApiResult::ok(std::move(out));
              for (const auto& [name, ipset] : zone->ipsets) {
                json::object entry{{"name", name}, {"digest", entries_digest(ipset)}};
                if (!ipset.comment.empty()) entry["comment"] = ipset.comment;
                out.push_back(std::move(entry));
              }
              return ApiResult::ok(std::move(out));
            }));
  table.add(Verb::post, base, writer([kind](ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = firewall_zone_of(state, call, kind);
              if (!lookup) return lookup.error();
              const std::string& key = *lookup;
              const auto created =
                  create_or_rename(state.firewall().zones[key].ipsets, call.text("name"),
                                   call.text("rename"), "name", "IPSet");
              if (!created) return created.error();
              auto* ipset = *created;
              if (call.has("comment")) ipset->comment = call.text("comment");
              state.touch();
              return ApiResult::ok();
            }));
}

ApiResult no_cidr() {
  return ApiResult::invalid("cidr", "no such IP/Network");
}

// The entry {cidr} of the call's IP set, with the set it is in, or the refusal.
template <typename State>
auto ipset_entry_of(State& state, const ApiCall& call, const std::string& kind) {
  auto ipset = ipset_of(state, call, kind);
  using Set = std::remove_reference_t<decltype(**ipset)>;
  using Found = std::pair<Set*, decltype((*ipset)->entries.begin())>;
  using Answer = common::Result<Found, ApiResult>;
  if (!ipset) return Answer(common::Failure{ipset.error()});
  const auto found = find_cidr((*ipset)->entries, call.text("cidr"));
  if (found == (*ipset)->entries.end()) return Answer(common::Failure{no_cidr()});
  return Answer(Found{*ipset, found});
}

// GET/PUT/DELETE one entry {cidr} of an IP set.
void add_ipset_entry_handlers(HandlerTable& table, const std::string& path,
                              const std::string& kind) {
  table.add(Verb::get, path,
            reader([kind](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = ipset_entry_of(state, call, kind);
              if (!lookup) return lookup.error();
              const auto [ipset, found] = *lookup;
              json::object out = *found;
              out["digest"] = entries_digest(*ipset);
              return ApiResult::ok(std::move(out));
            }));
  table.add(Verb::put, path, writer([kind](ClusterState& state, const ApiCall& call) {
              const auto lookup = ipset_entry_of(state, call, kind);
              if (!lookup) return lookup.error();
              const auto found = lookup->second;
              take_text(*found, call, "comment");
              if (call.has("nomatch")) {
                if (call.flag("nomatch"))
                  (*found)["nomatch"] = 1;
                else
                  found->erase("nomatch");
              }
              state.touch();
              return ApiResult::ok();
            }));
  table.add(Verb::delete_, path, writer([kind](ClusterState& state, const ApiCall& call) {
              const auto lookup = ipset_entry_of(state, call, kind);
              if (!lookup) return lookup.error();
              const auto [ipset, found] = *lookup;
              ipset->entries.erase(found);
              state.touch();
              return ApiResult::ok();
            }));
}

void add_ipset_handlers(HandlerTable& table, const std::string& base, const std::string& kind) {
  add_ipset_list_handlers(table, base, kind);
  const std::string one = base + "/{name}";
  table.add(Verb::get, one,
            reader([kind](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = ipset_of(state, call, kind);
              if (!lookup) return lookup.error();
              auto* ipset = *lookup;
              const std::string digest = entries_digest(*ipset);
              json::array out;
              for (const auto& entry : ipset->entries) {
                json::object listed = entry;
                listed["digest"] = digest;
                out.push_back(std::move(listed));
              }
              return ApiResult::ok(std::move(out));
            }));
  table.add(Verb::post, one, writer([kind](ClusterState& state, const ApiCall& call) {
              const auto lookup = ipset_of(state, call, kind);
              if (!lookup) return lookup.error();
              auto* ipset = *lookup;
              const std::string cidr = call.text("cidr");
              if (find_cidr(ipset->entries, cidr) != ipset->entries.end())
                return ApiResult::invalid("cidr", fmt::format("address '{}' already exists", cidr));
              json::object entry{{"cidr", cidr}};
              take_text(entry, call, "comment");
              if (call.flag("nomatch")) entry["nomatch"] = 1;
              ipset->entries.push_back(std::move(entry));
              state.touch();
              return ApiResult::ok();
            }));
  table.add(Verb::delete_, one, writer([kind](ClusterState& state, const ApiCall& call) {
              const auto lookup = stored_zone(state, call, kind);
              if (!lookup) return lookup.error();
              auto* zone = *lookup;
              const std::string name = call.text("name");
              if (!zone) return ApiResult::ok();  // already gone
              const auto found = zone->ipsets.find(name);
              if (found == zone->ipsets.end()) return ApiResult::ok();
              if (!found->second.entries.empty() && !call.flag("force"))
                return ApiResult::error(500, fmt::format("IPSet '{}' is not empty", name));
              zone->ipsets.erase(found);
              state.touch();
              return ApiResult::ok();
            }));
  add_ipset_entry_handlers(table, one + "/{cidr}", kind);
}

// ---- aliases ------------------------------------------------------------------------------

json::object alias_listed(const std::string& name, const FirewallAlias& alias,
                          const std::string& digest) {
  json::object out{{"name", name}, {"cidr", alias.cidr}, {"digest", digest}};
  if (!alias.comment.empty()) out["comment"] = alias.comment;
  return out;
}

template <typename Zone>
std::string aliases_digest(const Zone* zone) {
  json::object all;
  if (zone) {
    for (const auto& [name, alias] : zone->aliases)
      all[name] = json::array{json::string(alias.cidr), json::string(alias.comment)};
  }
  return content_digest(all);
}

ApiResult no_alias() {
  return ApiResult::invalid("name", "no such alias");
}

void add_alias_handlers(HandlerTable& table, const std::string& base, const std::string& kind) {
  const std::string one = base + "/{name}";
  table.add(Verb::get, base,
            reader([kind](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = stored_zone(state, call, kind);
              if (!lookup) return lookup.error();
              auto* zone = *lookup;
              json::array out;
              const std::string digest = aliases_digest(zone);
              if (zone) {
                for (const auto& [name, alias] : zone->aliases)
                  out.push_back(alias_listed(name, alias, digest));
              }
              return ApiResult::ok(std::move(out));
            }));
  // Proxmox keeps alias names lower-case (they match case-insensitively in rules).
  table.add(Verb::post, base, writer([kind](ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = firewall_zone_of(state, call, kind);
              if (!lookup) return lookup.error();
              const std::string& key = *lookup;
              auto& aliases = state.firewall().zones[key].aliases;
              const std::string name = lower(call.text("name"));
              if (aliases.contains(name))
                return ApiResult::invalid("name", fmt::format("alias '{}' already exists", name));
              aliases[name] = {call.text("cidr"), call.text("comment")};
              state.touch();
              return ApiResult::ok();
            }));
  table.add(
      Verb::get, one, reader([kind](const ClusterState& state, const ApiCall& call) -> ApiResult {
        const auto lookup = stored_zone(state, call, kind);
        if (!lookup) return lookup.error();
        auto* zone = *lookup;
        const std::string name = lower(call.text("name"));
        if (!zone || !zone->aliases.contains(name)) return no_alias();
        return ApiResult::ok(alias_listed(name, zone->aliases.at(name), aliases_digest(zone)));
      }));
  table.add(Verb::put, one, writer([kind](ClusterState& state, const ApiCall& call) {
              const auto lookup = stored_zone(state, call, kind);
              if (!lookup) return lookup.error();
              auto* zone = *lookup;
              const std::string name = lower(call.text("name"));
              if (!zone || !zone->aliases.contains(name)) return no_alias();
              FirewallAlias alias = zone->aliases.at(name);
              alias.cidr = call.text("cidr");
              if (call.has("comment")) alias.comment = call.text("comment");
              const std::string rename = lower(call.text("rename"));
              if (!rename.empty() && rename != name) {
                if (zone->aliases.contains(rename))
                  return ApiResult::invalid("name",
                                            fmt::format("alias '{}' already exists", rename));
                zone->aliases.erase(name);
                zone->aliases[rename] = std::move(alias);
              } else {
                zone->aliases[name] = std::move(alias);
              }
              state.touch();
              return ApiResult::ok();
            }));
  table.add(Verb::delete_, one, writer([kind](ClusterState& state, const ApiCall& call) {
              const auto lookup = stored_zone(state, call, kind);
              if (!lookup) return lookup.error();
              auto* zone = *lookup;
              if (zone && zone->aliases.erase(lower(call.text("name"))) > 0) state.touch();
              return ApiResult::ok();
            }));
}

}  // namespace

void add_firewall_set_handlers(HandlerTable& table) {
  add_group_handlers(table);
  add_ipset_handlers(table, "/cluster/firewall/ipset", "cluster");
  add_alias_handlers(table, "/cluster/firewall/aliases", "cluster");
  for (const std::string type : {"qemu", "lxc"}) {
    const std::string base = "/nodes/{node}/" + type + "/{vmid}/firewall";
    add_ipset_handlers(table, base + "/ipset", type);
    add_alias_handlers(table, base + "/aliases", type);
  }
}

}  // namespace pbx::proxmox
