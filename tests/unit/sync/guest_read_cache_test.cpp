// The guest read cache (sync/guest_read_cache.hpp): its signature, its serialized form and its
// rules on their own, then through the real proxmox-mock Engine and netbox-emulator in this
// process: a cold run reads every guest, an unchanged one none, a change visible in
// /cluster/resources exactly that guest, an invisible one after the max age or with a full read.

#include "sync/guest_read_cache.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "read_cache_stack.hpp"
#include "sync/plugin_mapping.hpp"

namespace pbx::sync {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;
using testing::ReadCacheStack;
using testing::TempDir;

json::object resources_entry() {
  return json::parse(R"({"type":"qemu","vmid":100,"name":"web","node":"pve1","status":"running",
    "maxcpu":2,"maxmem":2147483648,"maxdisk":34359738368,"template":0,"tags":"a;b",
    "cpu":0.1,"mem":123,"netin":5,"netout":6,"diskread":7,"diskwrite":8,"uptime":100})")
      .as_object();
}

TEST(ResourcesSignature, IgnoresCountersAndSeesConfigFields) {
  const json::object entry = resources_entry();
  json::object counters = entry;
  counters["cpu"] = 0.9;
  counters["mem"] = 999;
  counters["netin"] = 50;
  counters["uptime"] = 5000;
  EXPECT_EQ(resources_signature(entry), resources_signature(counters));
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, json::value>>{{"name", json::value("web2")},
                                                        {"maxmem", json::value(1)},
                                                        {"status", json::value("stopped")},
                                                        {"node", json::value("pve2")},
                                                        {"tags", json::value("a")},
                                                        {"lock", json::value("backup")},
                                                        {"hastate", json::value("started")}}) {
    json::object changed = entry;
    changed[name] = value;
    EXPECT_NE(resources_signature(entry), resources_signature(changed)) << name;
  }
}

CachedGuest sample_entry() {
  CachedGuest guest;
  guest.signature = "sig|";
  guest.booted_at = 42;
  guest.read_at = 1000;
  guest.digest = "abc";
  guest.onboot = true;
  guest.agent = true;
  guest.description = "multi\nline \"quoted\"";
  guest.tags = {"prod", "web"};
  guest.ip_addresses = {"192.0.2.1/24"};
  guest.devices.disks = {{"scsi0", "local-lvm", "local-lvm:vm-100-disk-0", 1 << 30}};
  GuestNic nic;
  nic.key = "net0";
  nic.model = "virtio";
  nic.mac = "BC:24:11:00:00:01";
  nic.bridge = "vmbr0";
  nic.vlan_tag = 20;
  nic.mtu = 1500;
  nic.firewall = true;
  nic.addresses = {"10.0.0.1/24"};
  nic.addresses_known = false;
  guest.devices.nics = {nic};
  guest.devices.agent_interfaces = {{"ens18", "bc:24:11:00:00:01", {"192.0.2.1/24"}}};
  guest.devices.agent_answered = true;
  ProxmoxGuestSnapshot first;
  first.name = "base";
  first.description = "clean \"install\"";
  first.snaptime = 1767225600;
  first.vmstate = true;
  ProxmoxGuestSnapshot second;
  second.name = "upgrade";
  second.parent = "base";
  guest.snapshots = {{first, second}};
  return guest;
}

