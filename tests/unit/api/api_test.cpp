#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "api/endpoint_store.hpp"
#include "api/keys.hpp"
#include "api/plugin_stages.hpp"
#include "api/secrets.hpp"
#include "api/service.hpp"
#include "fakes.hpp"
#include "sync/custom_fields.hpp"

namespace pbx::api {
namespace {
namespace json = boost::json;

const std::string kKey = "0123456789abcdef0123456789abcdef-first";

std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("proxbox-api-test-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(Secrets, RoundTripAndWrongKey) {
  const SecretBox box(key_from_text(std::string(64, 'a')));
  const std::string sealed = box.seal("s3cret-token");
  EXPECT_EQ(sealed.find("s3cret"), std::string::npos);
  EXPECT_NE(box.seal("s3cret-token"), sealed) << "a fresh nonce per seal";
  EXPECT_EQ(box.open(sealed), "s3cret-token");
  const SecretBox other(key_from_text("another passphrase"));
  EXPECT_THROW(other.open(sealed), SecretError);
  EXPECT_THROW(box.open("sb1:AAAA"), SecretError);
  EXPECT_THROW(box.open("plain"), SecretError);
}

TEST(Secrets, KeyFormats) {
  const SecretKey hex = key_from_text(std::string(64, 'f'));
  EXPECT_EQ(hex[0], 0xff);
  // base64 of 32 zero bytes
  const SecretKey b64 = key_from_text("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  EXPECT_EQ(b64, SecretKey{});
  EXPECT_NE(key_from_text("passphrase"), SecretKey{});
  EXPECT_THROW(key_from_text("  "), SecretError);
}

TEST(Secrets, KeyFileIsCreatedPrivateOnceAndReused) {
  const auto dir = temp_dir();
  const auto file = dir / "proxbox.key";
  const SecretKey first = load_or_create_key("", file);
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  EXPECT_EQ(load_or_create_key("", file), first);
  EXPECT_NE(load_or_create_key(std::string(64, 'b'), file), first) << "the environment wins";
  std::filesystem::remove_all(dir);
}

TEST(Secrets, Mask) {
  EXPECT_EQ(mask_secret(""), "");
  EXPECT_EQ(mask_secret("short"), "****");
  EXPECT_EQ(mask_secret("0123456789abcdef"), "****cdef");
}

class KeyStoreTest : public ::testing::Test {
 protected:
  common::Database database{":memory:"};
  std::mutex mutex;
  KeyStore keys{database, mutex};
};

TEST_F(KeyStoreTest, HashedVerifiedAndCached) {
  EXPECT_EQ(keys.register_first("short", "").error(), KeyNotStored::too_short);
  EXPECT_TRUE(keys.register_first(kKey, "first"));
  EXPECT_EQ(keys.register_first(kKey + "x", "again").error(), KeyNotStored::already_registered);
  auto statement = database.prepare("SELECT hash FROM api_keys");
  ASSERT_TRUE(statement.step());
  const std::string hash = statement.column_text(0);
  EXPECT_TRUE(hash.starts_with("$argon2id$")) << hash;
  EXPECT_EQ(hash.find(kKey), std::string::npos);
  EXPECT_TRUE(keys.verify(kKey));
  EXPECT_TRUE(keys.verify(kKey)) << "cached";
  EXPECT_FALSE(keys.verify(kKey + "x"));
  EXPECT_FALSE(keys.verify(""));
}

TEST_F(KeyStoreTest, DeletedKeyStopsWorkingEvenWhenCached) {
  const int64_t id = keys.add(kKey, "a").value();
  ASSERT_TRUE(keys.verify(kKey));
  EXPECT_TRUE(keys.remove(id));
  EXPECT_FALSE(keys.verify(kKey));
  EXPECT_EQ(keys.add("short", "").error(), KeyNotStored::too_short);
}

TEST(FailureLimiter, FiveFailuresThenOneMoreTryPerMinute) {
  // A decaying bucket: 5 per 5 minutes drains one failure a minute.
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  FailureLimiter limiter(5, std::chrono::minutes(5), [&] { return now; });
  for (int i = 0; i < 4; ++i)
    limiter.record_failure("10.0.0.1");
  EXPECT_FALSE(limiter.locked("10.0.0.1"));
  limiter.record_failure("10.0.0.1");
  EXPECT_TRUE(limiter.locked("10.0.0.1"));
  EXPECT_FALSE(limiter.locked("10.0.0.2")) << "per client";
  EXPECT_EQ(limiter.retry_after("10.0.0.1"), 60);
  now += std::chrono::seconds(59);
  EXPECT_TRUE(limiter.locked("10.0.0.1"));
  now += std::chrono::seconds(1);
  EXPECT_FALSE(limiter.locked("10.0.0.1"));
  limiter.record_failure("10.0.0.1");  // the one more try fails: locked again
  EXPECT_EQ(limiter.retry_after("10.0.0.1"), 60);
  now += std::chrono::minutes(5);
  EXPECT_FALSE(limiter.locked("10.0.0.1"));
  limiter.record_success("10.0.0.1");
  EXPECT_EQ(limiter.retry_after("10.0.0.1"), 0);
}

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest() {
    ServiceOptions options;
    options.encryption_key = key_from_text("test key");
    options.clock = [this] { return now; };
    options.transport_factory =
        [this](const RemoteTarget& target) -> std::shared_ptr<sync::Transport> {
      if (target.base_url.find(":8006") != std::string::npos) {
        return std::make_shared<sync::InProcessTransport>(proxmox.handler());
      }
      return std::make_shared<sync::InProcessTransport>(netbox.handler());
    };
    service = std::make_unique<Service>(std::move(options));
    sync::testing::FakeGuest web;
    web.name = "web";
    proxmox.guests = {web};
  }

  http::Response call(http::Verb method, const std::string& target, const std::string& body = {},
                      const std::string& key = kKey, const std::string& client = "127.0.0.1") {
    http::Request request = http::Request::make(method, target, body);
    if (!key.empty()) request.headers.set("X-Proxbox-API-Key", key);
    request.remote_address = client;
    return service->handle(request);
  }

  json::value body(const http::Response& response) { return json::parse(response.body); }

  void register_and_configure() {
    ASSERT_EQ(call(http::Verb::post, "/auth/register-key",
                   json::serialize(json::object{{"api_key", kKey}, {"label", "test"}}), "")
                  .code(),
              201u);
    ASSERT_EQ(call(http::Verb::post, "/netbox/endpoint",
                   json::serialize(json::object{{"name", "nb"},
                                                {"address", "127.0.0.1"},
                                                {"port", 8000},
                                                {"scheme", "http"},
                                                {"token", netbox.token}}))
                  .code(),
              201u);
    ASSERT_EQ(call(http::Verb::post, "/proxmox/endpoints",
                   json::serialize(json::object{{"name", "lab"},
                                                {"address", "127.0.0.1"},
                                                {"port", 8006},
                                                {"scheme", "http"},
                                                {"username", "root@pam"},
                                                {"token_name", "proxbox"},
                                                {"token_value", "secret"}}))
                  .code(),
              201u);
  }

  std::chrono::steady_clock::time_point now =
      std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  sync::testing::FakeProxmox proxmox;
  sync::testing::FakeNetBox netbox;
  std::unique_ptr<Service> service;
};

TEST_F(ServiceTest, OpenRoutesNeedNoKey) {
  EXPECT_EQ(call(http::Verb::get, "/", {}, "").code(), 200u);
  EXPECT_EQ(call(http::Verb::get, "/health", {}, "").code(), 200u);
  EXPECT_EQ(call(http::Verb::get, "/version", {}, "").code(), 200u);
  EXPECT_EQ(call(http::Verb::get, "/openapi.json", {}, "").code(), 200u);
  EXPECT_EQ(call(http::Verb::get, "/proxmox/endpoints", {}, "").code(), 401u);
}

TEST_F(ServiceTest, RegisterKeyOnceThenConflict) {
  EXPECT_EQ(call(http::Verb::post, "/auth/register-key", R"({"api_key":"short"})", "").code(),
            400u);
  EXPECT_EQ(call(http::Verb::post, "/auth/register-key", R"({"label":"x"})", "").code(), 422u);
  EXPECT_EQ(call(http::Verb::post, "/auth/register-key",
                 json::serialize(json::object{{"api_key", kKey}}), "")
                .code(),
            201u);
  const auto again = call(http::Verb::post, "/auth/register-key",
                          json::serialize(json::object{{"api_key", kKey + "2"}}), "");
  EXPECT_EQ(again.code(), 409u);
  EXPECT_EQ(body(again).at("detail"), "An API key is already configured.");
  EXPECT_EQ(call(http::Verb::get, "/auth/keys").code(), 200u);
  EXPECT_EQ(call(http::Verb::get, "/auth/keys", {}, kKey + "2").code(), 401u);
}

TEST_F(ServiceTest, BootstrapStatusSaysWhetherTheFirstKeyIsStillToBeRegistered) {
  auto status = body(call(http::Verb::get, "/auth/bootstrap-status", {}, ""));
  EXPECT_TRUE(status.at("needs_bootstrap").as_bool());
  EXPECT_FALSE(status.at("has_db_keys").as_bool());
  register_and_configure();
  status = body(call(http::Verb::get, "/auth/bootstrap-status", {}, ""));
  EXPECT_FALSE(status.at("needs_bootstrap").as_bool());
  EXPECT_TRUE(status.at("has_db_keys").as_bool());
}

// What the plugin sends (views/backend_sync.py: an IP-only NetBox endpoint has "domain": "")
// and what it reads back before it syncs through a row (its host as `domain or ip_address`).
TEST_F(ServiceTest, EndpointsTakeThePluginsDomainAndIpFieldsAndShowThem) {
  register_and_configure();
  const auto changed = call(
      http::Verb::put, "/netbox/endpoint/1",
      json::serialize(json::object{
          {"ip_address", "127.0.0.1"}, {"domain", ""}, {"port", 8000}, {"token_version", "v1"}}));
  ASSERT_EQ(changed.code(), 200u) << changed.body;
  auto listed = body(call(http::Verb::get, "/netbox/endpoint")).as_array().at(0);
  EXPECT_EQ(listed.at("ip_address").as_string(), "127.0.0.1");
  EXPECT_EQ(listed.at("domain").as_string(), "");
  ASSERT_EQ(call(http::Verb::put, "/netbox/endpoint/1",
                 json::serialize(
                     json::object{{"ip_address", "127.0.0.1"}, {"domain", "netbox.example.com"}}))
                .code(),
            200u);
  listed = body(call(http::Verb::get, "/netbox/endpoint")).as_array().at(0);
  EXPECT_EQ(listed.at("domain").as_string(), "netbox.example.com");
  EXPECT_EQ(listed.at("ip_address").as_string(), "");
}

TEST_F(ServiceTest, KeysCanBeAddedListedAndDeleted) {
  register_and_configure();
  const std::string second = kKey + "-second";
  const auto added = call(http::Verb::post, "/auth/keys",
                          json::serialize(json::object{{"api_key", second}, {"label", "ci"}}));
  ASSERT_EQ(added.code(), 201u);
  EXPECT_EQ(call(http::Verb::get, "/auth/keys", {}, second).code(), 200u);
  const auto listed = body(call(http::Verb::get, "/auth/keys"));
  const auto& list = listed.at("keys");
  ASSERT_EQ(list.as_array().size(), 2u);
  EXPECT_EQ(list.as_array()[0].as_object().if_contains("hash"), nullptr);
  // What the plugin checks before it stores a key (services/backend_key_adoption.py).
  EXPECT_TRUE(list.as_array()[0].at("is_active").as_bool());
  EXPECT_GT(list.as_array()[0].at("created_at").as_int64(), 1700000000);
  const auto status = body(call(http::Verb::get, "/auth/bootstrap-status", {}, ""));
  EXPECT_FALSE(status.at("needs_bootstrap").as_bool());
  EXPECT_TRUE(status.at("has_db_keys").as_bool());
  const auto id = body(added).at("id").as_int64();
  EXPECT_EQ(call(http::Verb::delete_, "/auth/keys/" + std::to_string(id)).code(), 204u);
  EXPECT_EQ(call(http::Verb::get, "/auth/keys", {}, second).code(), 401u);
}

TEST_F(ServiceTest, FiveFailuresFromOneClientAnswer429ButNotToAValidKey) {
  register_and_configure();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(call(http::Verb::get, "/proxmox/endpoints", {}, "wrong-key", "10.1.1.1").code(),
              401u);
  }
  const auto locked = call(http::Verb::get, "/proxmox/endpoints", {}, "wrong-key", "10.1.1.1");
  EXPECT_EQ(locked.code(), 429u);
  EXPECT_EQ(locked.header(http::Field::retry_after), "60");
  // Issue 12.4: the locked-out address keeps its valid key (behind a proxy every client shares
  // one address, and five bad requests used to lock the plugin out for five minutes).
  EXPECT_EQ(call(http::Verb::get, "/proxmox/endpoints", {}, kKey, "10.1.1.1").code(), 200u);
  EXPECT_EQ(call(http::Verb::get, "/proxmox/endpoints", {}, kKey, "10.1.1.2").code(), 200u);
  now += std::chrono::minutes(1);
  EXPECT_EQ(call(http::Verb::get, "/proxmox/endpoints", {}, "wrong-key", "10.1.1.1").code(), 401u);
}

TEST_F(ServiceTest, SecretsAreMaskedInAnswers) {
  register_and_configure();
  const auto netbox_list = call(http::Verb::get, "/netbox/endpoint");
  EXPECT_EQ(netbox_list.body.find(netbox.token), std::string::npos);
  EXPECT_EQ(body(netbox_list).at(0).at("token"), "****4567");
  const auto proxmox_list = call(http::Verb::get, "/proxmox/endpoints");
  EXPECT_EQ(body(proxmox_list).at(0).at("token_value"), "****");
  // PUT with the mask keeps the stored secret: a sync still authenticates.
  const auto put =
      call(http::Verb::put, "/proxmox/endpoints/1", R"({"token_value":"****","timeout":10})");
  ASSERT_EQ(put.code(), 200u);
  EXPECT_EQ(body(put).at("timeout"), 10);
  EXPECT_EQ(call(http::Verb::get, "/dcim/devices/create").code(), 200u);
  EXPECT_EQ(netbox.objects("/api/dcim/devices/").size(), 2u);
}

TEST_F(ServiceTest, OnlyOneNetBoxEndpoint) {
  register_and_configure();
  EXPECT_EQ(call(http::Verb::post, "/netbox/endpoint", R"({"address":"x","token":"y"})").code(),
            409u);
  EXPECT_EQ(call(http::Verb::put, "/netbox/endpoint/1", R"({"port":0})").code(), 422u);
  EXPECT_EQ(call(http::Verb::get, "/netbox/endpoint/7").code(), 404u);
  const auto status = body(call(http::Verb::get, "/netbox/status"));
  EXPECT_EQ(status.at("reachable"), true);
  EXPECT_EQ(status.at("netbox_version"), "4.2.2");
  EXPECT_EQ(call(http::Verb::delete_, "/netbox/endpoint/1").code(), 204u);
  EXPECT_EQ(call(http::Verb::get, "/full-update").code(), 400u);
}

TEST_F(ServiceTest, ProxmoxEndpointsCrudWithNameConflictsAndBadInput) {
  register_and_configure();
  const std::string second = R"({"name":"edge","address":"127.0.0.2","port":8006,)"
                             R"("username":"root@pam","password":"pw"})";
  const auto created = call(http::Verb::post, "/proxmox/endpoints", second);
  ASSERT_EQ(created.code(), 201u) << created.body;
  const auto id = body(created).at("id").as_int64();
  EXPECT_EQ(body(call(http::Verb::get, "/proxmox/endpoints")).as_array().size(), 2u);
  EXPECT_EQ(body(call(http::Verb::get, "/proxmox/endpoints/" + std::to_string(id))).at("name"),
            "edge");

  EXPECT_EQ(call(http::Verb::post, "/proxmox/endpoints", second).code(), 409u) << "name taken";
  const auto renamed =
      call(http::Verb::put, "/proxmox/endpoints/" + std::to_string(id), R"({"name":"lab"})");
  EXPECT_EQ(renamed.code(), 409u) << renamed.body;
  EXPECT_EQ(call(http::Verb::post, "/proxmox/endpoints", "{not json").code(), 422u);
  EXPECT_EQ(call(http::Verb::put, "/proxmox/endpoints/999", R"({"name":"x"})").code(), 404u);
  EXPECT_EQ(call(http::Verb::get, "/proxmox/endpoints/abc").code(), 404u);

  EXPECT_EQ(call(http::Verb::delete_, "/proxmox/endpoints/" + std::to_string(id)).code(), 204u);
  EXPECT_EQ(call(http::Verb::delete_, "/proxmox/endpoints/" + std::to_string(id)).code(), 404u);
  const auto left = body(call(http::Verb::get, "/proxmox/endpoints")).as_array();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left.at(0).at("name"), "lab") << "the failed rename changed nothing";
}

