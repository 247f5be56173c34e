// GET /proxmox (an overview per endpoint, as upstream's) and /proxmox/firewall/...: the firewall
// of the datacenter (cluster/firewall), of a node (nodes/{node}/firewall) and of a guest
// (nodes/{node}/{qemu|lxc}/{vmid}/firewall, the guest's node and type found in
// /cluster/resources), proxied to the endpoints with their credentials. Reads answer upstream's
// shapes: rules, IP sets, aliases and groups flattened over the endpoints, each labelled with
// cluster_name and zone (an endpoint that cannot be read is an entry with status "error");
// options as one object (the first endpoint that has any), or null. Writes (POST rules, PUT
// options) go to one endpoint — the one holding the node or guest; for the datacenter the only
// selected one (`proxmox_endpoint_ids`) — and answer what the zone holds afterwards.

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <functional>
#include <map>

#include "api/plugin_routes.hpp"
#include "sync/json_util.hpp"
#include "sync/proxmox_reader.hpp"

namespace pbx::api {
namespace json = boost::json;
using http::Response;
using http::Status;
using V = http::Verb;

namespace {

// One firewall on one endpoint: its API path and the labels its entries carry.
struct Zone {
  const sync::ProxmoxSource* source = nullptr;
  std::string path;     // "/cluster/firewall"
  json::object labels;  // cluster_name, zone, node, vmid
};

// The zones a route addresses, or its refusal (404 when no endpoint has the node or guest).
using Zones = OrRefusal<std::vector<Zone>>;

std::string node_path(std::string_view node) {
  return "/nodes/" + http::percent_encode(node);
}

// The datacenter firewall of every selected endpoint.
Zones datacenter_zones(const ProxmoxSources& sources) {
  std::vector<Zone> zones;
  for (const auto& source : sources)
    zones.push_back({&source, "/cluster/firewall",
                     json::object{{"cluster_name", source.name}, {"zone", "datacenter"}}});
  return zones;
}

bool lists(const json::value& list, std::string_view key, std::string_view value) {
  if (!list.is_array()) return false;
  for (const auto& entry : list.as_array()) {
    const auto* found = entry.is_object() ? entry.as_object().if_contains(key) : nullptr;
    if (found && found->is_string() && found->as_string() == value) return true;
  }
  return false;
}

// The firewall of node `node` on every endpoint that has it; 404 when none has it.
Zones node_zones(const ProxmoxSources& sources, const std::string& node) {
  std::vector<Zone> zones;
  for (const auto& source : sources) {
    try {
      if (!lists(proxmox_read(source, "/nodes"), "node", node)) continue;
    } catch (const std::exception& error) {
      return refuse(Status::bad_gateway, "Proxmox endpoint " + source.name + ": " + error.what());
    }
    zones.push_back(
        {&source, node_path(node) + "/firewall",
         json::object{{"cluster_name", source.name}, {"zone", "node"}, {"node", node}}});
  }
  if (zones.empty())
    return refuse(Status::not_found, "No Proxmox endpoint has a node named '" + node + "'.");
  return zones;
}

// The firewall of guest `vmid`, on the endpoints whose /cluster/resources list it (with the
// node and type found there; `node` and `vm_type` in the query, when given, must agree).
Zones guest_zones(const ProxmoxSources& sources, const http::Request& request) {
  const auto vmid = parse_positive_id(request.path_param("vmid"));
  if (!vmid) return refuse(Status::unprocessable_entity, "vmid must be a positive integer");
  const auto wanted_node = request.query_value("node");
  const auto wanted_type = request.query_value("vm_type");
  if (wanted_type && *wanted_type != "qemu" && *wanted_type != "lxc") {
    return refuse(Status::unprocessable_entity, "vm_type must be qemu or lxc");
  }
  std::vector<Zone> zones;
  for (const auto& source : sources) {
    json::value resources;
    try {
      resources = proxmox_read(source, "/cluster/resources?type=vm");
    } catch (const std::exception& error) {
      return refuse(Status::bad_gateway, "Proxmox endpoint " + source.name + ": " + error.what());
    }
    if (!resources.is_array()) continue;
    for (const auto& entry : resources.as_array()) {
      if (!entry.is_object()) continue;
      const auto& guest = entry.as_object();
      if (sync::json_int(guest.if_contains("vmid")) != *vmid) continue;
      const std::string node = sync::json_string(guest.if_contains("node"));
      const std::string type = sync::json_string(guest.if_contains("type"));
      if ((wanted_node && *wanted_node != node) || (wanted_type && *wanted_type != type)) continue;
      zones.push_back({&source,
                       node_path(node) + "/" + type + "/" + std::to_string(*vmid) + "/firewall",
                       json::object{{"cluster_name", source.name},
                                    {"zone", type == "qemu" ? "vm_qemu" : "vm_lxc"},
                                    {"node", node},
                                    {"vmid", *vmid}}});
    }
  }
  if (zones.empty()) {
    return refuse(Status::not_found,
                  "No Proxmox endpoint has guest " + std::to_string(*vmid) +
                      (wanted_node ? " on node " + std::string(*wanted_node) : "") + ".");
  }
  return zones;
}

using ZoneFinder = std::function<Zones(const ProxmoxSources&, const http::Request&)>;

json::object labelled(const json::object& labels) {
  json::object entry = labels;
  entry["status"] = "ok";
  return entry;
}

json::value as_bool(const json::value* value) {
  if (!value || value->is_null()) return nullptr;
  return sync::json_bool(value);
}

// A Proxmox rule as upstream answers it (enable as a boolean, icmp-type as icmp_type).
json::object rule_entry(const json::object& labels, const json::object& rule) {
  json::object entry = labelled(labels);
  for (const char* key : {"pos", "type", "action", "macro", "iface", "source", "dest", "proto",
                          "dport", "sport", "log", "comment", "digest"}) {
    const auto* value = rule.if_contains(key);
    entry[key] = value ? *value : json::value(nullptr);
  }
  entry["enable"] = as_bool(rule.if_contains("enable"));
  const auto* icmp = rule.if_contains("icmp-type");
  entry["icmp_type"] = icmp ? *icmp : json::value(nullptr);
  return entry;
}

json::array list_of(const json::value& data) {
  return data.is_array() ? data.as_array() : json::array{};
}

// One list entry per item of each zone's `suffix` read, shaped by `shape`; a zone that cannot
// be read is one entry with status "error".
Response flattened(const std::vector<Zone>& zones, const std::string& suffix,
                   const std::function<json::value(const Zone&, const json::object&)>& shape) {
  json::array answer;
  for (const auto& zone : zones) {
    try {
      for (const auto& item : list_of(proxmox_read(*zone.source, zone.path + suffix))) {
        if (item.is_object()) answer.push_back(shape(zone, item.as_object()));
      }
    } catch (const std::exception& error) {
      json::object entry = zone.labels;
      mark_unreadable(entry, error);
      answer.push_back(std::move(entry));
    }
  }
  return Response::json(answer);
}

json::value rules_shape(const Zone& zone, const json::object& rule) {
  return rule_entry(zone.labels, rule);
}

json::value alias_shape(const Zone& zone, const json::object& alias) {
  json::object entry = labelled(zone.labels);
  for (const char* key : {"name", "cidr", "comment", "digest"}) {
    const auto* value = alias.if_contains(key);
    entry[key] = value ? *value : json::value(nullptr);
  }
  return entry;
}

json::value ipset_shape(const Zone& zone, const json::object& ipset) {
  json::object entry = alias_shape(zone, ipset).as_object();
  entry.erase("cidr");
  json::array entries;
  const std::string name = sync::json_string(ipset.if_contains("name"));
  for (const auto& item :
       list_of(proxmox_read(*zone.source, zone.path + "/ipset/" + http::percent_encode(name)))) {
    if (!item.is_object()) continue;
    const auto& cidr = item.as_object();
    json::object one{
        {"cidr", cidr.contains("cidr") ? cidr.at("cidr") : json::value(nullptr)},
        {"comment", cidr.contains("comment") ? cidr.at("comment") : json::value(nullptr)},
        {"nomatch", as_bool(cidr.if_contains("nomatch"))}};
    entries.push_back(std::move(one));
  }
  entry["entries"] = std::move(entries);
  return entry;
}

json::value group_shape(const Zone& zone, const json::object& group) {
  const std::string name = sync::json_string(group.if_contains("group"));
  json::object entry = labelled(json::object{{"cluster_name", zone.labels.at("cluster_name")}});
  entry["name"] = name;
  entry["comment"] = group.contains("comment") ? group.at("comment") : json::value(nullptr);
  entry["digest"] = group.contains("digest") ? group.at("digest") : json::value(nullptr);
  json::object rule_labels = zone.labels;
  rule_labels["zone"] = "security_group";
  rule_labels["security_group"] = name;
  json::array rules;
  for (const auto& rule :
       list_of(proxmox_read(*zone.source, zone.path + "/groups/" + http::percent_encode(name)))) {
    if (rule.is_object()) rules.push_back(rule_entry(rule_labels, rule.as_object()));
  }
  entry["rules"] = std::move(rules);
  return entry;
}

constexpr const char* kKnownOptions[] = {"enable", "policy_in", "policy_out", "log_ratelimit"};

// A zone's options as upstream's options object: enable, policy_in, policy_out and the rest.
json::object options_entry(const Zone& zone, const json::object& options) {
  json::object entry = labelled(zone.labels);
  entry["enable"] = as_bool(options.if_contains("enable"));
  for (const char* key : {"policy_in", "policy_out"}) {
    const auto* value = options.if_contains(key);
    entry[key] = value ? *value : json::value(nullptr);
  }
  json::object rest;
  for (const auto& [key, value] : options) {
    if (std::find(std::begin(kKnownOptions), std::end(kKnownOptions), key) ==
        std::end(kKnownOptions)) {
      rest[key] = value;
    }
  }
  entry["options"] = std::move(rest);
  return entry;
}

// The options of the first zone that has any, as upstream's options object; null when none.
Response options_of(const std::vector<Zone>& zones) {
  for (const auto& zone : zones) {
    json::value raw;
    try {
      raw = proxmox_read(*zone.source, zone.path + "/options");
    } catch (const std::exception& error) {
      return detail_response(Status::bad_gateway,
                             "Proxmox endpoint " + zone.source->name + ": " + error.what());
    }
    if (!raw.is_object() || raw.as_object().empty()) continue;
    return Response::json(options_entry(zone, raw.as_object()));
  }
  return Response::json(nullptr);
}

// One endpoint's datacenter firewall as the plugin's firewall sync reads it: security groups
// with their rules, rules, ip_sets with their entries, aliases and options (null when none are
// set), labelled with the Proxmox cluster's name (the plugin finds its endpoint by it). Any read
// failing makes the entry {cluster_name, status: "error", error} without the lists: what could not
// be read is not reported as empty.
json::object firewall_summary(const sync::ProxmoxSource& source) {
  json::object entry{{"cluster_name", source.name}};
  try {
    const std::string cluster = proxmox_cluster_name(source);
    entry["cluster_name"] = cluster;
    const Zone zone{&source, "/cluster/firewall",
                    json::object{{"cluster_name", cluster}, {"zone", "datacenter"}}};
    const auto each = [&](const std::string& suffix, auto shape) {
      json::array out;
      for (const auto& item : list_of(proxmox_read(source, zone.path + suffix))) {
        if (item.is_object()) out.push_back(shape(zone, item.as_object()));
      }
      return out;
    };
    json::array groups = each("/groups", group_shape);
    json::array rules = each("/rules", rules_shape);
    json::array ipsets = each("/ipset", ipset_shape);
    json::array aliases = each("/aliases", alias_shape);
    const json::value options = proxmox_read(source, zone.path + "/options");
    entry["status"] = "ok";
    entry["error"] = nullptr;
    entry["security_groups"] = std::move(groups);
    entry["rules"] = std::move(rules);
    entry["ip_sets"] = std::move(ipsets);
    entry["aliases"] = std::move(aliases);
    entry["options"] = options.is_object() && !options.as_object().empty()
                           ? json::value(options_entry(zone, options.as_object()))
                           : json::value(nullptr);
  } catch (const std::exception& error) {
    mark_unreadable(entry, error);
  }
  return entry;
}

// A JSON object body as Proxmox form parameters (booleans as 1/0), or the refusal.
OrRefusal<http::Params> form_of(const std::string& body) {
  boost::system::error_code error;
  const json::value parsed = json::parse(body, error);
  if (error || !parsed.is_object())
    return refuse(Status::unprocessable_entity, "The body must be a JSON object.");
  http::Params form;
  for (const auto& [key, value] : parsed.as_object()) {
    const std::string name(key);
    if (value.is_string())
      form.emplace_back(name, std::string(value.as_string()));
    else if (value.is_bool())
      form.emplace_back(name, value.as_bool() ? "1" : "0");
    else if (value.is_number())
      form.emplace_back(name, json::serialize(value));
    else if (!value.is_null())
      return refuse(Status::unprocessable_entity, "'" + name + "' must be a string or a number.");
  }
  return form;
}

// The zone a write goes to: the first holding the node or guest; for the datacenter, the only
// selected endpoint.
OrRefusal<Zone> write_zone(const std::vector<Zone>& zones, bool datacenter) {
  if (datacenter && zones.size() != 1) {
    return refuse(Status::bad_request,
                  "Several Proxmox endpoints are configured: name the one to change with "
                  "proxmox_endpoint_ids.");
  }
  return zones.front();
}

struct FirewallScope {
  std::string prefix;  // "/proxmox/firewall/datacenter"
  std::string what;    // "Datacenter", "Node", "Guest"
  ZoneFinder zones;
  bool datacenter = false;
  std::vector<QueryParam> query;
};

RouteDoc firewall_doc(V method, std::string path, std::string summary,
                      std::vector<QueryParam> query, std::string response_schema,
                      std::vector<std::pair<int, std::string>> extra = {}) {
  query.push_back({"proxmox_endpoint_ids", "array", "Restrict to these Proxmox endpoint ids"});
  std::vector<std::pair<int, std::string>> responses{
      {200, "The firewall data"}, {400, "No Proxmox endpoint"}, {502, "A Proxmox endpoint failed"}};
  responses.insert(responses.end(), extra.begin(), extra.end());
  RouteDoc doc{method,
               std::move(path),
               std::move(summary),
               "firewall",
               true,
               std::move(query),
               method == V::get ? "" : "FirewallWrite",
               std::move(responses)};
  doc.response_schema = std::move(response_schema);
  return doc;
}

// Runs `answer` with the zones of `scope` for the request, or answers the refusal of the
// endpoints or of the zones.
Response with_zones(const PluginRouteHooks& hooks, const FirewallScope& scope,
                    http::Request& request,
                    const std::function<Response(const std::vector<Zone>&)>& answer) {
  return with_sources(hooks, request, [&](const ProxmoxSources& sources) {
    const Zones zones = scope.zones(sources, request);
    if (!zones) return zones.error();
    return answer(*zones);
  });
}

void add_reads(const PluginRouteHooks& hooks, const FirewallScope& scope,
               const std::vector<std::string>& kinds) {
  using Shape = json::value (*)(const Zone&, const json::object&);
  static const std::map<std::string, std::pair<std::string, Shape>> kShapes{
      {"rules", {"/rules", rules_shape}},
      {"aliases", {"/aliases", alias_shape}},
      {"ipsets", {"/ipset", ipset_shape}},
      {"groups", {"/groups", group_shape}}};
  for (const auto& kind : kinds) {
    const auto& [read_suffix, read_shape] = kShapes.at(kind);
    hooks.add(firewall_doc(V::get, scope.prefix + "/" + kind,
                           scope.what + " firewall " + kind +
                               " over the endpoints: [{cluster_name, zone, ..., status}]",
                           scope.query, "FirewallEntries", {{404, "No endpoint has it"}}),
              [&hooks, &scope, suffix = read_suffix, shape = read_shape](http::Request& request) {
                return with_zones(hooks, scope, request, [&](const std::vector<Zone>& zones) {
                  return flattened(zones, suffix, shape);
                });
              });
  }
  hooks.add(firewall_doc(V::get, scope.prefix + "/options",
                         scope.what + " firewall options: {cluster_name, zone, enable, policy_in, "
                                      "policy_out, options, status}, or null when none are set",
                         scope.query, "FirewallOptions", {{404, "No endpoint has it"}}),
            [&hooks, &scope](http::Request& request) {
              return with_zones(hooks, scope, request,
                                [](const std::vector<Zone>& zones) { return options_of(zones); });
            });
}

// Sends `params` to the zone a write targets (`method` on its path + `suffix`) and answers what
// `answer` reads of it afterwards; Proxmox refusing it is a 502 naming `what`.
Response write_to_zone(const PluginRouteHooks& hooks, const FirewallScope& scope,
                       http::Request& request, V method, const std::string& suffix,
                       const http::Params& params, const std::string& what,
                       const std::function<Response(const Zone&)>& answer) {
  return with_zones(hooks, scope, request, [&](const std::vector<Zone>& zones) {
    const auto target = write_zone(zones, scope.datacenter);
    if (!target) return target.error();
    const Zone& zone = *target;
    sync::ProxmoxReader writer(*zone.source->transport, zone.source->credentials);
    try {
      writer.write(method, zone.path + suffix, params);
    } catch (const std::exception& error) {
      return detail_response(Status::bad_gateway,
                             "Proxmox refused " + what + ": " + std::string(error.what()));
    }
    return answer(zone);
  });
}

// POST <prefix>/rules and PUT <prefix>/options: the body's members as Proxmox parameters.
void add_writes(const PluginRouteHooks& hooks, const FirewallScope& scope) {
  const std::vector<std::pair<int, std::string>> failures{
      {404, "No endpoint has it"},
      {422, "Not a JSON object, or a rule without type and action"},
      {400, "Several endpoints and none chosen (datacenter)"}};
  hooks.add(firewall_doc(V::post, scope.prefix + "/rules",
                         "Add a " + scope.what +
                             " firewall rule (Proxmox's parameters: type, action, source, "
                             "dest, proto, dport, ...; inserted at pos 0 unless pos is given); "
                             "answers the zone's rules afterwards",
                         scope.query, "FirewallEntries", failures),
            [&hooks, &scope](http::Request& request) {
              const auto form = form_of(request.body);
              if (!form) return form.error();
              const http::Params& params = *form;
              bool type = false, action = false;
              for (const auto& [name, value] : params) {
                type = type || (name == "type" && !value.empty());
                action = action || (name == "action" && !value.empty());
              }
              if (!type || !action) {
                return detail_response(Status::unprocessable_entity,
                                       "A firewall rule needs a type (in, out, group, forward) "
                                       "and an action.");
              }
              return write_to_zone(
                  hooks, scope, request, V::post, "/rules", params, "the rule",
                  [](const Zone& zone) { return flattened({zone}, "/rules", rules_shape); });
            });
  hooks.add(firewall_doc(V::put, scope.prefix + "/options",
                         "Change " + scope.what +
                             " firewall options (Proxmox's parameters: enable, policy_in, "
                             "policy_out, ...; delete lists options to unset); answers them",
                         scope.query, "FirewallOptions", failures),
            [&hooks, &scope](http::Request& request) {
              const auto form = form_of(request.body);
              if (!form) return form.error();
              return write_to_zone(hooks, scope, request, V::put, "/options", *form, "the options",
                                   [](const Zone& zone) { return options_of({zone}); });
            });
}

const std::vector<FirewallScope>& scopes() {
  static const std::vector<FirewallScope> table{
      {"/proxmox/firewall/datacenter",
       "Datacenter",
       [](const ProxmoxSources& sources, const http::Request&) {
         return datacenter_zones(sources);
       },
       true,
       {}},
      {"/proxmox/firewall/nodes/{node}",
       "Node",
       [](const ProxmoxSources& sources, const http::Request& request) {
         return node_zones(sources, std::string(request.path_param("node")));
       },
       false,
       {}},
      {"/proxmox/firewall/vms/{vmid}",
       "Guest",
       guest_zones,
       false,
       {{"node", "string", "The guest's node (default: as /cluster/resources lists it)"},
        {"vm_type", "string", "qemu or lxc (default: as /cluster/resources lists it)"}}},
  };
  return table;
}

void add_summary(const PluginRouteHooks& hooks) {
  hooks.add(firewall_doc(V::get, "/proxmox/firewall/summary",
                         "The datacenter firewall of every endpoint, as the plugin's firewall "
                         "sync reads it: [{cluster_name, status, error, security_groups: [{name, "
                         "comment, rules}], rules, ip_sets: [{name, comment, entries}], aliases, "
                         "options}]; an endpoint that cannot be read is {cluster_name, status: "
                         "\"error\", error}",
                         {}, "FirewallSummary"),
            [&hooks](http::Request& request) {
              return with_sources(hooks, request, [](const ProxmoxSources& sources) {
                json::array answer;
                for (const auto& source : sources)
                  answer.push_back(firewall_summary(source));
                return Response::json(answer);
              });
            });
}

// One endpoint's top-level entries, as upstream's /proxmox overview lists them. Throws when the
// endpoint cannot be read.
json::object endpoint_overview(const sync::ProxmoxSource& source) {
  json::array access, cluster;
  for (const auto& entry : list_of(proxmox_read(source, "/access"))) {
    if (entry.is_object())
      access.push_back(json::string(sync::json_string(entry.as_object().if_contains("subdir"))));
  }
  for (const auto& entry : list_of(proxmox_read(source, "/cluster"))) {
    if (entry.is_object())
      cluster.push_back(json::string(sync::json_string(entry.as_object().if_contains("name"))));
  }
  return json::object{{source.name, json::object{{"access", std::move(access)},
                                                 {"cluster", std::move(cluster)},
                                                 {"nodes", proxmox_read(source, "/nodes")},
                                                 {"pools", proxmox_read(source, "/pools")},
                                                 {"storage", proxmox_read(source, "/storage")},
                                                 {"version", proxmox_read(source, "/version")}}}};
}

// The top-level entries of each endpoint, as upstream's /proxmox overview.
void add_overview(const PluginRouteHooks& hooks) {
  hooks.add(
      {V::get,
       "/proxmox",
       "Proxmox API overview: {message, proxmox_api_viewer, github, clusters: [{<endpoint>: "
       "{access, cluster, nodes, pools, storage, version}}]}",
       "proxmox",
       true,
       {{"proxmox_endpoint_ids", "array", "Restrict to these Proxmox endpoint ids"}},
       {},
       {{200, "The overview"}, {400, "No Proxmox endpoint"}, {502, "A Proxmox endpoint failed"}}},
      [&hooks](http::Request& request) {
        return with_sources(hooks, request, [](const ProxmoxSources& sources) {
          json::array clusters;
          for (const auto& source : sources) {
            try {
              clusters.push_back(endpoint_overview(source));
            } catch (const std::exception& error) {
              return detail_response(Status::bad_gateway,
                                     "Proxmox endpoint " + source.name + ": " + error.what());
            }
          }
          return Response::json(json::object{
              {"message", "Proxmox API"},
              {"proxmox_api_viewer", "https://pve.proxmox.com/pve-docs/api-viewer/"},
              {"github",
               json::object{{"netbox", "https://github.com/netbox-community/netbox"},
                            {"proxbox", "https://github.com/netdevopsbr/netbox-proxbox"}}},
              {"clusters", std::move(clusters)}});
        });
      });
}

}  // namespace

void add_firewall_routes(const PluginRouteHooks& hooks) {
  add_overview(hooks);
  add_summary(hooks);
  const auto& all = scopes();
  add_reads(hooks, all[0], {"rules", "groups", "ipsets", "aliases"});
  add_reads(hooks, all[1], {"rules"});
  add_reads(hooks, all[2], {"rules", "ipsets", "aliases"});
  for (const auto& scope : all)
    add_writes(hooks, scope);
}

}  // namespace pbx::api
