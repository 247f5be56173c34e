#include "sync/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <stop_token>

#include "fakes.hpp"
#include "sync/json_util.hpp"

namespace pbx::sync {
namespace {
namespace json = boost::json;
using testing::FakeGuest;
using testing::FakeNetBox;
using testing::FakeProxmox;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FakeGuest web;
    web.vmid = 100;
    web.name = "web";
    FakeGuest db;
    db.vmid = 101;
    db.type = "lxc";
    db.name = "db";
    db.node = "pve2";
    db.status = "stopped";
    proxmox.guests = {web, db};
    proxmox.backups = {{"backup:backup/vzdump-qemu-100-2026_01_01.vma.zst", 100}};
    proxmox_transport = std::make_shared<InProcessTransport>(proxmox.handler());
  }

  SyncSummary sync(SyncOptions options = {}) {
    NetBoxClient client(netbox_transport, "http://127.0.0.1:1", netbox.token);
    ProxmoxSource source{
        "lab", {"http://127.0.0.1:2", proxmox.token, "", ""}, proxmox_transport, "", {}};
    SyncEngine engine(client, {source}, options, [this](const SyncEvent& event) {
      events.push_back(event);
      if (on_event) on_event(event);
    });
    return engine.run();
  }

  // A run whose stop is requested from its own event stream, as the service does when the SSE
  // client has gone.
  SyncSummary sync_stopping_at(const std::function<bool(const SyncEvent&)>& stop_here) {
    std::stop_source stop;
    on_event = [&](const SyncEvent& event) {
      if (stop_here(event)) stop.request_stop();
    };
    SyncOptions options;
    options.stop = stop.get_token();
    SyncSummary summary = sync(options);
    on_event = {};
    return summary;
  }

  size_t error_events() const {
    return std::count_if(events.begin(), events.end(),
                         [](const SyncEvent& event) { return event.type == "error"; });
  }

  std::vector<json::object> vms() {
    return netbox.objects("/api/virtualization/virtual-machines/");
  }

  FakeProxmox proxmox;
  FakeNetBox netbox;
  InProcessTransport netbox_transport{netbox.handler()};
  std::shared_ptr<Transport> proxmox_transport;
  std::vector<SyncEvent> events;
  std::function<void(const SyncEvent&)> on_event;
};

TEST_F(EngineTest, FirstRunCreatesEverythingInBulk) {
  const SyncSummary summary = sync();
  EXPECT_TRUE(summary.errors.empty()) << summary.errors.front();
  EXPECT_EQ(summary.kinds.at("virtual_machines").created, 2u);
  EXPECT_EQ(summary.kinds.at("devices").created, 2u);
  EXPECT_EQ(summary.kinds.at("clusters").created, 1u);
  EXPECT_EQ(summary.kinds.at("backups").created, 1u);
  ASSERT_EQ(vms().size(), 2u);
  const auto sites = netbox.objects("/api/dcim/sites/");
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_EQ(sites[0].at("name"), "Proxmox Default Site - lab");
  EXPECT_EQ(netbox.objects("/api/dcim/device-types/").at(0).at("model"), "Proxmox Generic Device");
  EXPECT_EQ(netbox.objects("/api/dcim/device-roles/").size(), 3u);
  EXPECT_EQ(netbox.objects("/api/plugins/proxbox/backups/").size(), 1u);
  // One POST per kind, not one per object.
  EXPECT_LE(netbox.posts, 14u);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "complete");
  EXPECT_EQ(events.back().data.at("created"), summary.totals().created);
}

TEST_F(EngineTest, WithoutThePluginItsObjectsAreSkippedAndEverythingElseSyncs) {
  netbox.proxbox_plugin = false;
  const SyncSummary summary = sync();
  EXPECT_TRUE(summary.errors.empty()) << summary.errors.front();
  EXPECT_TRUE(summary.ok());
  EXPECT_EQ(summary.kinds.at("virtual_machines").created, 2u);
  EXPECT_EQ(summary.kinds.count("backups"), 0u);
  for (const auto& custom_field : netbox.objects("/api/extras/custom-fields/"))
    EXPECT_NE(custom_field.at("name"), "proxbox_storage_id");
  const bool said_so = std::any_of(events.begin(), events.end(), [](const SyncEvent& event) {
    return event.type == "step" &&
           json_string(field(event.data, "message")).find("netbox_proxbox") != std::string::npos;
  });
  EXPECT_TRUE(said_so) << "the run names what it skipped and why";
}

