#include "proxmox/access_state.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace pbx::proxmox {
namespace {

// Proxmox's privilege groups (PVE::AccessControl): per category the privileges only root may
// use, those of an administrator, of a normal user, and of an auditor. The built-in roles are
// made from them; a privilege the loaded schema does not know is left out.
struct PrivilegeGroup {
  std::string_view category;
  std::vector<std::string_view> root, admin, user, audit;
};

const std::vector<PrivilegeGroup>& privilege_groups() {
  static const std::vector<PrivilegeGroup> groups{
      {"VM",
       {},
       {"VM.Config.Disk", "VM.Config.CPU", "VM.Config.Memory", "VM.Config.Network",
        "VM.Config.HWType", "VM.Config.Options", "VM.Allocate", "VM.Clone", "VM.Migrate",
        "VM.Monitor", "VM.Snapshot", "VM.Snapshot.Rollback", "VM.Replicate",
        "VM.GuestAgent.FileRead", "VM.GuestAgent.FileWrite", "VM.GuestAgent.FileSystemMgmt",
        "VM.GuestAgent.Unrestricted"},
       {"VM.Config.CDROM", "VM.Config.Cloudinit", "VM.Console", "VM.Backup", "VM.PowerMgmt",
        "VM.GuestAgent.Audit"},
       {"VM.Audit"}},
      {"Sys",
       {"Sys.PowerMgmt", "Sys.Modify", "Sys.Incoming", "Sys.AccessNetwork"},
       {"Permissions.Modify", "Sys.Console", "Sys.Syslog"},
       {},
       {"Sys.Audit"}},
      {"Datastore",
       {},
       {"Datastore.Allocate", "Datastore.AllocateTemplate"},
       {"Datastore.AllocateSpace"},
       {"Datastore.Audit"}},
      {"SDN", {}, {"SDN.Allocate", "SDN.Audit"}, {"SDN.Use"}, {"SDN.Audit"}},
      {"User", {"Realm.Allocate"}, {"User.Modify", "Group.Allocate", "Realm.AllocateUser"}, {}, {}},
      {"Pool", {}, {"Pool.Allocate"}, {"Pool.Audit"}, {"Pool.Audit"}},
      {"Mapping", {}, {"Mapping.Modify"}, {"Mapping.Use"}, {"Mapping.Audit"}},
  };
  return groups;
}

PrivilegeSet known_privileges(const std::vector<std::string>& valid) {
  PrivilegeSet out(valid.begin(), valid.end());
  if (!out.empty()) return out;
  for (const auto& group : privilege_groups()) {
    for (const auto* list : {&group.root, &group.admin, &group.user, &group.audit}) {
      for (const auto priv : *list)
        out.emplace(priv);
    }
  }
  out.erase("VM.Monitor");  // gone since 9.0: without a schema, the current release's set
  return out;
}

std::map<std::string, PrivilegeSet, std::less<>> make_builtin_roles(const PrivilegeSet& valid) {
  std::map<std::string, PrivilegeSet, std::less<>> roles;
  const auto add = [&](const std::string& role, const std::vector<std::string_view>& privs) {
    auto& set = roles[role];
    for (const auto priv : privs) {
      if (valid.contains(priv)) set.emplace(priv);
    }
  };
  roles["NoAccess"];
  roles["Administrator"] = valid;
  for (const auto& group : privilege_groups()) {
    const std::string category(group.category);
    for (const auto* list : {&group.admin, &group.user, &group.audit}) {
      add("PVE" + category + "Admin", *list);
      add("PVEAdmin", *list);
    }
    if (!group.user.empty()) {
      add("PVE" + category + "User", group.user);
      add("PVE" + category + "User", group.audit);
    }
    add("PVEAuditor", group.audit);
  }
  add("PVETemplateUser", {"VM.Clone", "VM.Audit"});
  return roles;
}

}  // namespace

std::vector<UserScenario> default_users() {
  UserScenario root;
  root.tokens = {TokenScenario{"proxbox", "00000000-0000-0000-0000-000000000000", false}};
  return {root};
}

RealmScenario default_realm(std::string_view realm) {
  RealmScenario out;
  out.realm = std::string(realm);
  out.type = out.realm;
  out.comment =
      realm == "pam" ? "Linux PAM standard authentication" : "Proxmox VE authentication server";
  return out;
}

bool account_usable(const UserScenario& user, int64_t now) {
  return user.enable && (user.expire == 0 || user.expire > now);
}

AccessState::AccessState(const AccessConfig& config,
                         const std::vector<std::string>& valid_privileges)
    : valid_privileges_(known_privileges(valid_privileges)) {
  builtin_roles_ = make_builtin_roles(valid_privileges_);
  for (const auto& user : config.users.empty() ? default_users() : config.users) {
    users_.emplace(user.userid, user);
  }
  for (const auto& realm : config.realms)
    realms_.emplace(realm.realm, realm);
  for (const std::string_view builtin : {"pam", "pve"}) {
    if (!realms_.contains(builtin)) realms_.emplace(std::string(builtin), default_realm(builtin));
  }
  for (const auto& group : config.groups) {
    GroupScenario& kept =
        groups_.emplace(group.groupid, GroupScenario{group.groupid, group.comment, {}})
            .first->second;
    for (const auto& member : group.members)
      add_member(kept, member);
  }
  for (const auto& role : config.roles) {
    if (builtin_roles_.contains(role.roleid)) {
      throw std::invalid_argument(
          fmt::format("scenario: roles: '{}' is a built-in role", role.roleid));
    }
    PrivilegeSet& privs = custom_roles_[role.roleid];
    for (const auto& priv : role.privs) {
      if (!valid_privileges_.contains(priv)) {
        throw std::invalid_argument(
            fmt::format("scenario: roles: {}: invalid privilege '{}'", role.roleid, priv));
      }
      privs.insert(priv);
    }
  }
  for (const auto& entry : config.acl) {
    if (role(entry.roleid) == nullptr) {
      throw std::invalid_argument(fmt::format("scenario: acl: ACL on {} names unknown role '{}'",
                                              entry.path, entry.roleid));
    }
    grant(entry);
  }
}

