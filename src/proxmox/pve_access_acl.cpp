// /access/acl: the access control list of the state's AccessState. PUT adds (or, with delete=1,
// removes) roles for users, groups and API tokens on one path, with Proxmox's path rules
// (normalised, then one of the object paths it knows) and its errors; the whole update applies
// or nothing does, as user.cfg is written once at its end.
//
// As in Proxmox, an entry for root@pam is accepted but not kept (root@pam is always
// Administrator on /, so user.cfg never stores it).

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <tuple>

#include "proxmox/handler_support.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;

constexpr std::string_view kListSeparators = ",; \t";
constexpr std::string_view kFailed = "ACL update failed";

bool path_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

bool is_word(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), path_char);
}

bool is_number(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_vmid(std::string_view text) {
  return text.size() >= 3 && text.front() >= '1' && text.front() <= '9' && is_number(text);
}

// PVE::AccessControl::normalize_path: no repeated or trailing slashes, a leading one, and only
// [alnum . - _ /]. nullopt when the path is not acceptable at all.
std::optional<std::string> normalize_path(std::string_view raw) {
  if (raw.empty()) return std::nullopt;
  std::string path;
  for (const char c : raw) {
    if (c == '/' && !path.empty() && path.back() == '/') continue;
    path += c;
  }
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.empty() || path == "/") return std::string("/");
  if (path.front() != '/') path.insert(path.begin(), '/');
  if (!std::all_of(path.begin(), path.end(), [](char c) { return c == '/' || path_char(c); })) {
    return std::nullopt;
  }
  return path;
}

// PVE::AccessControl::check_path: the object paths ACLs may name.
bool known_path(std::string_view path) {
  if (path == "/") return true;
  const std::vector<std::string> parts = split_list(path, "/");
  const size_t n = parts.size();
  const std::string& root = parts[0];
  if (root == "vms") return n == 1 || (n == 2 && is_vmid(parts[1]));
  if (root == "nodes" || root == "storage") return n == 1 || (n == 2 && is_word(parts[1]));
  if (root == "pool") {
    return n <= 4 && std::all_of(parts.begin() + 1, parts.end(),
                                 [](const std::string& part) { return is_word(part); });
  }
  if (root == "access") {
    if (n == 1) return true;
    if (parts[1] != "groups" && parts[1] != "realm") return false;
    return n == 2 || (n == 3 && is_word(parts[2]));
  }
  if (root == "mapping") {
    if (n == 1) return true;
    const std::string& kind = parts[1];
    if (kind != "dir" && kind != "notifications" && kind != "pci" && kind != "usb") return false;
    return n == 2 || (n == 3 && is_word(parts[2]));
  }
  if (root == "sdn") {
    if (n == 1) return true;
    const std::string& kind = parts[1];
    if (kind == "zones") {
      // a zone, a VNet in it, a VLAN tag on that VNet
      if (n == 2) return true;
      if (n > 5 || !is_word(parts[2]) || (n >= 4 && !is_word(parts[3]))) return false;
      return n < 5 || is_number(parts[4]);
    }
    if (kind == "vnets" || kind == "controllers" || kind == "dns" || kind == "ipams") {
      return (n == 2 && kind != "vnets") || (n == 3 && is_word(parts[2]));
    }
  }
  return false;
}

int type_rank(std::string_view type) {
  return type == "user" ? 0 : type == "group" ? 1 : 2;
}

ApiResult list_acl(const ClusterState& state, const ApiCall&) {
  std::vector<const AclScenario*> entries;
  for (const auto& entry : state.access().acl())
    entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) {
    return std::tuple(a->path, type_rank(a->type), a->ugid, a->roleid) <
           std::tuple(b->path, type_rank(b->type), b->ugid, b->roleid);
  });
  json::array out;
  for (const auto* entry : entries) {
    out.push_back(json::object{{"path", entry->path},
                               {"type", entry->type},
                               {"ugid", entry->ugid},
                               {"roleid", entry->roleid},
                               {"propagate", entry->propagate ? 1 : 0}});
  }
  return ApiResult::ok(std::move(out));
}

// Every role, group, user and token the call names must exist; the first that does not is the
// error, in the order Proxmox checks them.
common::Result<void, std::string> check_acl_members(const AccessState& access,
                                                    const ApiCall& call) {
  for (const auto& role : split_list(call.text("roles"), kListSeparators)) {
    if (access.role(role) == nullptr)
      return common::Failure{fmt::format("role '{}' does not exist", role)};
    for (const auto& group : split_list(call.text("groups"), kListSeparators)) {
      if (!access.groups().contains(group)) {
        return common::Failure{fmt::format("group '{}' does not exist", group)};
      }
    }
    for (const auto& user : split_list(call.text("users"), kListSeparators)) {
      if (access.find_user(user) == nullptr)
        return common::Failure{fmt::format("user '{}' does not exist", user)};
    }
    for (const auto& token : split_list(call.text("tokens"), kListSeparators)) {
      const size_t bang = token.find('!');
      if (bang == std::string::npos)
        return common::Failure{fmt::format("'{}' is not a valid token ID", token)};
      const std::string userid = token.substr(0, bang);
      const UserScenario* owner = access.find_user(userid);
      if (owner == nullptr) return common::Failure{fmt::format("no such user ('{}')", userid)};
      if (AccessState::find_token(*owner, token.substr(bang + 1)) == nullptr) {
        return common::Failure{
            fmt::format("no such token '{}' for user '{}'", token.substr(bang + 1), userid)};
      }
    }
  }
  return {};
}

ApiResult update_acl(ClusterState& state, const ApiCall& call) {
  if (call.text("users").empty() && call.text("groups").empty() && call.text("tokens").empty()) {
    constexpr std::string_view kWhich = "either 'users', 'groups' or 'tokens' is required.";
    ApiResult result = ApiResult::invalid("users", kWhich);
    result.errors["groups"] = kWhich;
    result.errors["tokens"] = kWhich;
    return result;
  }
  const std::string raw = call.text("path");
  const std::optional<std::string> path = normalize_path(raw);
  const bool remove = call.flag("delete");
  if (!path || (!remove && !known_path(*path))) {
    return ApiResult::invalid("path", fmt::format("invalid ACL path '{}'", raw));
  }
  AccessState& access = state.access();
  if (auto checked = check_acl_members(access, call); !checked) {
    return ApiResult::error(500, fmt::format("{}: {}", kFailed, checked.error()));
  }
  const bool propagate = call.flag("propagate", true);
  const auto apply = [&](std::string_view type, std::string_view list, std::string_view role) {
    for (const auto& ugid : split_list(list, kListSeparators)) {
      if (remove) {
        access.revoke(*path, type, ugid, role);
      } else if (!(type == "user" && ugid == "root@pam")) {
        access.grant(AclScenario{*path, std::string(type), ugid, std::string(role), propagate});
      }
    }
  };
  for (const auto& role : split_list(call.text("roles"), kListSeparators)) {
    apply("group", call.text("groups"), role);
    apply("user", call.text("users"), role);
    apply("token", call.text("tokens"), role);
  }
  state.touch();
  return ApiResult::ok();
}

}  // namespace

void add_access_acl_handlers(HandlerTable& table) {
  table.add(Verb::get, "/access/acl", reader(list_acl));
  table.add(Verb::put, "/access/acl", writer(update_acl));
}

}  // namespace pbx::proxmox