TEST_F(EngineTest, SecondRunWritesNothing) {
  sync();
  netbox.reset_counts();
  const SyncSummary summary = sync();
  EXPECT_EQ(netbox.writes(), 0u);
  EXPECT_EQ(summary.totals().created, 0u);
  EXPECT_EQ(summary.totals().updated, 0u);
  EXPECT_EQ(summary.kinds.at("virtual_machines").unchanged, 2u);
}

// The plugin creates some of our fields itself, for VMs only; real NetBox then refuses a device
// carrying one ("Custom field 'proxmox_node' does not exist for this object type").
TEST_F(EngineTest, AFieldSomeoneCreatedForFewerObjectTypesGainsOursAndKeepsTheirs) {
  NetBoxClient client(netbox_transport, "http://127.0.0.1:1", netbox.token);
  client.create("/extras/custom-fields/",
                {json::object{{"name", "proxmox_node"},
                              {"type", "text"},
                              {"object_types", json::array{"virtualization.virtualmachine",
                                                           "virtualization.cluster"}}}});
  const SyncSummary summary = sync();
  EXPECT_TRUE(summary.errors.empty()) << summary.errors.front();
  json::array types;
  for (const auto& custom_field : netbox.objects("/api/extras/custom-fields/")) {
    if (custom_field.at("name") == "proxmox_node")
      types = custom_field.at("object_types").as_array();
  }
  const auto has = [&](const char* type) {
    return std::find(types.begin(), types.end(), json::value(type)) != types.end();
  };
  EXPECT_TRUE(has("dcim.device")) << json::serialize(types);
  EXPECT_TRUE(has("virtualization.virtualmachine"));
  EXPECT_TRUE(has("virtualization.cluster")) << "an extra type of theirs stays";
  netbox.reset_counts();
  sync();
  EXPECT_EQ(netbox.writes(), 0u) << "widened once, then left alone";
}

