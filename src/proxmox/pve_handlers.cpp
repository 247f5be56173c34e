// Hand-written Proxmox VE behaviour: the paths a sync client reads and the guest life cycle,
// all over one ClusterState so every write shows up in every view.

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>

#include "proxmox/handlers.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;

constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kGiB = int64_t{1} << 30;

// ---- parameter helpers -------------------------------------------------------------------

std::string value_text(const json::value& value) {
  if (value.is_string()) return std::string(value.as_string());
  if (value.is_bool()) return value.as_bool() ? "1" : "0";
  if (value.is_int64()) return std::to_string(value.as_int64());
  if (value.is_uint64()) return std::to_string(value.as_uint64());
  if (value.is_double()) return fmt::format("{}", value.as_double());
  if (value.is_array()) {
    std::string joined;
    for (const auto& item : value.as_array()) {
      if (!joined.empty()) joined += ',';
      joined += value_text(item);
    }
    return joined;
  }
  return {};
}

std::optional<int64_t> leading_integer(std::string_view text) {
  // "2048", "current=2048", "local-lvm:32"
  const size_t digits = text.find_first_of("0123456789");
  if (digits == std::string_view::npos) return std::nullopt;
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data() + digits, text.data() + text.size(), value);
  if (error != std::errc{}) return std::nullopt;
  return value;
}

std::vector<std::string> split_list(std::string_view text, std::string_view separators) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find_first_of(separators, start);
    const std::string_view piece =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!piece.empty()) out.emplace_back(piece);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

// "virtio=BC:..,bridge=vmbr0,firewall=1" → key/value pairs; a bare word is a key with "".
std::vector<std::pair<std::string, std::string>> property_string(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& piece : split_list(text, ",")) {
    const size_t eq = piece.find('=');
    if (eq == std::string::npos) {
      out.emplace_back(piece, "");
    } else {
      out.emplace_back(piece.substr(0, eq), piece.substr(eq + 1));
    }
  }
  return out;
}

