#pragma once
// Proxmox authentication as pveproxy / proxmox-backup-proxy do it: tickets from
// POST /access/ticket carried in the PVEAuthCookie (PBSAuthCookie) cookie, a CSRF token required
// for writes made with a ticket, and API tokens in the Authorization header
// (`PVEAPIToken=user@realm!id=secret`, PBS: `PBSAPIToken=user@realm!id:secret`). Thread-safe.
//
// Tickets (`PVE:root@pam:<hex time>::<signature>`) and CSRF tokens (`<hex time>:<signature>`)
// are signed (HMAC, libsodium) with a secret drawn at random when the Authenticator is made, so
// two mocks started with the same seed issue different tickets and one cannot forge another's;
// and they expire as Proxmox's do: valid from 5 minutes before their time stamp (clock skew) to
// two hours after it. Nothing is stored per login, so logins cannot grow the mock.
//
// The accounts are not kept here: every check asks an AccountLookup for the user as the
// endpoint holds it now (the engine's AccessState), so a user made, disabled or deleted through
// the API, or a token made or removed, counts from the next request on.

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"
#include "proxmox/access_state.hpp"
#include "proxmox/scenario.hpp"

namespace pbx::proxmox {

// The account `userid` as the endpoint holds it now, or nullopt when there is none.
using AccountLookup = std::function<std::optional<UserScenario>(std::string_view userid)>;
// A lookup over a fixed list (an empty list: default_users()).
AccountLookup fixed_accounts(std::vector<UserScenario> users);

struct IssuedTicket {
  std::string ticket;
  std::string csrf_token;
  std::string username;
};

struct Identity {
  std::string user;      // "root@pam"
  std::string token_id;  // "proxbox" when authenticated by API token
};

// Either who is calling, or the 401 reason phrase the real API would send.
struct AuthResult {
  std::optional<Identity> identity;
  std::string failure;
};

// Seconds since the epoch; injectable so tests can expire a ticket without sleeping.
using UnixClock = std::function<int64_t()>;
int64_t unix_seconds_now();

class Authenticator {
 public:
  static constexpr int64_t kTicketLifetimeSeconds = 2 * 60 * 60;
  static constexpr int64_t kTicketClockSkewSeconds = 5 * 60;

  // Tickets do not depend on `seed` (only generated data does): their secret is random.
  // An empty `accounts` means fixed_accounts({}).
  Authenticator(Service service, AccountLookup accounts, uint64_t seed,
                UnixClock clock = unix_seconds_now);

  // `password` may also be an unexpired ticket of the same user (ticket renewal). Refused for
  // unknown, disabled and expired accounts.
  std::optional<IssuedTicket> login(std::string_view username, std::string_view password);
  // A ticket for `userid` without any check (--no-auth sessions).
  IssuedTicket issue(std::string_view userid) const;
  // Tickets and tokens work only while their account exists, is enabled and has not expired;
  // a token also only until its own expiry.
  AuthResult authenticate(const http::Request& request, bool is_write) const;

  std::string_view cookie_name() const;

 private:
  std::optional<Identity> check_token(std::string_view header_value) const;
  // The account if it may be used now.
  std::optional<UserScenario> usable_user(std::string_view userid) const;
  std::string sign(std::string_view data) const;
  bool fresh(std::string_view hex_time) const;
  // The user a signed, unexpired ticket names (who must still exist), else nullopt.
  std::optional<std::string> ticket_user(std::string_view ticket) const;
  std::string csrf_token_for(std::string_view user, std::string_view hex_time) const;
  bool csrf_token_valid(std::string_view user, std::string_view token) const;

  Service service_;
  UnixClock clock_;
  std::array<unsigned char, 32> secret_{};
  AccountLookup accounts_;
};

// The value of one cookie from a Cookie header ("a=1; PVEAuthCookie=x"), percent-decoded.
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

}  // namespace pbx::proxmox