TEST_F(ServiceTest, CustomFieldsCreateIsIdempotentOnBothPaths) {
  register_and_configure();
  const auto first = call(http::Verb::get, "/extras/custom-fields/create");
  ASSERT_EQ(first.code(), 200u) << first.body;
  EXPECT_GE(body(first).as_array().size(), 9u);
  netbox.reset_counts();
  EXPECT_EQ(call(http::Verb::get, "/extras/extras/custom-fields/create").code(), 200u);
  EXPECT_EQ(netbox.writes(), 0u);
  EXPECT_EQ(netbox.objects("/api/extras/tags/").size(), 1u);
}

TEST_F(ServiceTest, FullUpdateThenStreamReportsZeroChanges) {
  register_and_configure();
  const auto full = call(http::Verb::get, "/full-update");
  ASSERT_EQ(full.code(), 200u) << full.body;
  EXPECT_EQ(body(full).at("kinds").at("virtual_machines").at("created"), 1);

  const auto stream = call(http::Verb::get, "/full-update/stream?dry_run=false");
  ASSERT_TRUE(stream.event_stream);
  EXPECT_EQ(stream.header(http::Field::content_type), "text/event-stream");
  struct Sink : http::EventSink {
    std::vector<std::pair<std::string, std::string>> events;
    bool send(std::string_view event, std::string_view data) override {
      events.emplace_back(event, data);
      return true;
    }
  } sink;
  netbox.reset_counts();
  stream.event_stream(sink);
  EXPECT_EQ(netbox.writes(), 0u);
  ASSERT_FALSE(sink.events.empty());
  EXPECT_EQ(sink.events.front().first, "step");
  EXPECT_EQ(sink.events.back().first, "complete");
  const auto complete = json::parse(sink.events.back().second);
  EXPECT_EQ(complete.at("ok"), true);
  EXPECT_TRUE(complete.at("errors").is_array()) << "the plugin parses a list, never a count";
  EXPECT_EQ(complete.at("result").at("created"), 0);
  EXPECT_EQ(complete.at("result").at("updated"), 0);
  EXPECT_EQ(complete.at("result").at("unchanged").as_int64() > 0, true);
  std::set<std::string> kinds;
  for (const auto& [event, data] : sink.events) {
    kinds.insert(event);
    if (event == "phase_summary") {
      const auto summary = json::parse(data);
      EXPECT_EQ(summary.at("status"), "completed");
      EXPECT_TRUE(summary.at("result").at("unchanged").is_int64()) << data;
    }
  }
  EXPECT_TRUE(kinds.count("phase_summary")) << "one per kind of the run";
}

