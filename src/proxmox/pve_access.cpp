// /access/domains, /access/groups and /access/roles: realms, groups and roles of the state's
// AccessState, with Proxmox's rules (reserved realm names, the 'PVE' role namespace, built-in
// roles that cannot change) and error texts. The ACL is in pve_access_acl.cpp.
//
// Not modelled: permission checks (every caller acts as root@pam), realm sync (LDAP/AD),
// whether a realm's server answers.

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <map>

#include "proxmox/handler_support.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;

constexpr std::string_view kListSeparators = ",; \t";

ApiResult failed(std::string_view what, std::string_view why) {
  return ApiResult::error(500, fmt::format("{}: {}", what, why));
}

// ---- realms (/access/domains) -------------------------------------------------------------

// Keys a realm keeps apart from its options.
bool is_realm_key(std::string_view key) {
  return key == "realm" || key == "type" || key == "comment" || key == "default" ||
         key == "password" || key == "digest" || key == "delete";
}

json::object realm_config(const RealmScenario& realm) {
  json::object out = realm.options;
  out["type"] = realm.type;
  if (!realm.comment.empty()) out["comment"] = realm.comment;
  if (realm.default_) out["default"] = 1;
  return out;
}

// domains.cfg's digest: 40 hex digits that change with any realm setting.
std::string realms_digest(const AccessState& access) {
  json::array all;
  for (const auto& [id, realm] : access.realms())
    all.push_back(json::object{{"realm", id}, {"config", realm_config(realm)}});
  const std::string text = json::serialize(all);
  std::array<unsigned char, 20> hash{};
  crypto_generichash(hash.data(), hash.size(), reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  std::string out;
  for (const unsigned char byte : hash)
    out += fmt::format("{:02x}", byte);
  return out;
}

// The settings a realm's type requires (the plugins' non-optional properties).
std::vector<std::string_view> required_options(std::string_view type) {
  if (type == "ldap") return {"base_dn", "server1", "user_attr"};
  if (type == "ad") return {"domain", "server1"};
  if (type == "openid") return {"issuer-url", "client-id"};
  return {};
}

void apply_realm_params(AccessState& access, RealmScenario& realm, const ApiCall& call) {
  for (const auto& [key, value] : call.params) {
    if (is_realm_key(key)) continue;
    realm.options[key] = value;
  }
  if (call.has("comment")) realm.comment = call.text("comment");
  if (call.has("default")) {
    realm.default_ = call.flag("default");
    if (realm.default_) {
      for (auto& [id, other] : access.realms())
        if (id != realm.realm) other.default_ = false;
    }
  }
}

ApiResult list_realms(const ClusterState& state, const ApiCall&) {
  json::array out;
  for (const auto& [id, realm] : state.access().realms()) {
    json::object entry{{"realm", id}, {"type", realm.type}};
    if (!realm.comment.empty()) entry["comment"] = realm.comment;
    if (realm.default_) entry["default"] = 1;
    if (const auto* tfa = realm.options.if_contains("tfa"); tfa && tfa->is_string()) {
      entry["tfa"] = property(property_string(tfa->as_string()), "type").value_or("");
    }
    out.push_back(std::move(entry));
  }
  return ApiResult::ok(std::move(out));
}

ApiResult read_realm(const ClusterState& state, const ApiCall& call) {
  const std::string id = call.text("realm");
  const auto it = state.access().realms().find(id);
  if (it == state.access().realms().end()) {
    return ApiResult::error(500, fmt::format("domain '{}' does not exist", id));
  }
  json::object out = realm_config(it->second);
  out["digest"] = realms_digest(state.access());
  return ApiResult::ok(std::move(out));
}

ApiResult create_realm(ClusterState& state, const ApiCall& call) {
  constexpr std::string_view kFailed = "add auth server failed";
  AccessState& access = state.access();
  const std::string id = call.text("realm");
  const std::string type = call.text("type");
  if (access.realms().contains(id)) {
    return failed(kFailed, fmt::format("domain '{}' already exists", id));
  }
  if (id == "pam" || id == "pve") {
    return failed(kFailed, fmt::format("unable to use reserved name '{}'", id));
  }
  if (type == "pam" || type == "pve") {
    return failed(kFailed, fmt::format("unable to create builtin type '{}'", type));
  }
  for (const auto option : required_options(type)) {
    if (!call.has(option)) {
      return ApiResult::invalid(option, "property is missing and it is not optional");
    }
  }
  RealmScenario realm;
  realm.realm = id;
  realm.type = type;
  apply_realm_params(access, realm, call);
  access.realms().emplace(id, std::move(realm));
  state.touch();
  return ApiResult::ok();
}

ApiResult update_realm(ClusterState& state, const ApiCall& call) {
  constexpr std::string_view kFailed = "update auth server failed";
  AccessState& access = state.access();
  const std::string id = call.text("realm");
  if (call.has("digest") && call.text("digest") != realms_digest(access)) {
    return failed(kFailed,
                  "detected modified configuration - file changed by other user? Try again.");
  }
  const auto it = access.realms().find(id);
  if (it == access.realms().end()) {
    return failed(kFailed, fmt::format("domain '{}' does not exist", id));
  }
  const bool settings = std::any_of(call.params.begin(), call.params.end(), [](const auto& kv) {
    return kv.key() != "realm" && kv.key() != "digest" && kv.key() != "delete";
  });
  if (!call.has("delete") && !settings) return failed(kFailed, "no options specified");
  RealmScenario& realm = it->second;
  for (const auto& option : split_list(call.text("delete"), kListSeparators)) {
    if (option == "comment") realm.comment.clear();
    if (option == "default") realm.default_ = false;
    realm.options.erase(option);
  }
  apply_realm_params(access, realm, call);
  state.touch();
  return ApiResult::ok();
}

// pam and pve cannot go away: domains.cfg always has them, so they come back as installed.
ApiResult delete_realm(ClusterState& state, const ApiCall& call) {
  AccessState& access = state.access();
  const std::string id = call.text("realm");
  const auto it = access.realms().find(id);
  if (it == access.realms().end()) {
    return failed("delete auth server failed",
                  fmt::format("authentication domain '{}' does not exist", id));
  }
  if (id == "pam" || id == "pve") {
    it->second = default_realm(id);
  } else {
    access.realms().erase(it);
  }
  state.touch();
  return ApiResult::ok();
}

void add_realm_handlers(HandlerTable& table) {
  table.add(Verb::get, "/access/domains", reader(list_realms));
  table.add(Verb::post, "/access/domains", writer(create_realm));
  table.add(Verb::get, "/access/domains/{realm}", reader(read_realm));
  table.add(Verb::put, "/access/domains/{realm}", writer(update_realm));
  table.add(Verb::delete_, "/access/domains/{realm}", writer(delete_realm));
}

// ---- groups (/access/groups) --------------------------------------------------------------

ApiResult list_groups(const ClusterState& state, const ApiCall&) {
  json::array out;
  for (const auto& [id, group] : state.access().groups()) {
    json::object entry{{"groupid", id}, {"users", join(group.members, ",")}};
    if (!group.comment.empty()) entry["comment"] = group.comment;
    out.push_back(std::move(entry));
  }
  return ApiResult::ok(std::move(out));
}

ApiResult read_group(const ClusterState& state, const ApiCall& call) {
  const std::string id = call.text("groupid");
  const auto it = state.access().groups().find(id);
  if (it == state.access().groups().end()) {
    return ApiResult::error(500, fmt::format("group '{}' does not exist", id));
  }
  json::array members;
  for (const auto& member : it->second.members)
    members.emplace_back(member);
  json::object out{{"members", std::move(members)}};
  if (!it->second.comment.empty()) out["comment"] = it->second.comment;
  return ApiResult::ok(std::move(out));
}

ApiResult create_group(ClusterState& state, const ApiCall& call) {
  const std::string id = call.text("groupid");
  auto& groups = state.access().groups();
  if (groups.contains(id)) {
    return failed("create group failed", fmt::format("group '{}' already exists", id));
  }
  groups.emplace(id, GroupScenario{id, call.text("comment"), {}});
  state.touch();
  return ApiResult::ok();
}

ApiResult update_group(ClusterState& state, const ApiCall& call) {
  const std::string id = call.text("groupid");
  const auto it = state.access().groups().find(id);
  if (it == state.access().groups().end()) {
    return failed("update group failed", fmt::format("group '{}' does not exist", id));
  }
  if (call.has("comment")) it->second.comment = call.text("comment");
  state.touch();
  return ApiResult::ok();
}

ApiResult delete_group(ClusterState& state, const ApiCall& call) {
  const std::string id = call.text("groupid");
  if (!state.access().groups().contains(id)) {
    return failed("delete group failed", fmt::format("group '{}' does not exist", id));
  }
  state.access().remove_group(id);
  state.touch();
  return ApiResult::ok();
}

void add_group_handlers(HandlerTable& table) {
  table.add(Verb::get, "/access/groups", reader(list_groups));
  table.add(Verb::post, "/access/groups", writer(create_group));
  table.add(Verb::get, "/access/groups/{groupid}", reader(read_group));
  table.add(Verb::put, "/access/groups/{groupid}", writer(update_group));
  table.add(Verb::delete_, "/access/groups/{groupid}", writer(delete_group));
}

// ---- roles (/access/roles) ----------------------------------------------------------------

ApiResult list_roles(const ClusterState& state, const ApiCall&) {
  const AccessState& access = state.access();
  std::map<std::string, json::object> sorted;
  const auto add = [&](const std::string& id, const PrivilegeSet& privs, bool special) {
    sorted[id] =
        json::object{{"roleid", id},
                     {"privs", join(std::vector<std::string>(privs.begin(), privs.end()), ",")},
                     {"special", special ? 1 : 0}};
  };
  for (const auto& [id, privs] : access.builtin_roles())
    add(id, privs, true);
  for (const auto& [id, privs] : access.custom_roles())
    add(id, privs, false);
  json::array out;
  for (auto& [id, entry] : sorted)
    out.push_back(std::move(entry));
  return ApiResult::ok(std::move(out));
}

ApiResult read_role(const ClusterState& state, const ApiCall& call) {
  const std::string id = call.text("roleid");
  const PrivilegeSet* privs = state.access().role(id);
  if (privs == nullptr) return ApiResult::error(500, fmt::format("role '{}' does not exist", id));
  json::object out;
  for (const auto& priv : *privs)
    out[priv] = 1;
  return ApiResult::ok(std::move(out));
}

// Adds the privileges of a `privs` list; fails with the first unknown one's text (none added).
common::Result<void, std::string> add_privileges(const AccessState& access, PrivilegeSet& privs,
                                                 const ApiCall& call) {
  PrivilegeSet added;
  for (const auto& priv : split_list(call.text("privs"), kListSeparators)) {
    if (!access.valid_privileges().contains(priv)) {
      return common::Failure{fmt::format("invalid privilege '{}'", priv)};
    }
    added.insert(priv);
  }
  privs.merge(added);
  return {};
}

ApiResult create_role(ClusterState& state, const ApiCall& call) {
  constexpr std::string_view kFailed = "create role failed";
  AccessState& access = state.access();
  const std::string id = call.text("roleid");
  if (common::to_lower(id.substr(0, 3)) == "pve") {
    return ApiResult::invalid(
        "roleid", "cannot use role ID starting with the (case-insensitive) 'PVE' namespace");
  }
  if (access.role(id) != nullptr) {
    return failed(kFailed, fmt::format("role '{}' already exists", id));
  }
  PrivilegeSet privs;
  if (auto added = add_privileges(access, privs, call); !added)
    return failed(kFailed, added.error());
  access.custom_roles().emplace(id, std::move(privs));
  state.touch();
  return ApiResult::ok();
}

ApiResult update_role(ClusterState& state, const ApiCall& call) {
  constexpr std::string_view kFailed = "update role failed";
  AccessState& access = state.access();
  const std::string id = call.text("roleid");
  if (access.builtin_role(id) != nullptr) {
    return ApiResult::error(500, fmt::format("auto-generated role '{}' cannot be modified", id));
  }
  const auto it = access.custom_roles().find(id);
  if (it == access.custom_roles().end()) {
    return failed(kFailed, fmt::format("role '{}' does not exist", id));
  }
  PrivilegeSet privs = call.flag("append") ? it->second : PrivilegeSet{};
  if (auto added = add_privileges(access, privs, call); !added)
    return failed(kFailed, added.error());
  it->second = std::move(privs);
  state.touch();
  return ApiResult::ok();
}

// Proxmox leaves ACL entries of a deleted role in user.cfg but ignores them when it reads the
// file; here they go at once.
ApiResult delete_role(ClusterState& state, const ApiCall& call) {
  AccessState& access = state.access();
  const std::string id = call.text("roleid");
  if (access.builtin_role(id) != nullptr) {
    return ApiResult::error(500, fmt::format("auto-generated role '{}' cannot be deleted", id));
  }
  if (!access.custom_roles().contains(id)) {
    return failed("delete role failed", fmt::format("role '{}' does not exist", id));
  }
  access.remove_role(id);
  state.touch();
  return ApiResult::ok();
}

void add_role_handlers(HandlerTable& table) {
  table.add(Verb::get, "/access/roles", reader(list_roles));
  table.add(Verb::post, "/access/roles", writer(create_role));
  table.add(Verb::get, "/access/roles/{roleid}", reader(read_role));
  table.add(Verb::put, "/access/roles/{roleid}", writer(update_role));
  table.add(Verb::delete_, "/access/roles/{roleid}", writer(delete_role));
}

}  // namespace

void add_access_handlers(HandlerTable& table) {
  add_realm_handlers(table);
  add_group_handlers(table);
  add_role_handlers(table);
}

}  // namespace pbx::proxmox
