#pragma once
// The NetBox connection (one) and the Proxmox endpoints (many), in SQLite, secrets sealed with
// SecretBox. Records hold plaintext secrets only in memory, on their way to the sync.

#include <boost/json/object.hpp>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/secrets.hpp"
#include "common/netbox_token.hpp"
#include "common/result.hpp"
#include "common/sqlite.hpp"

namespace pbx::api {

struct NetBoxEndpoint {
  int64_t id = 0;
  std::string name = "NetBox";
  std::string address;  // host name or IP
  int port = 443;
  std::string scheme = "https";
  std::string token_version = "v1";  // v1 | v2
  std::string token_key;             // v2: the "nbt_" key part (without the prefix is fine)
  std::string token;                 // v1 token, or v2 secret (or the whole "nbt_key.secret")
  bool verify_ssl = true;

  std::string base_url() const;
  // The token these fields make: `token` read whole (a v1 token, or a whole "nbt_key.secret"),
  // else for v2 `token_key` and the secret `token`.
  common::NetBoxToken netbox_token() const;
  std::string authorization_token() const;  // its text, what NetBoxClient expects
};

struct ProxmoxEndpointRecord {
  int64_t id = 0;
  std::string name;
  std::string address;
  int port = 8006;
  std::string scheme = "https";  // "http" only for test doubles; real Proxmox is always TLS
  std::string username = "root@pam";
  std::string password;
  std::string token_name;
  std::string token_value;
  bool verify_ssl = true;
  int timeout = 30;  // seconds
  std::string site_name;
  std::optional<int64_t> tenant_id;

  std::string base_url() const;
  // "user@realm!name=value" when a token is set, else empty.
  std::string api_token() const;
};

// Bounds on what an endpoint may hold. Names and addresses end up in URLs, log lines and HTTP
// headers, so control characters (a CRLF would split a header) are refused everywhere.
struct EndpointLimits {
  static constexpr size_t kMaxNameLength = 255;     // NetBox's own limit on names
  static constexpr size_t kMaxAddressLength = 253;  // a DNS name
  static constexpr size_t kMaxSecretLength = 4096;
  static constexpr int64_t kMaxTimeoutSeconds = 3600;
};

// Checks the raw fields of an endpoint create/update body (before they are converted:
// 4294967297 must not become port 1): done when every field present is acceptable, else the
// first problem as a message for the API's `detail`. Required fields are checked after the merge.
common::Result<void, std::string> check_endpoint_body(const boost::json::object& body);

// A save the stored endpoints refuse (the API's 409), with the message for its `detail`.
struct SaveConflict {
  std::string message;
};

class EndpointStore {
 public:
  EndpointStore(common::Database& database, std::mutex& database_mutex, SecretBox box);

  std::optional<NetBoxEndpoint> netbox(std::optional<int64_t> id = std::nullopt);
  // Inserts when `endpoint.id` is 0 (refused when one exists), else updates.
  common::Result<NetBoxEndpoint, SaveConflict> save_netbox(NetBoxEndpoint endpoint);
  bool delete_netbox(int64_t id);

  std::vector<ProxmoxEndpointRecord> proxmox();
  std::optional<ProxmoxEndpointRecord> proxmox(int64_t id);
  // Refused when the row breaks a constraint (a duplicate name).
  common::Result<ProxmoxEndpointRecord, SaveConflict> save_proxmox(ProxmoxEndpointRecord endpoint);
  bool delete_proxmox(int64_t id);

 private:
  ProxmoxEndpointRecord read_proxmox(common::Statement& statement) const;
  // `table` is one of ours, never input.
  bool delete_row(std::string_view table, int64_t id);
  std::string seal(const std::string& secret) const;
  std::string open(const std::string& sealed) const;

  common::Database& database_;
  std::mutex& database_mutex_;
  SecretBox box_;
};

}  // namespace pbx::api