TEST_F(ServiceTest, SecondSyncWhileOneRunsIs409AndAGoneStreamClientCancelsItsRun) {
  register_and_configure();
  // A stream's run holds the sync from the moment its route answers.
  http::Response stream = call(http::Verb::get, "/full-update/stream");
  ASSERT_TRUE(stream.event_stream);
  const auto refused = call(http::Verb::get, "/full-update");
  EXPECT_EQ(refused.code(), 409u);
  EXPECT_EQ(body(refused).at("detail"), "a sync is already running");
  EXPECT_EQ(call(http::Verb::get, "/dcim/devices/create/stream").code(), 409u);
  auto status = body(call(http::Verb::get, "/sync/status"));
  EXPECT_EQ(status.at("running"), true);
  EXPECT_EQ(status.at("scope"), "full");
  EXPECT_TRUE(status.at("last_run").is_null());

  struct GoneAfterTheFirstEvent : http::EventSink {
    std::vector<std::string> events;
    bool send(std::string_view event, std::string_view) override {
      events.emplace_back(event);
      return events.size() == 1;
    }
  } sink;
  stream.event_stream(sink);
  stream = {};
  EXPECT_EQ(sink.events.front(), "step");
  EXPECT_EQ(netbox.writes(), 0u) << "stopped before NetBox was touched";
  status = body(call(http::Verb::get, "/sync/status"));
  EXPECT_EQ(status.at("running"), false);
  EXPECT_EQ(status.at("last_run").at("cancelled"), true);

  // A stream dropped before it ever ran frees the slot too.
  EXPECT_TRUE(call(http::Verb::get, "/full-update/stream").event_stream);
  const auto next = call(http::Verb::get, "/full-update");
  ASSERT_EQ(next.code(), 200u) << next.body;
  EXPECT_EQ(body(next).at("cancelled"), false);
  EXPECT_EQ(body(next).at("kinds").at("virtual_machines").at("created"), 1);
  EXPECT_EQ(body(call(http::Verb::get, "/sync/status")).at("last_run").at("cancelled"), false);
}