TEST(CachedGuests, SerializeRoundTrips) {
  const CachedGuest original = sample_entry();
  const CachedGuest back = parse_cached_guest(serialize_cached_guest(original));
  EXPECT_NO_THROW(parse_cached_guest(serialize_cached_guest(CachedGuest{})));
  EXPECT_EQ(back.signature, original.signature);
  EXPECT_EQ(back.booted_at, 42);
  EXPECT_EQ(back.read_at, 1000);
  EXPECT_EQ(back.digest, "abc");
  EXPECT_TRUE(back.onboot && back.agent && !back.unprivileged);
  EXPECT_EQ(back.description, original.description);
  EXPECT_EQ(back.tags, original.tags);
  EXPECT_EQ(back.ip_addresses, original.ip_addresses);
  ASSERT_EQ(back.devices.disks.size(), 1u);
  EXPECT_EQ(back.devices.disks[0].volume, "local-lvm:vm-100-disk-0");
  EXPECT_EQ(back.devices.disks[0].size_bytes, 1 << 30);
  ASSERT_EQ(back.devices.nics.size(), 1u);
  const GuestNic& nic = back.devices.nics[0];
  EXPECT_EQ(nic.mac, "BC:24:11:00:00:01");
  EXPECT_EQ(nic.vlan_tag, 20);
  EXPECT_EQ(nic.mtu, 1500);
  EXPECT_TRUE(nic.firewall);
  EXPECT_FALSE(nic.addresses_known);
  EXPECT_EQ(nic.addresses, std::vector<std::string>{"10.0.0.1/24"});
  ASSERT_EQ(back.devices.agent_interfaces.size(), 1u);
  EXPECT_EQ(back.devices.agent_interfaces[0].addresses, std::vector<std::string>{"192.0.2.1/24"});
  EXPECT_TRUE(back.devices.agent_answered);
  ASSERT_TRUE(back.snapshots);
  ASSERT_EQ(back.snapshots->size(), 2u);
  EXPECT_EQ((*back.snapshots)[0].name, "base");
  EXPECT_EQ((*back.snapshots)[0].description, "clean \"install\"");
  EXPECT_EQ((*back.snapshots)[0].snaptime, 1767225600);
  EXPECT_TRUE((*back.snapshots)[0].vmstate);
  EXPECT_EQ((*back.snapshots)[1].name, "upgrade");
  EXPECT_EQ((*back.snapshots)[1].parent, "base");
  EXPECT_FALSE((*back.snapshots)[1].vmstate);
}

// Not read (nullopt) and read as empty are different things, and stay so in the file; a row
// written before snapshots were cached (11 elements after the format) reads as not read.
TEST(CachedGuests, ASnapshotListNotReadStaysUnknownAndAnEmptyOneEmpty) {
  CachedGuest unread = sample_entry();
  unread.snapshots.reset();
  EXPECT_FALSE(parse_cached_guest(serialize_cached_guest(unread)).snapshots);
  CachedGuest none = sample_entry();
  none.snapshots.emplace();
  const auto back = parse_cached_guest(serialize_cached_guest(none)).snapshots;
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->empty());
  const CachedGuest older = parse_cached_guest(R"([1,"s",0,0,"",0,"",[],[],[],[],[]])");
  EXPECT_FALSE(older.snapshots);
}

// The cached list given to a guest carries that guest's vmid, type and node (the row does not
// store them).
TEST(CachedGuests, ApplyGivesTheSnapshotsTheirGuest) {
  const CachedGuest cached = parse_cached_guest(serialize_cached_guest(sample_entry()));
  ProxmoxGuest guest;
  guest.vmid = 100;
  guest.type = "qemu";
  guest.node = "pve1";
  apply_cached(cached, guest);
  EXPECT_EQ(guest.description, cached.description);
  ASSERT_TRUE(guest.snapshots);
  ASSERT_EQ(guest.snapshots->size(), 2u);
  for (const auto& item : *guest.snapshots) {
    EXPECT_EQ(item.vmid, 100);
    EXPECT_EQ(item.guest_type, "qemu");
    EXPECT_EQ(item.node, "pve1");
  }
  const CachedGuest entry = cache_entry_of(guest);
  ASSERT_TRUE(entry.snapshots);
  EXPECT_EQ(entry.snapshots->size(), 2u);
  EXPECT_EQ(entry.devices.nics.size(), 1u);
}

TEST(CachedGuests, MalformedDocumentsThrow) {
  for (const char* text : {"", "[", "{}", "[]", R"([2,"s",0,0,"",0,"",[],[],[],[],[]])",
                           R"([1,"s",0,0,"",0,"",[],[],[["a"]],[],[]])", R"([1,"s"])",
                           R"([1,"s",0,0,"",0,"",[],[],[],[],[],[["a"]]])",
                           R"([1,"s",0,0,"",0,"",[],[],[],[],[],{}])"}) {
    EXPECT_ANY_THROW(parse_cached_guest(text)) << text;
  }
}