TEST_F(EngineTest, RenameUpdatesInPlaceWithOnePatch) {
  sync();
  const auto before = vms();
  proxmox.guests[0].name = "web-renamed";
  netbox.reset_counts();
  const SyncSummary summary = sync();
  EXPECT_EQ(netbox.posts, 0u);
  EXPECT_EQ(netbox.patches, 1u);
  EXPECT_EQ(summary.kinds.at("virtual_machines").updated, 1u);
  const auto after = vms();
  ASSERT_EQ(after.size(), 2u);
  bool found = false;
  for (const auto& vm : after) {
    if (vm.at("name") == "web-renamed") {
      found = true;
      EXPECT_EQ(vm.at("id"), before[0].at("id"));
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(EngineTest, DeletedGuestIsKeptWithoutDeleteOrphansAndRemovedWithIt) {
  sync();
  proxmox.guests.pop_back();
  SyncSummary kept = sync();
  EXPECT_EQ(vms().size(), 2u);
  EXPECT_EQ(kept.kinds.at("virtual_machines").orphans, 1u);
  EXPECT_EQ(kept.kinds.at("virtual_machines").deleted, 0u);

  SyncOptions dry;
  dry.delete_orphans = true;
  dry.dry_run = true;
  netbox.reset_counts();
  sync(dry);
  EXPECT_EQ(netbox.writes(), 0u);
  EXPECT_EQ(vms().size(), 2u);

  SyncOptions remove;
  remove.delete_orphans = true;
  const SyncSummary removed = sync(remove);
  EXPECT_EQ(removed.kinds.at("virtual_machines").deleted, 1u);
  ASSERT_EQ(vms().size(), 1u);
  EXPECT_EQ(vms()[0].at("name"), "web");
}

TEST_F(EngineTest, DryRunReportsButWritesNothing) {
  SyncOptions options;
  options.dry_run = true;
  const SyncSummary summary = sync(options);
  EXPECT_EQ(netbox.writes(), 0u);
  EXPECT_EQ(summary.kinds.at("virtual_machines").created, 2u);
  EXPECT_TRUE(summary.dry_run);
}

TEST_F(EngineTest, UnmappableGuestIsAnErrorEventAndTheRestSyncs) {
  FakeGuest broken;
  broken.vmid = 102;
  broken.name = "broken";
  broken.config_fails = true;
  proxmox.guests.push_back(broken);
  const SyncSummary summary = sync();
  EXPECT_EQ(vms().size(), 2u);
  EXPECT_EQ(summary.kinds.at("virtual_machines").errors, 1u);
  bool error_event = false;
  for (const auto& event : events)
    error_event |= event.type == "error";
  EXPECT_TRUE(error_event);
}

TEST_F(EngineTest, AnItemNetBoxRejectsDoesNotBlockItsChunk) {
  sync();
  // Someone created a VM by hand that takes the name of a new guest in the same cluster.
  const int64_t cluster =
      json_int(field(netbox.objects("/api/virtualization/clusters/").at(0), "id"));
  InProcessTransport direct(netbox.handler());
  http::Headers headers;
  headers.set(http::Field::authorization, "Token " + netbox.token);
  direct.send(http::Verb::post, "http://x/api/virtualization/virtual-machines/",
              R"({"name":"taken","cluster":)" + std::to_string(cluster) + "}", headers);
  FakeGuest taken;
  taken.vmid = 103;
  taken.name = "taken";
  FakeGuest fine;
  fine.vmid = 104;
  fine.name = "fine";
  proxmox.guests.push_back(taken);
  proxmox.guests.push_back(fine);
  const SyncSummary summary = sync();
  EXPECT_EQ(summary.kinds.at("virtual_machines").created, 1u);
  EXPECT_EQ(summary.kinds.at("virtual_machines").errors, 1u);
  EXPECT_NE(summary.errors.at(0).find("unique per cluster"), std::string::npos);
}

TEST_F(EngineTest, DevicesScopeWritesNoVirtualMachines) {
  SyncOptions options;
  options.scope = SyncScope::devices;
  sync(options);
  EXPECT_EQ(netbox.objects("/api/dcim/devices/").size(), 2u);
  EXPECT_TRUE(vms().empty());
}

TEST_F(EngineTest, UnreachableProxmoxIsAnErrorNotACrash) {
  NetBoxClient client(netbox_transport, "http://127.0.0.1:1", netbox.token);
  ProxmoxSource source{
      "bad", {"http://127.0.0.1:2", "root@pam!x=wrong", "", ""}, proxmox_transport, "", {}};
  SyncEngine engine(client, {source}, {});
  const SyncSummary summary = engine.run();
  ASSERT_EQ(summary.errors.size(), 1u);
  EXPECT_NE(summary.errors[0].find("401"), std::string::npos);
  EXPECT_TRUE(vms().empty());
}

TEST_F(EngineTest, StopRequestedBeforeNetBoxIsTouchedWritesNothing) {
  const SyncSummary summary = sync_stopping_at([](const SyncEvent&) { return true; });
  EXPECT_TRUE(summary.cancelled);
  EXPECT_EQ(netbox.writes(), 0u);
  EXPECT_TRUE(vms().empty());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "complete");
  EXPECT_EQ(events.back().data.at("cancelled"), true);
}

TEST_F(EngineTest, StopDuringWritesEndsBetweenBatchesAndTheNextRunFinishesTheJob) {
  proxmox.guests.clear();
  for (int i = 0; i < 1200; ++i) {
    FakeGuest guest;
    guest.vmid = 1000 + i;
    guest.name = "guest-" + std::to_string(i);
    guest.node = i % 2 ? "pve1" : "pve2";
    proxmox.guests.push_back(guest);
  }
  proxmox.backups = {{"backup:backup/vzdump-qemu-1000-2026_01_01.vma.zst", 1000}};
  SyncOptions with_orphans;
  with_orphans.delete_orphans = true;
  const SyncSummary stopped = sync_stopping_at([](const SyncEvent& event) {
    const auto message = event.data.if_contains("message");
    return message && message->as_string() == "virtual_machines: 500 of 1200 created";
  });
  EXPECT_TRUE(stopped.cancelled);
  // The stop came with the first batch's answer; the batches already sent (up to
  // kWritesInFlight) complete, whole, and no batch starts after the stop.
  const size_t created = stopped.kinds.at("virtual_machines").created;
  EXPECT_GE(created, NetBoxClient::kWriteChunk) << "the batch sent completes";
  EXPECT_LE(created, NetBoxClient::kWriteChunk * NetBoxClient::kWritesInFlight)
      << "no batch after the stop";
  EXPECT_LT(created, 1200u) << "no batch after the stop";
  EXPECT_EQ(created % NetBoxClient::kWriteChunk, 0u) << "batches are whole";
  EXPECT_EQ(vms().size(), created);
  EXPECT_TRUE(netbox.objects("/api/plugins/proxbox/backups/").empty());
  EXPECT_EQ(netbox.deletes, 0u);

  const SyncSummary resumed = sync();
  EXPECT_FALSE(resumed.cancelled);
  EXPECT_TRUE(resumed.errors.empty()) << resumed.errors.front();
  EXPECT_EQ(resumed.kinds.at("virtual_machines").unchanged, created);
  EXPECT_EQ(resumed.kinds.at("virtual_machines").created, 1200u - created);
  EXPECT_EQ(vms().size(), 1200u);
  EXPECT_EQ(netbox.objects("/api/plugins/proxbox/backups/").size(), 1u);
}

TEST_F(EngineTest, BackupsScopeSkipsGuestsNotInNetBoxYetWithOneErrorEach) {
  proxmox.backups.push_back({"backup:backup/vzdump-qemu-100-2026_01_02.vma.zst", 100});
  proxmox.backups.push_back({"backup:backup/vzdump-lxc-101-2026_01_02.tar.zst", 101});
  SyncOptions backups_only;
  backups_only.scope = SyncScope::backups;
  const SyncSummary before_vms = sync(backups_only);
  EXPECT_TRUE(vms().empty()) << "the backups route writes no virtual machines";
  EXPECT_TRUE(netbox.objects("/api/plugins/proxbox/backups/").empty());
  EXPECT_EQ(before_vms.kinds.at("backups").created, 0u);
  ASSERT_EQ(before_vms.errors.size(), 2u) << "one per guest, not one per backup";
  EXPECT_EQ(error_events(), 2u);
  EXPECT_NE(before_vms.errors[0].find("lxc/101 (db): 1 backup skipped"), std::string::npos)
      << before_vms.errors[0];
  EXPECT_NE(before_vms.errors[1].find("qemu/100 (web): 2 backups skipped: the virtual machine "
                                      "is not in NetBox yet"),
            std::string::npos)
      << before_vms.errors[1];

  SyncOptions vms_only;
  vms_only.scope = SyncScope::virtual_machines;
  sync(vms_only);
  events.clear();
  const SyncSummary after_vms = sync(backups_only);
  EXPECT_TRUE(after_vms.errors.empty()) << after_vms.errors.front();
  EXPECT_EQ(after_vms.kinds.at("backups").created, 3u);
  EXPECT_EQ(netbox.objects("/api/plugins/proxbox/backups/").size(), 3u);
}

TEST_F(EngineTest, DryRunOfAFullSyncCountsBackupsOfVirtualMachinesItWouldCreate) {
  SyncOptions options;
  options.dry_run = true;
  const SyncSummary summary = sync(options);
  EXPECT_TRUE(summary.errors.empty()) << summary.errors.front();
  EXPECT_EQ(summary.kinds.at("backups").created, 1u);
  EXPECT_EQ(netbox.writes(), 0u);
}

TEST_F(EngineTest, ListsAskOnlyForTheFieldsTheDiffCompares) {
  testing::RecordingTransport recording(netbox_transport);
  auto run = [&] {
    NetBoxClient client(recording, "http://127.0.0.1:1", netbox.token);
    ProxmoxSource source{
        "lab", {"http://127.0.0.1:2", proxmox.token, "", ""}, proxmox_transport, "", {}};
    return SyncEngine(client, {source}, {}).run();
  };
  run();
  recording.clear();
  netbox.reset_counts();
  run();
  EXPECT_EQ(netbox.writes(), 0u) << "what the lists leave out is nothing the diff compares";
  bool vm_list = false;
  for (const auto& url : recording.urls()) {
    if (url.find("/virtualization/virtual-machines/?") == std::string::npos) continue;
    if (url.find("primary_ip4") != std::string::npos) continue;  // the IP addresses stage's
    vm_list = true;
    EXPECT_NE(
        url.find(
            "fields=cluster%2Ccustom_fields%2Cdescription%2Cdevice%2Cdisk%2Cid%2Cmemory%2Cname%2C"
            "role%2Cstatus%2Ctags%2Cvcpus"),
        std::string::npos)
        << url;
  }
  EXPECT_TRUE(vm_list);
}

}  // namespace
}  // namespace pbx::sync
