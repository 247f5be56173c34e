// /access/users (with their API tokens) and /access/password: the accounts of user.cfg, kept in
// the state's AccessState, which the Authenticator also reads, so what these calls change is
// what the next login or token check sees. Errors are Proxmox's texts, with the prefix its
// lock_user_config adds ("create user failed: user 'x@pve' already exists").
//
// Not modelled: permission filtering (every caller sees every user, as root@pam does), TFA.

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>

#include "proxmox/handler_support.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;

constexpr std::string_view kListSeparators = ",; \t";

std::string realm_of(std::string_view userid) {
  const size_t at = userid.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(userid.substr(at + 1));
}

ApiResult no_such_user(std::string_view userid, std::string_view prefix = {}) {
  const std::string message = fmt::format("no such user ('{}')", userid);
  return ApiResult::error(500, prefix.empty() ? message : fmt::format("{}: {}", prefix, message));
}

ApiResult no_such_token(std::string_view userid, std::string_view tokenid) {
  return ApiResult::error(500, fmt::format("no such token '{}' for user '{}'", tokenid, userid));
}

// A token secret as Proxmox makes them: a random UUID.
std::string new_token_secret() {
  std::array<unsigned char, 16> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", bytes[i]);
  }
  return out;
}

json::object token_info(const TokenScenario& token) {
  json::object out{{"privsep", token.privsep ? 1 : 0}, {"expire", token.expire}};
  if (!token.comment.empty()) out["comment"] = token.comment;
  return out;
}

// The fields user.cfg keeps for every user (extract_user_data without `full`).
json::object user_fields(const UserScenario& user) {
  json::object out{{"enable", user.enable ? 1 : 0}, {"expire", user.expire}};
  const auto optional = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) out[key] = value;
  };
  optional("firstname", user.firstname);
  optional("lastname", user.lastname);
  optional("email", user.email);
  optional("comment", user.comment);
  optional("keys", user.keys);
  return out;
}

json::array sorted_tokens(const UserScenario& user) {
  std::vector<const TokenScenario*> tokens;
  for (const auto& token : user.tokens)
    tokens.push_back(&token);
  std::sort(tokens.begin(), tokens.end(),
            [](const auto* a, const auto* b) { return a->id < b->id; });
  json::array out;
  for (const auto* token : tokens) {
    json::object entry = token_info(*token);
    entry["tokenid"] = token->id;
    out.push_back(std::move(entry));
  }
  return out;
}

ApiResult list_users(const ClusterState& state, const ApiCall& call) {
  const AccessState& access = state.access();
  const bool full = call.flag("full");
  json::array out;
  for (const auto& [userid, user] : access.users()) {
    if (call.has("enabled") && call.flag("enabled") != user.enable) continue;
    json::object entry = user_fields(user);
    entry["userid"] = userid;
    if (full) {
      entry["groups"] = join(access.groups_of(userid), ",");
      entry["tokens"] = sorted_tokens(user);
    }
    const auto realm = access.realms().find(realm_of(userid));
    if (realm != access.realms().end()) entry["realm-type"] = realm->second.type;
    out.push_back(std::move(entry));
  }
  return ApiResult::ok(std::move(out));
}

ApiResult read_user(const ClusterState& state, const ApiCall& call) {
  const std::string userid = call.text("userid");
  const UserScenario* user = state.access().find_user(userid);
  if (user == nullptr) return no_such_user(userid);
  json::object out = user_fields(*user);
  json::array groups;
  for (const auto& group : state.access().groups_of(userid))
    groups.emplace_back(group);
  out["groups"] = std::move(groups);
  if (!user->tokens.empty()) {
    json::object tokens;
    for (const auto& token : user->tokens)
      tokens[token.id] = token_info(token);
    out["tokens"] = std::move(tokens);
  }
  return ApiResult::ok(std::move(out));
}