TEST_F(ServiceTest, BackupsRouteReportsGuestsNotInNetBoxYetAndSyncsTheRest) {
  register_and_configure();
  sync::testing::FakeGuest db;
  db.vmid = 101;
  db.name = "db";
  proxmox.guests.push_back(db);
  proxmox.backups = {{"backup:backup/vzdump-qemu-100-2026_01_01.vma.zst", 100},
                     {"backup:backup/vzdump-qemu-101-2026_01_01.vma.zst", 101}};
  ASSERT_EQ(call(http::Verb::get, "/virtualization/virtual-machines/create").code(), 200u);
  proxmox.guests.push_back(db);  // a guest added since the virtual machine sync
  proxmox.guests.back().vmid = 102;
  proxmox.guests.back().name = "new";
  proxmox.backups.push_back({"backup:backup/vzdump-qemu-102-2026_01_01.vma.zst", 102});

  const auto response =
      call(http::Verb::get, "/virtualization/virtual-machines/backups/all/create");
  ASSERT_EQ(response.code(), 200u) << response.body;
  const auto summary = body(response);
  EXPECT_EQ(summary.at("kinds").at("backups").at("created"), 2);
  EXPECT_EQ(summary.at("errors"), 1);
  const auto& messages = summary.at("error_messages").as_array();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(std::string(messages[0].as_string())
                .find("qemu/102 (new): 1 backup skipped: the virtual machine is not in NetBox yet"),
            std::string::npos)
      << messages[0];
  EXPECT_EQ(netbox.objects("/api/virtualization/virtual-machines/").size(), 2u)
      << "the backups route creates no virtual machine";
  EXPECT_EQ(netbox.objects("/api/plugins/proxbox/backups/").size(), 2u);
}

