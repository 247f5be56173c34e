// A guest's configuration: the keys GET .../config prints from the state, and how the keys a
// client writes (POST create, PUT/POST config) change the state.

#include "proxmox/pve_guest_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

#include "proxmox/handler_support.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;

std::string qemu_nic_value(const NicScenario& nic) {
  return fmt::format("virtio={},bridge={},firewall=1", nic.mac, nic.bridge);
}

std::string lxc_nic_value(const NicScenario& nic) {
  std::string value = fmt::format("name={},bridge={},hwaddr={}", nic.name, nic.bridge, nic.mac);
  value += nic.ip_addresses.empty() ? ",ip=dhcp" : ",ip=" + nic.ip_addresses.front();
  value += ",type=veth";
  return value;
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

std::optional<size_t> net_index(std::string_view key) {
  if (key.size() < 4 || key.substr(0, 3) != "net") return std::nullopt;
  size_t index = 0;
  const auto [end, error] = std::from_chars(key.data() + 3, key.data() + key.size(), index);
  if (error != std::errc{} || end != key.data() + key.size()) return std::nullopt;
  return index;
}

void set_nic(GuestState& guest, std::string_view key, size_t index, std::string_view value) {
  auto& nics = guest.spec.nics;
  const bool lxc = guest.spec.type == "lxc";
  NicScenario* nic = nullptr;
  if (lxc) {
    if (index < nics.size()) nic = &nics[index];
  } else {
    const auto it =
        std::find_if(nics.begin(), nics.end(), [&](const auto& n) { return n.name == key; });
    if (it != nics.end()) nic = &*it;
  }
  if (nic == nullptr) {
    nics.push_back(
        NicScenario{lxc ? fmt::format("eth{}", index) : std::string(key), "", "vmbr0", {}});
    nic = &nics.back();
  }
  for (const auto& [name, setting] : property_string(value)) {
    if (name == "bridge") {
      nic->bridge = setting;
    } else if (name == "hwaddr" || name == "macaddr" || (!lxc && is_mac(setting))) {
      nic->mac = upper(setting);
    } else if (lxc && name == "name") {
      nic->name = setting;
    } else if (lxc && name == "ip") {
      nic->ip_addresses.clear();
      if (setting != "dhcp" && setting != "manual" && !setting.empty()) {
        nic->ip_addresses.push_back(setting);
      }
    }
  }
  if (nic->mac.empty()) nic->mac = generated_mac(guest.spec.vmid, index);
}

void delete_config_key(GuestState& guest, std::string_view key) {
  auto& spec = guest.spec;
  if (const auto index = net_index(key)) {
    if (spec.type == "lxc") {
      if (*index < spec.nics.size()) spec.nics.erase(spec.nics.begin() + static_cast<long>(*index));
    } else {
      std::erase_if(spec.nics, [&](const auto& nic) { return nic.name == key; });
    }
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

}  // namespace

std::string config_digest(const GuestState& guest) {
  // Changes whenever the visible config changes, like the real SHA1 over the file.
  std::hash<std::string> hash;
  const std::string seed =
      fmt::format("{}|{}|{}|{}|{}|{}", guest.spec.vmid, guest.spec.name, guest.spec.cores,
                  guest.spec.memory_mb, join(guest.spec.tags, ";"), guest.extra_config.size());
  return fmt::format("{:016x}{:016x}{:08x}", hash(seed), hash(seed + "#"),
                     static_cast<uint32_t>(hash(seed + "!")));
}

json::object guest_config(const ClusterState& state, const GuestState& guest) {
  const auto& spec = guest.spec;
  json::object out;
  if (spec.type == "qemu") {
    if (!spec.name.empty()) out["name"] = spec.name;
    out["cores"] = spec.cores;
    out["sockets"] = 1;
    out["memory"] = std::to_string(spec.memory_mb);
    out["scsihw"] = "virtio-scsi-single";
    if (spec.disk_gb > 0) {
      out["scsi0"] = fmt::format("{},iothread=1,size={}G", disk_volume(state, guest), spec.disk_gb);
      out["boot"] = "order=scsi0;net0";
    }
    if (spec.agent) out["agent"] = "1";
    for (const auto& nic : spec.nics)
      out[nic.name] = qemu_nic_value(nic);
  } else {
    if (!spec.name.empty()) out["hostname"] = spec.name;
    out["cores"] = spec.cores;
    out["memory"] = spec.memory_mb;
    out["swap"] = 512;
    out["arch"] = "amd64";
    out["rootfs"] = fmt::format("{},size={}G", disk_volume(state, guest), spec.disk_gb);
    if (spec.unprivileged) out["unprivileged"] = 1;
    for (size_t i = 0; i < spec.nics.size(); ++i) {
      out[fmt::format("net{}", i)] = lxc_nic_value(spec.nics[i]);
    }
  }
  if (!spec.os_type.empty()) out["ostype"] = spec.os_type;
  if (spec.onboot) out["onboot"] = 1;
  if (spec.template_) out["template"] = 1;
  if (!spec.tags.empty()) out["tags"] = join(spec.tags, ";");
  if (!spec.description.empty()) out["description"] = spec.description;
  if (guest.lock) out["lock"] = *guest.lock;
  if (!guest.snapshot_parent.empty()) out["parent"] = guest.snapshot_parent;
  for (const auto& [key, value] : guest.extra_config)
    out[key] = value;
  out["digest"] = config_digest(guest);
  return out;
}

void apply_config(GuestState& guest, const ApiCall& call) {
  auto& spec = guest.spec;
  const bool lxc = spec.type == "lxc";
  for (const auto& [key_value, value] : call.params) {
    const std::string_view key = key_value;
    if (is_control_parameter(key)) continue;
    const std::string text = value_text(value);
    if (key == (lxc ? "hostname" : "name")) {
      spec.name = text;
    } else if (key == "cores") {
      spec.cores = static_cast<int>(leading_integer(text).value_or(spec.cores));
    } else if (key == "memory") {
      spec.memory_mb = leading_integer(text).value_or(spec.memory_mb);
    } else if (key == "onboot") {
      spec.onboot = text == "1" || text == "true";
    } else if (key == "agent" && !lxc) {
      // "1", "enabled=1,fstrim_cloned_disks=1", "0"
      const auto props = property_string(text);
      spec.agent = text == "1" || std::any_of(props.begin(), props.end(), [](const auto& p) {
                     return p.first == "enabled" && (p.second == "1" || p.second == "true");
                   });
    } else if (key == "tags") {
      spec.tags = split_list(text, ";, ");
    } else if (key == "description") {
      spec.description = text;
    } else if (key == "ostype") {
      spec.os_type = text;
    } else if (key == "unprivileged" && lxc) {
      spec.unprivileged = text == "1" || text == "true";
    } else if (key == "template") {
      spec.template_ = text == "1" || text == "true";
    } else if (const auto index = net_index(key)) {
      set_nic(guest, key, *index, text);
    } else if ((key == "rootfs" && lxc) ||
               (!lxc && (key == "scsi0" || key == "virtio0" || key == "sata0" || key == "ide0"))) {
      // "local-lvm:32" (new disk of 32 GiB) or "local-lvm:vm-100-disk-0,size=32G"
      const auto props = property_string(text);
      const auto size =
          std::find_if(props.begin(), props.end(), [](const auto& p) { return p.first == "size"; });
      if (size != props.end()) {
        spec.disk_gb = leading_integer(size->second).value_or(spec.disk_gb);
      } else if (!props.empty()) {
        const size_t colon = props.front().first.find(':');
        if (colon != std::string::npos) {
          spec.disk_gb =
              leading_integer(props.front().first.substr(colon + 1)).value_or(spec.disk_gb);
        }
      }
      if (!(lxc && key == "rootfs") && key != "scsi0") guest.extra_config[std::string(key)] = text;
    } else {
      guest.extra_config[std::string(key)] = text;
    }
  }
  if (call.has("delete")) {
    for (const auto& key : split_list(call.text("delete"), ",; "))
      delete_config_key(guest, key);
  }
}

}  // namespace pbx::proxmox
