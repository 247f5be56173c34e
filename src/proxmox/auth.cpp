#include "proxmox/auth.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace pbx::proxmox {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

std::string random_hex(std::mt19937_64& random, size_t length) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    uint64_t bits = random();
    for (int i = 0; i < 16 && out.size() < length; ++i, bits >>= 4)
      out.push_back(kHex[bits & 0xF]);
  }
  return out;
}

uint32_t unix_now() {
  return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

std::vector<UserScenario> default_users() {
  return {UserScenario{"root@pam",
                       "proxmox",
                       {TokenScenario{"proxbox", "00000000-0000-0000-0000-000000000000", false}}}};
}

std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    const size_t semicolon = cookie_header.find(';');
    const std::string_view pair = trim(cookie_header.substr(0, semicolon));
    cookie_header = semicolon == std::string_view::npos ? std::string_view{}
                                                        : cookie_header.substr(semicolon + 1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && trim(pair.substr(0, eq)) == name) {
      return http::percent_decode(trim(pair.substr(eq + 1)), false);
    }
  }
  return std::nullopt;
}

Authenticator::Authenticator(Service service, std::vector<UserScenario> users, uint64_t seed)
    : service_(service), random_(seed ^ 0x5eed'a17bULL) {
  set_users(std::move(users));
}

void Authenticator::set_users(std::vector<UserScenario> users) {
  std::lock_guard lock(mutex_);
  users_ = users.empty() ? default_users() : std::move(users);
  std::erase_if(sessions_,
                [this](const auto& entry) { return find_user(entry.second.user) == nullptr; });
}

std::vector<UserScenario> Authenticator::users() const {
  std::lock_guard lock(mutex_);
  return users_;
}

std::string_view Authenticator::cookie_name() const {
  return service_ == Service::pbs ? "PBSAuthCookie" : "PVEAuthCookie";
}

const UserScenario* Authenticator::find_user(std::string_view userid) const {
  const auto it = std::find_if(users_.begin(), users_.end(),
                               [&](const UserScenario& user) { return user.userid == userid; });
  return it == users_.end() ? nullptr : &*it;
}

std::optional<IssuedTicket> Authenticator::login(std::string_view username,
                                                 std::string_view password) {
  std::lock_guard lock(mutex_);
  const UserScenario* user = find_user(username);
  if (user == nullptr) return std::nullopt;
  const auto renewed = sessions_.find(password);
  const bool ticket_renewal = renewed != sessions_.end() && renewed->second.user == username;
  if (!ticket_renewal && user->password != password) return std::nullopt;

  const uint32_t now = unix_now();
  const std::string prefix = service_ == Service::pbs ? "PBS" : "PVE";
  IssuedTicket issued;
  issued.username = user->userid;
  issued.ticket =
      fmt::format("{}:{}:{:08X}::{}", prefix, user->userid, now, random_hex(random_, 64));
  issued.csrf_token = fmt::format("{:08X}:{}", now, random_hex(random_, 43));
  sessions_.emplace(issued.ticket, Session{user->userid, issued.csrf_token});
  return issued;
}

std::optional<Identity> Authenticator::check_token(std::string_view value) const {
  const std::string_view scheme = service_ == Service::pbs ? "PBSAPIToken" : "PVEAPIToken";
  // PBS separates the secret with ':', PVE with '='.
  const char separator = service_ == Service::pbs ? ':' : '=';
  value = trim(value);
  if (value.size() <= scheme.size() || value.substr(0, scheme.size()) != scheme)
    return std::nullopt;
  value.remove_prefix(scheme.size());
  if (value.front() != '=' && value.front() != ' ') return std::nullopt;
  value = trim(value.substr(1));
  const size_t bang = value.find('!');
  if (bang == std::string_view::npos) return std::nullopt;
  const std::string_view userid = value.substr(0, bang);
  const std::string_view rest = value.substr(bang + 1);
  const size_t split = rest.find(separator);
  if (split == std::string_view::npos) return std::nullopt;
  const std::string_view token_id = rest.substr(0, split);
  const std::string_view secret = rest.substr(split + 1);
  const UserScenario* user = find_user(userid);
  if (user == nullptr) return std::nullopt;
  for (const auto& token : user->tokens) {
    if (token.id == token_id && token.secret == secret) {
      return Identity{user->userid, token.id};
    }
  }
  return std::nullopt;
}

AuthResult Authenticator::authenticate(const http::Request& request, bool is_write) const {
  std::lock_guard lock(mutex_);
  const std::string_view authorization = request.header(http::Field::authorization);
  if (!authorization.empty()) {
    if (auto identity = check_token(authorization)) return {std::move(identity), {}};
    return {std::nullopt, "invalid API token"};
  }
  const auto ticket = cookie_value(request.header(http::Field::cookie), cookie_name());
  if (!ticket) return {std::nullopt, "No ticket"};
  const auto session = sessions_.find(*ticket);
  if (session == sessions_.end()) return {std::nullopt, "invalid ticket"};
  if (is_write && request.header("CSRFPreventionToken") != session->second.csrf_token) {
    // The real API accepts any token minted for the same user; ours are per ticket and
    // remembered, so compare against every live session of that user.
    const std::string_view sent = request.header("CSRFPreventionToken");
    const bool known = std::any_of(sessions_.begin(), sessions_.end(), [&](const auto& entry) {
      return entry.second.user == session->second.user && entry.second.csrf_token == sent;
    });
    if (!known) return {std::nullopt, "Permission denied - invalid csrf token"};
  }
  return {Identity{session->second.user, {}}, {}};
}

}  // namespace pbx::proxmox
