// A guest's configuration: the keys GET .../config prints from the state, and how the keys a
// client writes (POST create, PUT/POST config) change the state.

#include "proxmox/pve_guest_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cstdlib>

#include "common/text.hpp"
#include "proxmox/guest_disks.hpp"
#include "proxmox/handler_support.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;

constexpr std::string_view kQemuNicSettings[] = {"bridge", "firewall", "link_down", "macaddr",
                                                 "model",  "mtu",      "queues",    "rate",
                                                 "tag",    "trunks"};

bool is_qemu_nic_setting(std::string_view key) {
  return std::find(std::begin(kQemuNicSettings), std::end(kQemuNicSettings), key) !=
         std::end(kQemuNicSettings);
}

// The optional settings both guest types print after the address part, in Proxmox's order.
void append_nic_options(std::string& value, const NicScenario& nic) {
  if (nic.link_down) value += ",link_down=1";
  if (nic.mtu > 0) value += fmt::format(",mtu={}", nic.mtu);
}

// "virtio=BC:24:11:..,bridge=vmbr0,firewall=1,link_down=1,mtu=9000,queues=4,rate=12.5,tag=20"
std::string qemu_nic_value(const NicScenario& nic) {
  std::string value = fmt::format("{}={},bridge={}", nic.model, nic.mac, nic.bridge);
  if (nic.firewall) value += ",firewall=1";
  append_nic_options(value, nic);
  if (nic.queues > 0) value += fmt::format(",queues={}", nic.queues);
  if (!nic.rate.empty()) value += ",rate=" + nic.rate;
  if (nic.tag > 0) value += fmt::format(",tag={}", nic.tag);
  return value;
}

bool is_ipv6(std::string_view cidr) {
  return cidr.find(':') != std::string_view::npos;
}

// "name=eth0,bridge=vmbr0,firewall=1,gw=..,hwaddr=..,ip=10.0.0.5/24,ip6=..,tag=20,type=veth"
std::string lxc_nic_value(const NicScenario& nic) {
  const auto first = [&](bool v6) -> std::string {
    for (const auto& cidr : nic.ip_addresses) {
      if (is_ipv6(cidr) == v6) return cidr;
    }
    return {};
  };
  const std::string ip = first(false);
  const std::string ip6 = first(true);
  std::string value = fmt::format("name={},bridge={}", nic.name, nic.bridge);
  if (nic.firewall) value += ",firewall=1";
  if (!nic.gateway.empty()) value += ",gw=" + nic.gateway;
  if (!nic.gateway6.empty()) value += ",gw6=" + nic.gateway6;
  value += ",hwaddr=" + nic.mac;
  value += ",ip=" + (ip.empty() ? std::string("dhcp") : ip);
  if (!ip6.empty()) value += ",ip6=" + ip6;
  append_nic_options(value, nic);
  if (!nic.rate.empty()) value += ",rate=" + nic.rate;
  if (nic.tag > 0) value += fmt::format(",tag={}", nic.tag);
  value += ",type=veth";
  return value;
}

