#include "sync/sdn.hpp"

#include <set>

#include "sync/json_util.hpp"
#include "sync/mapping.hpp"
#include "sync/network_mapping.hpp"

namespace pbx::sync {
namespace json = boost::json;

namespace {

template <typename Fn>
void for_each_object(const json::value& data, Fn&& fn) {
  if (!data.is_array()) return;
  for (const auto& entry : data.as_array()) {
    if (entry.is_object()) fn(entry.as_object());
  }
}

std::string group_key(int64_t cluster, std::string_view zone) {
  return std::to_string(cluster) + "/" + slugify(zone);
}

std::string sdn_vlan_key(int64_t group, std::string_view vnet) {
  return std::to_string(group) + "/" + std::string(vnet);
}

}  // namespace

SdnConfig parse_sdn(const json::value& zones, const json::value& vnets) {
  SdnConfig config;
  for_each_object(zones, [&](const json::object& zone) {
    SdnZone parsed{json_string(field(zone, "zone")), json_string(field(zone, "type"))};
    if (!parsed.name.empty()) config.zones.push_back(std::move(parsed));
  });
  for_each_object(vnets, [&](const json::object& vnet) {
    SdnVnet parsed{json_string(field(vnet, "vnet")), json_string(field(vnet, "zone")),
                   json_string(field(vnet, "alias")),
                   static_cast<int>(json_int(field(vnet, "tag")))};
    if (!parsed.name.empty()) config.vnets.push_back(std::move(parsed));
  });
  return config;
}

void add_sdn_subnets(SdnConfig& config, const std::string& vnet, const json::value& data) {
  for_each_object(data, [&](const json::object& subnet) {
    SdnSubnet parsed{json_string(field(subnet, "cidr")), vnet,
                     json_string(field(subnet, "gateway"))};
    if (!parsed.cidr.empty()) config.subnets.push_back(std::move(parsed));
  });
}

std::string current_vlan_group_key(const json::object& group) {
  return std::to_string(json_int(field(group, "scope_id"))) + "/" +
         json_string(field(group, "slug"));
}

std::string current_sdn_vlan_key(const json::object& vlan) {
  return sdn_vlan_key(nested_id(vlan, "group"), json_string(field(vlan, "name")));
}

std::string current_prefix_key(const json::object& prefix) {
  return json_string(field(prefix, "prefix"));
}

std::vector<DesiredObject> desired_vlan_groups(const std::map<int64_t, const SdnConfig*>& clusters,
                                               int64_t tag) {
  std::vector<DesiredObject> groups;
  for (const auto& [cluster, config] : clusters) {
    for (const auto& zone : config->zones) {
      groups.push_back({group_key(cluster, zone.name),
                        {{"name", zone.name},
                         {"slug", slugify(zone.name)},
                         {"scope_type", "virtualization.cluster"},
                         {"scope_id", cluster},
                         {"description", "Proxmox SDN zone (" + zone.type + ")"},
                         {"tags", json::array{tag}}}});
    }
  }
  return groups;
}

std::vector<DesiredObject> desired_sdn_vlans(const std::map<int64_t, const SdnConfig*>& clusters,
                                             const std::map<std::string, int64_t>& groups,
                                             int64_t tag) {
  std::vector<DesiredObject> vlans;
  for (const auto& [cluster, config] : clusters) {
    for (const auto& vnet : config->vnets) {
      const int64_t group = lookup_id(groups, group_key(cluster, vnet.zone));
      if (group <= 0 || vnet.tag < 1 || vnet.tag > 4094) continue;
      vlans.push_back({sdn_vlan_key(group, vnet.name),
                       {{"group", group},
                        {"vid", vnet.tag},
                        {"name", vnet.name},
                        {"status", "active"},
                        {"description", vnet.alias},
                        {"tags", json::array{tag}}}});
    }
  }
  return vlans;
}

std::vector<DesiredObject> desired_sdn_prefixes(const std::map<int64_t, const SdnConfig*>& clusters,
                                                const std::map<std::string, int64_t>& groups,
                                                const std::map<std::string, int64_t>& vlans,
                                                int64_t tag) {
  std::vector<DesiredObject> prefixes;
  std::set<std::string> seen;  // NetBox: a prefix once in the global table
  for (const auto& [cluster, config] : clusters) {
    for (const auto& subnet : config->subnets) {
      if (!seen.insert(subnet.cidr).second) continue;
      std::string zone;
      for (const auto& vnet : config->vnets) {
        if (vnet.name == subnet.vnet) zone = vnet.zone;
      }
      const int64_t group = lookup_id(groups, group_key(cluster, zone));
      const int64_t vlan = group > 0 ? lookup_id(vlans, sdn_vlan_key(group, subnet.vnet)) : 0;
      std::string description = "Proxmox SDN subnet of " + subnet.vnet;
      if (!subnet.gateway.empty()) description += ", gateway " + subnet.gateway;
      prefixes.push_back({subnet.cidr,
                          {{"prefix", subnet.cidr},
                           {"vlan", id_or_null(vlan)},
                           {"status", "active"},
                           {"description", description},
                           {"tags", json::array{tag}}}});
    }
  }
  return prefixes;
}

}  // namespace pbx::sync
