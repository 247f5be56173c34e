#pragma once
// A cluster's SDN configuration (/cluster/sdn/zones, /cluster/sdn/vnets and each VNet's
// /subnets) as plain data, and its NetBox form (plugin stage 11): a VLAN group per zone (scoped
// to the cluster), a VLAN per tagged VNet in its zone's group, a prefix per subnet (linked to its
// VNet's VLAN). Pure functions; ids come in as arguments.

#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <vector>

#include "sync/diff.hpp"

namespace pbx::sync {

struct SdnZone {
  std::string name, type;
};
struct SdnVnet {
  std::string name, zone, alias;
  int tag = 0;  // 0: none (no VLAN)
};
struct SdnSubnet {
  std::string cidr, vnet, gateway;
};
struct SdnConfig {
  std::vector<SdnZone> zones;
  std::vector<SdnVnet> vnets;
  std::vector<SdnSubnet> subnets;
};

SdnConfig parse_sdn(const boost::json::value& zones, const boost::json::value& vnets);
// Adds one VNet's subnet listing to `config`.
void add_sdn_subnets(SdnConfig& config, const std::string& vnet, const boost::json::value& data);

inline constexpr const char* kVlanGroupsPath = "/ipam/vlan-groups/";
inline constexpr const char* kPrefixesPath = "/ipam/prefixes/";

// Keys: "<cluster id>/<zone slug>", "<group id>/<vnet>", the prefix itself.
std::string current_vlan_group_key(const boost::json::object& group);
std::string current_sdn_vlan_key(const boost::json::object& vlan);
std::string current_prefix_key(const boost::json::object& prefix);

// `clusters`: cluster id → its SDN configuration (those whose SDN this run read).
std::vector<DesiredObject> desired_vlan_groups(const std::map<int64_t, const SdnConfig*>& clusters,
                                               int64_t tag);
// `groups`: vlan group key → id.
std::vector<DesiredObject> desired_sdn_vlans(const std::map<int64_t, const SdnConfig*>& clusters,
                                             const std::map<std::string, int64_t>& groups,
                                             int64_t tag);
// `vlans`: sdn vlan key → id.
std::vector<DesiredObject> desired_sdn_prefixes(const std::map<int64_t, const SdnConfig*>& clusters,
                                                const std::map<std::string, int64_t>& groups,
                                                const std::map<std::string, int64_t>& vlans,
                                                int64_t tag);

}  // namespace pbx::sync