TEST_F(ServiceTest, EndpointSelectionAndBadIds) {
  register_and_configure();
  EXPECT_EQ(
      call(http::Verb::get, "/virtualization/virtual-machines/create?proxmox_endpoint_ids=abc")
          .code(),
      422u);
  EXPECT_EQ(call(http::Verb::get, "/virtualization/virtual-machines/create?proxmox_endpoint_ids=99")
                .code(),
            400u);
  const auto selected =
      call(http::Verb::get,
           "/virtualization/virtual-machines/create?proxmox_endpoint_ids=1&dry_run=true");
  ASSERT_EQ(selected.code(), 200u);
  EXPECT_EQ(body(selected).at("dry_run"), true);
  EXPECT_EQ(netbox.objects("/api/virtualization/virtual-machines/").size(), 0u);
}

TEST_F(ServiceTest, OpenApiListsEveryRouteWithParameters) {
  const auto document = body(call(http::Verb::get, "/openapi.json", {}, "")).as_object();
  const auto& paths = document.at("paths").as_object();
  for (const char* path : {"/",
                           "/health",
                           "/version",
                           "/auth/register-key",
                           "/auth/keys",
                           "/auth/keys/{id}",
                           "/netbox/endpoint",
                           "/netbox/endpoint/{id}",
                           "/netbox/status",
                           "/proxmox/endpoints",
                           "/proxmox/endpoints/{id}",
                           "/extras/custom-fields/create",
                           "/extras/extras/custom-fields/create",
                           "/dcim/devices/create",
                           "/dcim/devices/create/stream",
                           "/virtualization/virtual-machines/create",
                           "/virtualization/virtual-machines/create/stream",
                           "/virtualization/virtual-machines/backups/all/create",
                           "/virtualization/virtual-machines/backups/all/create/stream",
                           "/full-update",
                           "/full-update/stream",
                           "/sync/status"}) {
    EXPECT_TRUE(paths.contains(path)) << path;
  }
  const auto& full = paths.at("/full-update").at("get").as_object();
  EXPECT_EQ(full.at("parameters").as_array().size(), 3u);
  EXPECT_TRUE(paths.at("/netbox/endpoint").at("post").as_object().contains("requestBody"));
  EXPECT_TRUE(paths.at("/proxmox/endpoints/{id}").at("put").as_object().contains("requestBody"));
}

