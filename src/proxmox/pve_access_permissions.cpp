// GET /access/permissions: a user's or API token's effective privileges, computed from the
// state's ACL, groups and roles as PVE::AccessControl does: along the path, a deeper ACL entry
// replaces what the levels above gave (an entry applies below its path only when it propagates),
// the user's own entries win over its groups' at the same level, NoAccess wins over everything,
// root@pam is Administrator everywhere, and a token with privilege separation gets the
// privileges both it and its user have on a path.
//
// The mock answers every call as root@pam would, whatever these privileges say: they are what
// a client reads back, not what the mock enforces.

#include <fmt/format.h>

#include <boost/json.hpp>
#include <map>
#include <set>

#include "proxmox/handler_support.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;

// privilege → propagate, as Proxmox answers it.
using Privileges = std::map<std::string, bool>;
// role → propagate
using Roles = std::map<std::string, bool>;

// The ACL entries on exactly `path` that name `ugid` as `type`, applied at `final` level or
// propagated through it.
Roles roles_at(const AccessState& access, std::string_view path, std::string_view type,
               std::string_view ugid, bool final) {
  Roles out;
  for (const auto& entry : access.acl()) {
    if (entry.path != path || entry.type != type || entry.ugid != ugid) continue;
    if (final || entry.propagate) out[entry.roleid] = entry.propagate;
  }
  return out;
}

// PVE::AccessControl::roles for a user ("alice@pve") or a token ("alice@pve!ci").
Roles effective_roles(const AccessState& access, std::string_view ugid, std::string_view path) {
  if (ugid == "root@pam") return {{"Administrator", true}};
  const bool token = ugid.find('!') != std::string_view::npos;
  const std::vector<std::string> groups =
      token ? std::vector<std::string>{} : access.groups_of(ugid);
  const std::vector<std::string> parts = split_list(path, "/");
  Roles roles;
  std::string level = "/";
  for (size_t i = 0; i <= parts.size(); ++i) {
    if (i > 0) level = (i == 1 ? "/" : level + "/") + parts[i - 1];
    const bool final = i == parts.size();
    Roles own = roles_at(access, level, token ? "token" : "user", ugid, final);
    if (!own.empty()) {
      roles = std::move(own);  // the user's own entries win over its groups'
      continue;
    }
    Roles from_groups;
    for (const auto& group : groups) {
      from_groups.merge(roles_at(access, level, "group", group, final));
    }
    if (!from_groups.empty()) roles = std::move(from_groups);
  }
  if (const auto no_access = roles.find("NoAccess"); no_access != roles.end()) {
    return {{"NoAccess", no_access->second}};
  }
  return roles;
}

Privileges privileges_of(const AccessState& access, const Roles& roles) {
  Privileges out;
  for (const auto& [role, propagate] : roles) {
    if (const PrivilegeSet* privs = access.role(role)) {
      for (const auto& priv : *privs)
        out[priv] = out[priv] || propagate;
    }
  }
  return out;
}

// PVE::AccessControl::permissions; a privilege-separated token keeps only what its user has too.
Privileges permissions(const AccessState& access, std::string_view ugid, std::string_view path) {
  const size_t bang = ugid.find('!');
  if (bang == std::string_view::npos) {
    return privileges_of(access, effective_roles(access, ugid, path));
  }
  const std::string_view userid = ugid.substr(0, bang);
  const UserScenario* user = access.find_user(userid);
  const TokenScenario* token =
      user == nullptr ? nullptr : AccessState::find_token(*user, ugid.substr(bang + 1));
  if (token == nullptr) return {};
  const Privileges of_user = privileges_of(access, effective_roles(access, userid, path));
  if (!token->privsep) return of_user;
  Privileges out;
  for (const auto& [priv, propagate] : privileges_of(access, effective_roles(access, ugid, path))) {
    if (const auto it = of_user.find(priv); it != of_user.end()) {
      out[priv] = propagate && it->second;
    }
  }
  return out;
}

json::object to_json(const Privileges& privileges) {
  json::object out;
  for (const auto& [priv, propagate] : privileges)
    out[priv] = propagate ? 1 : 0;
  return out;
}

// The paths Proxmox reports without a `path`: the top ones, every ACL path, every pool and its
// guests (get_effective_permissions); those with no privilege are left out.
std::set<std::string> reported_paths(const ClusterState& state) {
  std::set<std::string> paths{"/",     "/access", "/access/groups", "/nodes",
                              "/pool", "/sdn",    "/storage",       "/vms"};
  for (const auto& entry : state.access().acl())
    paths.insert(entry.path);
  for (const auto& [pool, comment] : state.pools())
    paths.insert("/pool/" + pool);
  for (const auto& [vmid, guest] : state.guests()) {
    if (!guest.spec.pool.empty()) paths.insert(fmt::format("/vms/{}", vmid));
  }
  return paths;
}

ApiResult read_permissions(const ClusterState& state, const ApiCall& call) {
  const AccessState& access = state.access();
  const std::string ugid = call.text("userid", call.user);
  const size_t bang = ugid.find('!');
  const std::string userid = ugid.substr(0, bang);
  if (access.find_user(userid) == nullptr) {
    return ApiResult::error(500, fmt::format("no such user ('{}')", userid));
  }
  if (bang != std::string::npos &&
      AccessState::find_token(*access.find_user(userid), ugid.substr(bang + 1)) == nullptr) {
    return ApiResult::error(
        500, fmt::format("no such token '{}' for user '{}'", ugid.substr(bang + 1), userid));
  }
  json::object out;
  if (call.has("path")) {
    const std::string path = call.text("path");
    out[path] = to_json(permissions(access, ugid, path));
    return ApiResult::ok(std::move(out));
  }
  for (const auto& path : reported_paths(state)) {
    const Privileges privileges = permissions(access, ugid, path);
    if (!privileges.empty()) out[path] = to_json(privileges);
  }
  return ApiResult::ok(std::move(out));
}

}  // namespace

void add_access_permission_handlers(HandlerTable& table) {
  table.add(Verb::get, "/access/permissions", reader(read_permissions));
}

}  // namespace pbx::proxmox
