#include "proxmox/scenario.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <random>
#include <set>
#include <stdexcept>

namespace pbx::proxmox {
namespace {

namespace json = boost::json;

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
  template <typename T, typename ParseOne>
  void read_list(std::string_view key, std::vector<T>& out, ParseOne parse_one) {
    if (const auto* v = take(key)) {
      if (!v->is_array()) fail(key, "expected an array");
      out.clear();
      size_t index = 0;
      for (const auto& item : v->as_array()) {
        out.push_back(parse_one(item, fmt::format("{}[{}]", path_of(key), index++)));
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

json::array strings_to_json(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& value : values)
    out.emplace_back(value);
  return out;
}

template <typename T, typename ToJson>
json::array list_to_json(const std::vector<T>& values, ToJson to_json_one) {
  json::array out;
  out.reserve(values.size());
  for (const auto& value : values)
    out.push_back(to_json_one(value));
  return out;
}

NodeScenario node_from_json(const json::value& value, const std::string& context) {
  NodeScenario node;
  ObjectReader r(value, context);
  r.read("name", node.name);
  r.read("status", node.status);
  r.read("ip", node.ip);
  r.read("cpus", node.cpus);
  r.read("memory_bytes", node.memory_bytes);
  r.read("disk_bytes", node.disk_bytes);
  r.finish();
  if (node.name.empty()) r.fail("name", "required");
  if (node.status != "online" && node.status != "offline") {
    r.fail("status", "must be online or offline");
  }
  return node;
}

json::value node_to_json(const NodeScenario& node) {
  return json::object{{"name", node.name},
                      {"status", node.status},
                      {"ip", node.ip},
                      {"cpus", node.cpus},
                      {"memory_bytes", node.memory_bytes},
                      {"disk_bytes", node.disk_bytes}};
}

NicScenario nic_from_json(const json::value& value, const std::string& context) {
  NicScenario nic;
  ObjectReader r(value, context);
  r.read("name", nic.name);
  r.read("mac", nic.mac);
  r.read("bridge", nic.bridge);
  r.read("ip_addresses", nic.ip_addresses);
  r.finish();
  return nic;
}

json::value nic_to_json(const NicScenario& nic) {
  return json::object{{"name", nic.name},
                      {"mac", nic.mac},
                      {"bridge", nic.bridge},
                      {"ip_addresses", strings_to_json(nic.ip_addresses)}};
}

GuestScenario guest_from_json(const json::value& value, const std::string& context) {
  GuestScenario guest;
  ObjectReader r(value, context);
  r.read("vmid", guest.vmid);
  r.read("type", guest.type);
  r.read("name", guest.name);
  r.read("node", guest.node);
  r.read("status", guest.status);
  r.read("cores", guest.cores);
  r.read("memory_mb", guest.memory_mb);
  r.read("disk_gb", guest.disk_gb);
  r.read("onboot", guest.onboot);
  r.read("agent", guest.agent);
  r.read("unprivileged", guest.unprivileged);
  r.read("template", guest.template_);
  r.read("pool", guest.pool);
  r.read("tags", guest.tags);
  r.read("description", guest.description);
  r.read("os_type", guest.os_type);
  r.read_list("nics", guest.nics, nic_from_json);
  r.finish();
  if (guest.vmid < 100 || guest.vmid > 999999999) r.fail("vmid", "must be 100..999999999");
  if (guest.type != "qemu" && guest.type != "lxc") r.fail("type", "must be qemu or lxc");
  if (guest.status != "running" && guest.status != "stopped" && guest.status != "paused") {
    r.fail("status", "must be running, stopped or paused");
  }
  if (guest.cores < 1) r.fail("cores", "must be at least 1");
  if (guest.memory_mb < 16) r.fail("memory_mb", "must be at least 16");
  if (guest.disk_gb < 0) r.fail("disk_gb", "must not be negative");
  return guest;
}

json::value guest_to_json(const GuestScenario& guest) {
  return json::object{{"vmid", guest.vmid},
                      {"type", guest.type},
                      {"name", guest.name},
                      {"node", guest.node},
                      {"status", guest.status},
                      {"cores", guest.cores},
                      {"memory_mb", guest.memory_mb},
                      {"disk_gb", guest.disk_gb},
                      {"onboot", guest.onboot},
                      {"agent", guest.agent},
                      {"unprivileged", guest.unprivileged},
                      {"template", guest.template_},
                      {"pool", guest.pool},
                      {"tags", strings_to_json(guest.tags)},
                      {"description", guest.description},
                      {"os_type", guest.os_type},
                      {"nics", list_to_json(guest.nics, nic_to_json)}};
}

StorageScenario storage_from_json(const json::value& value, const std::string& context) {
  StorageScenario storage;
  ObjectReader r(value, context);
  r.read("id", storage.id);
  r.read("type", storage.type);
  r.read("content", storage.content);
  r.read("shared", storage.shared);
  r.read("nodes", storage.nodes);
  r.read("total_bytes", storage.total_bytes);
  r.finish();
  if (storage.id.empty()) r.fail("id", "required");
  return storage;
}

json::value storage_to_json(const StorageScenario& storage) {
  return json::object{{"id", storage.id},
                      {"type", storage.type},
                      {"content", strings_to_json(storage.content)},
                      {"shared", storage.shared},
                      {"nodes", strings_to_json(storage.nodes)},
                      {"total_bytes", storage.total_bytes}};
}

BackupScenario backup_from_json(const json::value& value, const std::string& context) {
  BackupScenario backup;
  ObjectReader r(value, context);
  r.read("storage", backup.storage);
  r.read("node", backup.node);
  r.read("vmid", backup.vmid);
  r.read("volid", backup.volid);
  r.read("format", backup.format);
  r.read("size", backup.size);
  r.read("ctime", backup.ctime);
  r.read("notes", backup.notes);
  r.read("protected", backup.protected_);
  r.read("verification", backup.verification);
  r.finish();
  if (backup.storage.empty()) r.fail("storage", "required");
  if (backup.vmid < 100) r.fail("vmid", "must be at least 100");
  return backup;
}

json::value backup_to_json(const BackupScenario& backup) {
  return json::object{{"storage", backup.storage},
                      {"node", backup.node},
                      {"vmid", backup.vmid},
                      {"volid", backup.volid},
                      {"format", backup.format},
                      {"size", backup.size},
                      {"ctime", backup.ctime},
                      {"notes", backup.notes},
                      {"protected", backup.protected_},
                      {"verification", backup.verification}};
}

DatastoreScenario datastore_from_json(const json::value& value, const std::string& context) {
  DatastoreScenario datastore;
  ObjectReader r(value, context);
  r.read("name", datastore.name);
  r.read("path", datastore.path);
  r.read("namespaces", datastore.namespaces);
  r.finish();
  if (datastore.name.empty()) r.fail("name", "required");
  return datastore;
}

json::value datastore_to_json(const DatastoreScenario& datastore) {
  return json::object{{"name", datastore.name},
                      {"path", datastore.path},
                      {"namespaces", strings_to_json(datastore.namespaces)}};
}

TokenScenario token_from_json(const json::value& value, const std::string& context) {
  TokenScenario token;
  ObjectReader r(value, context);
  r.read("id", token.id);
  r.read("secret", token.secret);
  r.read("privsep", token.privsep);
  r.finish();
  if (token.id.empty()) r.fail("id", "required");
  return token;
}

json::value token_to_json(const TokenScenario& token) {
  return json::object{{"id", token.id}, {"secret", token.secret}, {"privsep", token.privsep}};
}

UserScenario user_from_json(const json::value& value, const std::string& context) {
  UserScenario user;
  ObjectReader r(value, context);
  r.read("userid", user.userid);
  r.read("password", user.password);
  r.read_list("tokens", user.tokens, token_from_json);
  r.finish();
  if (user.userid.find('@') == std::string::npos) r.fail("userid", "must be user@realm");
  return user;
}

json::value user_to_json(const UserScenario& user) {
  return json::object{{"userid", user.userid},
                      {"password", user.password},
                      {"tokens", list_to_json(user.tokens, token_to_json)}};
}

ClusterScenario cluster_from_json(const json::value& value, const std::string& context) {
  ClusterScenario cluster;
  ObjectReader r(value, context);
  r.read("name", cluster.name);
  r.read("mode", cluster.mode);
  r.read_list("nodes", cluster.nodes, node_from_json);
  r.read_list("guests", cluster.guests, guest_from_json);
  r.read_list("storages", cluster.storages, storage_from_json);
  r.read_list("backups", cluster.backups, backup_from_json);
  r.read_list("datastores", cluster.datastores, datastore_from_json);
  r.finish();
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
  return cluster;
}

json::value cluster_to_json(const ClusterScenario& cluster) {
  return json::object{{"name", cluster.name},
                      {"mode", cluster.mode},
                      {"nodes", list_to_json(cluster.nodes, node_to_json)},
                      {"guests", list_to_json(cluster.guests, guest_to_json)},
                      {"storages", list_to_json(cluster.storages, storage_to_json)},
                      {"backups", list_to_json(cluster.backups, backup_to_json)},
                      {"datastores", list_to_json(cluster.datastores, datastore_to_json)}};
}

}  // namespace

Scenario Scenario::from_json(const boost::json::value& json) {
  Scenario scenario;
  ObjectReader r(json, "");
  std::string service = std::string(to_string(scenario.service));
  r.read("service", service);
  r.read_list("clusters", scenario.clusters, cluster_from_json);
  r.read_list("users", scenario.users, user_from_json);
  r.finish();
  try {
    scenario.service = parse_service(service);
  } catch (const std::invalid_argument& error) {
    r.fail("service", error.what());
  }
  return scenario;
}

boost::json::value Scenario::to_json() const {
  return json::object{{"service", to_string(service)},
                      {"clusters", list_to_json(clusters, cluster_to_json)},
                      {"users", list_to_json(users, user_to_json)}};
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