// Every stage of the plugin's table has its JSON and SSE routes; those without a sync answer
// 501 naming the route, never 404; the implemented ones run.
TEST_F(ServiceTest, EveryPluginStageAnswersRunsOr501NamingTheRoute) {
  register_and_configure();
  const auto document = body(call(http::Verb::get, "/openapi.json", {}, "")).as_object();
  const auto& paths = document.at("paths").as_object();
  size_t implemented = 0;
  for (const auto& stage : plugin_stages()) {
    for (const std::string suffix : {"", "/stream"}) {
      const std::string path = std::string(stage.path) + suffix;
      ASSERT_TRUE(paths.contains(path)) << path;
      EXPECT_EQ(paths.at(path).at("get").at("x-implemented"), stage.implemented()) << path;
      const auto response = call(http::Verb::get, path);
      if (stage.implemented()) {
        EXPECT_EQ(response.code(), 200u) << path << response.body;
      } else {
        ASSERT_EQ(response.code(), 501u) << path;
        EXPECT_NE(std::string(body(response).at("detail").as_string()).find("GET " + path),
                  std::string::npos)
            << body(response);
      }
    }
    implemented += stage.implemented();
  }
  EXPECT_EQ(plugin_stages().size(), 13u);
  EXPECT_EQ(implemented, 13u) << "every stage of the plugin";
  EXPECT_EQ(plugin_stages().front().sync_type, "devices");
  EXPECT_EQ(plugin_stages().back().sync_type, "backup-routines");
}