// "local-lvm:vm-100-disk-1,backup=0,discard=on,size=2G": the volume, then every setting sorted
// by key (print_property_string); an unusedN entry is the volume alone.
std::string disk_value(const DiskScenario& disk) {
  if (is_unused_key(disk.key)) return volume_id(disk);
  PropertyList settings = property_string(disk.options);
  if (!disk.mountpoint.empty()) settings.emplace_back("mp", disk.mountpoint);
  settings.emplace_back("size", fmt::format("{}G", disk.size_gb));
  std::stable_sort(settings.begin(), settings.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string value = volume_id(disk);
  for (const auto& [key, setting] : settings)
    value += setting.empty() ? "," + key : fmt::format(",{}={}", key, setting);
  return value;
}

void add_devices(json::object& out, const GuestState& guest) {
  const auto& spec = guest.spec;
  for (const auto& disk : spec.disks)
    out[disk.key] = disk_value(disk);
  for (const auto& nic : spec.nics) {
    out[guest.nic_key(nic)] = spec.type == "lxc" ? lxc_nic_value(nic) : qemu_nic_value(nic);
  }
  const auto boot_disk = std::find_if(spec.disks.begin(), spec.disks.end(),
                                      [](const DiskScenario& d) { return !is_unused_key(d.key); });
  if (spec.type == "qemu" && boot_disk != spec.disks.end()) {
    std::string order = "order=" + boot_disk->key;
    if (!spec.nics.empty()) order += ";" + spec.nics.front().name;
    out["boot"] = order;
  }
}

// ---- config writes ------------------------------------------------------------------------

// Parameters that steer the call rather than describe the guest.
bool is_control_parameter(std::string_view key) {
  static constexpr std::string_view kControl[] = {"node",
                                                  "vmid",
                                                  "digest",
                                                  "delete",
                                                  "revert",
                                                  "skiplock",
                                                  "start",
                                                  "force",
                                                  "pool",
                                                  "storage",
                                                  "unique",
                                                  "archive",
                                                  "password",
                                                  "ssh-public-keys",
                                                  "ignore-unpack-errors",
                                                  "restore",
                                                  "live-restore",
                                                  "background_delay",
                                                  "bwlimit"};
  return std::find(std::begin(kControl), std::end(kControl), key) != std::end(kControl);
}

bool is_net_key(std::string_view key) {
  if (key.size() < 4 || !key.starts_with("net")) return false;
  return common::parse_number<size_t>(key.substr(3)).has_value();
}

NicScenario* nic_at(GuestState& guest, std::string_view key) {
  auto& nics = guest.spec.nics;
  const auto it = std::find_if(nics.begin(), nics.end(),
                               [&](const NicScenario& nic) { return guest.nic_key(nic) == key; });
  return it == nics.end() ? nullptr : &*it;
}

int integer_or(const std::string& text, int fallback) {
  return static_cast<int>(leading_integer(text).value_or(fallback));
}

// Reads a netN value into `nic`: a write replaces every setting; the MAC stays when none is sent.
void parse_nic(NicScenario& nic, bool lxc, std::string_view value) {
  const std::string kept_mac = nic.mac;
  const std::string kept_name = nic.name;
  NicScenario parsed;
  parsed.name = kept_name;
  parsed.key = nic.key;
  parsed.firewall = false;
  parsed.mac.clear();
  const PropertyList properties = property_string(value);
  for (size_t i = 0; i < properties.size(); ++i) {
    const auto& [key, setting] = properties[i];
    if (!lxc && i == 0 && !is_qemu_nic_setting(key)) {
      parsed.model = key;  // "virtio=<mac>" or a bare "virtio"
      parsed.mac = setting;
    } else if (key == "model") {
      parsed.model = setting;
    } else if (key == "macaddr" || key == "hwaddr") {
      parsed.mac = setting;
    } else if (key == "bridge") {
      parsed.bridge = setting;
    } else if (key == "firewall") {
      parsed.firewall = is_true(setting);
    } else if (key == "link_down") {
      parsed.link_down = is_true(setting);
    } else if (key == "tag") {
      parsed.tag = integer_or(setting, 0);
    } else if (key == "mtu") {
      parsed.mtu = integer_or(setting, 0);
    } else if (key == "queues") {
      parsed.queues = integer_or(setting, 0);
    } else if (key == "rate") {
      parsed.rate = setting;
    } else if (lxc && key == "name") {
      parsed.name = setting;
    } else if (lxc && (key == "ip" || key == "ip6")) {
      if (setting != "dhcp" && setting != "manual" && setting != "auto" && !setting.empty()) {
        parsed.ip_addresses.push_back(setting);
      }
    } else if (lxc && key == "gw") {
      parsed.gateway = setting;
    } else if (lxc && key == "gw6") {
      parsed.gateway6 = setting;
    }
  }
  // QEMU's addresses come from inside the guest (the agent): a config write keeps them.
  if (!lxc) parsed.ip_addresses = nic.ip_addresses;
  if (parsed.mac.empty()) parsed.mac = kept_mac;
  nic = std::move(parsed);
}

void set_nic(GuestState& guest, std::string_view key, std::string_view value) {
  const bool lxc = guest.spec.type == "lxc";
  NicScenario* nic = nic_at(guest, key);
  if (nic == nullptr) {
    NicScenario added;
    added.name = lxc ? fmt::format("eth{}", key.substr(3)) : std::string(key);
    if (lxc) added.key = std::string(key);
    guest.spec.nics.push_back(std::move(added));
    nic = &guest.spec.nics.back();
  }
  parse_nic(*nic, lxc, value);
  if (nic->mac.empty()) {
    const auto index = static_cast<size_t>(
        common::parse_number<int>(key.substr(3), common::kLeadingNumber).value_or(0));
    nic->mac = generated_mac(guest.spec.vmid, index);
  }
}

// Drive settings the model keeps apart from the options it echoes.
bool is_modelled_drive_setting(std::string_view key) {
  return key == "size" || key == "mp" || key == "media" || key == "file" || key == "volume";
}

// The settings of a drive value after its volume, without the modelled ones: "backup=0,ssd=1".
std::string drive_options(const PropertyList& properties) {
  std::string options;
  for (size_t i = 1; i < properties.size(); ++i) {
    const auto& [key, setting] = properties[i];
    if (is_modelled_drive_setting(key)) continue;
    if (!options.empty()) options += ',';
    options += setting.empty() ? key : key + "=" + setting;
  }
  return options;
}

// "local-lvm:32" (a new volume of 32 GiB on local-lvm), "local-lvm:vm-100-disk-1,size=32G" (an
// existing volume: an unusedN entry holding it is attached again), "local-lvm:8,mp=/srv".
// The volume a disk held before a new one replaces it stays the guest's as unusedN, as Proxmox
// keeps it. A CD-ROM ("none,media=cdrom", "local:iso/x.iso,media=cdrom") is not a disk: false.
bool set_disk(GuestState& guest, std::string_view key, std::string_view value) {
  const PropertyList properties = property_string(value);
  if (properties.empty() || property(properties, "media") == "cdrom") return false;
  const std::string& volume = properties.front().first;
  const size_t colon = volume.find(':');
  if (colon == std::string::npos) return false;
  const std::string storage = volume.substr(0, colon);
  const std::string name = volume.substr(colon + 1);
  const bool allocate = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.';
  });
  DiskScenario updated{std::string(key), storage, 0, allocate ? "" : name, "", ""};
  if (const DiskScenario* current = disk_at(guest, key)) {
    if (!allocate && volume_id(*current) == volume) updated.size_gb = current->size_gb;
    if (allocate || volume_id(*current) != volume) detach_disk(guest, key);
  }
  if (allocate) {
    updated.size_gb = size_in_gb(name, 0);
  } else if (DiskScenario* unused = disk_with_volume(guest, volume);
             unused != nullptr && is_unused_key(unused->key)) {
    updated.size_gb = unused->size_gb;
    free_disk(guest, unused->key);  // the volume moves back from unusedN to `key`
  }
  if (const auto size = property(properties, "size")) {
    updated.size_gb = size_in_gb(*size, updated.size_gb);
  }
  if (const auto path = property(properties, "mp")) updated.mountpoint = *path;
  updated.options = drive_options(properties);
  if (DiskScenario* existing = disk_at(guest, key)) {
    *existing = std::move(updated);
  } else {
    guest.spec.disks.push_back(std::move(updated));
  }
  return true;
}

