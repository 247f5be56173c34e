#include "proxmox/scenario.hpp"

#include <fmt/format.h>

#include <boost/describe/members.hpp>
#include <boost/json.hpp>
#include <boost/mp11/algorithm.hpp>
#include <random>
#include <set>
#include <stdexcept>

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
namespace describe = boost::describe;
namespace mp11 = boost::mp11;

template <typename S>
S read_struct(const json::value& value, const std::string& context);

// Reads one JSON object field by field and, on finish(), rejects every key nobody asked for, so
// a typo in a scenario file is an error naming the key instead of a silently ignored setting.
class ObjectReader {
 public:
  ObjectReader(const json::value& value, std::string context) : context_(std::move(context)) {
    if (!value.is_object()) fail("", "expected an object");
    object_ = &value.as_object();
  }

  void read(std::string_view key, std::string& out) {
    if (const auto* v = take(key)) {
      if (!v->is_string()) fail(key, "expected a string");
      out = std::string(v->as_string());
    }
  }
  void read(std::string_view key, bool& out) {
    if (const auto* v = take(key)) {
      if (v->is_bool()) {
        out = v->as_bool();
      } else if (v->is_int64() && (v->as_int64() == 0 || v->as_int64() == 1)) {
        out = v->as_int64() == 1;  // Proxmox itself writes booleans as 0/1
      } else {
        fail(key, "expected a boolean");
      }
    }
  }
  void read(std::string_view key, int64_t& out) {
    if (const auto* v = take(key)) {
      if (v->is_int64()) {
        out = v->as_int64();
      } else if (v->is_uint64() && v->as_uint64() <= uint64_t(INT64_MAX)) {
        out = static_cast<int64_t>(v->as_uint64());
      } else {
        fail(key, "expected an integer");
      }
    }
  }
  void read(std::string_view key, int& out) {
    int64_t wide = out;
    read(key, wide);
    if (wide < INT32_MIN || wide > INT32_MAX) fail(key, "integer out of range");
    out = static_cast<int>(wide);
  }
  void read(std::string_view key, std::vector<std::string>& out) {
    if (const auto* v = take(key)) {
      if (!v->is_array()) fail(key, "expected an array of strings");
      out.clear();
      for (const auto& item : v->as_array()) {
        if (!item.is_string()) fail(key, "expected an array of strings");
        out.emplace_back(item.as_string());
      }
    }
  }
  void read(std::string_view key, Service& out) {
    std::string name(to_string(out));
    read(key, name);
    try {
      out = parse_service(name);
    } catch (const std::invalid_argument& error) {
      fail(key, error.what());
    }
  }
  // A list of scenario structs, each read (and validated) by read_struct.
  template <typename S>
  void read(std::string_view key, std::vector<S>& out) {
    if (const auto* v = take(key)) {
      if (!v->is_array()) fail(key, "expected an array");
      out.clear();
      size_t index = 0;
      for (const auto& item : v->as_array()) {
        out.push_back(read_struct<S>(item, fmt::format("{}[{}]", path_of(key), index++)));
      }
    }
  }

  void finish() const {
    for (const auto& [key, value] : *object_) {
      if (!consumed_.contains(std::string_view(key))) {
        fail(std::string_view(key), "unknown key");
      }
    }
  }

  [[noreturn]] void fail(std::string_view key, std::string_view message) const {
    throw std::invalid_argument(fmt::format("scenario: {}: {}", path_of(key), message));
  }
  std::string path_of(std::string_view key) const {
    if (key.empty()) return context_.empty() ? std::string("(root)") : context_;
    return context_.empty() ? std::string(key) : fmt::format("{}.{}", context_, key);
  }

 private:
  const json::value* take(std::string_view key) {
    consumed_.insert(std::string(key));
    const auto it = object_->find(key);
    return it == object_->end() || it->value().is_null() ? nullptr : &it->value();
  }

  const json::object* object_ = nullptr;
  std::string context_;
  std::set<std::string, std::less<>> consumed_;
};

// What a scenario struct's values must satisfy beyond their JSON types, checked after reading.
void validate(const ObjectReader& r, const NodeScenario& node) {
  if (node.name.empty()) r.fail("name", "required");
  if (node.status != "online" && node.status != "offline") {
    r.fail("status", "must be online or offline");
  }
}

void validate(const ObjectReader&, const NicScenario&) {}

void validate(const ObjectReader& r, const GuestScenario& guest) {
  if (guest.vmid < 100 || guest.vmid > 999999999) r.fail("vmid", "must be 100..999999999");
  if (guest.type != "qemu" && guest.type != "lxc") r.fail("type", "must be qemu or lxc");
  if (guest.status != "running" && guest.status != "stopped" && guest.status != "paused") {
    r.fail("status", "must be running, stopped or paused");
  }
  if (guest.cores < 1) r.fail("cores", "must be at least 1");
  if (guest.memory_mb < 16) r.fail("memory_mb", "must be at least 16");
  if (guest.disk_gb < 0) r.fail("disk_gb", "must not be negative");
}