TEST_F(ServiceTest, PerVmRoutesCheckTheVirtualMachine) {
  register_and_configure();
  ASSERT_EQ(call(http::Verb::get, "/virtualization/virtual-machines/create").code(), 200u);
  const auto vms = netbox.objects("/api/virtualization/virtual-machines/");
  ASSERT_EQ(vms.size(), 1u);
  const std::string id = std::to_string(vms[0].at("id").as_int64());

  const auto one = call(http::Verb::get, "/virtualization/virtual-machines/" + id + "/create");
  ASSERT_EQ(one.code(), 200u) << one.body;
  EXPECT_EQ(body(one).at("virtual_machine").at("name"), "web");
  EXPECT_EQ(body(one).at("created"), 0) << "nothing changed since";
  EXPECT_EQ(
      call(http::Verb::get, "/virtualization/virtual-machines/" + id + "/backups/create").code(),
      200u);

  const auto unknown = call(http::Verb::get, "/virtualization/virtual-machines/999/create");
  EXPECT_EQ(unknown.code(), 404u);
  EXPECT_EQ(body(unknown).at("detail"), "Virtual machine 999 not found in NetBox.");
  EXPECT_EQ(call(http::Verb::get, "/virtualization/virtual-machines/abc/create/stream").code(),
            422u);
  EXPECT_EQ(call(http::Verb::get, "/virtualization/virtual-machines/0/backups/create").code(),
            422u);
  EXPECT_EQ(
      call(http::Verb::get, "/virtualization/virtual-machines/" + id + "/snapshots/create").code(),
      200u);

  const auto read = call(http::Verb::get, "/virtualization/virtual-machines/" + id);
  ASSERT_EQ(read.code(), 200u);
  EXPECT_EQ(body(read).at("name"), "web");
  EXPECT_EQ(body(call(http::Verb::get, "/virtualization/virtual-machines")).as_array().size(), 1u);
  EXPECT_EQ(call(http::Verb::get, "/virtualization/virtual-machines/999").code(), 404u);
  EXPECT_EQ(call(http::Verb::get, "/virtualization/virtual-machines/x1").code(), 422u);
}

TEST_F(ServiceTest, CustomFieldReconcileBringsNetBoxToExactlyTheSetAndIsIdempotent) {
  register_and_configure();
  auto status = body(call(http::Verb::get, "/extras/bootstrap-status"));
  EXPECT_EQ(status.at("ok"), false);
  EXPECT_EQ(status.at("custom_fields").at("missing").as_array().size(),
            sync::custom_field_set().size());

  const auto first = call(http::Verb::post, "/extras/custom-fields/reconcile");
  ASSERT_EQ(first.code(), 200u) << first.body;
  EXPECT_EQ(body(first).at("ok"), true);
  EXPECT_EQ(body(first).at("custom_fields").at("created").as_array().size(),
            sync::custom_field_set().size());
  EXPECT_EQ(netbox.objects("/api/extras/custom-fields/").size(), sync::custom_field_set().size());

  netbox.reset_counts();
  const auto second = call(http::Verb::post, "/extras/custom-fields/reconcile", "{}");
  ASSERT_EQ(second.code(), 200u);
  EXPECT_EQ(netbox.writes(), 0u) << "a reconciled NetBox needs nothing";
  EXPECT_TRUE(body(second).at("custom_fields").at("updated").as_array().empty());
  status = body(call(http::Verb::get, "/extras/bootstrap-status"));
  EXPECT_EQ(status.at("ok"), true);
  EXPECT_EQ(status.at("tag"), true);

  // An operator changed a label and narrowed the object types: reported, then put back.
  json::object drifted;
  for (const auto& field : netbox.objects("/api/extras/custom-fields/")) {
    if (field.at("name") == "proxmox_node") drifted = field;
  }
  ASSERT_FALSE(drifted.empty());
  http::Request patch = http::Request::make(
      http::Verb::patch, "/api/extras/custom-fields/",
      json::serialize(json::array{json::object{{"id", drifted.at("id")},
                                               {"label", "Node"},
                                               {"object_types", json::array{"dcim.device"}}}}));
  patch.headers.set(http::Field::authorization, "Token " + netbox.token);
  patch.headers.set(http::Field::content_type, "application/json");
  ASSERT_EQ(netbox.handle(patch).code() / 100, 2u);
  status = body(call(http::Verb::get, "/extras/bootstrap-status"));
  EXPECT_EQ(status.at("ok"), false);
  EXPECT_EQ(status.at("custom_fields").at("different"),
            (json::array{"proxmox_node: label", "proxmox_node: object_types"}));
  netbox.reset_counts();
  const auto repaired = body(call(http::Verb::post, "/extras/custom-fields/reconcile"));
  EXPECT_EQ(repaired.at("custom_fields").at("updated"), json::array{"proxmox_node"});
  EXPECT_EQ(netbox.patches, 1u);
  EXPECT_EQ(repaired.at("ok"), true);

  EXPECT_EQ(call(http::Verb::post, "/extras/custom-fields/reconcile", "[1,").code(), 422u);
}

