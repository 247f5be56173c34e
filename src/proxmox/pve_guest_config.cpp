// A guest's configuration: the keys GET .../config prints from the state, and how the keys a
// client writes (POST create, PUT/POST config) change the state.

#include "proxmox/pve_guest_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cstdlib>

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

std::string disk_value(const GuestScenario& guest, const DiskScenario& disk) {
  std::string value = fmt::format("{}:{}", disk.storage, disk.volume);
  if (!disk.mountpoint.empty()) value += ",mp=" + disk.mountpoint;
  if (guest.type == "qemu" && disk.key.starts_with("scsi")) value += ",iothread=1";
  value += fmt::format(",size={}G", disk.size_gb);
  return value;
}

void add_devices(json::object& out, const GuestState& guest) {
  const auto& spec = guest.spec;
  for (const auto& disk : spec.disks)
    out[disk.key] = disk_value(spec, disk);
  for (const auto& nic : spec.nics) {
    out[guest.nic_key(nic)] = spec.type == "lxc" ? lxc_nic_value(nic) : qemu_nic_value(nic);
  }
  if (spec.type == "qemu" && !spec.disks.empty()) {
    std::string order = "order=" + spec.disks.front().key;
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
  size_t index = 0;
  const auto [end, error] = std::from_chars(key.data() + 3, key.data() + key.size(), index);
  return error == std::errc{} && end == key.data() + key.size();
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
    const size_t index = static_cast<size_t>(std::atoi(std::string(key.substr(3)).c_str()));
    nic->mac = generated_mac(guest.spec.vmid, index);
  }
}

// "local-lvm:32" (a new disk of 32 GiB), "local-lvm:vm-100-disk-1,size=32G", "local-lvm:8,mp=/srv".
// A CD-ROM ("none,media=cdrom", "local:iso/x.iso,media=cdrom") is not a disk: false.
bool set_disk(GuestState& guest, std::string_view key, std::string_view value) {
  const PropertyList properties = property_string(value);
  if (properties.empty() || property(properties, "media") == "cdrom") return false;
  const std::string& volume = properties.front().first;
  const size_t colon = volume.find(':');
  if (colon == std::string::npos) return false;
  auto& disks = guest.spec.disks;
  auto it = std::find_if(disks.begin(), disks.end(),
                         [&](const DiskScenario& disk) { return disk.key == key; });
  if (it == disks.end()) {
    disks.push_back(DiskScenario{std::string(key), "", 0, "", ""});
    it = disks.end() - 1;
  }
  it->storage = volume.substr(0, colon);
  const std::string name = volume.substr(colon + 1);
  const bool new_disk = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.';
  });
  if (new_disk) {
    it->size_gb = size_in_gb(name, it->size_gb);
    it->volume.clear();  // allocated by complete_guest
  } else {
    it->volume = name;
  }
  if (const auto size = property(properties, "size")) it->size_gb = size_in_gb(*size, it->size_gb);
  if (const auto path = property(properties, "mp")) it->mountpoint = *path;
  return true;
}

void delete_config_key(GuestState& guest, std::string_view key) {
  auto& spec = guest.spec;
  if (is_net_key(key)) {
    std::erase_if(spec.nics, [&](const NicScenario& nic) { return guest.nic_key(nic) == key; });
  } else if (is_disk_key(spec.type, key)) {
    std::erase_if(spec.disks, [&](const DiskScenario& disk) { return disk.key == key; });
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
  const std::string text = json::serialize(config);
  std::hash<std::string> hash;
  return fmt::format("{:016x}{:016x}{:08x}", hash(text), hash(text + "#"),
                     static_cast<uint32_t>(hash(text + "!")));
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

std::optional<ApiResult> apply_config(const ClusterState& state, GuestState& guest,
                                      const ApiCall& call) {
  // A disk on a storage that does not exist is refused before anything changes.
  for (const auto& [key_value, value] : call.params) {
    if (!is_disk_key(guest.spec.type, key_value)) continue;
    const PropertyList properties = property_string(value_text(value));
    if (properties.empty() || property(properties, "media") == "cdrom") continue;
    const std::string& volume = properties.front().first;
    const size_t colon = volume.find(':');
    if (colon != std::string::npos && state.find_storage(volume.substr(0, colon)) == nullptr) {
      return ApiResult::error(500,
                              fmt::format("storage '{}' does not exist", volume.substr(0, colon)));
    }
  }
  for (const auto& [key_value, value] : call.params) {
    const std::string_view key = key_value;
    if (is_control_parameter(key)) continue;
    const std::string text = value_text(value);
    if (!apply_modelled_key(guest, key, text)) guest.extra_config[std::string(key)] = text;
  }
  if (call.has("delete")) {
    for (const auto& key : split_list(call.text("delete"), ",; "))
      delete_config_key(guest, key);
  }
  state.complete_guest(guest);
  return std::nullopt;
}

}  // namespace pbx::proxmox
