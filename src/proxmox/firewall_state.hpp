#pragma once
// The firewall the mock keeps per zone (pve_firewall.cpp): the datacenter's, each node's and
// each guest's rules and options, as clients wrote them. Not part of export_scenario(): a
// scenario starts with every firewall empty.

#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <vector>

namespace pbx::proxmox {

struct FirewallZone {
  std::vector<boost::json::object> rules;  // in order: a rule's pos is its index
  boost::json::object options;
};

// By zone: "cluster", "node/<name>", "qemu/<vmid>", "lxc/<vmid>".
using FirewallState = std::map<std::string, FirewallZone>;

}  // namespace pbx::proxmox