// The groups a create or update names must each exist; else the answer naming the first missing.
Checked check_groups(const AccessState& access, const ApiCall& call, std::string_view prefix) {
  for (const auto& group : split_list(call.text("groups"), kListSeparators)) {
    if (!access.groups().contains(group)) {
      return common::Failure{
          ApiResult::error(500, fmt::format("{}: no such group '{}'", prefix, group))};
    }
  }
  return {};
}

// Sets the optional text fields a call names; an empty value clears one (update), as Proxmox
// keeps what is defined.
void apply_user_fields(UserScenario& user, const ApiCall& call) {
  const auto text = [&](std::string_view key, std::string& out) {
    if (call.has(key)) out = call.text(key);
  };
  text("firstname", user.firstname);
  text("lastname", user.lastname);
  text("email", user.email);
  text("comment", user.comment);
  text("keys", user.keys);
  if (call.has("enable")) user.enable = call.flag("enable");
  if (call.has("expire")) user.expire = call.integer("expire").value_or(0);
}

ApiResult create_user(ClusterState& state, const ApiCall& call) {
  constexpr std::string_view kFailed = "create user failed";
  AccessState& access = state.access();
  const std::string userid = call.text("userid");
  if (access.find_user(userid) != nullptr) {
    return ApiResult::error(500, fmt::format("{}: user '{}' already exists", kFailed, userid));
  }
  const std::string realm = realm_of(userid);
  if (call.has("password") && !access.realms().contains(realm)) {
    return ApiResult::error(500,
                            fmt::format("{}: auth domain '{}' does not exist", kFailed, realm));
  }
  if (auto checked = check_groups(access, call, kFailed); !checked) return checked.error();
  UserScenario user;
  user.userid = userid;
  user.password = call.text("password");
  apply_user_fields(user, call);
  access.users().emplace(userid, std::move(user));
  for (const auto& group : split_list(call.text("groups"), kListSeparators)) {
    access.add_member(access.groups().find(group)->second, userid);
  }
  state.touch();
  return ApiResult::ok();
}

ApiResult update_user(ClusterState& state, const ApiCall& call) {
  constexpr std::string_view kFailed = "update user failed";
  AccessState& access = state.access();
  const std::string userid = call.text("userid");
  UserScenario* user = access.find_user(userid);
  if (user == nullptr) return no_such_user(userid, kFailed);
  if (auto checked = check_groups(access, call, kFailed); !checked) return checked.error();
  apply_user_fields(*user, call);
  if (call.has("groups")) {
    if (!call.flag("append")) {
      for (auto& [id, group] : access.groups())
        std::erase(group.members, userid);
    }
    for (const auto& group : split_list(call.text("groups"), kListSeparators)) {
      access.add_member(access.groups().find(group)->second, userid);
    }
  }
  state.touch();
  return ApiResult::ok();
}

// Proxmox deletes without asking whether the user exists. root@pam comes back at once (user.cfg
// always has it), enabled and without tokens; its PAM password is the system's, so it stays.
ApiResult delete_user(ClusterState& state, const ApiCall& call) {
  AccessState& access = state.access();
  const std::string userid = call.text("userid");
  const UserScenario* user = access.find_user(userid);
  const std::string password = user != nullptr ? user->password : std::string();
  access.remove_user(userid);
  if (userid == "root@pam") {
    UserScenario root;
    root.password = password;
    access.users().emplace(root.userid, std::move(root));
  }
  state.touch();
  return ApiResult::ok();
}

ApiResult change_password(ClusterState& state, const ApiCall& call) {
  const std::string userid = call.text("userid");
  UserScenario* user = state.access().find_user(userid);
  if (user == nullptr) return no_such_user(userid);
  user->password = call.text("password");
  state.touch();
  return ApiResult::ok();
}

void add_user_handlers(HandlerTable& table) {
  table.add(Verb::get, "/access/users", reader(list_users));
  table.add(Verb::post, "/access/users", writer(create_user));
  table.add(Verb::get, "/access/users/{userid}", reader(read_user));
  table.add(Verb::put, "/access/users/{userid}", writer(update_user));
  table.add(Verb::delete_, "/access/users/{userid}", writer(delete_user));
  table.add(Verb::put, "/access/password", writer(change_password));
}