// `delete=` of a disk detaches its volume to unusedN (with `force`, frees it); of an unusedN,
// frees the volume. Other keys just go.
void delete_config_key(GuestState& guest, std::string_view key, bool force) {
  auto& spec = guest.spec;
  if (is_net_key(key)) {
    std::erase_if(spec.nics, [&](const NicScenario& nic) { return guest.nic_key(nic) == key; });
  } else if (is_unused_key(key) || (is_disk_key(spec.type, key) && force)) {
    free_disk(guest, key);
    guest.extra_config.erase(std::string(key));
  } else if (is_disk_key(spec.type, key)) {
    detach_disk(guest, key);
    guest.extra_config.erase(std::string(key));
  } else if (key == "tags") {
    spec.tags.clear();
  } else if (key == "description") {
    spec.description.clear();
  } else if (key == "onboot") {
    spec.onboot = false;
  } else if (key == "agent") {
    spec.agent = false;
  } else if (key == "name" || key == "hostname") {
    spec.name.clear();
  } else {
    guest.extra_config.erase(std::string(key));
  }
}

// Applies one guest-describing key; false when the model does not interpret it.
bool apply_modelled_key(GuestState& guest, std::string_view key, const std::string& text) {
  auto& spec = guest.spec;
  const bool lxc = spec.type == "lxc";
  if (key == (lxc ? "hostname" : "name")) {
    spec.name = text;
  } else if (key == "cores") {
    spec.cores = integer_or(text, spec.cores);
  } else if (key == "memory") {
    spec.memory_mb = leading_integer(text).value_or(spec.memory_mb);
  } else if (key == "onboot") {
    spec.onboot = is_true(text);
  } else if (key == "agent" && !lxc) {
    // "1", "enabled=1,fstrim_cloned_disks=1", "0"
    const PropertyList properties = property_string(text);
    spec.agent = is_true(text) || is_true(property(properties, "enabled").value_or(""));
  } else if (key == "tags") {
    spec.tags = split_list(text, ";, ");
  } else if (key == "description") {
    spec.description = text;
  } else if (key == "ostype") {
    spec.os_type = text;
  } else if (key == "unprivileged" && lxc) {
    spec.unprivileged = is_true(text);
  } else if (key == "template") {
    spec.template_ = is_true(text);
  } else if (is_net_key(key)) {
    set_nic(guest, key, text);
  } else if (is_disk_key(spec.type, key)) {
    return set_disk(guest, key, text);
  } else {
    return false;
  }
  return true;
}

