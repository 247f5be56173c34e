#include "proxmox/auth.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "common/text.hpp"

namespace pbx::proxmox {
namespace {

std::string base64(const unsigned char* data, size_t size) {
  std::string out(sodium_base64_encoded_len(size, sodium_base64_VARIANT_ORIGINAL_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::string hex_time(int64_t seconds) {
  return fmt::format("{:08X}", static_cast<uint32_t>(seconds));
}

}  // namespace

int64_t unix_seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

AccountLookup fixed_accounts(std::vector<UserScenario> users) {
  if (users.empty()) users = default_users();
  return [users = std::move(users)](std::string_view userid) -> std::optional<UserScenario> {
    for (const auto& user : users) {
      if (user.userid == userid) return user;
    }
    return std::nullopt;
  };
}

std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    const size_t semicolon = cookie_header.find(';');
    const std::string_view pair = common::trim(cookie_header.substr(0, semicolon), common::kBlanks);
    cookie_header = semicolon == std::string_view::npos ? std::string_view{}
                                                        : cookie_header.substr(semicolon + 1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && common::trim(pair.substr(0, eq), common::kBlanks) == name) {
      return http::percent_decode(common::trim(pair.substr(eq + 1), common::kBlanks), false);
    }
  }
  return std::nullopt;
}

Authenticator::Authenticator(Service service, AccountLookup accounts, uint64_t /*seed*/,
                             UnixClock clock)
    : service_(service),
      clock_(std::move(clock)),
      accounts_(accounts ? std::move(accounts) : fixed_accounts({})) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
  static_assert(sizeof(secret_) == crypto_auth_KEYBYTES);
  crypto_auth_keygen(secret_.data());
}

std::optional<UserScenario> Authenticator::usable_user(std::string_view userid) const {
  std::optional<UserScenario> user = accounts_(userid);
  if (!user || !account_usable(*user, clock_())) return std::nullopt;
  return user;
}

std::string Authenticator::sign(std::string_view data) const {
  std::array<unsigned char, crypto_auth_BYTES> mac{};
  crypto_auth(mac.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
              secret_.data());
  return base64(mac.data(), mac.size());
}

bool Authenticator::fresh(std::string_view hex) const {
  const auto stamp = common::parse_number<uint32_t>(hex, {.base = 16});
  if (!stamp || hex.size() != 8) return false;
  const int64_t age = clock_() - static_cast<int64_t>(*stamp);
  return age > -kTicketClockSkewSeconds && age < kTicketLifetimeSeconds;
}

std::optional<std::string> Authenticator::ticket_user(std::string_view ticket) const {
  // PREFIX:user:HEXTIME::signature — the signature covers everything before "::".
  const size_t split = ticket.rfind("::");
  if (split == std::string_view::npos) return std::nullopt;
  const std::string_view data = ticket.substr(0, split);
  const std::string expected = sign(data);
  const std::string_view signature = ticket.substr(split + 2);
  if (signature.size() != expected.size() ||
      sodium_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    return std::nullopt;
  }
  const size_t first = data.find(':');
  const size_t last = data.rfind(':');
  if (first == std::string_view::npos || last <= first) return std::nullopt;
  if (data.substr(0, first) != (service_ == Service::pbs ? "PBS" : "PVE")) return std::nullopt;
  if (!fresh(data.substr(last + 1))) return std::nullopt;
  const std::string_view user = data.substr(first + 1, last - first - 1);
  if (!usable_user(user)) return std::nullopt;  // deleted, disabled or expired since
  return std::string(user);
}

std::string Authenticator::csrf_token_for(std::string_view user, std::string_view hex) const {
  return fmt::format("{}:{}", hex, sign(fmt::format("csrf:{}:{}", hex, user)));
}

bool Authenticator::csrf_token_valid(std::string_view user, std::string_view token) const {
  const size_t colon = token.find(':');
  if (colon == std::string_view::npos || !fresh(token.substr(0, colon))) return false;
  const std::string expected = csrf_token_for(user, token.substr(0, colon));
  return token.size() == expected.size() &&
         sodium_memcmp(token.data(), expected.data(), expected.size()) == 0;
}

std::string_view Authenticator::cookie_name() const {
  return service_ == Service::pbs ? "PBSAuthCookie" : "PVEAuthCookie";
}

std::optional<IssuedTicket> Authenticator::login(std::string_view username,
                                                 std::string_view password) {
  const std::optional<UserScenario> user = usable_user(username);
  if (!user) return std::nullopt;
  const bool ticket_renewal = ticket_user(password) == username;
  // An account without a password (made through the API without one) cannot log in with one.
  if (!ticket_renewal && (user->password.empty() || user->password != password)) {
    return std::nullopt;
  }
  return issue(user->userid);
}

IssuedTicket Authenticator::issue(std::string_view userid) const {
  const std::string now = hex_time(clock_());
  const std::string data =
      fmt::format("{}:{}:{}", service_ == Service::pbs ? "PBS" : "PVE", userid, now);
  IssuedTicket issued;
  issued.username = std::string(userid);
  issued.ticket = data + "::" + sign(data);
  issued.csrf_token = csrf_token_for(userid, now);
  return issued;
}

std::optional<Identity> Authenticator::check_token(std::string_view value) const {
  const std::string_view scheme = service_ == Service::pbs ? "PBSAPIToken" : "PVEAPIToken";
  // PBS separates the secret with ':', PVE with '='.
  const char separator = service_ == Service::pbs ? ':' : '=';
  value = common::trim(value, common::kBlanks);
  if (value.size() <= scheme.size() || value.substr(0, scheme.size()) != scheme)
    return std::nullopt;
  value.remove_prefix(scheme.size());
  if (value.front() != '=' && value.front() != ' ') return std::nullopt;
  value = common::trim(value.substr(1), common::kBlanks);
  const size_t bang = value.find('!');
  if (bang == std::string_view::npos) return std::nullopt;
  const std::string_view userid = value.substr(0, bang);
  const std::string_view rest = value.substr(bang + 1);
  const size_t split = rest.find(separator);
  if (split == std::string_view::npos) return std::nullopt;
  const std::string_view token_id = rest.substr(0, split);
  const std::string_view secret = rest.substr(split + 1);
  const std::optional<UserScenario> user = usable_user(userid);
  if (!user) return std::nullopt;
  const TokenScenario* token = AccessState::find_token(*user, token_id);
  if (token == nullptr || token->secret.size() != secret.size() ||
      sodium_memcmp(token->secret.data(), secret.data(), secret.size()) != 0) {
    return std::nullopt;
  }
  if (token->expire != 0 && token->expire <= clock_()) return std::nullopt;
  return Identity{user->userid, token->id};
}

AuthResult Authenticator::authenticate(const http::Request& request, bool is_write) const {
  const std::string_view authorization = request.header(http::Field::authorization);
  if (!authorization.empty()) {
    if (auto identity = check_token(authorization)) return {std::move(identity), {}};
    return {std::nullopt, "invalid API token"};
  }
  const auto ticket = cookie_value(request.header(http::Field::cookie), cookie_name());
  if (!ticket) return {std::nullopt, "No ticket"};
  const std::optional<std::string> user = ticket_user(*ticket);
  if (!user) return {std::nullopt, "invalid ticket"};
  // As in Proxmox, any unexpired CSRF token minted for the same user is accepted.
  if (is_write && !csrf_token_valid(*user, request.header("CSRFPreventionToken"))) {
    return {std::nullopt, "Permission denied - invalid csrf token"};
  }
  return {Identity{*user, {}}, {}};
}

}  // namespace pbx::proxmox
