#include "sync/guest_devices.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

#include "common/text.hpp"
#include "sync/json_util.hpp"

namespace pbx::sync {
namespace json = boost::json;

namespace {

// "a=1,b=2,first" → {{"a","1"},{"b","2"},{"first",""}} in order.
std::vector<std::pair<std::string, std::string>> property_string(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> items;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const size_t equals = item.find('=');
    if (!item.empty()) {
      items.emplace_back(
          std::string(item.substr(0, equals)),
          equals == std::string_view::npos ? "" : std::string(item.substr(equals + 1)));
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

std::optional<int> number_suffix(std::string_view key, std::string_view prefix) {
  if (!key.starts_with(prefix) || key.size() == prefix.size()) return std::nullopt;
  return common::parse_number<int>(key.substr(prefix.size()));
}

// A setting's leading integer ("1500", "1500x" → 1500); 0 when it has none or it does not fit.
int to_int(std::string_view text) {
  return common::parse_number<int>(text, {.trailing_text = true}).value_or(0);
}

bool is_disk_key(std::string_view key, std::string_view guest_type) {
  if (guest_type == "lxc") return key == "rootfs" || number_suffix(key, "mp").has_value();
  for (const char* bus : {"scsi", "virtio", "sata", "ide"}) {
    if (number_suffix(key, bus)) return true;
  }
  return false;
}

std::optional<GuestDisk> parse_disk(const std::string& key, std::string_view value) {
  const auto items = property_string(value);
  if (items.empty() || !items.front().second.empty()) return std::nullopt;
  GuestDisk disk;
  disk.key = key;
  disk.volume = items.front().first;
  if (disk.volume == "none" || disk.volume == "cdrom") return std::nullopt;
  const size_t colon = disk.volume.find(':');
  if (colon == std::string::npos) return std::nullopt;  // a bind mount (a host path)
  disk.storage = disk.volume.substr(0, colon);
  for (const auto& [name, setting] : items) {
    if (name == "media" && setting == "cdrom") return std::nullopt;
    if (name == "size") disk.size_bytes = disk_size_bytes(setting).value_or(0);
  }
  if (disk.size_bytes <= 0) return std::nullopt;
  return disk;
}

bool is_static_cidr(const std::string& value) {
  return value.find('/') != std::string::npos;
}

GuestNic parse_nic(const std::string& key, std::string_view value, std::string_view guest_type) {
  static const std::vector<std::string_view> kSettings{
      "bridge", "firewall", "link_down", "mtu", "queues", "rate", "tag",  "trunks",
      "name",   "hwaddr",   "ip",        "ip6", "gw",     "gw6",  "type", "macaddr"};
  GuestNic nic;
  nic.key = key;
  if (guest_type == "lxc") nic.model = "veth";
  for (const auto& [name, setting] : property_string(value)) {
    if (name == "bridge") {
      nic.bridge = setting;
    } else if (name == "firewall") {
      nic.firewall = setting == "1";
    } else if (name == "link_down") {
      nic.link_down = setting == "1";
    } else if (name == "mtu") {
      nic.mtu = to_int(setting);
    } else if (name == "tag") {
      nic.vlan_tag = to_int(setting);
    } else if (name == "name") {
      nic.name = setting;
    } else if (name == "hwaddr" || name == "macaddr") {
      nic.mac = setting;
    } else if (name == "ip" || name == "ip6") {
      if (is_static_cidr(setting)) {
        nic.addresses.push_back(setting);
      } else if (setting == "dhcp" || setting == "auto" || setting == "manual") {
        nic.addresses_known = false;
      }
    } else if (guest_type == "qemu" &&
               std::find(kSettings.begin(), kSettings.end(), name) == kSettings.end()) {
      nic.model = name;  // "virtio=BC:24:11:..": the model with the MAC as its value
      if (nic.mac.empty()) nic.mac = setting;
    }
  }
  return nic;
}

}  // namespace

std::optional<int64_t> disk_size_bytes(std::string_view size) {
  if (size.empty()) return std::nullopt;
  double amount = 0;
  const auto [end, error] = std::from_chars(size.data(), size.data() + size.size(), amount);
  if (error != std::errc{} || amount < 0) return std::nullopt;
  const std::string_view unit = size.substr(end - size.data());
  static const std::map<std::string_view, double> kUnits{
      {"", 1.0}, {"K", 1024.0}, {"M", 1048576.0}, {"G", 1073741824.0}, {"T", 1099511627776.0}};
  const auto found = kUnits.find(unit);
  if (found == kUnits.end()) return std::nullopt;
  return static_cast<int64_t>(amount * found->second);
}

GuestDevices parse_guest_devices(const json::object& config, std::string_view guest_type) {
  GuestDevices devices;
  for (const auto& [key_view, value] : config) {
    const std::string key(key_view);
    if (!value.is_string()) continue;
    const std::string_view text = value.get_string();
    if (is_disk_key(key, guest_type)) {
      if (auto disk = parse_disk(key, text)) devices.disks.push_back(std::move(*disk));
    } else if (number_suffix(key, "net")) {
      devices.nics.push_back(parse_nic(key, text, guest_type));
    }
  }
  std::sort(devices.disks.begin(), devices.disks.end(),
            [](const GuestDisk& a, const GuestDisk& b) { return a.key < b.key; });
  std::sort(devices.nics.begin(), devices.nics.end(), [](const GuestNic& a, const GuestNic& b) {
    return *number_suffix(a.key, "net") < *number_suffix(b.key, "net");
  });
  return devices;
}

std::vector<AgentInterface> parse_agent_interfaces(const json::value& answer) {
  const json::value* result = &answer;
  if (answer.is_object()) result = answer.as_object().if_contains("result");
  std::vector<AgentInterface> interfaces;
  if (!result || !result->is_array()) return interfaces;
  for (const auto& entry : result->as_array()) {
    if (!entry.is_object()) continue;
    const auto& object = entry.as_object();
    AgentInterface interface;
    interface.name = json_string(field(object, "name"));
    interface.mac = json_string(field(object, "hardware-address"));
    if (const auto* addresses = object.if_contains("ip-addresses");
        addresses && addresses->is_array()) {
      for (const auto& address : addresses->as_array()) {
        if (!address.is_object()) continue;
        const std::string ip = json_string(field(address.as_object(), "ip-address"));
        if (ip.empty()) continue;
        interface.addresses.push_back(ip + "/" + json_string(field(address.as_object(), "prefix")));
      }
    }
    interfaces.push_back(std::move(interface));
  }
  return interfaces;
}

std::string normalized_mac(std::string_view mac) {
  std::string out = common::to_upper(mac);
  std::replace(out.begin(), out.end(), '-', ':');
  return out;
}

bool is_loopback_or_link_local(std::string_view cidr) {
  const std::string ip = common::to_lower(cidr.substr(0, cidr.find('/')));
  if (ip.find(':') == std::string::npos)
    return ip.starts_with("127.") || ip.starts_with("169.254.");
  if (ip == "::1") return true;
  // fe80::/10: fe80 .. febf
  return ip.size() >= 4 && ip.starts_with("fe") &&
         std::string_view("89ab").find(ip[2]) != std::string_view::npos;
}

}  // namespace pbx::sync