bool is_mac(std::string_view text) {
  if (text.size() != 17) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i % 3 == 2 ? text[i] != ':' : !std::isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

std::string upper(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// ---- views --------------------------------------------------------------------------------

std::string guest_kind_word(const GuestState& guest) {
  return guest.spec.type == "lxc" ? "CT" : "VM";
}

std::string display_name(const GuestState& guest) {
  if (!guest.spec.name.empty()) return guest.spec.name;
  return fmt::format("{}{}", guest.spec.type == "lxc" ? "CT" : "VM ", guest.spec.vmid);
}

int64_t guest_maxmem(const GuestState& guest) {
  return guest.spec.memory_mb * kMiB;
}
int64_t guest_maxdisk(const GuestState& guest) {
  return guest.spec.disk_gb * kGiB;
}

int64_t guest_uptime(const GuestState& guest, int64_t now) {
  return guest.running() ? std::max<int64_t>(0, now - guest.started_at) : 0;
}

// Fields shared by the guest list, status/current and /cluster/resources.
json::object guest_metrics(const GuestState& guest, int64_t now) {
  const bool running = guest.running();
  const double cpu = running ? ClusterState::cpu_fraction(guest.spec.vmid) : 0.0;
  const int64_t maxmem = guest_maxmem(guest);
  const int64_t maxdisk = guest_maxdisk(guest);
  json::object out;
  out["vmid"] = guest.spec.vmid;
  out["name"] = display_name(guest);
  out["status"] = guest.spec.status == "paused" ? "running" : guest.spec.status;
  out["cpu"] = cpu;
  out["cpus"] = guest.spec.cores;
  out["maxmem"] = maxmem;
  out["mem"] = running ? static_cast<int64_t>(static_cast<double>(maxmem) * (0.25 + cpu)) : 0;
  out["maxdisk"] = maxdisk;
  // qemu cannot see inside its disks; lxc reports the root filesystem usage.
  out["disk"] = guest.spec.type == "lxc" && running ? maxdisk / 3 : 0;
  out["uptime"] = guest_uptime(guest, now);
  out["netin"] = running ? int64_t{guest.spec.vmid} * 4096 : 0;
  out["netout"] = running ? int64_t{guest.spec.vmid} * 1024 : 0;
  out["diskread"] = running ? int64_t{guest.spec.vmid} * 65536 : 0;
  out["diskwrite"] = running ? int64_t{guest.spec.vmid} * 16384 : 0;
  out["template"] = guest.spec.template_ ? 1 : 0;
  if (!guest.spec.tags.empty()) out["tags"] = join(guest.spec.tags, ";");
  if (guest.lock) out["lock"] = *guest.lock;
  if (running) out["pid"] = 10000 + guest.spec.vmid % 50000;
  return out;
}

struct NodeUsage {
  int64_t mem = 0;
  double cpu = 0;
};

NodeUsage node_usage(const ClusterState& state, const NodeState& node) {
  NodeUsage usage{2 * kGiB, 0.02};
  for (const auto& [vmid, guest] : state.guests()) {
    if (guest.spec.node != node.spec.name || !guest.running()) continue;
    usage.mem += guest_maxmem(guest) / 2;
    usage.cpu += ClusterState::cpu_fraction(vmid) * guest.spec.cores / std::max(1, node.spec.cpus);
  }
  usage.mem = std::min(usage.mem, node.spec.memory_bytes);
  usage.cpu = std::min(usage.cpu, 1.0);
  return usage;
}

json::object node_entry(const ClusterState& state, const NodeState& node, int64_t now) {
  json::object out{{"node", node.spec.name},
                   {"status", node.spec.status},
                   {"id", "node/" + node.spec.name},
                   {"type", "node"}};
  if (node.spec.status != "online") return out;  // offline nodes report no figures
  const NodeUsage usage = node_usage(state, node);
  out["cpu"] = usage.cpu;
  out["maxcpu"] = node.spec.cpus;
  out["mem"] = usage.mem;
  out["maxmem"] = node.spec.memory_bytes;
  out["disk"] = node.spec.disk_bytes / 5;
  out["maxdisk"] = node.spec.disk_bytes;
  out["uptime"] = now - node.booted_at;
  out["level"] = "";
  out["ssl_fingerprint"] =
      "5A:3C:11:8E:0F:22:47:91:AB:CD:EF:01:23:45:67:89:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:"
      "56:78";
  return out;
}

// The storage that holds a guest's disks on its node: the first one for images/rootdir.
const StorageScenario* disk_storage(const ClusterState& state, const GuestState& guest) {
  const std::string_view wanted = guest.spec.type == "lxc" ? "rootdir" : "images";
  for (const auto& storage : state.storages()) {
    if (!state.storage_on_node(storage, guest.spec.node)) continue;
    if (std::find(storage.content.begin(), storage.content.end(), wanted) !=
        storage.content.end()) {
      return &storage;
    }
  }
  return nullptr;
}

bool has_content(const StorageScenario& storage, std::string_view content) {
  return std::find(storage.content.begin(), storage.content.end(), content) !=
         storage.content.end();
}

// Used bytes of a storage on a node: the disks and backups it holds.
int64_t storage_used(const ClusterState& state, const StorageScenario& storage,
                     std::string_view node) {
  int64_t used = 0;
  for (const auto& [vmid, guest] : state.guests()) {
    if ((storage.shared || guest.spec.node == node) && disk_storage(state, guest) == &storage) {
      used += guest_maxdisk(guest) / 2;
    }
  }
  for (const auto& backup : state.backups()) {
    if (backup.storage == storage.id &&
        (storage.shared || backup.node.empty() || backup.node == node)) {
      used += backup.size;
    }
  }
  return std::min(used, storage.total_bytes);
}

std::string disk_volume(const ClusterState& state, const GuestState& guest) {
  const StorageScenario* storage = disk_storage(state, guest);
  return fmt::format("{}:vm-{}-disk-0", storage ? storage->id : "local", guest.spec.vmid);
}

std::string qemu_nic_value(const NicScenario& nic) {
  return fmt::format("virtio={},bridge={},firewall=1", nic.mac, nic.bridge);
}

std::string lxc_nic_value(const NicScenario& nic) {
  std::string value = fmt::format("name={},bridge={},hwaddr={}", nic.name, nic.bridge, nic.mac);
  value += nic.ip_addresses.empty() ? ",ip=dhcp" : ",ip=" + nic.ip_addresses.front();
  value += ",type=veth";
  return value;
}

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

// ---- errors ---------------------------------------------------------------------------------

ApiResult no_such_guest(std::string_view type, std::string_view node, int64_t vmid) {
  return ApiResult::error(
      500, fmt::format("Configuration file 'nodes/{}/{}/{}.conf' does not exist", node,
                       type == "lxc" ? "lxc" : "qemu-server", vmid));
}

ApiResult no_such_node(std::string_view node) {
  return ApiResult::error(
      500, fmt::format("hostname lookup '{}' failed - failed to get address info for: {}: Name "
                       "or service not known",
                       node, node));
}

const NodeState* online_node(const ClusterState& state, std::string_view name) {
  const NodeState* node = state.find_node(name);
  return node;
}

std::vector<Snapshot>::iterator snapshot_named(GuestState& guest, std::string_view name) {
  return std::find_if(guest.snapshots.begin(), guest.snapshots.end(),
                      [&](const Snapshot& snapshot) { return snapshot.name == name; });
}

// The answer to a change of `guest`: the UPID of the task Proxmox runs for it.
ApiResult guest_task(ClusterState& state, const GuestState& guest, std::string_view task_type,
                     const ApiCall& call, std::string exitstatus = "OK") {
  return ApiResult::ok(state
                           .start_task(guest.spec.node, task_type, std::to_string(guest.spec.vmid),
                                       call.user, std::move(exitstatus))
                           .upid);
}

// ---- handler factories ----------------------------------------------------------------------

// Looks up the guest named by {node}/{vmid} of the given type, or explains why not.
template <typename State>
auto find_guest(State& state, const ApiCall& call, std::string_view type)
    -> std::pair<decltype(state.find_guest(0)), std::optional<ApiResult>> {
  const std::string node = call.text("node");
  const int64_t vmid = call.integer("vmid").value_or(0);
  auto* guest = state.find_guest(static_cast<int>(vmid));
  if (state.find_node(node) == nullptr) return {nullptr, no_such_node(node)};
  if (guest == nullptr || guest->spec.type != type || guest->spec.node != node) {
    return {nullptr, no_such_guest(type, node, vmid)};
  }
  return {guest, std::nullopt};
}

struct GuestSnapshot {
  GuestState* guest = nullptr;
  std::vector<Snapshot>::iterator snapshot;
};

// The guest named by {node}/{vmid} and its snapshot {snapname}, or the answer explaining why not.
auto find_snapshot(ClusterState& state, const ApiCall& call, std::string_view type)
    -> std::pair<GuestSnapshot, std::optional<ApiResult>> {
  auto [guest, problem] = find_guest(state, call, type);
  if (problem) return {{}, std::move(problem)};
  const std::string name = call.text("snapname");
  const auto snapshot = snapshot_named(*guest, name);
  if (snapshot == guest->snapshots.end()) {
    return {{}, ApiResult::error(500, fmt::format("snapshot '{}' does not exist", name))};
  }
  return {{guest, snapshot}, std::nullopt};
}

void add_guest_handlers(HandlerTable& table, const std::string& type) {
  const bool lxc = type == "lxc";
  const std::string base = "/nodes/{node}/" + type;
  const std::string guest_path = base + "/{vmid}";
  const std::string prefix = lxc ? "vz" : "qm";

  table[handler_key(Verb::get, base)] = reader(
      [type](const ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string node = call.text("node");
        if (state.find_node(node) == nullptr) return no_such_node(node);
        const int64_t now = ClusterState::now_seconds();
        json::array out;
        for (const auto& [vmid, guest] : state.guests()) {
          if (guest.spec.node != node || guest.spec.type != type) continue;
          json::object entry = guest_metrics(guest, now);
          if (type == "lxc") entry["type"] = "lxc";
          out.push_back(std::move(entry));
        }
        return ApiResult::ok(std::move(out));
      },
      true);

  table[handler_key(Verb::post, base)] =
      writer([type, prefix, lxc](ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string node = call.text("node");
        if (state.find_node(node) == nullptr) return no_such_node(node);
        const int64_t vmid = call.integer("vmid").value_or(0);
        if (const auto* existing = state.find_guest(static_cast<int>(vmid))) {
          return ApiResult::error(
              500,
              fmt::format("unable to create {} {} - {} {} already exists on node '{}'",
                          lxc ? "CT" : "VM", vmid, lxc ? "CT" : "VM", vmid, existing->spec.node));
        }
        GuestState guest;
        guest.spec.vmid = static_cast<int>(vmid);
        guest.spec.type = type;
        guest.spec.node = node;
        guest.spec.status = "stopped";
        guest.spec.memory_mb = 512;
        guest.spec.disk_gb = lxc ? 4 : 0;
        guest.spec.unprivileged = false;
        guest.spec.nics.clear();
        apply_config(guest, call);
        if (call.has("pool")) {
          guest.spec.pool = call.text("pool");
          state.pools().emplace(guest.spec.pool, "");
        }
        if (call.flag("start")) {
          guest.spec.status = "running";
          guest.started_at = ClusterState::now_seconds();
        }
        state.guests().emplace(guest.spec.vmid, std::move(guest));
        state.touch();
        return ApiResult::ok(
            state.start_task(node, prefix + "create", std::to_string(vmid), call.user).upid);
      });

  table[handler_key(Verb::delete_, guest_path)] =
      writer([type, prefix](ClusterState& state, const ApiCall& call) -> ApiResult {
        auto [guest, problem] = find_guest(state, call, type);
        if (problem) return *problem;
        if (guest->running()) {
          return ApiResult::error(500, fmt::format("{} {} is running - destroy failed",
                                                   guest_kind_word(*guest), guest->spec.vmid));
        }
        const std::string node = guest->spec.node;
        const int vmid = guest->spec.vmid;
        state.remove_guest(vmid);
        return ApiResult::ok(
            state.start_task(node, prefix + "destroy", std::to_string(vmid), call.user).upid);
      });

  table[handler_key(Verb::get, guest_path + "/config")] =
      reader([type](const ClusterState& state, const ApiCall& call) -> ApiResult {
        auto [guest, problem] = find_guest(state, call, type);
        if (problem) return *problem;
        return ApiResult::ok(guest_config(state, *guest));
      });

  const auto update_config = [type, prefix](bool async) {
    return writer([type, prefix, async](ClusterState& state, const ApiCall& call) -> ApiResult {
      auto [guest, problem] = find_guest(state, call, type);
      if (problem) return *problem;
      if (call.has("digest") && call.text("digest") != config_digest(*guest)) {
        return ApiResult::error(
            500, "detected modified configuration - file changed by other user? Try again.");
      }
      apply_config(*guest, call);
      state.touch();
      if (!async) return ApiResult::ok();
      return guest_task(state, *guest, prefix + "config", call);
    });
  };
  table[handler_key(Verb::put, guest_path + "/config")] = update_config(false);
  table[handler_key(Verb::post, guest_path + "/config")] = update_config(true);

  table[handler_key(Verb::get, guest_path + "/status/current")] =
      reader([type](const ClusterState& state, const ApiCall& call) -> ApiResult {
        auto [guest, problem] = find_guest(state, call, type);
        if (problem) return *problem;
        json::object out = guest_metrics(*guest, ClusterState::now_seconds());
        out["ha"] = json::object{{"managed", 0}};
        if (type == "qemu") {
          out["qmpstatus"] = guest->spec.status;
          out["agent"] = guest->spec.agent ? 1 : 0;
          if (guest->running()) out["running-qemu"] = "9.2.0";
        } else {
          out["type"] = "lxc";
          out["maxswap"] = 512 * kMiB;
          out["swap"] = 0;
        }
        return ApiResult::ok(std::move(out));
      });

  // status/start|stop|shutdown|reboot|suspend|resume: the change applies at once; the task
  // that reports it finishes shortly after, as a client polling the UPID expects.
  struct Action {
    const char* name;
    const char* task;
  };
  for (const Action action :
       {Action{"start", "start"}, Action{"stop", "stop"}, Action{"shutdown", "shutdown"},
        Action{"reboot", "reboot"}, Action{"suspend", "suspend"}, Action{"resume", "resume"}}) {
    const std::string name = action.name;
    const std::string task_type = prefix + action.task;
    table[handler_key(Verb::post, guest_path + "/status/" + name)] =
        writer([type, name, task_type](ClusterState& state, const ApiCall& call) -> ApiResult {
          auto [guest, problem] = find_guest(state, call, type);
          if (problem) return *problem;
          const std::string word = guest_kind_word(*guest);
          const int vmid = guest->spec.vmid;
          std::string exitstatus = "OK";
          if (name == "start") {
            if (guest->spec.template_) {
              return ApiResult::error(500, "you can't start a vm if it's a template");
            }
            if (guest->running()) {
              exitstatus = fmt::format("{} {} already running", word, vmid);
            } else {
              guest->spec.status = "running";
              guest->started_at = ClusterState::now_seconds();
            }
          } else if (!guest->running()) {
            if (name == "reboot" || name == "suspend" || name == "resume") {
              return ApiResult::error(500, fmt::format("{} {} not running", word, vmid));
            }
            exitstatus = fmt::format("{} {} not running", word, vmid);
          } else if (name == "stop" || name == "shutdown") {
            guest->spec.status = "stopped";
            guest->started_at = 0;
          } else if (name == "reboot") {
            guest->spec.status = "running";
            guest->started_at = ClusterState::now_seconds();
          } else if (name == "suspend") {
            guest->spec.status = "paused";
          } else if (name == "resume") {
            guest->spec.status = "running";
          }
          state.touch();
          return guest_task(state, *guest, task_type, call, std::move(exitstatus));
        });
  }

  // Snapshots.
  table[handler_key(Verb::get, guest_path + "/snapshot")] =
      reader([type](const ClusterState& state, const ApiCall& call) -> ApiResult {
        auto [guest, problem] = find_guest(state, call, type);
        if (problem) return *problem;
        json::array out;
        for (const auto& snapshot : guest->snapshots) {
          json::object entry{{"name", snapshot.name},
                             {"description", snapshot.description},
                             {"snaptime", snapshot.snaptime}};
          if (!snapshot.parent.empty()) entry["parent"] = snapshot.parent;
          if (type == "qemu") entry["vmstate"] = snapshot.vmstate ? 1 : 0;
          out.push_back(std::move(entry));
        }
        json::object current{{"name", "current"},
                             {"description", "You are here!"},
                             {"running", guest->running() ? 1 : 0}};
        if (!guest->snapshot_parent.empty()) current["parent"] = guest->snapshot_parent;
        out.push_back(std::move(current));
        return ApiResult::ok(std::move(out));
      });

  table[handler_key(Verb::post, guest_path + "/snapshot")] =
      writer([type, prefix](ClusterState& state, const ApiCall& call) -> ApiResult {
        auto [guest, problem] = find_guest(state, call, type);
        if (problem) return *problem;
        const std::string name = call.text("snapname");
        if (name == "current") return ApiResult::error(500, "invalid snapshot name 'current'");
        if (snapshot_named(*guest, name) != guest->snapshots.end())
          return ApiResult::error(500, fmt::format("snapshot name '{}' already used", name));
        guest->snapshots.push_back(Snapshot{name, call.text("description"), guest->snapshot_parent,
                                            ClusterState::now_seconds(),
                                            call.flag("vmstate") && guest->running()});
        guest->snapshot_parent = name;
        state.touch();
        return guest_task(state, *guest, prefix + "snapshot", call);
      });

  table[handler_key(Verb::delete_, guest_path + "/snapshot/{snapname}")] =
      writer([type, prefix](ClusterState& state, const ApiCall& call) -> ApiResult {
        auto [found, problem] = find_snapshot(state, call, type);
        if (problem) return *problem;
        GuestState* guest = found.guest;
        auto& snapshots = guest->snapshots;
        const std::string name = found.snapshot->name;
        const std::string parent = found.snapshot->parent;
        snapshots.erase(found.snapshot);
        for (auto& snapshot : snapshots) {
          if (snapshot.parent == name) snapshot.parent = parent;
        }
        if (guest->snapshot_parent == name) guest->snapshot_parent = parent;
        state.touch();
        return guest_task(state, *guest, prefix + "delsnapshot", call);
      });

  table[handler_key(Verb::post, guest_path + "/snapshot/{snapname}/rollback")] =
      writer([type, prefix](ClusterState& state, const ApiCall& call) -> ApiResult {
        auto [found, problem] = find_snapshot(state, call, type);
        if (problem) return *problem;
        GuestState* guest = found.guest;
        guest->snapshot_parent = found.snapshot->name;
        if (!found.snapshot->vmstate) {
          guest->spec.status = "stopped";
          guest->started_at = 0;
        }
        state.touch();
        return guest_task(state, *guest, prefix + "rollback", call);
      });
}

// ---- cluster jobs ---------------------------------------------------------------------------

void add_job_handlers(HandlerTable& table, const std::string& base,
                      std::vector<Job>& (*jobs_of)(ClusterState&),
                      const std::vector<Job>& (*const_jobs_of)(const ClusterState&),
                      bool replication) {
  const std::string item = base + "/{id}";
  table[handler_key(Verb::get, base)] =
      reader([const_jobs_of](const ClusterState& state, const ApiCall&) {
        json::array out;
        for (const auto& job : const_jobs_of(state))
          out.push_back(job.settings);
        return ApiResult::ok(std::move(out));
      });
  table[handler_key(Verb::post, base)] =
      writer([jobs_of, replication](ClusterState& state, const ApiCall& call) -> ApiResult {
        auto& jobs = jobs_of(state);
        std::string id = call.text("id");
        if (id.empty())
          id = fmt::format("backup-{:08x}-{:04x}", state.version() * 2654435761u % 0xFFFFFFFF,
                           jobs.size());
        if (std::any_of(jobs.begin(), jobs.end(), [&](const Job& job) { return job.id == id; })) {
          return ApiResult::error(500, fmt::format("Job '{}' already exists", id));
        }
        json::object settings;
        for (const auto& [key, value] : call.params)
          settings[key] = value;
        settings["id"] = id;
        if (replication) {
          // "100-0": guest 100, job number 0.
          const size_t dash = id.find('-');
          settings["guest"] = id.substr(0, dash);
          settings["jobnum"] = dash == std::string::npos ? "0" : id.substr(dash + 1);
          if (!settings.contains("type")) settings["type"] = "local";
          if (!settings.contains("schedule")) settings["schedule"] = "*/15";
          if (const auto* guest = state.find_guest(std::atoi(id.c_str()))) {
            settings["source"] = guest->spec.node;
          }
        } else {
          if (!settings.contains("type")) settings["type"] = "vzdump";
          if (!settings.contains("enabled")) settings["enabled"] = 1;
        }
        jobs.push_back(Job{id, std::move(settings)});
        state.touch();
        return ApiResult::ok();
      });
  table[handler_key(Verb::get, item)] =
      reader([const_jobs_of](const ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string id = call.text("id");
        for (const auto& job : const_jobs_of(state)) {
          if (job.id == id) return ApiResult::ok(job.settings);
        }
        return ApiResult::error(500, fmt::format("job '{}' does not exist", id));
      });
  table[handler_key(Verb::put, item)] =
      writer([jobs_of](ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string id = call.text("id");
        for (auto& job : jobs_of(state)) {
          if (job.id != id) continue;
          for (const auto& [key, value] : call.params) {
            if (key != "id" && key != "delete" && key != "digest") job.settings[key] = value;
          }
          if (call.has("delete")) {
            for (const auto& key : split_list(call.text("delete"), ",; "))
              job.settings.erase(key);
          }
          state.touch();
          return ApiResult::ok();
        }
        return ApiResult::error(500, fmt::format("job '{}' does not exist", id));
      });
  table[handler_key(Verb::delete_, item)] =
      writer([jobs_of](ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string id = call.text("id");
        if (std::erase_if(jobs_of(state), [&](const Job& job) { return job.id == id; }) == 0) {
          return ApiResult::error(500, fmt::format("job '{}' does not exist", id));
        }
        state.touch();
        return ApiResult::ok();
      });
}

// ---- storage --------------------------------------------------------------------------------

json::object storage_config(const StorageScenario& storage) {
  json::object out{{"storage", storage.id},
                   {"type", storage.type},
                   {"content", join(storage.content, ",")},
                   {"shared", storage.shared ? 1 : 0},
                   {"digest", "4f1c2b7e9d0a3c5b8e6f1a2d3c4b5a697e8d9c0b"}};
  if (!storage.nodes.empty()) out["nodes"] = join(storage.nodes, ",");
  return out;
}

json::array storage_content(const ClusterState& state, const StorageScenario& storage,
                            std::string_view node, const ApiCall& call) {
  const std::string content_filter = call.text("content");
  const auto vmid_filter = call.integer("vmid");
  const auto wanted = [&](std::string_view content, int vmid) {
    return (content_filter.empty() || content_filter == content) &&
           (!vmid_filter || *vmid_filter == vmid);
  };
  json::array out;
  for (const auto& backup : state.backups()) {
    if (backup.storage != storage.id) continue;
    if (!storage.shared && !backup.node.empty() && backup.node != node) continue;
    if (!wanted("backup", backup.vmid)) continue;
    const auto* guest = state.find_guest(backup.vmid);
    json::object entry{
        {"volid", backup.volid},
        {"content", "backup"},
        {"format", backup.format},
        {"size", backup.size},
        {"ctime", backup.ctime},
        {"vmid", backup.vmid},
        {"subtype", guest ? guest->spec.type
                          : (backup.format.find("tar") != std::string::npos ? "lxc" : "qemu")}};
    if (!backup.notes.empty()) entry["notes"] = backup.notes;
    if (backup.protected_) entry["protected"] = 1;
    if (!backup.verification.empty()) {
      entry["verification"] = json::object{
          {"state", backup.verification},
          {"upid", fmt::format("UPID:{}:00001234:00A00000:{:08X}:verify:{}:root@pam:", node,
                               backup.ctime + 600, storage.id)}};
    }
    out.push_back(std::move(entry));
  }
  for (const auto& [vmid, guest] : state.guests()) {
    if (guest.spec.disk_gb <= 0 || disk_storage(state, guest) != &storage) continue;
    if (!storage.shared && guest.spec.node != node) continue;
    const std::string content = guest.spec.type == "lxc" ? "rootdir" : "images";
    if (!wanted(content, vmid) && !(content_filter == "images" && wanted("images", vmid))) continue;
    out.push_back(json::object{{"volid", disk_volume(state, guest)},
                               {"content", content},
                               {"format", "raw"},
                               {"size", guest_maxdisk(guest)},
                               {"used", guest_maxdisk(guest) / 2},
                               {"vmid", vmid}});
  }
  if (has_content(storage, "iso") && wanted("iso", 0) && !vmid_filter) {
    out.push_back(json::object{{"volid", storage.id + ":iso/debian-12.8.0-amd64-netinst.iso"},
                               {"content", "iso"},
                               {"format", "iso"},
                               {"size", 661651456},
                               {"ctime", 1731196800}});
  }
  if (has_content(storage, "vztmpl") && wanted("vztmpl", 0) && !vmid_filter) {
    out.push_back(
        json::object{{"volid", storage.id + ":vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"},
                     {"content", "vztmpl"},
                     {"format", "tzst"},
                     {"size", 126023680},
                     {"ctime", 1727740800}});
  }
  return out;
}

// ---- the table ------------------------------------------------------------------------------

json::object version_info(const ClusterState&) {
  return json::object{{"version", "9.1.2"}, {"release", "9.1"}, {"repoid", "7b7d1ab8"}};
}

std::vector<Job>& backup_jobs_of(ClusterState& state) {
  return state.backup_jobs();
}
const std::vector<Job>& const_backup_jobs_of(const ClusterState& state) {
  return state.backup_jobs();
}
std::vector<Job>& replication_jobs_of(ClusterState& state) {
  return state.replication_jobs();
}
const std::vector<Job>& const_replication_jobs_of(const ClusterState& state) {
  return state.replication_jobs();
}

json::object pool_resource(const ClusterState& state, const GuestState& guest, int64_t now) {
  json::object entry = guest_metrics(guest, now);
  entry["id"] = guest.resource_id();
  entry["type"] = guest.spec.type;
  entry["node"] = guest.spec.node;
  (void)state;
  return entry;
}

}  // namespace

HandlerTable pve_handlers() {
  HandlerTable table;
  add_task_handlers(table);
  add_guest_handlers(table, "qemu");
  add_guest_handlers(table, "lxc");

  table[handler_key(Verb::get, "/version")] = reader(
      [](const ClusterState& state, const ApiCall&) { return ApiResult::ok(version_info(state)); });

  table[handler_key(Verb::get, "/cluster/status")] =
      reader([](const ClusterState& state, const ApiCall&) {
        json::array out;
        const size_t online =
            std::count_if(state.nodes().begin(), state.nodes().end(),
                          [](const NodeState& n) { return n.spec.status == "online"; });
        if (state.mode() == "cluster") {
          out.push_back(json::object{{"type", "cluster"},
                                     {"id", "cluster"},
                                     {"name", state.name()},
                                     {"nodes", state.nodes().size()},
                                     {"quorate", online * 2 > state.nodes().size() ? 1 : 0},
                                     {"version", 3 + state.nodes().size()}});
        }
        int nodeid = 1;
        for (const auto& node : state.nodes()) {
          out.push_back(json::object{{"type", "node"},
                                     {"id", "node/" + node.spec.name},
                                     {"name", node.spec.name},
                                     {"nodeid", nodeid},
                                     {"ip", node.spec.ip.empty() ? "192.0.2.10" : node.spec.ip},
                                     {"online", node.spec.status == "online" ? 1 : 0},
                                     {"local", nodeid == 1 ? 1 : 0},
                                     {"level", ""}});
          ++nodeid;
        }
        return ApiResult::ok(std::move(out));
      });

  table[handler_key(Verb::get, "/cluster/resources")] = reader(
      [](const ClusterState& state, const ApiCall& call) {
        const std::string type = call.text("type");
        const int64_t now = ClusterState::now_seconds();
        json::array out;
        if (type.empty() || type == "node") {
          for (const auto& node : state.nodes())
            out.push_back(node_entry(state, node, now));
        }
        if (type.empty() || type == "vm") {
          out.reserve(out.size() + state.guests().size());
          for (const auto& [vmid, guest] : state.guests()) {
            json::object entry = guest_metrics(guest, now);
            entry["id"] = guest.resource_id();
            entry["type"] = guest.spec.type;
            entry["node"] = guest.spec.node;
            entry["maxcpu"] = guest.spec.cores;
            entry.erase("cpus");
            entry.erase("pid");
            if (!guest.spec.pool.empty()) entry["pool"] = guest.spec.pool;
            entry["hastate"] = nullptr;
            entry.erase("hastate");
            out.push_back(std::move(entry));
          }
        }
        if (type.empty() || type == "storage") {
          for (const auto& node : state.nodes()) {
            for (const auto& storage : state.storages()) {
              if (!state.storage_on_node(storage, node.spec.name)) continue;
              const bool online = node.spec.status == "online";
              out.push_back(
                  json::object{{"id", fmt::format("storage/{}/{}", node.spec.name, storage.id)},
                               {"type", "storage"},
                               {"storage", storage.id},
                               {"node", node.spec.name},
                               {"status", online ? "available" : "unknown"},
                               {"plugintype", storage.type},
                               {"content", join(storage.content, ",")},
                               {"shared", storage.shared ? 1 : 0},
                               {"disk", storage_used(state, storage, node.spec.name)},
                               {"maxdisk", storage.total_bytes}});
            }
          }
        }
        if (type.empty()) {
          for (const auto& [pool, comment] : state.pools()) {
            out.push_back(json::object{{"id", "pool/" + pool}, {"type", "pool"}, {"pool", pool}});
          }
        }
        return ApiResult::ok(std::move(out));
      },
      true);

  table[handler_key(Verb::get, "/cluster/nextid")] =
      reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
        if (const auto wanted = call.integer("vmid")) {
          if (state.find_guest(static_cast<int>(*wanted)) != nullptr) {
            return ApiResult::error(400, fmt::format("VM {} already exists", *wanted));
          }
          return ApiResult::ok(std::to_string(*wanted));
        }
        int next = 100;
        while (state.find_guest(next) != nullptr)
          ++next;
        return ApiResult::ok(std::to_string(next));
      });

  table[handler_key(Verb::get, "/nodes")] = reader(
      [](const ClusterState& state, const ApiCall&) {
        const int64_t now = ClusterState::now_seconds();
        json::array out;
        for (const auto& node : state.nodes()) {
          json::object entry = node_entry(state, node, now);
          out.push_back(std::move(entry));
        }
        return ApiResult::ok(std::move(out));
      },
      true);

  table[handler_key(Verb::get, "/nodes/{node}/status")] =
      reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
        const NodeState* node = online_node(state, call.text("node"));
        if (node == nullptr) return no_such_node(call.text("node"));
        if (node->spec.status != "online") {
          return ApiResult::error(595, fmt::format("no route to host"));
        }
        const NodeUsage usage = node_usage(state, *node);
        const int64_t total = node->spec.memory_bytes;
        const int64_t disk = node->spec.disk_bytes;
        return ApiResult::ok(json::object{
            {"cpu", usage.cpu},
            {"wait", 0.001},
            {"idle", 0},
            {"uptime", ClusterState::now_seconds() - node->booted_at},
            {"loadavg", json::array{"0.42", "0.38", "0.35"}},
            {"kversion",
             "Linux 6.14.8-2-pve #1 SMP PREEMPT_DYNAMIC PMX 6.14.8-2 (2025-07-22T10:04Z)"},
            {"pveversion", "pve-manager/9.1.2/7b7d1ab8"},
            {"cpuinfo", json::object{{"cpus", node->spec.cpus},
                                     {"cores", node->spec.cpus / 2 > 0 ? node->spec.cpus / 2 : 1},
                                     {"sockets", 1},
                                     {"model", "AMD EPYC 7302P 16-Core Processor"},
                                     {"mhz", "3000.000"},
                                     {"hvm", "1"},
                                     {"user_hz", 100},
                                     {"flags", "fpu vme de pse tsc msr pae mce"}}},
            {"memory", json::object{{"total", total},
                                    {"used", usage.mem},
                                    {"free", total - usage.mem},
                                    {"available", total - usage.mem}}},
            {"swap", json::object{{"total", 8 * kGiB}, {"used", 0}, {"free", 8 * kGiB}}},
            {"rootfs", json::object{{"total", disk},
                                    {"used", disk / 5},
                                    {"avail", disk - disk / 5},
                                    {"free", disk - disk / 5}}},
            {"ksm", json::object{{"shared", 0}}},
            {"boot-info", json::object{{"mode", "efi"}, {"secureboot", 0}}},
            {"current-kernel",
             json::object{{"sysname", "Linux"},
                          {"release", "6.14.8-2-pve"},
                          {"version", "#1 SMP PREEMPT_DYNAMIC PMX 6.14.8-2 (2025-07-22T10:04Z)"},
                          {"machine", "x86_64"}}}});
      });

  table[handler_key(Verb::get, "/nodes/{node}/network")] =
      reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
        const NodeState* node = state.find_node(call.text("node"));
        if (node == nullptr) return no_such_node(call.text("node"));
        const std::string type = call.text("type");
        json::array out;
        int priority = 1;
        for (const auto& iface : node->interfaces) {
          const bool any_bridge = type == "any_bridge" && iface.type == "bridge";
          if (!type.empty() && type != iface.type && !any_bridge) continue;
          json::object entry{{"iface", iface.iface},
                             {"type", iface.type},
                             {"method", iface.address.empty() ? "manual" : "static"},
                             {"method6", "manual"},
                             {"families", json::array{"inet"}},
                             {"priority", priority++}};
          if (iface.active) entry["active"] = 1;
          if (iface.autostart) entry["autostart"] = 1;
          if (!iface.address.empty()) {
            entry["address"] = iface.address;
            entry["netmask"] = iface.netmask;
            entry["cidr"] = iface.address + "/24";
          }
          if (!iface.gateway.empty()) entry["gateway"] = iface.gateway;
          if (iface.type == "bridge") {
            entry["bridge_ports"] = iface.bridge_ports;
            entry["bridge_stp"] = "off";
            entry["bridge_fd"] = "0";
          }
          out.push_back(std::move(entry));
        }
        return ApiResult::ok(std::move(out));
      });

  table[handler_key(Verb::get, "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces")] =
      reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
        auto [guest, problem] = find_guest(state, call, "qemu");
        if (problem) return *problem;
        if (!guest->spec.agent || guest->spec.status != "running") {
          return ApiResult::error(500, "QEMU guest agent is not running");
        }
        json::array interfaces;
        interfaces.push_back(json::object{
            {"name", "lo"},
            {"hardware-address", "00:00:00:00:00:00"},
            {"ip-addresses",
             json::array{
                 json::object{
                     {"ip-address", "127.0.0.1"}, {"ip-address-type", "ipv4"}, {"prefix", 8}},
                 json::object{
                     {"ip-address", "::1"}, {"ip-address-type", "ipv6"}, {"prefix", 128}}}}});
        int index = 0;
        for (const auto& nic : guest->spec.nics) {
          json::array addresses;
          for (const auto& cidr : nic.ip_addresses) {
            const size_t slash = cidr.find('/');
            const std::string address = cidr.substr(0, slash);
            const int prefix =
                slash == std::string::npos ? 32 : std::atoi(cidr.c_str() + slash + 1);
            addresses.push_back(json::object{
                {"ip-address", address},
                {"ip-address-type", address.find(':') == std::string::npos ? "ipv4" : "ipv6"},
                {"prefix", prefix}});
          }
          std::string mac = nic.mac;
          for (auto& c : mac)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          interfaces.push_back(
              json::object{{"name", fmt::format("ens{}", 18 + index++)},
                           {"hardware-address", mac},
                           {"ip-addresses", std::move(addresses)},
                           {"statistics", json::object{{"rx-bytes", guest->spec.vmid * 4096},
                                                       {"tx-bytes", guest->spec.vmid * 1024},
                                                       {"rx-packets", guest->spec.vmid * 8},
                                                       {"tx-packets", guest->spec.vmid * 4},
                                                       {"rx-errs", 0},
                                                       {"tx-errs", 0},
                                                       {"rx-dropped", 0},
                                                       {"tx-dropped", 0}}}});
        }
        return ApiResult::ok(json::object{{"result", std::move(interfaces)}});
      });

  // Storage.
  table[handler_key(Verb::get, "/storage")] = reader(
      [](const ClusterState& state, const ApiCall& call) {
        const std::string type = call.text("type");
        json::array out;
        for (const auto& storage : state.storages()) {
          if (type.empty() || storage.type == type) out.push_back(storage_config(storage));
        }
        return ApiResult::ok(std::move(out));
      },
      true);
  table[handler_key(Verb::get, "/storage/{storage}")] =
      reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
        const auto* storage = state.find_storage(call.text("storage"));
        if (storage == nullptr) {
          return ApiResult::error(500,
                                  fmt::format("storage '{}' does not exist", call.text("storage")));
        }
        return ApiResult::ok(storage_config(*storage));
      });
  table[handler_key(Verb::post, "/storage")] =
      writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string id = call.text("storage");
        if (state.find_storage(id) != nullptr) {
          return ApiResult::error(
              500, fmt::format("create storage failed: storage ID '{}' already defined", id));
        }
        StorageScenario storage;
        storage.id = id;
        storage.type = call.text("type", "dir");
        if (call.has("content")) storage.content = split_list(call.text("content"), ", ");
        storage.shared = call.flag("shared");
        if (call.has("nodes")) storage.nodes = split_list(call.text("nodes"), ", ");
        state.storages().push_back(storage);
        state.touch();
        return ApiResult::ok(json::object{{"storage", id}, {"type", storage.type}});
      });
  table[handler_key(Verb::delete_, "/storage/{storage}")] =
      writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string id = call.text("storage");
        if (std::erase_if(state.storages(), [&](const auto& s) { return s.id == id; }) == 0) {
          return ApiResult::error(500, fmt::format("storage '{}' does not exist", id));
        }
        std::erase_if(state.backups(), [&](const auto& b) { return b.storage == id; });
        state.touch();
        return ApiResult::ok();
      });

  table[handler_key(Verb::get, "/nodes/{node}/storage")] =
      reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string node = call.text("node");
        if (state.find_node(node) == nullptr) return no_such_node(node);
        const std::string content = call.text("content");
        const std::string only = call.text("storage");
        json::array out;
        for (const auto& storage : state.storages()) {
          if (!state.storage_on_node(storage, node)) continue;
          if (!only.empty() && storage.id != only) continue;
          if (!content.empty() &&
              !std::any_of(storage.content.begin(), storage.content.end(),
                           [&](const auto& c) { return content.find(c) != std::string::npos; })) {
            continue;
          }
          const int64_t used = storage_used(state, storage, node);
          out.push_back(json::object{
              {"storage", storage.id},
              {"type", storage.type},
              {"content", join(storage.content, ",")},
              {"shared", storage.shared ? 1 : 0},
              {"active", 1},
              {"enabled", 1},
              {"total", storage.total_bytes},
              {"used", used},
              {"avail", storage.total_bytes - used},
              {"used_fraction", static_cast<double>(used) / static_cast<double>(std::max<int64_t>(
                                                                1, storage.total_bytes))}});
        }
        return ApiResult::ok(std::move(out));
      });

  table[handler_key(Verb::get, "/nodes/{node}/storage/{storage}/status")] =
      reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string node = call.text("node");
        if (state.find_node(node) == nullptr) return no_such_node(node);
        const auto* storage = state.find_storage(call.text("storage"));
        if (storage == nullptr || !state.storage_on_node(*storage, node)) {
          return ApiResult::error(500,
                                  fmt::format("storage '{}' does not exist", call.text("storage")));
        }
        const int64_t used = storage_used(state, *storage, node);
        return ApiResult::ok(json::object{{"type", storage->type},
                                          {"content", join(storage->content, ",")},
                                          {"shared", storage->shared ? 1 : 0},
                                          {"active", 1},
                                          {"enabled", 1},
                                          {"total", storage->total_bytes},
                                          {"used", used},
                                          {"avail", storage->total_bytes - used}});
      });

  table[handler_key(Verb::get, "/nodes/{node}/storage/{storage}/content")] = reader(
      [](const ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string node = call.text("node");
        if (state.find_node(node) == nullptr) return no_such_node(node);
        const auto* storage = state.find_storage(call.text("storage"));
        if (storage == nullptr || !state.storage_on_node(*storage, node)) {
          return ApiResult::error(500,
                                  fmt::format("storage '{}' does not exist", call.text("storage")));
        }
        return ApiResult::ok(storage_content(state, *storage, node, call));
      },
      true);

  table[handler_key(Verb::delete_, "/nodes/{node}/storage/{storage}/content/{volume}")] =
      writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string storage = call.text("storage");
        std::string volume = call.text("volume");
        if (volume.find(':') == std::string::npos) volume = storage + ":" + volume;
        const auto erased = std::erase_if(state.backups(), [&](const BackupScenario& backup) {
          return backup.volid == volume && !backup.protected_;
        });
        if (erased == 0) {
          return ApiResult::error(
              500, fmt::format("volume '{}' does not exist or is protected", volume));
        }
        state.touch();
        return ApiResult::ok(state.start_task(call.text("node"), "imgdel", volume, call.user).upid);
      });

  // Pools.
  table[handler_key(Verb::get, "/pools")] =
      reader([](const ClusterState& state, const ApiCall& call) {
        const std::string only = call.text("poolid");
        const int64_t now = ClusterState::now_seconds();
        json::array out;
        for (const auto& [pool, comment] : state.pools()) {
          if (!only.empty() && pool != only) continue;
          json::object entry{{"poolid", pool}};
          if (!comment.empty()) entry["comment"] = comment;
          if (!only.empty()) {
            json::array members;
            for (const auto& [vmid, guest] : state.guests()) {
              if (guest.spec.pool == pool) members.push_back(pool_resource(state, guest, now));
            }
            entry["members"] = std::move(members);
          }
          out.push_back(std::move(entry));
        }
        return ApiResult::ok(std::move(out));
      });
  table[handler_key(Verb::get, "/pools/{poolid}")] =
      reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string pool = call.text("poolid");
        const auto it = state.pools().find(pool);
        if (it == state.pools().end()) {
          return ApiResult::error(500, fmt::format("pool '{}' does not exist", pool));
        }
        const int64_t now = ClusterState::now_seconds();
        json::array members;
        for (const auto& [vmid, guest] : state.guests()) {
          if (guest.spec.pool == pool) members.push_back(pool_resource(state, guest, now));
        }
        json::object out{{"members", std::move(members)}};
        if (!it->second.empty()) out["comment"] = it->second;
        return ApiResult::ok(std::move(out));
      });
  table[handler_key(Verb::post, "/pools")] =
      writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string pool = call.text("poolid");
        if (!state.pools().emplace(pool, call.text("comment")).second) {
          return ApiResult::error(
              500, fmt::format("create pool failed: pool '{}' already exists", pool));
        }
        state.touch();
        return ApiResult::ok();
      });
  const auto delete_pool = [](ClusterState& state, const ApiCall& call) -> ApiResult {
    const std::string pool = call.text("poolid");
    if (state.pools().find(pool) == state.pools().end()) {
      return ApiResult::error(500,
                              fmt::format("delete pool failed: pool '{}' does not exist", pool));
    }
    for (const auto& [vmid, guest] : state.guests()) {
      if (guest.spec.pool == pool) {
        return ApiResult::error(500, "delete pool failed: pool is not empty");
      }
    }
    state.pools().erase(pool);
    state.touch();
    return ApiResult::ok();
  };
  table[handler_key(Verb::delete_, "/pools")] = writer(delete_pool);
  table[handler_key(Verb::delete_, "/pools/{poolid}")] = writer(delete_pool);
  const auto update_pool = [](ClusterState& state, const ApiCall& call) -> ApiResult {
    const std::string pool = call.text("poolid");
    const auto it = state.pools().find(pool);
    if (it == state.pools().end()) {
      return ApiResult::error(500, fmt::format("pool '{}' does not exist", pool));
    }
    if (call.has("comment")) it->second = call.text("comment");
    if (call.has("vms")) {
      const bool remove = call.flag("delete");
      for (const auto& id : split_list(call.text("vms"), ",; ")) {
        if (auto* guest = state.find_guest(std::atoi(id.c_str()))) {
          if (remove && guest->spec.pool == pool) guest->spec.pool.clear();
          if (!remove) guest->spec.pool = pool;
        }
      }
    }
    state.touch();
    return ApiResult::ok();
  };
  table[handler_key(Verb::put, "/pools")] = writer(update_pool);
  table[handler_key(Verb::put, "/pools/{poolid}")] = writer(update_pool);

  add_job_handlers(table, "/cluster/backup", backup_jobs_of, const_backup_jobs_of, false);
  add_job_handlers(table, "/cluster/replication", replication_jobs_of, const_replication_jobs_of,
                   true);
  return table;
}

