#pragma once
// Who may use the mock's admin API (/mock/*: replace the state, add faults, read the journal).
// Without a token (the default, for tests on loopback) anyone who reaches the listener may; with
// `--admin-token` (or PROXMOX_MOCK_ADMIN_TOKEN) a request must carry it as
// `Authorization: Bearer <token>` or `X-Mock-Admin-Token: <token>`. The /api2 surface is not
// affected: it has Proxmox's own authentication.

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "http/message.hpp"

namespace pbx::proxmox {

class AdminAccess {
 public:
  // An empty token leaves the admin API open.
  explicit AdminAccess(std::string token = {});

  bool is_admin_path(std::string_view path) const;
  // Done when the request may go on; else the 401 to answer (Proxmox's error shape).
  common::Result<void, http::Response> admit(const http::Request& request) const;

 private:
  std::string token_;
};

}  // namespace pbx::proxmox