TEST(GuestReadCache, UsableUntilChangedRestartedOrOld) {
  int64_t now = 1000;
  GuestReadCache cache({std::chrono::seconds(600), [&] { return now; }});
  CachedGuest entry;
  entry.signature = "s";
  entry.booted_at = 900;  // read at 1000 with an uptime of 100
  entry.read_at = 1000;
  EXPECT_TRUE(cache.usable(entry, "s", 100));
  now = 1300;
  EXPECT_TRUE(cache.usable(entry, "s", 400)) << "still the same boot";
  EXPECT_TRUE(cache.usable(entry, "s", 350)) << "clocks apart by less than the slack";
  EXPECT_FALSE(cache.usable(entry, "t", 400)) << "signature changed";
  EXPECT_FALSE(cache.usable(entry, "s", 10)) << "booted at 1290: restarted";
  now = 1599;
  EXPECT_TRUE(cache.usable(entry, "s", 699));
  now = 1600;
  EXPECT_FALSE(cache.usable(entry, "s", 700)) << "max age";
  now = 900;
  EXPECT_FALSE(cache.usable(entry, "s", 0)) << "read in the future: the clock moved";
  CachedGuest stopped = entry;
  stopped.booted_at = 0;
  now = 1100;
  EXPECT_TRUE(cache.usable(stopped, "s", 0));
}

TEST_F(ReadCacheStack, ColdRunReadsEveryGuestAnUnchangedOneNoneAndWritesNothing) {
  const size_t guests = scenario.guests.size();
  const auto cold = run();
  EXPECT_EQ(cold.guests_read, guests);
  EXPECT_EQ(cold.guests_cached, 0u);
  EXPECT_GE(guests_requested().size(), guests);
  const std::string before = netbox_state();
  const int64_t writes = this->writes();

  const auto again = run();
  EXPECT_EQ(again.guests_read, 0u);
  EXPECT_EQ(again.guests_cached, guests);
  EXPECT_TRUE(guests_requested().empty()) << "no /config or agent request";
  EXPECT_LT(again.proxmox_requests, cold.proxmox_requests);
  EXPECT_EQ(again.netbox_requests.writes(), 0u);
  EXPECT_EQ(this->writes(), writes);
  EXPECT_EQ(netbox_state(), before);
}

TEST_F(ReadCacheStack, ARenameAndAMemoryChangeReReadExactlyThoseGuests) {
  run();
  const auto& vm = guest_of_type("qemu");
  const auto& ct = guest_of_type("lxc");
  proxmox(http::Verb::put, config_path(vm), {{"name", vm.name + "-renamed"}});
  proxmox(http::Verb::put, config_path(ct), {{"memory", "3072"}});
  const auto summary = run();
  EXPECT_EQ(summary.guests_read, 2u);
  EXPECT_EQ(summary.guests_cached, scenario.guests.size() - 2);
  const auto requested = guests_requested();
  EXPECT_EQ(std::set<int>(requested.begin(), requested.end()), (std::set<int>{vm.vmid, ct.vmid}));
  EXPECT_FALSE(vm_named(vm.name + "-renamed").empty());
  EXPECT_EQ(vm_named(ct.name).at("memory"), 3072);
}

TEST_F(ReadCacheStack, AChangeResourcesDoNotShowIsReadAfterTheMaxAge) {
  run();
  const auto& ct = guest_of_type("lxc");
  const std::string mac = "BC:24:11:AB:CD:EF";
  change_container_mac(ct, mac);
  proxmox(http::Verb::put, config_path(ct), {{"description", "changed behind our back"}});
  const auto stale = run();
  EXPECT_EQ(stale.guests_read, 0u) << "within the max age the cache stands";
  EXPECT_EQ(netbox_state().find(mac), std::string::npos);

  now_ += 601;
  const auto aged = run();
  EXPECT_EQ(aged.guests_read, scenario.guests.size());
  EXPECT_NE(netbox_state().find(mac), std::string::npos);
  EXPECT_EQ(vm_named(ct.name).at("description"), "changed behind our back");
  EXPECT_EQ(run().guests_read, 0u) << "read again just now";
}