AccessConfig AccessState::export_config() const {
  AccessConfig out;
  for (const auto& [id, user] : users_)
    out.users.push_back(user);
  for (const auto& [id, realm] : realms_)
    out.realms.push_back(realm);
  for (const auto& [id, group] : groups_)
    out.groups.push_back(group);
  for (const auto& [id, privs] : custom_roles_) {
    out.roles.push_back(RoleScenario{id, std::vector<std::string>(privs.begin(), privs.end())});
  }
  out.acl = acl_;
  return out;
}

UserScenario* AccessState::find_user(std::string_view userid) {
  const auto it = users_.find(userid);
  return it == users_.end() ? nullptr : &it->second;
}

const UserScenario* AccessState::find_user(std::string_view userid) const {
  const auto it = users_.find(userid);
  return it == users_.end() ? nullptr : &it->second;
}

namespace {

// The token `tokenid` of a user, const or not.
template <typename User>
auto* token_of(User& user, std::string_view tokenid) {
  const auto it = std::find_if(user.tokens.begin(), user.tokens.end(),
                               [&](const TokenScenario& token) { return token.id == tokenid; });
  return it == user.tokens.end() ? nullptr : &*it;
}

}  // namespace

TokenScenario* AccessState::find_token(UserScenario& user, std::string_view tokenid) {
  return token_of(user, tokenid);
}

const TokenScenario* AccessState::find_token(const UserScenario& user, std::string_view tokenid) {
  return token_of(user, tokenid);
}

std::vector<std::string> AccessState::groups_of(std::string_view userid) const {
  std::vector<std::string> out;
  for (const auto& [id, group] : groups_) {
    if (std::find(group.members.begin(), group.members.end(), userid) != group.members.end()) {
      out.push_back(id);
    }
  }
  return out;
}

void AccessState::add_member(GroupScenario& group, const std::string& userid) {
  const auto at = std::lower_bound(group.members.begin(), group.members.end(), userid);
  if (at == group.members.end() || *at != userid) group.members.insert(at, userid);
}

const PrivilegeSet* AccessState::builtin_role(std::string_view roleid) const {
  const auto it = builtin_roles_.find(roleid);
  return it == builtin_roles_.end() ? nullptr : &it->second;
}

const PrivilegeSet* AccessState::role(std::string_view roleid) const {
  if (const auto* builtin = builtin_role(roleid)) return builtin;
  const auto it = custom_roles_.find(roleid);
  return it == custom_roles_.end() ? nullptr : &it->second;
}

void AccessState::grant(const AclScenario& entry) {
  for (auto& kept : acl_) {
    if (kept.path == entry.path && kept.type == entry.type && kept.ugid == entry.ugid &&
        kept.roleid == entry.roleid) {
      kept.propagate = entry.propagate;
      return;
    }
  }
  acl_.push_back(entry);
}

void AccessState::revoke(std::string_view path, std::string_view type, std::string_view ugid,
                         std::string_view roleid) {
  std::erase_if(acl_, [&](const AclScenario& kept) {
    return kept.path == path && kept.type == type && kept.ugid == ugid && kept.roleid == roleid;
  });
}

void AccessState::remove_user(std::string_view userid) {
  const std::string token_prefix = std::string(userid) + "!";
  std::erase_if(acl_, [&](const AclScenario& entry) {
    return (entry.type == "user" && entry.ugid == userid) ||
           (entry.type == "token" && entry.ugid.starts_with(token_prefix));
  });
  for (auto& [id, group] : groups_)
    std::erase(group.members, std::string(userid));
  if (const auto it = users_.find(userid); it != users_.end()) users_.erase(it);
}

void AccessState::remove_token(std::string_view userid, std::string_view tokenid) {
  const std::string full = fmt::format("{}!{}", userid, tokenid);
  std::erase_if(
      acl_, [&](const AclScenario& entry) { return entry.type == "token" && entry.ugid == full; });
  if (UserScenario* user = find_user(userid)) {
    std::erase_if(user->tokens, [&](const TokenScenario& token) { return token.id == tokenid; });
  }
}

void AccessState::remove_group(std::string_view groupid) {
  std::erase_if(acl_, [&](const AclScenario& entry) {
    return entry.type == "group" && entry.ugid == groupid;
  });
  if (const auto it = groups_.find(groupid); it != groups_.end()) groups_.erase(it);
}

void AccessState::remove_role(std::string_view roleid) {
  std::erase_if(acl_, [&](const AclScenario& entry) { return entry.roleid == roleid; });
  if (const auto it = custom_roles_.find(roleid); it != custom_roles_.end()) {
    custom_roles_.erase(it);
  }
}

}  // namespace pbx::proxmox
