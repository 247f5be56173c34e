#include "proxmox/firewall_state.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <stdexcept>

namespace pbx::proxmox {
namespace {

namespace json = boost::json;

[[noreturn]] void fail(const std::string& where, const std::string& problem) {
  throw std::invalid_argument(where + ": " + problem);
}

const json::object& object_at(const json::value& value, const std::string& where) {
  if (!value.is_object()) fail(where, "expected an object");
  return value.as_object();
}

std::string text_of(const json::object& object, std::string_view key, const std::string& where) {
  const auto* value = object.if_contains(key);
  if (!value || value->is_null()) return {};
  if (!value->is_string()) fail(where + "." + std::string(key), "expected a string");
  return std::string(value->as_string());
}

// Every member of `object` must be one of `known`.
void only(const json::object& object, std::initializer_list<std::string_view> known,
          const std::string& where) {
  for (const auto& [key, value] : object) {
    if (std::find(known.begin(), known.end(), std::string_view(key)) == known.end())
      fail(where == "(firewall)" ? std::string(key) : where + "." + std::string(key),
           "unknown key");
  }
}

std::vector<json::object> objects_at(const json::object& parent, std::string_view key,
                                     const std::string& where) {
  std::vector<json::object> out;
  const auto* value = parent.if_contains(key);
  if (!value || value->is_null()) return out;
  const std::string path = where + "." + std::string(key);
  if (!value->is_array()) fail(path, "expected an array");
  size_t index = 0;
  for (const auto& item : value->as_array())
    out.push_back(object_at(item, path + "[" + std::to_string(index++) + "]"));
  return out;
}

json::array array_of(const std::vector<json::object>& objects) {
  json::array out;
  for (const auto& object : objects)
    out.push_back(object);
  return out;
}

json::object zone_json(const FirewallZone& zone) {
  json::object out;
  if (!zone.rules.empty()) out["rules"] = array_of(zone.rules);
  if (!zone.options.empty()) out["options"] = zone.options;
  if (!zone.ipsets.empty()) {
    json::object ipsets;
    for (const auto& [name, ipset] : zone.ipsets)
      ipsets[name] = json::object{{"comment", ipset.comment}, {"entries", array_of(ipset.entries)}};
    out["ipsets"] = std::move(ipsets);
  }
  if (!zone.aliases.empty()) {
    json::object aliases;
    for (const auto& [name, alias] : zone.aliases)
      aliases[name] = json::object{{"cidr", alias.cidr}, {"comment", alias.comment}};
    out["aliases"] = std::move(aliases);
  }
  return out;
}

FirewallZone zone_from(const json::object& json, const std::string& where) {
  only(json, {"rules", "options", "ipsets", "aliases"}, where);
  FirewallZone zone;
  zone.rules = objects_at(json, "rules", where);
  if (const auto* options = json.if_contains("options"))
    zone.options = object_at(*options, where + ".options");
  if (const auto* ipsets = json.if_contains("ipsets")) {
    for (const auto& [name, value] : object_at(*ipsets, where + ".ipsets")) {
      const std::string path = where + ".ipsets." + std::string(name);
      const auto& ipset = object_at(value, path);
      only(ipset, {"comment", "entries"}, path);
      auto entries = objects_at(ipset, "entries", path);
      for (const auto& entry : entries) {
        if (text_of(entry, "cidr", path + ".entries").empty())
          fail(path + ".entries", "an entry without cidr");
      }
      zone.ipsets[std::string(name)] = {text_of(ipset, "comment", path), std::move(entries)};
    }
  }
  if (const auto* aliases = json.if_contains("aliases")) {
    for (const auto& [name, value] : object_at(*aliases, where + ".aliases")) {
      const std::string path = where + ".aliases." + std::string(name);
      const auto& alias = object_at(value, path);
      only(alias, {"cidr", "comment"}, path);
      if (text_of(alias, "cidr", path).empty()) fail(path, "an alias without cidr");
      zone.aliases[std::string(name)] = {text_of(alias, "cidr", path),
                                         text_of(alias, "comment", path)};
    }
  }
  return zone;
}

}  // namespace

json::object FirewallState::to_json() const {
  json::object out;
  json::object zone_list;
  for (const auto& [key, zone] : zones) {
    if (!zone.empty()) zone_list[key] = zone_json(zone);
  }
  if (!zone_list.empty()) out["zones"] = std::move(zone_list);
  if (!groups.empty()) {
    json::object group_list;
    for (const auto& [name, group] : groups)
      group_list[name] = json::object{{"comment", group.comment}, {"rules", array_of(group.rules)}};
    out["groups"] = std::move(group_list);
  }
  return out;
}

FirewallState FirewallState::from_json(const json::object& json) {
  only(json, {"zones", "groups"}, "(firewall)");
  FirewallState state;
  if (const auto* zones = json.if_contains("zones")) {
    for (const auto& [key, value] : object_at(*zones, "zones")) {
      const std::string path = "zones." + std::string(key);
      state.zones[std::string(key)] = zone_from(object_at(value, path), path);
    }
  }
  if (const auto* groups = json.if_contains("groups")) {
    for (const auto& [name, value] : object_at(*groups, "groups")) {
      const std::string path = "groups." + std::string(name);
      const auto& group = object_at(value, path);
      only(group, {"comment", "rules"}, path);
      state.groups[std::string(name)] = {text_of(group, "comment", path),
                                         objects_at(group, "rules", path)};
    }
  }
  return state;
}

}  // namespace pbx::proxmox