// A single-guest sync (proxbox-api's /sync/individual/vm) lists only its guest: it reads that
// one fresh and keeps every other entry, so the next full run still reads nothing and cannot
// write the guest's older config back.
TEST_F(ReadCacheStack, ASingleGuestSyncReadsItsGuestFreshAndKeepsTheOthers) {
  run();
  const auto& ct = guest_of_type("lxc");
  const std::string mac = "BC:24:11:AB:CD:02";
  change_container_mac(ct, mac);
  only_vmid_ = ct.vmid;
  const auto single = run();
  EXPECT_EQ(single.guests_read, 1u);
  EXPECT_EQ(cache_->size(read_cache_key(source().name, source().credentials.base_url)),
            scenario.guests.size());
  EXPECT_NE(netbox_state().find(mac), std::string::npos);

  only_vmid_.reset();
  const auto full = run();
  EXPECT_EQ(full.guests_read, 0u) << "the others' entries survived the narrowed run";
  EXPECT_NE(netbox_state().find(mac), std::string::npos) << "the fresh entry, not the old one";
}

TEST_F(ReadCacheStack, AFullReadSeesAnInvisibleChangeAtOnce) {
  run();
  const auto& ct = guest_of_type("lxc");
  const std::string mac = "BC:24:11:AB:CD:01";
  change_container_mac(ct, mac);
  const auto full = run(/*full_read=*/true);
  EXPECT_EQ(full.guests_read, scenario.guests.size());
  EXPECT_EQ(full.guests_cached, 0u);
  EXPECT_NE(netbox_state().find(mac), std::string::npos);
}

TEST_F(ReadCacheStack, AFailedConfigReadIsUnknownAndReadAgainNextRun) {
  run();
  const auto& vm = guest_of_type("qemu");
  // The rename makes the run read the guest; its config then fails.
  proxmox(http::Verb::put, config_path(vm), {{"name", vm.name + "-x"}});
  inject_fault({{"method", "GET"},
                {"path", "/api2/json" + config_path(vm)},
                {"error", {{"status", 500}, {"rate", 1.0}}}});
  expect_ok_ = false;
  const size_t vms = list("/virtualization/virtual-machines/").size();
  auto failed = [&] {
    SyncOptions with_delete;
    with_delete.delete_orphans = true;
    with_delete.reader.read_cache = cache_;
    return SyncEngine(netbox, {source()}, with_delete).run();
  }();
  EXPECT_EQ(failed.kinds.at("virtual_machines").unknown, 1u);
  EXPECT_EQ(failed.totals().deleted, 0u);
  EXPECT_EQ(list("/virtualization/virtual-machines/").size(), vms);
  EXPECT_EQ(cache_->size(read_cache_key("rcache", source().credentials.base_url)),
            scenario.guests.size() - 1)
      << "the unreadable guest left the cache";

  proxmox_transport->send(http::Verb::delete_, "http://x/mock/faults", {}, {});
  expect_ok_ = true;
  const auto next = run();
  EXPECT_EQ(next.guests_read, 1u);
  EXPECT_EQ(guests_requested().count(vm.vmid), 1u);
  EXPECT_FALSE(vm_named(vm.name + "-x").empty());
}

TEST_F(ReadCacheStack, AGuestRemovedInProxmoxLeavesTheCache) {
  run();
  const std::string key = read_cache_key("rcache", source().credentials.base_url);
  ASSERT_EQ(cache_->size(key), scenario.guests.size());
  const proxmox::GuestScenario* stopped = nullptr;
  for (const auto& guest : scenario.guests) {
    if (guest.status == "stopped") stopped = &guest;
  }
  ASSERT_NE(stopped, nullptr) << "the scenario has a stopped guest";
  proxmox(http::Verb::delete_,
          "/nodes/" + stopped->node + "/" + stopped->type + "/" + std::to_string(stopped->vmid));
  const auto summary = run();
  EXPECT_EQ(summary.guests_read, 0u);
  EXPECT_EQ(cache_->size(key), scenario.guests.size() - 1);
  const auto entries = cache_->entries(key);
  ASSERT_TRUE(entries);
  EXPECT_FALSE(entries->count(stopped->vmid));
}

