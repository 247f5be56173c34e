// The sync engine against the real proxmox-mock Engine and netbox-emulator Emulator linked
// into this process (the E2E `mock_backend` path): no sockets, same handlers as the programs.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "inprocess_stack.hpp"
#include "netbox/emulator.hpp"
#include "proxmox/engine.hpp"
#include "sync/engine.hpp"
#include "sync/json_util.hpp"

namespace pbx::sync {
namespace {
namespace json = boost::json;

proxmox::ClusterScenario cluster() {
  proxmox::GenerateOptions options;
  options.clusters = 1;
  options.nodes = 3;
  options.guests = 40;
  options.backups_per_guest = 1;
  options.prefix = "inproc";
  return proxmox::generate_scenario(options).clusters.front();
}

class InProcessIntegration : public ::testing::Test, public testing::InProcessStack {
 protected:
  InProcessIntegration()
      : InProcessStack(cluster(), netbox::EmulatorOptions{.strict_fields = true}, "inproc") {}

  // A clean first run, then a run with `delete_orphans` under the injected faults: it must
  // delete nothing, keep every object and report the run as failed.
  SyncSummary orphan_run_under(const std::vector<json::object>& rules) {
    const auto first = sync();
    EXPECT_TRUE(first.ok()) << (first.errors.empty() ? "" : first.errors.front());
    vms_before = netbox.list("/virtualization/virtual-machines/").size();
    backups_before = netbox.list("/plugins/proxbox/backups/").size();
    EXPECT_GT(backups_before, 0u);
    for (const auto& rule : rules)
      inject_fault(rule);
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
  EXPECT_THROW(SyncEngine(failing_netbox, {source()}, {}).run(), NetBoxError);
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
