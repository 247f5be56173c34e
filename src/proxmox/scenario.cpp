#include "proxmox/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/describe/members.hpp>
#include <boost/json.hpp>
#include <boost/mp11/algorithm.hpp>
#include <cctype>
#include <cstdlib>
#include <set>
#include <stdexcept>

#include "common/text.hpp"
#include "proxmox/cpu_models.hpp"
#include "proxmox/firewall_state.hpp"

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
  void read(std::string_view key, json::object& out) {
    if (const auto* v = take(key)) {
      if (!v->is_object()) fail(key, "expected an object");
      out = v->as_object();
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

void validate(const ObjectReader& r, const InterfaceScenario& iface) {
  if (iface.iface.empty()) r.fail("iface", "required");
  static constexpr std::string_view kTypes[] = {"eth", "bond", "bridge", "vlan"};
  if (std::find(std::begin(kTypes), std::end(kTypes), iface.type) == std::end(kTypes)) {
    r.fail("type", "must be eth, bond, bridge or vlan");
  }
  if (iface.vlan_id < 0 || iface.vlan_id > 4094) r.fail("vlan_id", "must be 0..4094");
}

void validate(const ObjectReader& r, const NicScenario& nic) {
  if (nic.tag < 0 || nic.tag > 4094) r.fail("tag", "must be 0..4094");
  if (!nic.key.empty() && !nic.key.starts_with("net")) r.fail("key", "must be netN");
}

void validate(const ObjectReader& r, const DiskScenario& disk) {
  if (disk.key.empty()) r.fail("key", "required");
  if (disk.size_gb < 0) r.fail("size_gb", "must not be negative");
}

void validate(const ObjectReader& r, const SnapshotScenario& snapshot) {
  if (snapshot.name.empty() || snapshot.name == "current") {
    r.fail("name", "required (and not 'current')");
  }
}

void validate(const ObjectReader& r, const JobScenario& job) {
  if (job.id.empty()) r.fail("id", "required");
}

void validate(const ObjectReader& r, const TaskScenario& task) {
  if (task.node.empty()) r.fail("node", "required");
  if (task.type.empty()) r.fail("type", "required");
}

void validate(const ObjectReader& r, const HaResourceScenario& resource) {
  if (!resource.sid.starts_with("vm:") && !resource.sid.starts_with("ct:")) {
    r.fail("sid", "must be vm:<vmid> or ct:<vmid>");
  }
}

void validate(const ObjectReader& r, const SdnZoneScenario& zone) {
  if (zone.zone.empty()) r.fail("zone", "required");
}

void validate(const ObjectReader& r, const SdnVnetScenario& vnet) {
  if (vnet.vnet.empty()) r.fail("vnet", "required");
}

void validate(const ObjectReader& r, const SdnSubnetScenario& subnet) {
  if (subnet.cidr.find('/') == std::string::npos) r.fail("cidr", "must be address/prefix");
}

void validate(const ObjectReader& r, const CpuModelScenario& model) {
  // cpu-models.conf section ids: a letter, then letters, digits, '-', '_' and '.'.
  const bool named = !model.name.empty() && std::isalpha(static_cast<unsigned char>(model.name[0]));
  if (!named || model.name.find_first_not_of(
                    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
                    std::string::npos) {
    r.fail("name", "must start with a letter and hold only letters, digits, '-', '_', '.'");
  }
  if (!builtin_cpu_vendor(model.reported_model)) {
    r.fail("reported_model", "'" + model.reported_model + "' is not a built-in CPU model");
  }
}

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

void validate(const ObjectReader& r, const VolumeScenario& volume) {
  if (volume.storage.empty()) r.fail("storage", "required");
  if (volume.content.empty()) r.fail("content", "required");
  if (volume.volid.find(':') == std::string::npos) r.fail("volid", "must be <storage>:<name>");
  if (volume.size < 0) r.fail("size", "must not be negative");
}

void validate(const ObjectReader& r, const DatastoreScenario& datastore) {
  if (datastore.name.empty()) r.fail("name", "required");
}

void validate(const ObjectReader& r, const TokenScenario& token) {
  if (token.id.empty()) r.fail("id", "required");
}

void validate(const ObjectReader& r, const UserScenario& user) {
  if (user.userid.find('@') == std::string::npos) r.fail("userid", "must be user@realm");
  if (user.expire < 0) r.fail("expire", "must not be negative");
}

void validate(const ObjectReader& r, const RealmScenario& realm) {
  if (realm.realm.empty()) r.fail("realm", "required");
  static constexpr std::string_view kTypes[] = {"pam", "pve", "ldap", "ad", "openid"};
  if (std::find(std::begin(kTypes), std::end(kTypes), realm.type) == std::end(kTypes)) {
    r.fail("type", "must be pam, pve, ldap, ad or openid");
  }
  if ((realm.realm == "pam" || realm.realm == "pve") && realm.type != realm.realm) {
    r.fail("type", fmt::format("realm {} must have type {}", realm.realm, realm.realm));
  }
}

void validate(const ObjectReader& r, const GroupScenario& group) {
  if (group.groupid.empty()) r.fail("groupid", "required");
}

void validate(const ObjectReader& r, const RoleScenario& role) {
  if (role.roleid.empty()) r.fail("roleid", "required");
}

void validate(const ObjectReader& r, const AclScenario& acl) {
  if (!acl.path.starts_with('/')) r.fail("path", "must start with '/'");
  if (acl.type != "user" && acl.type != "group" && acl.type != "token") {
    r.fail("type", "must be user, group or token");
  }
  if (acl.ugid.empty()) r.fail("ugid", "required");
  if (acl.roleid.empty()) r.fail("roleid", "required");
}

// HA resources, SDN and tasks must name guests, zones, VNets and nodes that exist.
void validate_cluster_extras(const ObjectReader& r, const ClusterScenario& cluster,
                             const std::set<std::string, std::less<>>& node_names,
                             const std::set<int>& vmids) {
  for (const auto& resource : cluster.ha_resources) {
    const int vmid =
        common::parse_number<int>(
            std::string_view(resource.sid).substr(std::min<size_t>(3, resource.sid.size())),
            common::kLeadingNumber)
            .value_or(0);
    if (!vmids.contains(vmid)) {
      r.fail("ha_resources", fmt::format("{} names no guest", resource.sid));
    }
  }
  std::set<std::string, std::less<>> zones, vnets;
  for (const auto& zone : cluster.sdn_zones) {
    if (!zones.insert(zone.zone).second) r.fail("sdn_zones", "duplicate zone " + zone.zone);
  }
  for (const auto& vnet : cluster.sdn_vnets) {
    if (!vnets.insert(vnet.vnet).second) r.fail("sdn_vnets", "duplicate vnet " + vnet.vnet);
    if (!zones.contains(vnet.zone)) {
      r.fail("sdn_vnets", fmt::format("vnet {} is in unknown zone '{}'", vnet.vnet, vnet.zone));
    }
  }
  for (const auto& subnet : cluster.sdn_subnets) {
    if (!vnets.contains(subnet.vnet)) {
      r.fail("sdn_subnets",
             fmt::format("subnet {} is in unknown vnet '{}'", subnet.cidr, subnet.vnet));
    }
  }
  for (const auto& task : cluster.tasks) {
    if (!node_names.contains(task.node)) {
      r.fail("tasks", fmt::format("task {} is on unknown node '{}'", task.type, task.node));
    }
  }
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
  for (const auto& guest : cluster.guests) {
    for (const auto& disk : guest.disks) {
      if (!disk.storage.empty() && !storage_ids.contains(disk.storage)) {
        r.fail("guests", fmt::format("disk {} of guest {} is on unknown storage '{}'", disk.key,
                                     guest.vmid, disk.storage));
      }
    }
  }
  for (const auto& volume : cluster.volumes) {
    if (!storage_ids.contains(volume.storage)) {
      r.fail("volumes",
             fmt::format("volume {} is on unknown storage '{}'", volume.volid, volume.storage));
    }
    if (!volume.node.empty() && !node_names.contains(volume.node)) {
      r.fail("volumes",
             fmt::format("volume {} is on unknown node '{}'", volume.volid, volume.node));
    }
  }
  validate_cluster_extras(r, cluster, node_names, vmids);
  std::set<std::string, std::less<>> cpu_models;
  for (const auto& model : cluster.cpu_models) {
    if (!cpu_models.insert(model.name).second) r.fail("cpu_models", "duplicate " + model.name);
  }
  try {
    FirewallState::from_json(cluster.firewall);
  } catch (const std::invalid_argument& error) {
    r.fail("firewall", error.what());
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

// Group members, ACL users, groups and tokens must exist (the default account root@pam when the
// scenario names no users). Roles are checked where the built-in ones are known (AccessState).
void validate(const ObjectReader& r, const Scenario& scenario) {
  std::set<std::string, std::less<>> users, tokens, groups, realms;
  for (const auto& user : scenario.users) {
    if (!users.insert(user.userid).second) r.fail("users", "duplicate user " + user.userid);
    for (const auto& token : user.tokens) {
      if (!tokens.insert(user.userid + "!" + token.id).second) {
        r.fail("users", fmt::format("duplicate token {}!{}", user.userid, token.id));
      }
    }
  }
  if (scenario.users.empty()) users.insert("root@pam");
  for (const auto& realm : scenario.realms) {
    if (!realms.insert(realm.realm).second) r.fail("realms", "duplicate realm " + realm.realm);
  }
  for (const auto& group : scenario.groups) {
    if (!groups.insert(group.groupid).second) r.fail("groups", "duplicate group " + group.groupid);
    for (const auto& member : group.members) {
      if (!users.contains(member)) {
        r.fail("groups", fmt::format("group {} names unknown user '{}'", group.groupid, member));
      }
    }
  }
  for (const auto& entry : scenario.acl) {
    const auto& known = entry.type == "user" ? users : entry.type == "group" ? groups : tokens;
    if (!known.contains(entry.ugid)) {
      r.fail("acl",
             fmt::format("ACL on {} names unknown {} '{}'", entry.path, entry.type, entry.ugid));
    }
  }
}

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
  } else if constexpr (std::is_same_v<T, json::object>) {
    return value;
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

AccessConfig AccessConfig::of(const Scenario& scenario) {
  return {scenario.users, scenario.realms, scenario.groups, scenario.roles, scenario.acl};
}

void AccessConfig::into(Scenario& scenario) const {
  scenario.users = users;
  scenario.realms = realms;
  scenario.groups = groups;
  scenario.roles = roles;
  scenario.acl = acl;
}

}  // namespace pbx::proxmox