TEST_F(ReadCacheStack, AStoppedRunLeavesTheCacheAsItWas) {
  std::stop_source stop;
  stop.request_stop();
  SyncOptions options;
  options.reader.read_cache = cache_;
  options.stop = stop.get_token();
  ProxmoxSource counted = source();
  SyncEngine(netbox, {counted}, options).run();
  EXPECT_EQ(cache_->size(read_cache_key("rcache", source().credentials.base_url)), 0u);
  EXPECT_FALSE(cache_->entries(read_cache_key("rcache", source().credentials.base_url)));
}

TEST_F(ReadCacheStack, APersistedCacheServesAFreshProcess) {
  TempDir dir;
  const std::string file = (dir.path / "cache.sqlite").string();
  std::vector<std::string> warnings;
  const auto warn = [&](const std::string& message) { warnings.push_back(message); };
  {
    auto opened =
        open_read_cache_file(file, {std::chrono::seconds(600), [this] { return now_; }}, warn);
    ASSERT_TRUE(opened);
    cache_ = opened->cache;
    EXPECT_EQ(run().guests_read, scenario.guests.size());
    opened->save();
  }
  auto reopened =
      open_read_cache_file(file, {std::chrono::seconds(600), [this] { return now_; }}, warn);
  ASSERT_TRUE(reopened);
  cache_ = reopened->cache;
  const std::string before = netbox_state();
  const auto second = run();
  EXPECT_EQ(second.guests_read, 0u);
  EXPECT_EQ(second.guests_cached, scenario.guests.size());
  EXPECT_TRUE(snapshot_lists_requested().empty()) << "the snapshot lists came from the file";
  EXPECT_EQ(second.netbox_requests.writes(), 0u) << "and are the same lists: nothing to write";
  EXPECT_GT(second.kinds.at("snapshots").unchanged, 0u);
  EXPECT_EQ(second.kinds.at("snapshots").unchanged, list(kPluginSnapshotsPath).size());
  EXPECT_EQ(netbox_state(), before);
  EXPECT_TRUE(warnings.empty());
}

TEST_F(ReadCacheStack, ACorruptCacheFileIsAWarningAndAColdReadAndIsLeftAlone) {
  TempDir dir;
  const fs::path file = dir.path / "cache.sqlite";
  const std::string garbage(4096, 'x');
  std::ofstream(file) << garbage;
  std::vector<std::string> warnings;
  const auto opened = open_read_cache_file(
      file.string(), {}, [&](const std::string& message) { warnings.push_back(message); });
  EXPECT_FALSE(opened);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find(file.string()), std::string::npos) << warnings[0];
  std::ifstream in(file);
  const std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, garbage) << "the file is not overwritten";
  cache_ = nullptr;  // what the CLI does then: no cache
  EXPECT_EQ(run().guests_read, scenario.guests.size());
}

TEST_F(ReadCacheStack, ACorruptRowIsDroppedAndItsGuestReadAgain) {
  TempDir dir;
  const std::string file = (dir.path / "cache.sqlite").string();
  {
    auto opened = open_read_cache_file(file, {std::chrono::seconds(600), [this] { return now_; }},
                                       [](const std::string&) {});
    ASSERT_TRUE(opened);
    cache_ = opened->cache;
    run();
    opened->save();
    opened->database->exec(
        "UPDATE guest_read_cache SET data = '[1,' "
        "WHERE vmid = (SELECT min(vmid) FROM guest_read_cache)");
  }
  auto reopened = open_read_cache_file(file, {std::chrono::seconds(600), [this] { return now_; }},
                                       [](const std::string&) {});
  ASSERT_TRUE(reopened);
  cache_ = reopened->cache;
  const auto after_corruption = run();
  EXPECT_EQ(after_corruption.guests_read, 1u);
  EXPECT_EQ(after_corruption.guests_cached, scenario.guests.size() - 1);
  reopened->save();
  auto third = open_read_cache_file(file, {std::chrono::seconds(600), [this] { return now_; }},
                                    [](const std::string&) {});
  ASSERT_TRUE(third);
  cache_ = third->cache;
  EXPECT_EQ(run().guests_read, 0u) << "the row was rewritten";
}

}  // namespace
}  // namespace pbx::sync