TEST_F(ServiceTest, CustomFieldSetIsUpstreamsInventory) {
  const auto fields = sync::custom_field_set();
  EXPECT_EQ(fields.size(), 43u) << "upstream's CUSTOM_FIELD_INVENTORY";
  std::set<std::string_view> names;
  for (const auto& field : fields) {
    EXPECT_TRUE(names.insert(field.name).second) << field.name;
    EXPECT_FALSE(field.object_types.empty()) << field.name;
    EXPECT_EQ(field.type == "object", !field.related_object_type.empty()) << field.name;
  }
  for (const char* name : {"proxmox_vm_id",
                           "proxmox_vm_type",
                           "proxmox_node",
                           "proxmox_cluster",
                           "proxmox_status",
                           "proxmox_start_at_boot",
                           "proxmox_qemu_agent",
                           "proxmox_unprivileged_container",
                           "proxmox_search_domain",
                           "proxmox_link",
                           "proxmox_endpoint_id",
                           "proxmox_tags",
                           "proxmox_os",
                           "proxmox_cpu_type",
                           "proxmox_uptime",
                           "proxmox_last_updated",
                           "proxmox_mac",
                           "proxbox_bridge",
                           "proxmox_vlan_id",
                           "nic_speed_gbps",
                           "nic_duplex",
                           "nic_link",
                           "hardware_chassis_serial"}) {
    EXPECT_TRUE(names.count(name)) << name;
  }
}

TEST_F(ServiceTest, RoutesThePluginCallsButNotImplementedAnswer501) {
  register_and_configure();
  for (const auto& [method, path] : std::vector<std::pair<http::Verb, std::string>>{
           {http::Verb::get, "/pbs/status"},
           {http::Verb::get, "/pdm/endpoints/3"},
           {http::Verb::post, "/intent/deletion-requests/4/approve"},
           {http::Verb::get, "/ssh/sessions"},
           {http::Verb::get, "/ws"}}) {
    const auto response = call(method, path);
    EXPECT_EQ(response.code(), 501u) << path;
    EXPECT_NE(std::string(body(response).at("detail").as_string()).find(path), std::string::npos);
  }
  const auto document = body(call(http::Verb::get, "/openapi.json", {}, "")).as_object();
  EXPECT_EQ(document.at("paths").at("/pbs/status").at("get").at("x-implemented"), false);
  EXPECT_EQ(document.at("paths").at("/sync/individual/vm").at("post").at("x-implemented"), true);
  EXPECT_EQ(document.at("paths")
                .at("/sync/individual/vm")
                .at("get")
                .at("responses")
                .at("200")
                .at("content")
                .at("application/json")
                .at("schema")
                .at("$ref"),
            "#/components/schemas/IndividualSyncResult");
  EXPECT_EQ(
      document.at("paths").at("/proxmox/firewall/vms/{vmid}/rules").at("post").at("x-implemented"),
      true);
  EXPECT_EQ(document.at("paths").at("/extras/bootstrap-status").at("get").at("x-implemented"),
            true);
  EXPECT_EQ(call(http::Verb::get, "/no/such/route").code(), 404u);
}

}  // namespace
}  // namespace pbx::api
