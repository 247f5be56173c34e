#pragma once
// Reading the two sides the estate checks compare (internal to the E2E suite): NetBox's answers
// (choices, addresses, time stamps, objects by name) and what the Proxmox endpoint lists, and
// what NetBox should hold for a guest's NIC.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "estate.hpp"

namespace pbx::e2e::suite::estate {

// "2026-01-01T00:00:00Z" / "...+00:00" → unix seconds; -1 when not a time stamp.
int64_t unix_seconds(const boost::json::value* value);
std::string upper(std::string text);
// "a,b,c" → {"a","b","c"}; empty items dropped.
std::vector<std::string> split_list(const std::string& text, char separator = ',');
bool is_v6(std::string_view cidr);
// The NetBox interface name of a guest NIC: netN for QEMU, the container's own name for LXC.
std::string nic_key(const proxmox::GuestScenario& guest, const proxmox::NicScenario& nic);
// The addresses NetBox should hold on a NIC; nullopt when nobody can read them.
std::optional<std::vector<std::string>> expected_addresses(const proxmox::GuestScenario& guest,
                                                           const proxmox::NicScenario& nic);
std::string netbox_version(NetBoxReader& netbox);
bool at_least(const std::string& version, int major, int minor);
// A number Proxmox may send as a JSON number or as its text ("100").
int64_t number_of(const boost::json::value& value);
// A choice field's value: NetBox renders choices as {value, label}.
std::string choice_value(const boost::json::object& object, std::string_view key);
std::string address_of(const boost::json::value* ip);
// The addresses NetBox holds on the interface `filter`=`id`, each active and tagged proxbox.
std::set<std::string> addresses_on(NetBoxReader& netbox, std::string_view filter, int64_t id);
std::map<std::string, boost::json::object> by_name(const std::vector<boost::json::object>& objects,
                                                   std::string_view field = "name");
// The backup volumes Proxmox lists for a guest (storage content of its node).
std::vector<boost::json::object> listed_backups(ProxmoxSide& pve,
                                                const proxmox::ClusterScenario& cluster,
                                                const proxmox::GuestScenario& guest);
// The journal entries NetBox holds on the VM.
std::vector<boost::json::object> vm_journal(NetBoxReader& netbox, int64_t vm_id);

}  // namespace pbx::e2e::suite::estate
