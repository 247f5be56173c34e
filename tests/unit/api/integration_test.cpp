// proxmox-mock, netbox-emulator and proxbox-api as real processes on ephemeral loopback ports:
// the routes, the SSE stream, idempotency, a rename, a deleted guest and injected faults.

#include <gtest/gtest.h>

#include <thread>

#include "api_stack.hpp"

namespace pbx::api {
namespace {
using namespace stack_test;

class IntegrationTest : public ApiStackTest {
 protected:
  // `proxbox-api sync` against this stack's mock and emulator, then `extra`; its result.
  common::CommandResult run_cli_sync(const std::vector<std::string>& extra = {}) {
    common::ProcessOptions options;
    options.argv = {(build_dir() / "apps/proxbox-api/proxbox-api").string(),
                    "sync",
                    "--proxmox",
                    proxmox_.url,
                    "--proxmox-token",
                    kProxmoxToken,
                    "--netbox",
                    netbox_.url,
                    "--netbox-token",
                    kNetBoxToken};
    options.argv.insert(options.argv.end(), extra.begin(), extra.end());
    return common::run_command(options, 120s);
  }
};

TEST_F(IntegrationTest, FullUpdateStreamFillsNetBoxAndSecondRunWritesNothing) {
  ASSERT_EQ(api(http::Verb::get, "/extras/custom-fields/create").status, 200u);
  std::vector<std::string> errors, types;
  const auto first = stream("/full-update/stream", &errors, &types);
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(types.front(), "step");
  EXPECT_EQ(first.at("ok"), true);
  EXPECT_EQ(first.at("errors"), json::array{});

  const auto vms = vms_by_name();
  ASSERT_EQ(vms.size(), 3u);
  const auto& web = vms.at("web");
  EXPECT_EQ(web.at("status").at("value"), "active");
  EXPECT_EQ(web.at("cluster").at("name"), "lab");
  EXPECT_EQ(web.at("memory"), 2048);
  EXPECT_EQ(web.at("custom_fields").at("proxmox_vm_id"), 100);
  EXPECT_EQ(web.at("custom_fields").at("proxmox_vm_type"), "qemu");
  EXPECT_EQ(vms.at("db").at("status").at("value"), "offline");
  EXPECT_EQ(vms.at("cache").at("role").at("name"), "Container (LXC)");
  EXPECT_EQ(netbox_list("dcim/devices/").size(), 2u);
  const auto sites = netbox_list("dcim/sites/");
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_EQ(sites[0].at("name"), "Proxmox Default Site - lab");
  EXPECT_EQ(netbox_list("plugins/proxbox/backups/").size(), 1u);

  const int64_t writes = netbox_writes();
  const auto second = stream("/full-update/stream");
  EXPECT_EQ(netbox_writes(), writes) << "an unchanged re-sync writes nothing";
  EXPECT_EQ(second.at("result").at("created"), 0);
  EXPECT_EQ(second.at("result").at("updated"), 0);
}

TEST_F(IntegrationTest, RenameUpdatesInPlaceAndDeletedGuestNeedsDeleteOrphans) {
  ASSERT_EQ(api(http::Verb::get, "/virtualization/virtual-machines/create").status, 200u);
  const int64_t web_id = vms_by_name().at("web").at("id").as_int64();

  auto cluster = lab_cluster();
  cluster.guests[0].name = "web-renamed";
  cluster.guests.pop_back();  // "cache" is gone
  load_cluster(cluster);

  const auto response = api(http::Verb::get, "/virtualization/virtual-machines/create");
  ASSERT_EQ(response.status, 200u) << response.body;
  const auto summary = response.json();
  EXPECT_EQ(summary.at("kinds").at("virtual_machines").at("updated"), 1);
  EXPECT_EQ(summary.at("kinds").at("virtual_machines").at("orphans"), 1);
  auto vms = vms_by_name();
  ASSERT_EQ(vms.size(), 3u) << "without delete_orphans the orphan stays";
  EXPECT_EQ(vms.at("web-renamed").at("id"), web_id);

  const auto dry = api(http::Verb::get,
                       "/virtualization/virtual-machines/create?delete_orphans=true&dry_run=true");
  EXPECT_EQ(dry.json().at("deleted"), 0);
  EXPECT_EQ(vms_by_name().size(), 3u);

  const auto removed =
      api(http::Verb::get, "/virtualization/virtual-machines/create?delete_orphans=true");
  EXPECT_EQ(removed.json().at("deleted"), 1);
  vms = vms_by_name();
  EXPECT_EQ(vms.size(), 2u);
  EXPECT_FALSE(vms.count("cache"));
}

TEST_F(IntegrationTest, InjectedProxmoxFaultsConvergeToTheCleanState) {
  http::Headers headers;
  headers.set(http::Field::authorization, "PVEAPIToken=" + kProxmoxToken);
  for (const char* rule :
       {R"({"path":"/api2/json/*","error":{"status":503,"rate":0.3}})",
        R"({"path":"/api2/json/nodes/*","reset_rate":0.1})",
        R"({"path":"/api2/json/nodes/*","truncate_rate":0.1})",
        R"({"path":"/api2/json/*","latency":{"kind":"uniform","min_ms":1,"max_ms":20}})"}) {
    const auto added = client_.request(http::Verb::post, proxmox_.url + "/mock/faults", rule, [&] {
      http::Headers h = headers;
      h.set(http::Field::content_type, "application/json");
      return h;
    }());
    ASSERT_EQ(added.status / 100, 2u) << added.body;
  }
  // A run may fail part-way under faults; the next runs finish the job without duplicates.
  for (int attempt = 0; attempt < 4; ++attempt) {
    const auto response = api(http::Verb::get, "/full-update");
    if (response.status == 200 && response.json().at("errors") == 0) break;
  }
  ASSERT_EQ(
      client_.request(http::Verb::delete_, proxmox_.url + "/mock/faults", {}, headers).status / 100,
      2u);
  const auto clean = api(http::Verb::get, "/full-update");
  ASSERT_EQ(clean.status, 200u);
  EXPECT_EQ(clean.json().at("errors"), 0);
  EXPECT_EQ(clean.json().at("created"), 0) << "everything was already there";
  const auto vms = vms_by_name();
  ASSERT_EQ(vms.size(), 3u);
  EXPECT_TRUE(vms.count("web") && vms.count("db") && vms.count("cache"));
  EXPECT_EQ(netbox_list("dcim/devices/").size(), 2u);
  EXPECT_EQ(netbox_list("plugins/proxbox/backups/").size(), 1u);
}

TEST_F(IntegrationTest, OneShotCliPrintsAJsonSummary) {
  const auto result = run_cli_sync();
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto summary = json::parse(result.output.substr(result.output.find('{')));
  EXPECT_EQ(summary.at("kinds").at("virtual_machines").at("created"), 3);
}

// The guest read cache (sync/guest_read_cache.hpp) of the one-shot CLI is a SQLite file: a
// second process reads no guest's config; --full-read reads them all again.
TEST_F(IntegrationTest, OneShotCliKeepsItsReadCacheInTheFileItIsGiven) {
  const auto sync = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), {"--read-cache", (dir_ / "read-cache.sqlite").string()});
    const auto result = run_cli_sync(extra);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return json::parse(result.output.substr(result.output.rfind("\n{") + 1));
  };
  const auto cold = sync({});
  EXPECT_EQ(cold.at("guests_read"), 3);
  EXPECT_EQ(cold.at("guests_cached"), 0);
  const auto warm = sync({});
  EXPECT_EQ(warm.at("guests_read"), 0);
  EXPECT_EQ(warm.at("guests_cached"), 3);
  EXPECT_EQ(warm.at("created"), 0);
  EXPECT_EQ(warm.at("updated"), 0);
  const auto full = sync({"--full-read"});
  EXPECT_EQ(full.at("guests_read"), 3);
}

// proxbox-api serve --read-cache keeps the read cache in its database: after a restart its first
// sync reads no guest's config; `?full_read=true` reads them all. Without the flag every sync
// reads every guest.
TEST_F(IntegrationTest, ServeKeepsItsReadCacheAcrossARestart) {
  const auto uncached = api(http::Verb::get, "/virtualization/virtual-machines/create");
  ASSERT_EQ(uncached.status, 200u) << uncached.body;
  EXPECT_EQ(uncached.json().at("guests_read"), 3);
  EXPECT_EQ(
      api(http::Verb::get, "/virtualization/virtual-machines/create").json().at("guests_read"), 3)
      << "no cache without --read-cache";
  const auto restart_with_cache = [&] {
    api_.process.reset();
    api_ = start("proxbox-api",
                 {(build_dir() / "apps/proxbox-api/proxbox-api").string(), "serve", "--listen",
                  "127.0.0.1:0", "--read-cache"},
                 {{"PROXBOX_DATABASE_PATH", (dir_ / "state" / "proxbox.db").string()},
                  {"PROXBOX_ENCRYPTION_KEY", std::string(64, 'c')}});
  };
  restart_with_cache();
  const auto first = api(http::Verb::get, "/virtualization/virtual-machines/create");
  ASSERT_EQ(first.status, 200u) << first.body;
  EXPECT_EQ(first.json().at("guests_read"), 3);
  restart_with_cache();
  const auto second = api(http::Verb::get, "/virtualization/virtual-machines/create");
  ASSERT_EQ(second.status, 200u) << second.body;
  EXPECT_EQ(second.json().at("guests_read"), 0);
  EXPECT_EQ(second.json().at("guests_cached"), 3);
  EXPECT_EQ(second.json().at("updated"), 0);
  const auto full = api(http::Verb::get, "/virtualization/virtual-machines/create?full_read=true");
  ASSERT_EQ(full.status, 200u) << full.body;
  EXPECT_EQ(full.json().at("guests_read"), 3);
}

TEST_F(IntegrationTest, ClosedStreamCancelsItsSyncAndASecondSyncMeanwhileIs409) {
  // Reading Proxmox takes at least a second, so the run is still reading when the client goes.
  http::Headers headers;
  headers.set(http::Field::authorization, "PVEAPIToken=" + kProxmoxToken);
  headers.set(http::Field::content_type, "application/json");
  const auto slow = client_.request(
      http::Verb::post, proxmox_.url + "/mock/faults",
      R"({"path":"/api2/json/cluster/resources","latency":{"kind":"fixed","ms":1000}})", headers);
  ASSERT_EQ(slow.status / 100, 2u) << slow.body;
  const int64_t writes_before = netbox_writes();

  std::vector<std::string> seen;
  client_.stream_events(api_.url + "/full-update/stream", api_headers(),
                        [&](std::string_view event, std::string_view) {
                          seen.emplace_back(event);
                          return false;  // close the connection after the first event
                        });
  ASSERT_EQ(seen, std::vector<std::string>{"step"});

  const auto refused = api(http::Verb::get, "/full-update");
  EXPECT_EQ(refused.status, 409u) << refused.body;
  EXPECT_EQ(refused.json().at("detail"), "a sync is already running");

  json::value status;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  do {
    std::this_thread::sleep_for(50ms);
    status = api(http::Verb::get, "/sync/status").json();
  } while (status.at("running") == true && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(status.at("running"), false) << "the cancelled sync must end";
  EXPECT_EQ(status.at("last_run").at("cancelled"), true) << status;
  EXPECT_EQ(netbox_writes(), writes_before) << "it stopped before writing to NetBox";
  EXPECT_TRUE(vms_by_name().empty());

  // The next run is whole: nothing was half-written.
  const auto next = api(http::Verb::get, "/full-update");
  ASSERT_EQ(next.status, 200u) << next.body;
  EXPECT_EQ(next.json().at("cancelled"), false);
  EXPECT_EQ(next.json().at("errors"), 0);
  EXPECT_EQ(vms_by_name().size(), 3u);
  EXPECT_EQ(netbox_list("plugins/proxbox/backups/").size(), 1u);
}

}  // namespace
}  // namespace pbx::api
