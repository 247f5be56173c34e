#pragma once
// Proxmox authentication as pveproxy / proxmox-backup-proxy do it: tickets from
// POST /access/ticket carried in the PVEAuthCookie (PBSAuthCookie) cookie, a CSRF token required
// for writes made with a ticket, and API tokens in the Authorization header
// (`PVEAPIToken=user@realm!id=secret`, PBS: `PBSAPIToken=user@realm!id:secret`). Thread-safe.

#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"
#include "proxmox/scenario.hpp"

namespace pbx::proxmox {

// root@pam / "proxmox" with token root@pam!proxbox = 00000000-0000-0000-0000-000000000000.
std::vector<UserScenario> default_users();

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

class Authenticator {
 public:
  Authenticator(Service service, std::vector<UserScenario> users, uint64_t seed);

  // Replaces the accounts (scenario load); issued tickets stay valid only for users that remain.
  void set_users(std::vector<UserScenario> users);
  std::vector<UserScenario> users() const;

  // `password` may also be a still-valid ticket of the same user (ticket renewal).
  std::optional<IssuedTicket> login(std::string_view username, std::string_view password);
  AuthResult authenticate(const http::Request& request, bool is_write) const;

  std::string_view cookie_name() const;

 private:
  struct Session {
    std::string user;
    std::string csrf_token;
  };
  std::optional<Identity> check_token(std::string_view header_value) const;
  const UserScenario* find_user(std::string_view userid) const;

  Service service_;
  mutable std::mutex mutex_;
  std::vector<UserScenario> users_;
  std::map<std::string, Session, std::less<>> sessions_;  // ticket → session
  std::mt19937_64 random_;
};

// The value of one cookie from a Cookie header ("a=1; PVEAuthCookie=x"), percent-decoded.
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

}  // namespace pbx::proxmox
