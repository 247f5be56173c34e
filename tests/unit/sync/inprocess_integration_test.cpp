// The sync engine against the real proxmox-mock Engine and netbox-emulator Emulator linked
// into this process (the E2E `mock_backend` path): no sockets, same handlers as the programs.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "netbox/emulator.hpp"
#include "proxmox/engine.hpp"
#include "sync/engine.hpp"
#include "sync/json_util.hpp"

namespace pbx::sync {
namespace {
namespace json = boost::json;

const std::string kProxmoxToken = "root@pam!proxbox=00000000-0000-0000-0000-000000000000";

proxmox::ClusterScenario cluster() {
  proxmox::GenerateOptions options;
  options.clusters = 1;
  options.nodes = 3;
  options.guests = 40;
  options.backups_per_guest = 1;
  options.prefix = "inproc";
  return proxmox::generate_scenario(options).clusters.front();
}

class InProcessIntegration : public ::testing::Test {
 protected:
  InProcessIntegration()
      : mock([] {
          proxmox::EngineOptions options;
          options.cluster = cluster();
          return options;
        }()),
        emulator(netbox::EmulatorOptions{.strict_fields = true}),
        proxmox_transport(std::make_shared<InProcessTransport>(mock.as_handler())),
        netbox_transport(emulator.handler()),
        netbox(netbox_transport, "http://127.0.0.1:1", netbox::kDefaultToken) {}

  SyncSummary sync(SyncOptions options = {}) {
    ProxmoxSource source{
        "inproc", {"http://127.0.0.1:2", kProxmoxToken, "", ""}, proxmox_transport, "", {}};
    return SyncEngine(netbox, {source}, options).run();
  }

  // Adds a fault rule to the mock through its admin API, as a test harness would over HTTP.
  void inject(const json::object& rule) {
    http::Request request =
        http::Request::make(http::Verb::post, "/mock/faults", json::serialize(rule));
    request.headers.set(http::Field::content_type, "application/json");
    request.headers.set(http::Field::authorization, "PVEAPIToken=" + kProxmoxToken);
    const auto response = mock.as_handler()(request);
    ASSERT_EQ(response.code() / 100, 2u) << response.body;
  }

  // A clean first run, then a run with `delete_orphans` under the injected faults: it must
  // delete nothing, keep every object and report the run as failed.
  SyncSummary orphan_run_under(const std::vector<json::object>& rules) {
    const auto first = sync();
    EXPECT_TRUE(first.ok()) << (first.errors.empty() ? "" : first.errors.front());
    vms_before = netbox.list("/virtualization/virtual-machines/").size();
    backups_before = netbox.list("/plugins/proxbox/backups/").size();
    EXPECT_GT(backups_before, 0u);
    for (const auto& rule : rules)
      inject(rule);
    SyncOptions options;
    options.delete_orphans = true;
    const auto summary = sync(options);
    EXPECT_EQ(summary.totals().deleted, 0u);
    EXPECT_EQ(summary.netbox_requests.del, 0u);
    EXPECT_EQ(netbox.list("/virtualization/virtual-machines/").size(), vms_before);
    EXPECT_EQ(netbox.list("/plugins/proxbox/backups/").size(), backups_before);
    EXPECT_FALSE(summary.ok());
    EXPECT_FALSE(summary.errors.empty());
    EXPECT_EQ(summary.to_json().at("ok"), false);
    return summary;
  }

  int64_t writes() {
    http::Headers headers;
    headers.set(http::Field::authorization, std::string("Token ") + netbox::kDefaultToken);
    return netbox_transport.send(http::Verb::get, "http://x/api/__emulator__/stats/", {}, headers)
        .json()
        .at("writes")
        .as_int64();
  }