// ---- ApiCall --------------------------------------------------------------------------------

bool ApiCall::has(std::string_view name) const {
  return params.contains(name) || !request.path_param(name).empty();
}

std::string ApiCall::text(std::string_view name, std::string_view fallback) const {
  if (const auto* value = params.if_contains(name)) return value_text(*value);
  const std::string_view from_path = request.path_param(name);
  return from_path.empty() ? std::string(fallback) : std::string(from_path);
}

std::optional<int64_t> ApiCall::integer(std::string_view name) const {
  if (const auto* value = params.if_contains(name)) {
    if (value->is_int64()) return value->as_int64();
    if (value->is_uint64()) return static_cast<int64_t>(value->as_uint64());
    if (value->is_double()) return static_cast<int64_t>(value->as_double());
  }
  const std::string raw = text(name);
  if (raw.empty()) return std::nullopt;
  int64_t out = 0;
  const auto [end, error] = std::from_chars(raw.data(), raw.data() + raw.size(), out);
  if (error != std::errc{} || end != raw.data() + raw.size()) return std::nullopt;
  return out;
}

bool ApiCall::flag(std::string_view name, bool fallback) const {
  if (!has(name)) return fallback;
  const std::string raw = text(name);
  return raw == "1" || raw == "true" || raw == "yes" || raw == "on";
}

std::string handler_key(http::Verb method, std::string_view path_template) {
  std::string key(boost::beast::http::to_string(method));
  key += ' ';
  key += path_template;
  return key;
}

}  // namespace pbx::proxmox
