#pragma once
// Who may use one Proxmox endpoint and with which rights: the content of its user.cfg and
// domains.cfg (users with their API tokens, realms, groups, roles, ACL). Built from the
// scenario's AccessConfig and exported back to one; the /access handlers change it and the
// Authenticator reads its accounts from it, so a token made through the API authenticates and a
// deleted user can no longer log in. Not synchronised: the Engine guards it with the state.
//
// The built-in roles (Administrator, NoAccess, PVEAdmin, PVEAuditor, PVEVMAdmin, ...) are made
// as Proxmox makes them, from its privilege groups, restricted to the privileges the loaded
// schema knows (pve-8.3 has VM.Monitor, pve-9.x the VM.GuestAgent.* privileges instead).

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "proxmox/scenario.hpp"

namespace pbx::proxmox {

using PrivilegeSet = std::set<std::string, std::less<>>;

class AccessState {
 public:
  // root@pam (with the documented token) when `config` has no users; pam and pve realms always.
  // `valid_privileges` empty: every privilege Proxmox VE 8 and 9 know. Throws
  // std::invalid_argument for roles with unknown privileges, custom roles named like built-in
  // ones and ACL entries naming unknown roles.
  explicit AccessState(const AccessConfig& config = {},
                       const std::vector<std::string>& valid_privileges = {});

  AccessConfig export_config() const;

  std::map<std::string, UserScenario, std::less<>>& users() { return users_; }
  const std::map<std::string, UserScenario, std::less<>>& users() const { return users_; }
  UserScenario* find_user(std::string_view userid);
  const UserScenario* find_user(std::string_view userid) const;
  static TokenScenario* find_token(UserScenario& user, std::string_view tokenid);
  static const TokenScenario* find_token(const UserScenario& user, std::string_view tokenid);

  std::map<std::string, RealmScenario, std::less<>>& realms() { return realms_; }
  const std::map<std::string, RealmScenario, std::less<>>& realms() const { return realms_; }

  std::map<std::string, GroupScenario, std::less<>>& groups() { return groups_; }
  const std::map<std::string, GroupScenario, std::less<>>& groups() const { return groups_; }
  // The groups `userid` is a member of, sorted.
  std::vector<std::string> groups_of(std::string_view userid) const;
  void add_member(GroupScenario& group, const std::string& userid);

  // Custom roles; the built-in ones come from builtin_role().
  std::map<std::string, PrivilegeSet, std::less<>>& custom_roles() { return custom_roles_; }
  const std::map<std::string, PrivilegeSet, std::less<>>& custom_roles() const {
    return custom_roles_;
  }
  const PrivilegeSet* builtin_role(std::string_view roleid) const;
  const std::map<std::string, PrivilegeSet, std::less<>>& builtin_roles() const {
    return builtin_roles_;
  }
  // Built-in or custom; null when there is no such role.
  const PrivilegeSet* role(std::string_view roleid) const;
  const PrivilegeSet& valid_privileges() const { return valid_privileges_; }

  std::vector<AclScenario>& acl() { return acl_; }
  const std::vector<AclScenario>& acl() const { return acl_; }
  // Sets (or, with propagate unchanged, keeps) one entry; removes one entry.
  void grant(const AclScenario& entry);
  void revoke(std::string_view path, std::string_view type, std::string_view ugid,
              std::string_view roleid);

  // Deleting an object also drops what only made sense with it, as Proxmox's user.cfg does.
  void remove_user(std::string_view userid);  // memberships, its ACL and its tokens' ACL
  void remove_token(std::string_view userid, std::string_view tokenid);  // and its ACL
  void remove_group(std::string_view groupid);                           // and its ACL
  void remove_role(std::string_view roleid);                             // and its ACL

 private:
  std::map<std::string, UserScenario, std::less<>> users_;
  std::map<std::string, RealmScenario, std::less<>> realms_;
  std::map<std::string, GroupScenario, std::less<>> groups_;
  std::map<std::string, PrivilegeSet, std::less<>> custom_roles_;
  std::map<std::string, PrivilegeSet, std::less<>> builtin_roles_;
  PrivilegeSet valid_privileges_;
  std::vector<AclScenario> acl_;
};

// root@pam / "proxmox" with token root@pam!proxbox = 00000000-0000-0000-0000-000000000000.
std::vector<UserScenario> default_users();
// pam ("Linux PAM standard authentication") and pve ("Proxmox VE authentication server").
RealmScenario default_realm(std::string_view realm);
// Whether an account may be used at `now` (unix seconds): enabled and not expired.
bool account_usable(const UserScenario& user, int64_t now);

}  // namespace pbx::proxmox