json::object config_without_digest(const ClusterState&, const GuestState& guest) {
  const auto& spec = guest.spec;
  json::object out;
  if (spec.type == "qemu") {
    if (!spec.name.empty()) out["name"] = spec.name;
    out["cores"] = spec.cores;
    out["sockets"] = 1;
    out["memory"] = std::to_string(spec.memory_mb);
    out["scsihw"] = "virtio-scsi-single";
    if (spec.agent) out["agent"] = "1";
  } else {
    if (!spec.name.empty()) out["hostname"] = spec.name;
    out["cores"] = spec.cores;
    out["memory"] = spec.memory_mb;
    out["swap"] = 512;
    out["arch"] = "amd64";
    if (spec.unprivileged) out["unprivileged"] = 1;
  }
  add_devices(out, guest);
  if (!spec.os_type.empty()) out["ostype"] = spec.os_type;
  if (spec.onboot) out["onboot"] = 1;
  if (spec.template_) out["template"] = 1;
  if (!spec.tags.empty()) out["tags"] = join(spec.tags, ";");
  if (!spec.description.empty()) out["description"] = spec.description;
  if (guest.lock) out["lock"] = *guest.lock;
  if (!guest.snapshot_parent.empty()) out["parent"] = guest.snapshot_parent;
  for (const auto& [key, value] : guest.extra_config)
    out[key] = value;
  return out;
}

// Changes whenever the visible config changes, like the real SHA1 over the file.
std::string digest_of(const json::object& config) {
  return content_digest(config);
}

}  // namespace

int64_t size_in_gb(std::string_view text, int64_t fallback) {
  const auto number = leading_integer(text);
  if (!number) return fallback;
  if (text.ends_with('T')) return *number * 1024;
  if (text.ends_with('M')) return (*number + 1023) / 1024;
  if (text.ends_with('K')) return 1;
  return *number;
}

json::object guest_config(const ClusterState& state, const GuestState& guest) {
  json::object out = config_without_digest(state, guest);
  out["digest"] = digest_of(out);
  return out;
}

std::string config_digest(const ClusterState& state, const GuestState& guest) {
  return digest_of(config_without_digest(state, guest));
}

void delete_config_keys(const ClusterState& state, GuestState& guest, std::string_view keys,
                        bool force) {
  for (const auto& key : split_list(keys, ",; "))
    delete_config_key(guest, key, force);
  state.complete_guest(guest);
}

Checked apply_config(const ClusterState& state, GuestState& guest, const ApiCall& call) {
  // A key both set and deleted is refused (update_vm's raise_param_exc), before anything changes.
  if (call.has("delete")) {
    for (const auto& key : split_list(call.text("delete"), ",; ")) {
      if (call.params.contains(key)) {
        return common::Failure{ApiResult::invalid(
            "delete",
            fmt::format("you can't use '-{}' and -delete {}' at the same time", key, key))};
      }
    }
  }
  // A disk on a storage that does not exist is refused before anything changes.
  for (const auto& [key_value, value] : call.params) {
    if (!is_disk_key(guest.spec.type, key_value)) continue;
    const PropertyList properties = property_string(value_text(value));
    if (properties.empty() || property(properties, "media") == "cdrom") continue;
    const std::string& volume = properties.front().first;
    const size_t colon = volume.find(':');
    if (colon == std::string::npos) continue;
    const std::string storage_id = volume.substr(0, colon);
    const StorageScenario* storage = state.find_storage(storage_id);
    if (storage == nullptr) {
      return common::Failure{
          ApiResult::error(500, fmt::format("storage '{}' does not exist", storage_id))};
    }
    // A new VM volume needs a storage for images (check_storage_access's refusal).
    const std::string name = volume.substr(colon + 1);
    const bool allocate =
        !name.empty() && name.find_first_not_of("0123456789.") == std::string::npos;
    if (allocate && guest.spec.type == "qemu" && !has_content(*storage, "images")) {
      return common::Failure{ApiResult::invalid(
          "storage", fmt::format("storage '{}' does not support vm images", storage_id))};
    }
  }
  // Deletions first, as Proxmox's update_vm does them before the new values.
  if (call.has("delete")) {
    for (const auto& key : split_list(call.text("delete"), ",; "))
      delete_config_key(guest, key, call.flag("force"));
  }
  for (const auto& [key_value, value] : call.params) {
    const std::string_view key = key_value;
    if (is_control_parameter(key)) continue;
    const std::string text = value_text(value);
    if (!apply_modelled_key(guest, key, text)) guest.extra_config[std::string(key)] = text;
  }
  state.complete_guest(guest);
  return {};
}

}  // namespace pbx::proxmox