// ---- API tokens (/access/users/{userid}/token) -------------------------------------------

ApiResult list_tokens(const ClusterState& state, const ApiCall& call) {
  const std::string userid = call.text("userid");
  const UserScenario* user = state.access().find_user(userid);
  if (user == nullptr) return no_such_user(userid);
  return ApiResult::ok(sorted_tokens(*user));
}

ApiResult read_token(const ClusterState& state, const ApiCall& call) {
  const std::string userid = call.text("userid");
  const UserScenario* user = state.access().find_user(userid);
  if (user == nullptr) return no_such_user(userid);
  const TokenScenario* token = AccessState::find_token(*user, call.text("tokenid"));
  if (token == nullptr) return no_such_token(userid, call.text("tokenid"));
  return ApiResult::ok(token_info(*token));
}

// The answer carries the secret once ("value"); it cannot be read again, as in Proxmox.
ApiResult generate_token(ClusterState& state, const ApiCall& call) {
  const std::string userid = call.text("userid");
  const std::string tokenid = call.text("tokenid");
  UserScenario* user = state.access().find_user(userid);
  if (user == nullptr) return no_such_user(userid);
  if (AccessState::find_token(*user, tokenid) != nullptr) {
    return ApiResult::invalid("tokenid", "Token already exists.");
  }
  TokenScenario token;
  token.id = tokenid;
  token.secret = new_token_secret();
  token.privsep = call.flag("privsep", true);
  token.expire = call.integer("expire").value_or(0);
  token.comment = call.text("comment");
  user->tokens.push_back(token);
  state.touch();
  json::object info{{"privsep", token.privsep ? 1 : 0}};
  if (call.has("expire")) info["expire"] = token.expire;
  if (!token.comment.empty()) info["comment"] = token.comment;
  return ApiResult::ok(json::object{{"info", std::move(info)},
                                    {"value", token.secret},
                                    {"full-tokenid", fmt::format("{}!{}", userid, tokenid)}});
}

ApiResult update_token(ClusterState& state, const ApiCall& call) {
  const std::string userid = call.text("userid");
  UserScenario* user = state.access().find_user(userid);
  if (user == nullptr) return no_such_user(userid);
  TokenScenario* token = AccessState::find_token(*user, call.text("tokenid"));
  if (token == nullptr) return no_such_token(userid, call.text("tokenid"));
  if (call.has("privsep")) token->privsep = call.flag("privsep");
  if (call.has("expire")) token->expire = call.integer("expire").value_or(0);
  if (!call.text("comment").empty()) token->comment = call.text("comment");
  state.touch();
  return ApiResult::ok(token_info(*token));
}

ApiResult remove_token(ClusterState& state, const ApiCall& call) {
  const std::string userid = call.text("userid");
  const std::string tokenid = call.text("tokenid");
  const UserScenario* user = state.access().find_user(userid);
  if (user == nullptr) return no_such_user(userid);
  if (AccessState::find_token(*user, tokenid) == nullptr) return no_such_token(userid, tokenid);
  state.access().remove_token(userid, tokenid);
  state.touch();
  return ApiResult::ok();
}

void add_token_handlers(HandlerTable& table) {
  const std::string item = "/access/users/{userid}/token/{tokenid}";
  table.add(Verb::get, "/access/users/{userid}/token", reader(list_tokens));
  table.add(Verb::get, item, reader(read_token));
  table.add(Verb::post, item, writer(generate_token));
  table.add(Verb::put, item, writer(update_token));
  table.add(Verb::delete_, item, writer(remove_token));
}

}  // namespace

void add_access_user_handlers(HandlerTable& table) {
  add_user_handlers(table);
  add_token_handlers(table);
}

}  // namespace pbx::proxmox
