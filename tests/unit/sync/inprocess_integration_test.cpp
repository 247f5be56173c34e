// The sync engine against the real proxmox-mock Engine and netbox-emulator Emulator linked
// into this process (the E2E `mock_backend` path): no sockets, same handlers as the programs.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

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
};

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