  proxmox::Engine mock;
  netbox::Emulator emulator;
  std::shared_ptr<Transport> proxmox_transport;
  InProcessTransport netbox_transport;
  NetBoxClient netbox;
  size_t vms_before = 0, backups_before = 0;
};

TEST_F(InProcessIntegration, AGuestWhoseConfigAnswers500IsKeptNotDeleted) {
  const auto guest = cluster().guests.front();
  const auto summary =
      orphan_run_under({{{"path", "/api2/json/nodes/" + guest.node + "/" + guest.type + "/" +
                                      std::to_string(guest.vmid) + "/config"},
                         {"error", {{"status", 500}, {"rate", 1}}}}});
  EXPECT_EQ(summary.kinds.at("virtual_machines").unknown, 1u);
  EXPECT_EQ(summary.kinds.at("virtual_machines").orphans, 0u);
  EXPECT_EQ(netbox.list("/virtualization/virtual-machines/", {{"name", guest.name}}).size(), 1u);
  bool named = false;
  for (const auto& error : summary.errors)
    named |= error.find(std::to_string(guest.vmid)) != std::string::npos;
  EXPECT_TRUE(named) << "the summary names the unreadable guest";
}

TEST_F(InProcessIntegration, ANodeAnswering595KeepsItsGuestsAndBackups) {
  const auto scenario = cluster();
  const std::string node = scenario.nodes.front().name;
  const auto on_node = std::count_if(scenario.guests.begin(), scenario.guests.end(),
                                     [&](const auto& guest) { return guest.node == node; });
  ASSERT_GT(on_node, 0);
  const auto summary = orphan_run_under(
      {{{"path", "/api2/json/nodes/" + node + "/*"}, {"error", {{"status", 595}, {"rate", 1}}}}});
  EXPECT_EQ(summary.kinds.at("virtual_machines").unknown, static_cast<size_t>(on_node));
}

TEST_F(InProcessIntegration, FailedStorageContentListingsKeepEveryBackup) {
  const auto summary = orphan_run_under({{{"path", "/api2/json/nodes/*/storage/*/content"},
                                          {"error", {{"status", 503}, {"rate", 1}}}}});
  EXPECT_EQ(summary.kinds.at("backups").unknown, backups_before);
  EXPECT_EQ(summary.kinds.at("backups").orphans, 0u);
  EXPECT_EQ(summary.kinds.at("virtual_machines").unknown, 0u) << "guests were read";
}

// NetBox failing (5xx) is the run's failure: no item-by-item fallback that would pay a failed
// request per object.
TEST_F(InProcessIntegration, NetBoxFailingWritesStopsTheRunWithoutPerItemFallback) {
  std::atomic<int> vm_posts{0};
  InProcessTransport failing([&](http::Request& request) {
    if (request.method == http::Verb::post &&
        request.path.find("/virtual-machines/") != std::string::npos) {
      ++vm_posts;
      return http::Response::json(http::Status::service_unavailable,
                                  json::object{{"detail", "down"}});
    }
    return emulator.handler()(request);
  });
  NetBoxClient failing_netbox(failing, "http://127.0.0.1:1", netbox::kDefaultToken);
  ProxmoxSource source{
      "inproc", {"http://127.0.0.1:2", kProxmoxToken, "", ""}, proxmox_transport, "", {}};
  EXPECT_THROW(SyncEngine(failing_netbox, {source}, {}).run(), NetBoxError);
  EXPECT_EQ(vm_posts.load(), 1) << "one bulk POST, not one per guest";
}

TEST_F(InProcessIntegration, SyncsIdempotentlyAndRenamesInPlace) {
  const auto first = sync();
  ASSERT_TRUE(first.errors.empty()) << first.errors.front();
  const auto expected = cluster();
  EXPECT_EQ(netbox.list("/virtualization/virtual-machines/").size(), expected.guests.size());
  EXPECT_EQ(netbox.list("/dcim/devices/").size(), expected.nodes.size());
  EXPECT_EQ(first.kinds.at("backups").created, expected.backups.size());

  const int64_t before = writes();
  const auto second = sync();
  EXPECT_TRUE(second.errors.empty()) << second.errors.front();
  EXPECT_EQ(writes(), before) << "unchanged re-sync must not write";

  auto renamed = expected;
  renamed.guests.front().name += "-renamed";
  mock.load(renamed);
  const auto third = sync();
  EXPECT_EQ(third.kinds.at("virtual_machines").updated, 1u);
  EXPECT_EQ(third.netbox_requests.patch, 1u);
  EXPECT_EQ(third.netbox_requests.post, 0u);
  EXPECT_EQ(
      netbox.list("/virtualization/virtual-machines/", {{"name", renamed.guests.front().name}})
          .size(),
      1u);
}

}  // namespace
}  // namespace pbx::sync
