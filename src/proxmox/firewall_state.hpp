#pragma once
// The firewall the mock keeps (pve_firewall.cpp, pve_firewall_sets.cpp): per zone — the
// datacenter's, each node's and each guest's — its rules, options, IP sets and aliases, and the
// datacenter's security groups, as clients wrote them. Loaded from and exported to the
// scenario's `firewall` object (to_json/from_json), so a write survives GET /mock/state and
// POST /mock/scenario.

#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <vector>

namespace pbx::proxmox {

struct FirewallIpSet {
  std::string comment;
  std::vector<boost::json::object> entries;  // {cidr, comment?, nomatch?}, in insertion order
};

struct FirewallAlias {
  std::string cidr;
  std::string comment;
};

struct FirewallZone {
  std::vector<boost::json::object> rules;  // in order: a rule's pos is its index
  boost::json::object options;
  std::map<std::string, FirewallIpSet> ipsets;   // by name; Proxmox lists them sorted
  std::map<std::string, FirewallAlias> aliases;  // by name (Proxmox keeps them lower-case)

  bool empty() const {
    return rules.empty() && options.empty() && ipsets.empty() && aliases.empty();
  }
};

struct FirewallGroup {
  std::string comment;
  std::vector<boost::json::object> rules;  // a rule's pos is its index
};

struct FirewallState {
  // By zone: "cluster", "node/<name>", "qemu/<vmid>", "lxc/<vmid>".
  std::map<std::string, FirewallZone> zones;
  std::map<std::string, FirewallGroup> groups;  // datacenter security groups, by name

  // {"zones": {"cluster": {"rules", "options", "ipsets", "aliases"}, ...}, "groups": {...}};
  // empty zones and an empty state leave their keys out.
  boost::json::object to_json() const;
  // Throws std::invalid_argument naming what is malformed ("zones.cluster.rules[0]: ...").
  static FirewallState from_json(const boost::json::object& json);
};

}  // namespace pbx::proxmox
