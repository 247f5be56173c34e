// Issue 12.4 and 12.7: the API-key limiter cannot be turned against the service, endpoint input
// is validated before it is stored, and the sync's secrets need not be on the command line.

#include <gtest/gtest.h>
#include <sodium.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "api/endpoint_store.hpp"
#include "api/keys.hpp"
#include "api/program.hpp"
#include "api/secrets.hpp"
#include "api/service.hpp"
#include "common/files.hpp"

namespace pbx::api {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::string key_number(int i) {
  return "key-" + std::to_string(i) + "-0123456789abcdef0123456789abcdef";
}

std::filesystem::path scratch_file(std::string_view name) {
  return std::filesystem::temp_directory_path() /
         ("proxbox-hardening-" + std::to_string(::getpid()) + "-" + std::string(name));
}

class KeyLimiterTest : public ::testing::Test {
 protected:
  http::Request request(const std::string& key, const std::string& peer,
                        const std::string& forwarded = {}) {
    http::Request made = http::Request::make(http::Verb::get, "/proxmox/endpoints");
    if (!key.empty()) made.headers.set("X-Proxbox-API-Key", key);
    if (!forwarded.empty()) made.headers.set("X-Forwarded-For", forwarded);
    made.remote_address = peer;
    return made;
  }

  common::Database database{":memory:"};
  std::mutex mutex;
  KeyStore keys{database, mutex};
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point{} + 1h;
  FailureLimiter::Clock clock = [this] { return now; };
};

// 31 stored keys made every wrong key cost 31 Argon2 checks (189 ms); now it costs none, and a
// right key one, then none.
TEST_F(KeyLimiterTest, APresentedKeyCostsAtMostOneArgon2Check) {
  for (int i = 0; i < 31; ++i)
    ASSERT_TRUE(keys.add(key_number(i), "k" + std::to_string(i)));
  const uint64_t before = keys.argon2_checks();
  EXPECT_FALSE(keys.verify("wrong-0123456789abcdef0123456789abcdef"));
  EXPECT_EQ(keys.argon2_checks(), before);
  EXPECT_TRUE(keys.verify(key_number(17)));
  EXPECT_EQ(keys.argon2_checks(), before + 1);
  EXPECT_TRUE(keys.verify(key_number(17)));
  EXPECT_EQ(keys.argon2_checks(), before + 1) << "remembered";
  // A restarted service (fresh cache, same database) still needs only one check.
  KeyStore restarted(database, mutex);
  EXPECT_TRUE(restarted.verify(key_number(30)));
  EXPECT_EQ(restarted.argon2_checks(), 1u);
  EXPECT_EQ(keys.add(key_number(3), "again").error(), KeyNotStored::already_stored);
}

TEST(KeyStoreMigration, KeysStoredBeforeKeyIdsKeepWorkingAndGetTheirId) {
  common::Database database(":memory:");
  std::mutex mutex;
  database.exec(
      "CREATE TABLE api_keys (id INTEGER PRIMARY KEY, label TEXT NOT NULL DEFAULT '',"
      " hash TEXT NOT NULL, created_at TEXT NOT NULL)");
  ensure_sodium();
  for (int i = 0; i < 3; ++i) {
    char hash[crypto_pwhash_STRBYTES];
    const std::string key = key_number(i);
    ASSERT_EQ(crypto_pwhash_str(hash, key.data(), key.size(), 2, 1 << 20), 0);
    auto insert = database.prepare("INSERT INTO api_keys (label, hash, created_at) VALUES (?,?,?)");
    insert.bind(1, "old").bind(2, std::string(hash)).bind(3, "2026-01-01T00:00:00Z");
    insert.step();
  }
  KeyStore keys(database, mutex);
  EXPECT_EQ(keys.list().size(), 3u);
  EXPECT_TRUE(keys.verify(key_number(2)));
  EXPECT_FALSE(keys.verify("wrong-0123456789abcdef0123456789abcdef"));
  auto migrated = database.prepare("SELECT count(*) FROM api_keys WHERE key_id IS NOT NULL");
  ASSERT_TRUE(migrated.step());
  EXPECT_EQ(migrated.column_int(0), 1);
  KeyStore restarted(database, mutex);
  EXPECT_TRUE(restarted.verify(key_number(2)));
  EXPECT_EQ(restarted.argon2_checks(), 1u) << "found by its key id now";
  EXPECT_TRUE(restarted.verify(key_number(0)));  // the others still work
}

TEST_F(KeyLimiterTest, ALockedOutAddressKeepsAValidKeysAccess) {
  ASSERT_TRUE(keys.add(key_number(1), "plugin"));
  KeyGuard guard(keys, {}, clock);
  for (int i = 0; i < 5; ++i) {
    const auto refused = guard.admit(request("wrong-key", "10.0.0.9"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().status, http::Status::unauthorized);
  }
  const auto locked = guard.admit(request("wrong-key", "10.0.0.9"));
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().status, http::Status::too_many_requests);
  EXPECT_EQ(locked.error().retry_after, 60);
  // Not verified before in this process (a restart): still let in, with one Argon2 check.
  EXPECT_TRUE(guard.admit(request(key_number(1), "10.0.0.9")));
  EXPECT_TRUE(guard.admit(request(key_number(1), "10.0.0.9")));  // and from the cache
  ASSERT_FALSE(guard.admit(request("", "10.0.0.9")));
}

// Rotating source addresses used to bypass the lockout while each wrong key cost an Argon2 check
// per stored key. Now a wrong key costs no Argon2 check; while keys from before key ids exist
// (each wrong key is tried against them), Argon2 work is bounded globally.
TEST_F(KeyLimiterTest, ArgonWorkIsBoundedGloballyWhateverTheAddresses) {
  ASSERT_TRUE(keys.add(key_number(1), "new"));
  database.exec("UPDATE api_keys SET key_id = NULL");  // now a legacy row
  KeyGuardOptions options;
  options.argon2_checks = 4;
  options.argon2_window = 2s;
  KeyGuard guard(keys, options, clock);
  const uint64_t before = keys.argon2_checks();
  int busy = 0;
  for (int i = 0; i < 100; ++i) {
    const auto refused =
        guard.admit(request("wrong-" + std::to_string(i), "10.9." + std::to_string(i) + ".1"));
    ASSERT_FALSE(refused);
    busy += refused.error().status == http::Status::too_many_requests ? 1 : 0;
  }
  EXPECT_EQ(keys.argon2_checks() - before, 4u);
  EXPECT_EQ(busy, 96);
  now += 1s;  // the bucket drains: two more checks a second
  EXPECT_TRUE(guard.admit(request(key_number(1), "10.0.0.1")));
}

TEST_F(KeyLimiterTest, ForwardedForCountsOnlyFromTrustedProxies) {
  KeyGuardOptions options;
  options.trusted_proxies = {"127.0.0.1", "::1"};
  KeyGuard guard(keys, options, clock);
  EXPECT_EQ(guard.client_address(request("", "10.0.0.5", "1.2.3.4")), "10.0.0.5");
  EXPECT_EQ(guard.client_address(request("", "127.0.0.1", "1.2.3.4")), "1.2.3.4");
  EXPECT_EQ(guard.client_address(request("", "::ffff:127.0.0.1", "6.6.6.6, 1.2.3.4")), "1.2.3.4")
      << "only the hop our proxy saw counts; the client may have forged the ones before";
  EXPECT_EQ(guard.client_address(request("", "::1", "1.2.3.4, 127.0.0.1")), "1.2.3.4");
  EXPECT_EQ(guard.client_address(request("", "127.0.0.1", "garbage")), "127.0.0.1");
  EXPECT_EQ(guard.client_address(request("", "127.0.0.1")), "127.0.0.1");
  EXPECT_EQ(guard.client_address(request("", "")), "in-process");
  // Clients behind the proxy are limited one by one, not all together.
  for (int i = 0; i < 6; ++i)
    EXPECT_FALSE(guard.admit(request("wrong", "127.0.0.1", "1.2.3.4")));
  EXPECT_EQ(guard.admit(request("wrong", "127.0.0.1", "1.2.3.4")).error().status,
            http::Status::too_many_requests);
  EXPECT_EQ(guard.admit(request("wrong", "127.0.0.1", "5.6.7.8")).error().status,
            http::Status::unauthorized);
  KeyGuardOptions bad;
  bad.trusted_proxies = {"nginx.local"};
  EXPECT_THROW((KeyGuard{keys, bad, clock}), std::invalid_argument);
}

TEST(FailureLimiterMemory, RotatingNamesDoNotGrowItBeyondItsBound) {
  auto now = std::chrono::steady_clock::time_point{} + 1h;
  FailureLimiter limiter(
      5, std::chrono::minutes(5), [&] { return now; }, 1000);
  for (int i = 0; i < 10'000; ++i)
    limiter.record_failure("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
  limiter.record_failure("last");
  EXPECT_EQ(limiter.retry_after("last"), 0);  // still tracked: one failure, not locked
  for (int i = 0; i < 4; ++i)
    limiter.record_failure("last");
  EXPECT_TRUE(limiter.locked("last"));
}

// ---- endpoint input -------------------------------------------------------------------------

class EndpointValidationTest : public ::testing::Test {
 protected:
  EndpointValidationTest() {
    ServiceOptions options;
    options.encryption_key = key_from_text("test key");
    service = std::make_unique<Service>(std::move(options));
    const auto registered = call(http::Verb::post, "/auth/register-key",
                                 json::serialize(json::object{{"api_key", key}}));
    EXPECT_EQ(registered.code(), 201u) << registered.body;
  }
  http::Response call(http::Verb method, const std::string& target, const std::string& body) {
    http::Request request = http::Request::make(method, target, body);
    request.headers.set("X-Proxbox-API-Key", key);
    request.remote_address = "127.0.0.1";
    return service->handle(request);
  }
  std::string detail_of(const http::Response& response) {
    return std::string(json::parse(response.body).at("detail").as_string());
  }

  const std::string key = key_number(42);
  std::unique_ptr<Service> service;
};

TEST_F(EndpointValidationTest, BadFieldsAre422AndNothingIsStored) {
  const json::object netbox{{"name", "nb"},   {"address", "netbox.example.com"},
                            {"port", 443},    {"scheme", "https"},
                            {"token", "abc"}, {"token_version", "v1"}};
  const auto with = [](json::object body, std::string_view field, json::value value) {
    body[field] = std::move(value);
    return json::serialize(body);
  };
  struct Case {
    std::string body;
    std::string in_detail;
  };
  const std::vector<Case> cases = {
      {with(netbox, "port", json::value(4294967297LL)), "port must be an integer from 1 to 65535"},
      {with(netbox, "port", 0), "port"},
      {with(netbox, "port", "443x"), "port"},
      {with(netbox, "port", 1e308), "port"},
      {with(netbox, "address", "netbox\r\nX-Evil: 1"), "address must not contain control"},
      {with(netbox, "name", json::string(std::string(1 << 20, 'n'))), "name must be at most 255"},
      {with(netbox, "token", "abc\ndef"), "token must not contain control"},
      {with(netbox, "name", json::array{1}), "name must be a string"},
  };
  for (const auto& bad : cases) {
    const auto response = call(http::Verb::post, "/netbox/endpoint", bad.body);
    EXPECT_EQ(response.code(), 422u) << bad.body.substr(0, 200);
    EXPECT_NE(response.body.find(bad.in_detail), std::string::npos) << response.body;
  }
  EXPECT_EQ(json::parse(call(http::Verb::get, "/netbox/endpoint", {}).body).as_array().size(), 0u)
      << "nothing stored";
  const auto good = call(http::Verb::post, "/netbox/endpoint", json::serialize(netbox));
  ASSERT_EQ(good.code(), 201u) << good.body;
  EXPECT_EQ(json::parse(good.body).at("port"), 443);

  const json::object proxmox{{"name", "pve"},        {"address", "pve.example.com"},
                             {"port", 8006},         {"username", "root@pam"},
                             {"token_name", "sync"}, {"token_value", "secret"}};
  for (const auto& [field, value, in_detail] :
       std::vector<std::tuple<std::string, json::value, std::string>>{
           {"timeout", -5, "timeout must be an integer from 1 to 3600"},
           {"timeout", 1e9, "timeout"},
           {"port", 4294967297LL, "port"},
           {"site_name", "a\tb", "site_name must not contain control"},
           {"username", "root@pam\r\n", "username"}}) {
    const auto response = call(http::Verb::post, "/proxmox/endpoints", with(proxmox, field, value));
    EXPECT_EQ(response.code(), 422u) << field;
    EXPECT_NE(response.body.find(in_detail), std::string::npos) << response.body;
  }
  EXPECT_EQ(json::parse(call(http::Verb::get, "/proxmox/endpoints", {}).body).as_array().size(),
            0u);
  EXPECT_EQ(call(http::Verb::post, "/proxmox/endpoints", json::serialize(proxmox)).code(), 201u);
  EXPECT_TRUE(check_endpoint_body(json::object{{"port", "8006"}, {"timeout", 30.0}}));
}

// ---- the sync's secrets ---------------------------------------------------------------------

TEST(SyncSecrets, FromTheFlagAFileOrTheEnvironment) {
  ::unsetenv("PBX_TEST_TOKEN");
  SecretSources sources{"--token", "--token-file", "PBX_TEST_TOKEN", {}, {}};
  EXPECT_TRUE(resolve_secrets(sources).empty());
  ::setenv("PBX_TEST_TOKEN", "from-env-1, from-env-2\n", 1);
  EXPECT_EQ(resolve_secrets(sources), (std::vector<std::string>{"from-env-1", "from-env-2"}));

  const auto file = scratch_file("token");
  common::write_file(file, "  from-file\n");
  sources.file = file.string();
  EXPECT_EQ(resolve_secrets(sources), std::vector<std::string>{"from-file"}) << "file beats env";
  sources.values = {"from-flag"};
  EXPECT_THROW(resolve_secrets(sources), std::invalid_argument) << "flag and file both";
  sources.file.clear();
  EXPECT_EQ(resolve_secrets(sources), std::vector<std::string>{"from-flag"});

  sources.values.clear();
  common::write_file(file, "\n \n");
  sources.file = file.string();
  EXPECT_THROW(resolve_secrets(sources), std::invalid_argument) << "an empty file";
  sources.file = (file.string() + ".missing");
  try {
    resolve_secrets(sources);
    ADD_FAILURE() << "a missing file was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("--token-file"), std::string::npos) << error.what();
  }
  sources.file.clear();
  sources.values = {"a\rb"};
  EXPECT_THROW(resolve_secrets(sources), std::invalid_argument) << "control characters";
  std::filesystem::remove(file);
  ::unsetenv("PBX_TEST_TOKEN");
}

int run(std::vector<std::string> args, std::string& out, std::string& err) {
  std::vector<char*> argv;
  args.insert(args.begin(), "proxbox-api");
  for (auto& arg : args)
    argv.push_back(arg.data());
  std::ostringstream captured_out, captured_err;
  auto* old_out = std::cout.rdbuf(captured_out.rdbuf());
  auto* old_err = std::cerr.rdbuf(captured_err.rdbuf());
  const int code = run_program(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  out = captured_out.str();
  err = captured_err.str();
  return code;
}

TEST(SyncSecrets, HelpSaysWhereTokensMayComeFromAndAMissingOneIsExit2) {
  std::string out, err;
  EXPECT_EQ(run({"sync", "--help"}, out, err), 0);
  for (const char* expected :
       {"PROXBOX_NETBOX_TOKEN", "PROXBOX_PROXMOX_TOKEN", "--netbox-token-file",
        "--proxmox-token-file", "PROXBOX_PROXMOX_PASSWORD"}) {
    EXPECT_NE(out.find(expected), std::string::npos) << expected << "\n" << out;
  }
  ::unsetenv("PROXBOX_NETBOX_TOKEN");
  EXPECT_EQ(
      run({"sync", "--proxmox", "http://127.0.0.1:9", "--netbox", "http://127.0.0.1:9"}, out, err),
      2);
  EXPECT_NE(err.find("PROXBOX_NETBOX_TOKEN"), std::string::npos) << err;
  // Refused while parsing, before anything is opened or listened on.
  EXPECT_NE(run({"serve", "--trusted-proxy", "nginx.local", "--listen", "127.0.0.1:0"}, out, err),
            0);
  EXPECT_NE((out + err).find("not an IP address"), std::string::npos) << out << err;
}

// The stored fields make one typed token (issue 14): a whole token as it is, a v2 secret with
// its key (with or without "nbt_").
TEST(EndpointTokenTest, FieldsMakeOneToken) {
  NetBoxEndpoint endpoint;
  endpoint.token = "0123456789abcdef0123456789abcdef01234567";
  EXPECT_EQ(endpoint.netbox_token().version, common::NetBoxToken::Version::v1);
  EXPECT_EQ(endpoint.authorization_token(), endpoint.token);
  endpoint.token_version = "v2";
  endpoint.token_key = "abcdefghijkl";
  endpoint.token = "secret";
  EXPECT_EQ(endpoint.authorization_token(), "nbt_abcdefghijkl.secret");
  endpoint.token_key = "nbt_abcdefghijkl";
  EXPECT_EQ(endpoint.authorization_token(), "nbt_abcdefghijkl.secret");
  EXPECT_EQ(endpoint.netbox_token().key, "abcdefghijkl");
  endpoint.token = "nbt_otherkey1234.whole";
  EXPECT_EQ(endpoint.authorization_token(), "nbt_otherkey1234.whole") << "a whole v2 token wins";
  endpoint.token_version = "v1";
  EXPECT_EQ(endpoint.netbox_token().version, common::NetBoxToken::Version::v2)
      << "the prefix decides, as in NetBox";
}

}  // namespace
}  // namespace pbx::api