void validate(const ObjectReader& r, const StorageScenario& storage) {
  if (storage.id.empty()) r.fail("id", "required");
}

void validate(const ObjectReader& r, const BackupScenario& backup) {
  if (backup.storage.empty()) r.fail("storage", "required");
  if (backup.vmid < 100) r.fail("vmid", "must be at least 100");
}

void validate(const ObjectReader& r, const DatastoreScenario& datastore) {
  if (datastore.name.empty()) r.fail("name", "required");
}

void validate(const ObjectReader& r, const TokenScenario& token) {
  if (token.id.empty()) r.fail("id", "required");
}

void validate(const ObjectReader& r, const UserScenario& user) {
  if (user.userid.find('@') == std::string::npos) r.fail("userid", "must be user@realm");
}

void validate(const ObjectReader& r, const ClusterScenario& cluster) {
  if (cluster.mode != "cluster" && cluster.mode != "standalone") {
    r.fail("mode", "must be cluster or standalone");
  }
  // References must resolve: a guest on a node that does not exist would vanish from every view.
  std::set<std::string, std::less<>> node_names;
  for (const auto& node : cluster.nodes) {
    if (!node_names.insert(node.name).second) r.fail("nodes", "duplicate node " + node.name);
  }
  std::set<int> vmids;
  for (const auto& guest : cluster.guests) {
    if (!vmids.insert(guest.vmid).second) {
      r.fail("guests", fmt::format("duplicate vmid {}", guest.vmid));
    }
    if (!node_names.contains(guest.node)) {
      r.fail("guests", fmt::format("guest {} is on unknown node '{}'", guest.vmid, guest.node));
    }
  }
  std::set<std::string, std::less<>> storage_ids;
  for (const auto& storage : cluster.storages) {
    if (!storage_ids.insert(storage.id).second) {
      r.fail("storages", "duplicate storage " + storage.id);
    }
  }
  // On PBS a backup lives in a datastore; on PVE in a storage with backup content.
  for (const auto& datastore : cluster.datastores)
    storage_ids.insert(datastore.name);
  for (const auto& backup : cluster.backups) {
    if (!storage_ids.contains(backup.storage)) {
      r.fail("backups",
             fmt::format("backup of {} is on unknown storage '{}'", backup.vmid, backup.storage));
    }
    if (!backup.node.empty() && !node_names.contains(backup.node)) {
      r.fail("backups",
             fmt::format("backup of {} is on unknown node '{}'", backup.vmid, backup.node));
    }
  }
}

void validate(const ObjectReader&, const Scenario&) {}

// A described member's JSON key: its name without the trailing '_' that keeps C++ keywords
// ("template_", "protected_") usable as member names.
std::string_view json_key(std::string_view member_name) {
  if (member_name.ends_with('_')) member_name.remove_suffix(1);
  return member_name;
}

// Calls `visit(key, member)` for every field the struct's BOOST_DESCRIBE_STRUCT lists, in order.
template <typename S, typename Visit>
void for_each_field(S& value, Visit visit) {
  using Members = describe::describe_members<std::remove_const_t<S>, describe::mod_public>;
  mp11::mp_for_each<Members>(
      [&](auto member) { visit(json_key(member.name), value.*member.pointer); });
}

template <typename S>
S read_struct(const json::value& value, const std::string& context) {
  S out;
  ObjectReader reader(value, context);
  for_each_field(out, [&reader](std::string_view key, auto& field) { reader.read(key, field); });
  reader.finish();
  validate(reader, out);
  return out;
}

template <typename T>
json::value to_json_value(const T& value) {
  if constexpr (std::is_same_v<T, Service>) {
    return json::string(to_string(value));
  } else if constexpr (std::is_same_v<T, std::string> || std::is_arithmetic_v<T>) {
    return json::value_from(value);
  } else if constexpr (describe::has_describe_members<T>::value) {
    json::object object;
    for_each_field(value, [&object](std::string_view key, const auto& field) {
      object.emplace(key, to_json_value(field));
    });
    return object;
  } else {
    json::array array;
    array.reserve(value.size());
    for (const auto& item : value)
      array.push_back(to_json_value(item));
    return array;
  }
}

}  // namespace

Scenario Scenario::from_json(const boost::json::value& json) {
  return read_struct<Scenario>(json, "");
}

boost::json::value Scenario::to_json() const {
  return to_json_value(*this);
}

