#pragma once
// Session-wide state of the E2E suite, the analogue of the reference's conftest.py: which
// Proxmox service is loaded, where the mock, NetBox and proxbox-api are, and helpers shared by
// every suite. When PROXMOX_MOCK_PUBLISHED_URL, PROXBOX_E2E_NETBOX_URL (+ _TOKEN) or
// PROXBOX_E2E_PROXBOX_URL are absent, the missing parts are stood up here (e2e::CellStack, on
// ephemeral loopback ports) the first time a test needs them, and torn down at exit.

#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "http/client.hpp"
#include "proxmox/scenario.hpp"

namespace pbx::e2e::suite {

// PROXMOX_SERVICE, trimmed and lower-cased, default pve (fails the test on an unknown name).
std::string proxmox_service();

// Skips the calling test unless the loaded service is pve, with the reason the reference
// prints: "requires PVE schema; service=<svc>". Call it from SetUp() so the whole suite skips.
#define PBX_REQUIRES_PVE_SCHEMA()                                                            \
  do {                                                                                       \
    if (const auto pbx_service = ::pbx::e2e::suite::proxmox_service(); pbx_service != "pve") \
      GTEST_SKIP() << "requires PVE schema; service=" << pbx_service;                        \
  } while (false)

// A base for suites that drive the PVE sync pipeline: every test skips on pbs/pdm.
class RequiresPveSchema : public ::testing::Test {
 protected:
  void SetUp() override { PBX_REQUIRES_PVE_SCHEMA(); }
};

// Why the netbox-proxbox plugin's objects cannot be checked on this NetBox ("" when they can):
// a real NetBox without the plugin answers 404 on /api/plugins/proxbox/backups/.
std::string missing_proxbox_plugin();

// Skips the calling test, with that reason, when the plugin's API is absent.
#define PBX_REQUIRES_PROXBOX_PLUGIN()                                         \
  do {                                                                        \
    if (const auto pbx_missing = ::pbx::e2e::suite::missing_proxbox_plugin(); \
        !pbx_missing.empty())                                                 \
      GTEST_SKIP() << pbx_missing;                                            \
  } while (false)

// Reads NetBox: paged lists and single objects, with the session's token.
class NetBoxReader {
 public:
  NetBoxReader(http::Client& client, std::string base_url, std::string token);
  // Every object of `path` ("/api/dcim/devices/") matching `query` ("cluster_id=3").
  std::vector<boost::json::object> list(std::string_view path, std::string_view query = {});
  // The single object matching, or a test failure (nullopt) naming what was expected.
  std::optional<boost::json::object> find_one(std::string_view path, std::string_view query);
  http::ClientResponse get(std::string_view path_and_query);
  // Writes the emulator counted so far (POST/PUT/PATCH/DELETE outside its admin API); against a
  // real NetBox (no /api/__emulator__/stats) the change log's count (changes_so_far). The two
  // agree where the tests compare them: no write is no change, one PATCH of one object is one.
  std::optional<int64_t> writes_so_far();
  // Entries in NetBox's change log (one per object created, updated or deleted), nullopt when
  // there is none to read.
  std::optional<int64_t> changes_so_far();

 private:
  http::Client& client_;
  std::string base_url_;
  http::Headers headers_;
};

class Session {
 public:
  static Session& get();
  static void shutdown();  // tears down what the session stood up
  // For the mock_backend pass: only NetBox is needed; call before anything else.
  void need_only_netbox();

  const std::string& mock_url();
  const std::string& netbox_url();
  const std::string& netbox_token();
  const std::string& proxbox_url();
  const std::string& ca_file();  // PEM trust anchor for the cell's TLS ("" when none)
  http::Client& client();
  NetBoxReader& netbox();

  // Registers the session's API key on first use (or takes $PROXBOX_E2E_PROXBOX_API_KEY) and
  // returns the header set carrying it. `registration_status()` is the register-key answer
  // (0 when the key came from the environment).
  const http::Headers& api_headers();
  unsigned registration_status();

  // Points proxbox-api at NetBox and at the mock (idempotent within the session).
  void configure_endpoints();
  // Loads cluster `index` of `scenario` into the mock over its admin API.
  void load_fixture(const proxmox::Scenario& scenario, size_t index = 0);
  // GET <proxbox>/<route> with the key; fails the test unless 200; returns the summary.
  boost::json::object run_sync(std::string_view route);

  ~Session();

 private:
  Session();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Assertions on what NetBox holds after a sync of `scenario` (shared by the mock_http and
// mock_backend passes). Each returns the NetBox cluster id(s) it checked.
void expect_devices_synced(NetBoxReader& netbox, const proxmox::Scenario& scenario);
void expect_vms_synced(NetBoxReader& netbox, const proxmox::Scenario& scenario);
void expect_backups_synced(NetBoxReader& netbox, const proxmox::Scenario& scenario);
void expect_custom_fields_present(NetBoxReader& netbox);

// A unique prefix per test so fixtures of parallel or repeated runs never collide.
std::string unique_prefix(std::string_view base);

// Reading NetBox objects: a string field ("" when absent or not a string), the id of a
// relation (an id or a nested object; 0 when null), the slugs of the tags, a custom field.
std::string string_field(const boost::json::object& object, std::string_view key);
int64_t id_of(const boost::json::value* value);
std::set<std::string> tag_slugs(const boost::json::object& object);
const boost::json::value* custom_field(const boost::json::object& object, std::string_view name);

}  // namespace pbx::e2e::suite
