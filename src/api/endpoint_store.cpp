#include "api/endpoint_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "common/text.hpp"

namespace pbx::api {

namespace {

// An integer field: a JSON integer (or a string of one, as forms send) within [low, high].
common::Result<void, std::string> check_integer(const boost::json::value& value,
                                                std::string_view name, int64_t low, int64_t high) {
  std::optional<int64_t> number;
  if (value.is_int64()) {
    number = value.get_int64();
  } else if (value.is_uint64()) {
    if (value.get_uint64() <= static_cast<uint64_t>(high)) {
      number = static_cast<int64_t>(value.get_uint64());
    }
  } else if (value.is_string()) {
    number = common::parse_number<int64_t>(value.get_string());
  } else if (value.is_double()) {
    // 8006.0 is 8006; 1e308, NaN and 8006.5 are not ports (the range is checked before the cast).
    const double real = value.get_double();
    if (real == std::floor(real) && real >= static_cast<double>(low) &&
        real <= static_cast<double>(high)) {
      number = static_cast<int64_t>(real);
    }
  }
  if (!number || *number < low || *number > high) {
    return common::Failure{fmt::format("{} must be an integer from {} to {}", name, low, high)};
  }
  return {};
}

common::Result<void, std::string> check_text(const boost::json::value& value, std::string_view name,
                                             size_t max_length) {
  if (value.is_null()) return {};
  if (!value.is_string() && !value.is_number() && !value.is_bool()) {
    return common::Failure{fmt::format("{} must be a string", name)};
  }
  if (!value.is_string()) return {};
  const std::string_view text = value.get_string();
  if (text.size() > max_length) {
    return common::Failure{fmt::format("{} must be at most {} characters", name, max_length)};
  }
  if (has_control_character(text)) {
    return common::Failure{
        fmt::format("{} must not contain control characters (CR, LF, ...)", name)};
  }
  return {};
}

std::string host_for_url(const std::string& address) {
  // A bare IPv6 address needs brackets inside a URL.
  if (address.find(':') != std::string::npos && address.front() != '[') {
    return "[" + address + "]";
  }
  return address;
}

}  // namespace

common::Result<void, std::string> check_endpoint_body(const boost::json::object& body) {
  using Limits = EndpointLimits;
  struct TextField {
    std::string_view name;
    size_t max_length;
  };
  static constexpr TextField kTextFields[] = {
      {"name", Limits::kMaxNameLength},
      {"address", Limits::kMaxAddressLength},
      {"ip_address", Limits::kMaxAddressLength},
      {"domain", Limits::kMaxAddressLength},
      {"scheme", 16},
      {"username", Limits::kMaxNameLength},
      {"token_name", Limits::kMaxNameLength},
      {"token_version", 16},
      {"token_key", Limits::kMaxSecretLength},
      {"token", Limits::kMaxSecretLength},
      {"token_value", Limits::kMaxSecretLength},
      {"password", Limits::kMaxSecretLength},
      {"site_name", Limits::kMaxNameLength},
      {"site", Limits::kMaxNameLength},
  };
  for (const auto& field : kTextFields) {
    if (const auto* value = body.if_contains(field.name)) {
      auto checked = check_text(*value, field.name, field.max_length);
      if (!checked) return checked;
    }
  }
  if (const auto* port = body.if_contains("port")) {
    if (auto checked = check_integer(*port, "port", 1, 65535); !checked) return checked;
  }
  if (const auto* timeout = body.if_contains("timeout"); timeout && !timeout->is_null()) {
    return check_integer(*timeout, "timeout", 1, Limits::kMaxTimeoutSeconds);
  }
  return {};
}

std::string NetBoxEndpoint::base_url() const {
  return scheme + "://" + host_for_url(address) + ":" + std::to_string(port);
}

common::NetBoxToken NetBoxEndpoint::netbox_token() const {
  auto whole = common::NetBoxToken::parse(token);
  if (token_version != "v2" || whole.version == common::NetBoxToken::Version::v2) return whole;
  return common::NetBoxToken::v2(token_key, token);
}

std::string NetBoxEndpoint::authorization_token() const {
  return netbox_token().text();
}

std::string ProxmoxEndpointRecord::base_url() const {
  return scheme + "://" + host_for_url(address) + ":" + std::to_string(port);
}

std::string ProxmoxEndpointRecord::api_token() const {
  if (token_name.empty() || token_value.empty()) return {};
  return username + "!" + token_name + "=" + token_value;
}

EndpointStore::EndpointStore(common::Database& database, std::mutex& database_mutex, SecretBox box)
    : database_(database), database_mutex_(database_mutex), box_(std::move(box)) {
  std::lock_guard lock(database_mutex_);
  database_.exec(
      "CREATE TABLE IF NOT EXISTS netbox_endpoints (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
      " address TEXT NOT NULL, port INTEGER NOT NULL, scheme TEXT NOT NULL,"
      " token_version TEXT NOT NULL, token_key TEXT NOT NULL, token TEXT NOT NULL,"
      " verify_ssl INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS proxmox_endpoints (id INTEGER PRIMARY KEY,"
      " name TEXT NOT NULL UNIQUE, address TEXT NOT NULL, port INTEGER NOT NULL,"
      " username TEXT NOT NULL, password TEXT NOT NULL, token_name TEXT NOT NULL,"
      " token_value TEXT NOT NULL, verify_ssl INTEGER NOT NULL, timeout INTEGER NOT NULL,"
      " site_name TEXT NOT NULL, tenant_id INTEGER, scheme TEXT NOT NULL DEFAULT 'https');");
}

std::string EndpointStore::seal(const std::string& secret) const {
  return secret.empty() ? std::string{} : box_.seal(secret);
}

std::string EndpointStore::open(const std::string& sealed) const {
  return sealed.empty() ? std::string{} : box_.open(sealed);
}

std::optional<NetBoxEndpoint> EndpointStore::netbox(std::optional<int64_t> id) {
  std::lock_guard lock(database_mutex_);
  auto statement = database_.prepare(
      "SELECT id, name, address, port, scheme, token_version, token_key, token, verify_ssl FROM "
      "netbox_endpoints WHERE (?1 IS NULL OR id = ?1) ORDER BY id LIMIT 1");
  statement.bind(1, id);
  if (!statement.step()) return std::nullopt;
  NetBoxEndpoint endpoint;
  endpoint.id = statement.column_int(0);
  endpoint.name = statement.column_text(1);
  endpoint.address = statement.column_text(2);
  endpoint.port = static_cast<int>(statement.column_int(3));
  endpoint.scheme = statement.column_text(4);
  endpoint.token_version = statement.column_text(5);
  endpoint.token_key = statement.column_text(6);
  endpoint.token = open(statement.column_text(7));
  endpoint.verify_ssl = statement.column_int(8) != 0;
  return endpoint;
}

common::Result<NetBoxEndpoint, SaveConflict> EndpointStore::save_netbox(NetBoxEndpoint endpoint) {
  std::lock_guard lock(database_mutex_);
  common::Transaction transaction(database_);
  if (endpoint.id == 0) {
    auto existing = database_.prepare("SELECT 1 FROM netbox_endpoints");
    if (existing.step()) {
      return common::Failure{
          SaveConflict{"A NetBox endpoint is already configured; PUT to change it."}};
    }
  }
  auto statement = database_.prepare(
      endpoint.id == 0
          ? "INSERT INTO netbox_endpoints (name, address, port, scheme, token_version, token_key,"
            " token, verify_ssl) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
          : "UPDATE netbox_endpoints SET name = ?1, address = ?2, port = ?3, scheme = ?4,"
            " token_version = ?5, token_key = ?6, token = ?7, verify_ssl = ?8 WHERE id = ?9");
  statement.bind(1, endpoint.name)
      .bind(2, endpoint.address)
      .bind(3, endpoint.port)
      .bind(4, endpoint.scheme)
      .bind(5, endpoint.token_version)
      .bind(6, endpoint.token_key)
      .bind(7, seal(endpoint.token))
      .bind(8, endpoint.verify_ssl ? 1 : 0);
  if (endpoint.id != 0) statement.bind(9, endpoint.id);
  statement.step();
  if (endpoint.id == 0) endpoint.id = database_.last_insert_id();
  transaction.commit();
  return endpoint;
}

bool EndpointStore::delete_netbox(int64_t id) {
  return delete_row("netbox_endpoints", id);
}

ProxmoxEndpointRecord EndpointStore::read_proxmox(common::Statement& statement) const {
  ProxmoxEndpointRecord endpoint;
  endpoint.id = statement.column_int(0);
  endpoint.name = statement.column_text(1);
  endpoint.address = statement.column_text(2);
  endpoint.port = static_cast<int>(statement.column_int(3));
  endpoint.username = statement.column_text(4);
  endpoint.password = open(statement.column_text(5));
  endpoint.token_name = statement.column_text(6);
  endpoint.token_value = open(statement.column_text(7));
  endpoint.verify_ssl = statement.column_int(8) != 0;
  endpoint.timeout = static_cast<int>(statement.column_int(9));
  endpoint.site_name = statement.column_text(10);
  if (!statement.is_null(11)) endpoint.tenant_id = statement.column_int(11);
  endpoint.scheme = statement.column_text(12);
  return endpoint;
}

constexpr const char* kProxmoxColumns =
    "SELECT id, name, address, port, username, password, token_name, token_value, verify_ssl,"
    " timeout, site_name, tenant_id, scheme FROM proxmox_endpoints";

std::vector<ProxmoxEndpointRecord> EndpointStore::proxmox() {
  std::lock_guard lock(database_mutex_);
  auto statement = database_.prepare(std::string(kProxmoxColumns) + " ORDER BY id");
  std::vector<ProxmoxEndpointRecord> endpoints;
  while (statement.step())
    endpoints.push_back(read_proxmox(statement));
  return endpoints;
}

std::optional<ProxmoxEndpointRecord> EndpointStore::proxmox(int64_t id) {
  std::lock_guard lock(database_mutex_);
  auto statement = database_.prepare(std::string(kProxmoxColumns) + " WHERE id = ?");
  statement.bind(1, id);
  if (!statement.step()) return std::nullopt;
  return read_proxmox(statement);
}

common::Result<ProxmoxEndpointRecord, SaveConflict> EndpointStore::save_proxmox(
    ProxmoxEndpointRecord endpoint) {
  std::lock_guard lock(database_mutex_);
  auto statement = database_.prepare(
      endpoint.id == 0
          ? "INSERT INTO proxmox_endpoints (name, address, port, username, password, token_name,"
            " token_value, verify_ssl, timeout, site_name, tenant_id, scheme)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?13)"
          : "UPDATE proxmox_endpoints SET name = ?1, address = ?2, port = ?3, username = ?4,"
            " password = ?5, token_name = ?6, token_value = ?7, verify_ssl = ?8, timeout = ?9,"
            " site_name = ?10, tenant_id = ?11, scheme = ?13 WHERE id = ?12");
  statement.bind(1, endpoint.name)
      .bind(2, endpoint.address)
      .bind(3, endpoint.port)
      .bind(4, endpoint.username)
      .bind(5, seal(endpoint.password))
      .bind(6, endpoint.token_name)
      .bind(7, seal(endpoint.token_value))
      .bind(8, endpoint.verify_ssl ? 1 : 0)
      .bind(9, endpoint.timeout)
      .bind(10, endpoint.site_name)
      .bind(11, endpoint.tenant_id)
      .bind(13, endpoint.scheme);
  if (endpoint.id != 0) statement.bind(12, endpoint.id);
  try {
    statement.step();
  } catch (const common::SqliteError& error) {
    if (!error.is_constraint()) throw;
    return common::Failure{SaveConflict{"A Proxmox endpoint with this name exists."}};
  }
  if (endpoint.id == 0) endpoint.id = database_.last_insert_id();
  return endpoint;
}

bool EndpointStore::delete_proxmox(int64_t id) {
  return delete_row("proxmox_endpoints", id);
}

bool EndpointStore::delete_row(std::string_view table, int64_t id) {
  std::lock_guard lock(database_mutex_);
  auto statement = database_.prepare(fmt::format("DELETE FROM {} WHERE id = ?", table));
  statement.bind(1, id);
  statement.step();
  return database_.changes() > 0;
}

}  // namespace pbx::api