Scenario generate_scenario(const GenerateOptions& options) {
  if (options.clusters < 1 || options.nodes < options.clusters || options.guests < 0 ||
      options.backups_per_guest < 0) {
    throw std::invalid_argument(
        "generate: need clusters >= 1, nodes >= clusters, guests >= 0, backups >= 0");
  }
  std::mt19937_64 random(options.seed);
  const auto pick = [&random](int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(random);
  };
  static constexpr const char* kTags[] = {"prod", "dev", "web", "db", "k8s", "backup"};
  static constexpr const char* kQemuOs[] = {"l26", "l26", "l26", "win11", "win10", "other"};
  static constexpr const char* kLxcOs[] = {"debian", "ubuntu", "alpine", "centos"};
  static constexpr int64_t kBackupEpoch = 1767225600;  // 2026-01-01T00:00:00Z

  Scenario scenario;
  int next_vmid = 100;  // unique over all clusters, so a merged NetBox view has no clashes
  for (int c = 0; c < options.clusters; ++c) {
    ClusterScenario cluster;
    const bool single = options.clusters == 1;
    cluster.name = single ? options.prefix : fmt::format("{}-cluster{}", options.prefix, c + 1);
    const std::string node_prefix =
        single ? options.prefix : fmt::format("{}{}n", options.prefix, c + 1);
    // Spread the remainder over the first clusters so the totals match the request exactly.
    const int node_count =
        options.nodes / options.clusters + (c < options.nodes % options.clusters);
    const int guest_count =
        options.guests / options.clusters + (c < options.guests % options.clusters);
    for (int n = 0; n < node_count; ++n) {
      NodeScenario node;
      node.name = fmt::format("{}{}", node_prefix, n + 1);
      node.ip = fmt::format("10.{}.0.{}", c + 1, n + 11);
      node.cpus = 8 << pick(0, 3);
      node.memory_bytes = (int64_t{32} << 30) << pick(0, 3);
      cluster.nodes.push_back(std::move(node));
    }
    cluster.storages = {
        {"local", "dir", {"iso", "vztmpl", "backup"}, false, {}, int64_t{100} << 30},
        {"local-lvm", "lvmthin", {"images", "rootdir"}, false, {}, int64_t{1} << 40},
        {"backup", "nfs", {"backup"}, true, {}, int64_t{8} << 40},
    };
    for (int g = 0; g < guest_count; ++g) {
      GuestScenario guest;
      guest.vmid = next_vmid++;
      guest.type = pick(0, 3) == 0 ? "lxc" : "qemu";
      guest.node = cluster.nodes[g % node_count].name;
      guest.name = fmt::format("{}-{}", guest.type == "qemu" ? "vm" : "ct", guest.vmid);
      guest.status = pick(0, 4) == 0 ? "stopped" : "running";
      guest.cores = 1 << pick(0, 3);
      guest.memory_mb = int64_t{512} << pick(0, 5);
      guest.disk_gb = int64_t{8} << pick(0, 4);
      guest.onboot = pick(0, 1) == 1;
      guest.agent = guest.type == "qemu" && pick(0, 2) != 0;
      guest.template_ = guest.type == "qemu" && pick(0, 49) == 0;
      if (guest.template_) guest.status = "stopped";
      if (pick(0, 1) == 1) guest.tags.emplace_back(kTags[pick(0, 5)]);
      guest.os_type = guest.type == "qemu" ? kQemuOs[pick(0, 5)] : kLxcOs[pick(0, 3)];
      NicScenario nic;
      nic.name = guest.type == "qemu" ? "net0" : "eth0";
      nic.mac = fmt::format("BC:24:11:{:02X}:{:02X}:{:02X}", (guest.vmid >> 16) & 0xFF,
                            (guest.vmid >> 8) & 0xFF, guest.vmid & 0xFF);
      nic.ip_addresses.push_back(
          fmt::format("10.{}.{}.{}/16", 100 + c, (guest.vmid >> 8) & 0xFF, guest.vmid & 0xFF));
      guest.nics.push_back(std::move(nic));
      for (int b = 0; b < options.backups_per_guest; ++b) {
        BackupScenario backup;
        backup.storage = "backup";
        backup.vmid = guest.vmid;
        backup.format = guest.type == "qemu" ? "vma.zst" : "tar.zst";
        backup.ctime = kBackupEpoch + int64_t{86400} * b + guest.vmid % 3600;
        backup.size = (guest.disk_gb << 30) / 4;
        backup.verification = "ok";
        cluster.backups.push_back(std::move(backup));
      }
      cluster.guests.push_back(std::move(guest));
    }
    scenario.clusters.push_back(std::move(cluster));
  }
  return scenario;
}

}  // namespace pbx::proxmox
