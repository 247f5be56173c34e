#include "estate_reading.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

namespace pbx::e2e::suite::estate {

namespace json = boost::json;
using proxmox::ClusterScenario;
using proxmox::GuestScenario;
using proxmox::NicScenario;

int64_t unix_seconds(const json::value* value) {
  if (value == nullptr || !value->is_string() || value->as_string().size() < 19) return -1;
  std::tm parts{};
  if (!strptime(std::string(value->as_string()).substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &parts))
    return -1;
  return static_cast<int64_t>(timegm(&parts));
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

std::vector<std::string> split_list(const std::string& text, char separator) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(separator, start), text.size());
    if (end > start) items.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return items;
}

bool is_v6(std::string_view cidr) {
  return cidr.find(':') != std::string_view::npos;
}

std::string nic_key(const GuestScenario& guest, const NicScenario& nic) {
  return guest.type == "lxc" ? nic.key : nic.name;
}

// The addresses NetBox should hold on a NIC: QEMU's from the guest agent, which answers only
// for a running VM with the agent on; a container's static ip=/ip6= (its first of each family).
std::optional<std::vector<std::string>> expected_addresses(const GuestScenario& guest,
                                                           const NicScenario& nic) {
  if (guest.type == "qemu") {
    if (!guest.agent || guest.status != "running") return std::nullopt;
    return nic.ip_addresses;
  }
  std::vector<std::string> addresses;
  for (const bool v6 : {false, true}) {
    const auto first = std::find_if(nic.ip_addresses.begin(), nic.ip_addresses.end(),
                                    [&](const std::string& cidr) { return is_v6(cidr) == v6; });
    if (first != nic.ip_addresses.end()) addresses.push_back(*first);
  }
  return addresses;
}

std::string netbox_version(NetBoxReader& netbox) {
  const auto status = netbox.get("/api/status/");
  if (!status.ok()) return "";
  return string_field(status.json().as_object(), "netbox-version");
}

bool at_least(const std::string& version, int major, int minor) {
  int got_major = 0, got_minor = 0;
  std::sscanf(version.c_str(), "%d.%d", &got_major, &got_minor);
  return got_major > major || (got_major == major && got_minor >= minor);
}

int64_t number_of(const json::value& value) {
  if (value.is_string()) return std::stoll(std::string(value.as_string()));
  return value.to_number<int64_t>();
}

std::string choice_value(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value && value->is_object()) return string_field(value->as_object(), "value");
  return string_field(object, key);
}

std::string address_of(const json::value* ip) {
  if (ip == nullptr || !ip->is_object()) return "";
  return string_field(ip->as_object(), "address");
}

std::set<std::string> addresses_on(NetBoxReader& netbox, std::string_view filter, int64_t id) {
  std::set<std::string> addresses;
  for (const auto& ip : netbox.list("/api/ipam/ip-addresses/", fmt::format("{}={}", filter, id))) {
    addresses.insert(string_field(ip, "address"));
    EXPECT_EQ(choice_value(ip, "status"), "active");
    EXPECT_TRUE(tag_slugs(ip).contains("proxbox")) << string_field(ip, "address");
  }
  return addresses;
}

std::map<std::string, json::object> by_name(const std::vector<json::object>& objects,
                                            std::string_view field) {
  std::map<std::string, json::object> named;
  for (const auto& object : objects)
    named[string_field(object, field)] = object;
  return named;
}

// The backup volumes Proxmox lists for a guest (storage content of its node).
std::vector<json::object> listed_backups(ProxmoxSide& pve, const ClusterScenario& cluster,
                                         const GuestScenario& guest) {
  std::vector<json::object> backups;
  for (const auto& storage : cluster.storages) {
    if (std::find(storage.content.begin(), storage.content.end(), "backup") ==
        storage.content.end())
      continue;
    const auto content =
        pve.get(fmt::format("/nodes/{}/storage/{}/content?content=backup", guest.node, storage.id));
    if (!content.is_array()) continue;
    for (const auto& volume : content.as_array()) {
      if (number_of(volume.as_object().at("vmid")) == guest.vmid)
        backups.push_back(volume.as_object());
    }
  }
  return backups;
}

std::vector<json::object> vm_journal(NetBoxReader& netbox, int64_t vm_id) {
  return netbox.list(
      "/api/extras/journal-entries/",
      fmt::format("assigned_object_type=virtualization.virtualmachine&assigned_object_id={}",
                  vm_id));
}

}  // namespace pbx::e2e::suite::estate
