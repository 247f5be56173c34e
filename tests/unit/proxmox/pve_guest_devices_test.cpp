// Guest netN, disks, snapshots and what the guest reports (agent, container interfaces): every
// write read back in every view that exposes it.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mock_test_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using namespace pbx::proxmox::testing;
using http::Verb;

const json::object* agent_nic(const Reply& reply, std::string_view mac) {
  for (const auto& nic : reply.data().at("result").as_array()) {
    if (nic.at("hardware-address").as_string() == mac) return &nic.as_object();
  }
  return nullptr;
}

TEST(GuestDevicesTest, QemuNicSettingsAreParsedEchoedAndKeepTheMacExactly) {
  Engine engine(test_options());
  const Reply put = call(engine, Verb::put, "/api2/json/nodes/pve1/qemu/100/config",
                         "net1=e1000%3DaA%3AbB%3Acc%3A01%3A02%3A03%2Cbridge%3Dvmbr1%2Ctag%3D30%2C"
                         "firewall%3D0%2Cmtu%3D9000%2Crate%3D12.5%2Cqueues%3D4%2Clink_down%3D1");
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_EQ(config_value(engine, "qemu/100", "net1"),
            "e1000=aA:bB:cc:01:02:03,bridge=vmbr1,link_down=1,mtu=9000,queues=4,rate=12.5,tag=30");
  // The state holds the parsed NIC (what GET /mock/state exports).
  const Scenario state = engine.export_state();
  const auto& nics = state.clusters[0].guests[0].nics;
  ASSERT_EQ(nics.size(), 2u);
  EXPECT_EQ(nics[1].mac, "aA:bB:cc:01:02:03");
  EXPECT_EQ(nics[1].model, "e1000");
  EXPECT_EQ(nics[1].tag, 30);
  EXPECT_FALSE(nics[1].firewall);
  EXPECT_TRUE(nics[1].link_down);
  // A NIC written without a MAC gets one; rewriting it without a MAC keeps that one.
  ASSERT_EQ(call(engine, Verb::put, "/api2/json/nodes/pve1/qemu/100/config",
                 "net2=virtio%2Cbridge%3Dvmbr0")
                .status,
            200u);
  const std::string generated = config_value(engine, "qemu/100", "net2");
  ASSERT_TRUE(generated.starts_with("virtio=BC:24:11:")) << generated;
  ASSERT_EQ(call(engine, Verb::put, "/api2/json/nodes/pve1/qemu/100/config",
                 "net2=virtio%2Cbridge%3Dvmbr2%2Ctag%3D5")
                .status,
            200u);
  EXPECT_EQ(config_value(engine, "qemu/100", "net2"),
            generated.substr(0, generated.find(',')) + ",bridge=vmbr2,tag=5");
  // Deleted: gone from the config.
  ASSERT_EQ(call(engine, Verb::put, "/api2/json/nodes/pve1/qemu/100/config", "delete=net1").status,
            200u);
  EXPECT_EQ(config_value(engine, "qemu/100", "net1"), "");
}

TEST(GuestDevicesTest, AgentAnswersFromStateOnlyWhenEnabledAndRunning) {
  Engine engine(test_options());
  const std::string base = "/api2/json/nodes/pve1/qemu/100/agent/";
  ASSERT_EQ(call(engine, Verb::put, "/api2/json/nodes/pve1/qemu/100/config",
                 "net1=virtio%3DBC%3A24%3A11%3AAA%3A00%3A01%2Cbridge%3Dvmbr0%2Ctag%3D20")
                .status,
            200u);
  const Reply interfaces = get(engine, base + "network-get-interfaces");
  ASSERT_EQ(interfaces.status, 200u) << interfaces.body;
  const json::object* added = agent_nic(interfaces, "bc:24:11:aa:00:01");
  ASSERT_NE(added, nullptr) << interfaces.body;
  const Reply osinfo = get(engine, base + "get-osinfo");
  ASSERT_EQ(osinfo.status, 200u) << osinfo.body;
  EXPECT_EQ(osinfo.data().at("result").at("id"), "debian");

  // Agent disabled: Proxmox's refusal, on both commands.
  ASSERT_EQ(call(engine, Verb::put, "/api2/json/nodes/pve1/qemu/100/config", "agent=0").status,
            200u);
  for (const char* command : {"network-get-interfaces", "get-osinfo"}) {
    const Reply refused = get(engine, base + command);
    EXPECT_EQ(refused.status, 500u) << command;
    EXPECT_NE(refused.body.find("No QEMU guest agent configured"), std::string::npos)
        << refused.body;
  }
  // Enabled again but the VM stopped: "not running".
  ASSERT_EQ(call(engine, Verb::put, "/api2/json/nodes/pve1/qemu/100/config",
                 "agent=enabled%3D1%2Cfstrim_cloned_disks%3D1")
                .status,
            200u);
  EXPECT_EQ(get(engine, base + "get-osinfo").status, 200u);
  call(engine, Verb::post, "/api2/json/nodes/pve1/qemu/100/status/stop");
  const Reply stopped = get(engine, base + "get-osinfo");
  EXPECT_EQ(stopped.status, 500u);
  EXPECT_NE(stopped.body.find("VM 100 is not running"), std::string::npos) << stopped.body;
}

TEST(GuestDevicesTest, WindowsGuestReportsWindowsNamesAndOs) {
  ClusterScenario cluster = default_cluster(Service::pve);
  cluster.guests[0].os_type = "win11";
  Engine engine(test_options_with(cluster));
  const Reply osinfo = get(engine, "/api2/json/nodes/pve1/qemu/100/agent/get-osinfo");
  ASSERT_EQ(osinfo.status, 200u) << osinfo.body;
  EXPECT_EQ(osinfo.data().at("result").at("id"), "mswindows");
  const Reply interfaces =
      get(engine, "/api2/json/nodes/pve1/qemu/100/agent/network-get-interfaces");
  EXPECT_EQ(interfaces.data().at("result").as_array()[0].at("name"), "Ethernet");
}

TEST(GuestDevicesTest, ContainerIpAndIp6AreStateInConfigAndInterfaces) {
  Engine engine(test_options());
  const Reply put =
      call(engine, Verb::put, "/api2/json/nodes/pve1/lxc/101/config",
           "net1=name%3Deth1%2Cbridge%3Dvmbr0%2Chwaddr%3DBC%3A24%3A11%3ACC%3A00%3A01"
           "%2Cip%3D10.5.0.7%2F24%2Cgw%3D10.5.0.1%2Cip6%3Dfd00%3A%3A7%2F64%2Ctag%3D5");
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_EQ(config_value(engine, "lxc/101", "net1"),
            "name=eth1,bridge=vmbr0,gw=10.5.0.1,hwaddr=BC:24:11:CC:00:01,ip=10.5.0.7/24,"
            "ip6=fd00::7/64,tag=5,type=veth");
  const Reply interfaces = get(engine, "/api2/json/nodes/pve1/lxc/101/interfaces");
  ASSERT_EQ(interfaces.status, 200u) << interfaces.body;
  bool found = false;
  for (const auto& entry : interfaces.data().as_array()) {
    if (entry.at("name") != "eth1") continue;
    found = true;
    EXPECT_EQ(entry.at("hwaddr"), "bc:24:11:cc:00:01");
    EXPECT_EQ(entry.at("inet"), "10.5.0.7/24");
    EXPECT_EQ(entry.at("inet6"), "fd00::7/64");
  }
  EXPECT_TRUE(found) << interfaces.body;
  // A dhcp address is no address; deleting net1 removes it from the container's view.
  ASSERT_EQ(call(engine, Verb::put, "/api2/json/nodes/pve1/lxc/101/config", "delete=net1").status,
            200u);
  EXPECT_EQ(get(engine, "/api2/json/nodes/pve1/lxc/101/interfaces").data().as_array().size(), 2u);
  // net0 is still net0 (keys do not shift when a NIC goes).
  EXPECT_TRUE(config_value(engine, "lxc/101", "net0").starts_with("name=eth0,"));
  call(engine, Verb::post, "/api2/json/nodes/pve1/lxc/101/status/stop");
  EXPECT_EQ(get(engine, "/api2/json/nodes/pve1/lxc/101/interfaces").status, 500u);
}

TEST(GuestDevicesTest, DisksAreStateOnStoragesInConfigContentAndUsage) {
  Engine engine(test_options());
  const auto used = [&] {
    const Reply status = get(engine, "/api2/json/nodes/pve1/storage/local-lvm/status");
    return status.data().at("used").to_number<int64_t>();
  };
  const int64_t before = used();
  ASSERT_EQ(call(engine, Verb::put, "/api2/json/nodes/pve1/qemu/100/config",
                 "scsi1=local-lvm%3A20%2Cdiscard%3Don")
                .status,
            200u);
  // The volume is allocated; the drive's own settings are kept as given (sorted, size added).
  EXPECT_EQ(config_value(engine, "qemu/100", "scsi1"),
            "local-lvm:vm-100-disk-1,discard=on,size=20G");
  EXPECT_EQ(config_value(engine, "qemu/100", "scsi0"),
            "local-lvm:vm-100-disk-0,iothread=1,size=32G");
  EXPECT_EQ(used() - before, (int64_t{20} << 30) / 2);
  const Reply content = get(engine, "/api2/json/nodes/pve1/storage/local-lvm/content?vmid=100");
  ASSERT_EQ(content.status, 200u) << content.body;
  std::vector<std::string> volids;
  for (const auto& entry : content.data().as_array()) {
    volids.emplace_back(entry.at("volid").as_string());
    if (entry.at("volid") == "local-lvm:vm-100-disk-1") {
      EXPECT_EQ(entry.at("size").to_number<int64_t>(), int64_t{20} << 30);
    }
  }
  EXPECT_EQ(volids,
            (std::vector<std::string>{"local-lvm:vm-100-disk-0", "local-lvm:vm-100-disk-1"}));
  // A container mount point, then a CD-ROM (not a disk).
  ASSERT_EQ(call(engine, Verb::put, "/api2/json/nodes/pve1/lxc/101/config",
                 "mp0=local-lvm%3A4%2Cmp%3D%2Fsrv")
                .status,
            200u);
  EXPECT_EQ(config_value(engine, "lxc/101", "mp0"), "local-lvm:vm-101-disk-1,mp=/srv,size=4G");
  ASSERT_EQ(
      call(engine, Verb::put, "/api2/json/nodes/pve1/qemu/100/config", "ide2=none%2Cmedia%3Dcdrom")
          .status,
      200u);
  EXPECT_EQ(engine.export_state().clusters[0].guests[0].disks.size(), 2u);
  // A disk on an unknown storage: refused, and nothing of the call applied.
  const Reply refused =
      call(engine, Verb::put, "/api2/json/nodes/pve1/qemu/100/config", "scsi2=tape%3A10&cores=7");
  EXPECT_EQ(refused.status, 500u);
  EXPECT_NE(refused.body.find("storage 'tape' does not exist"), std::string::npos) << refused.body;
  EXPECT_EQ(config_value(engine, "qemu/100", "scsi2"), "");
  EXPECT_EQ(engine.export_state().clusters[0].guests[0].cores, 2);
  EXPECT_EQ(
      call(engine, Verb::post, "/api2/json/nodes/pve1/qemu", "vmid=150&scsi0=tape%3A4").status,
      500u);
  EXPECT_EQ(get(engine, "/api2/json/nodes/pve1/qemu/150/config").status, 500u);
  // delete= detaches the disk: its volume stays the guest's as unused0, still counted.
  ASSERT_EQ(call(engine, Verb::put, "/api2/json/nodes/pve1/qemu/100/config", "delete=scsi1").status,
            200u);
  EXPECT_EQ(config_value(engine, "qemu/100", "unused0"), "local-lvm:vm-100-disk-1");
  EXPECT_EQ(used() - before, (int64_t{20 + 4} << 30) / 2);
  ASSERT_EQ(
      call(engine, Verb::put, "/api2/json/nodes/pve1/qemu/100/config", "delete=unused0").status,
      200u);
  EXPECT_EQ(config_value(engine, "qemu/100", "unused0"), "");
  EXPECT_EQ(used() - before, (int64_t{4} << 30) / 2);
  // The scenario's disks come back from the admin state and load again.
  const Scenario exported = engine.export_state();
  EXPECT_EQ(exported.clusters[0].guests[1].disks[1].mountpoint, "/srv");
  EXPECT_NO_THROW(Scenario::from_json(exported.to_json()));
}

// Storage usage agrees in /cluster/resources, the node's storage list and storage status, for
// local and shared storages, disks and backups (with and without a node).
TEST(GuestDevicesTest, StorageUsageAgreesInEveryView) {
  ClusterScenario cluster = default_cluster(Service::pve);
  cluster.nodes.push_back(NodeScenario{"pve2", "online", "192.0.2.12"});
  cluster.storages.push_back(
      StorageScenario{"ceph", "rbd", {"images", "backup"}, true, {}, 1LL << 42});
  cluster.guests[0].disks = {DiskScenario{"scsi0", "local-lvm", 32, "", ""},
                             DiskScenario{"scsi1", "ceph", 100, "", ""}};
  GuestScenario other = cluster.guests[0];
  other.vmid = 102;
  other.node = "pve2";
  other.disks = {DiskScenario{"scsi0", "local-lvm", 16, "", ""}};
  cluster.guests.push_back(other);
  cluster.backups = {BackupScenario{"local", "pve2", 100, "", "vma.zst", 1 << 30, 1767225600},
                     BackupScenario{"local", "", 101, "", "tar.zst", 1 << 29, 1767225600},
                     BackupScenario{"ceph", "", 102, "", "vma.zst", 1 << 28, 1767225600}};
  Engine engine(test_options_with(cluster));
  const Reply resources = get(engine, "/api2/json/cluster/resources?type=storage");
  ASSERT_EQ(resources.status, 200u) << resources.body;
  size_t compared = 0;
  for (const auto& entry : resources.data().as_array()) {
    const std::string node(entry.at("node").as_string());
    const std::string storage(entry.at("storage").as_string());
    const int64_t disk = entry.at("disk").to_number<int64_t>();
    const Reply status =
        get(engine, "/api2/json/nodes/" + node + "/storage/" + storage + "/status");
    EXPECT_EQ(status.data().at("used").to_number<int64_t>(), disk) << node << "/" << storage;
    const Reply listed = get(engine, "/api2/json/nodes/" + node + "/storage?storage=" + storage);
    EXPECT_EQ(listed.data().as_array()[0].at("used").to_number<int64_t>(), disk);
    ++compared;
  }
  EXPECT_EQ(compared, 6u);
  const auto used = [&](std::string_view node, std::string_view storage) {
    return get(engine, std::string("/api2/json/nodes/") + std::string(node) + "/storage/" +
                           std::string(storage) + "/status")
        .data()
        .at("used")
        .to_number<int64_t>();
  };
  EXPECT_EQ(used("pve1", "local-lvm"), (int64_t{32} + 8) << 29);  // VM 100 and CT 101, halved
  EXPECT_EQ(used("pve2", "local-lvm"), int64_t{16} << 29);
  EXPECT_EQ(used("pve1", "ceph"), (int64_t{100} << 29) + (1 << 28));
  EXPECT_EQ(used("pve2", "ceph"), used("pve1", "ceph"));
  // The backup and the default ISO and template without a node show everywhere.
  const int64_t volumes = 661651456 + 126023680;
  EXPECT_EQ(used("pve1", "local"), (1 << 29) + volumes);
  EXPECT_EQ(used("pve2", "local"), (1 << 30) + (1 << 29) + volumes);
}

TEST(GuestDevicesTest, ResizeGrowsADiskInEveryView) {
  Engine engine(test_options());
  const std::string resize = "/api2/json/nodes/pve1/qemu/100/resize";
  const Reply grown = call(engine, Verb::put, resize, "disk=scsi0&size=%2B8G");
  ASSERT_EQ(grown.status, 200u) << grown.body;
  EXPECT_TRUE(std::string(grown.data().as_string()).find(":qmresize:100:") != std::string::npos);
  EXPECT_EQ(config_value(engine, "qemu/100", "scsi0"),
            "local-lvm:vm-100-disk-0,iothread=1,size=40G");
  ASSERT_EQ(call(engine, Verb::put, resize, "disk=scsi0&size=64G").status, 200u);
  const Reply listed = get(engine, "/api2/json/cluster/resources?type=vm");
  for (const auto& entry : listed.data().as_array()) {
    if (entry.at("id") == "qemu/100") {
      EXPECT_EQ(entry.at("maxdisk").to_number<int64_t>(), int64_t{64} << 30);
    }
  }
  EXPECT_EQ(call(engine, Verb::put, resize, "disk=scsi0&size=10G").status, 500u);
  EXPECT_EQ(call(engine, Verb::put, resize, "disk=scsi7&size=%2B1G").status, 500u);
  const Reply container =
      call(engine, Verb::put, "/api2/json/nodes/pve1/lxc/101/resize", "disk=rootfs&size=%2B2G");
  ASSERT_EQ(container.status, 200u) << container.body;
  EXPECT_EQ(engine.export_state().clusters[0].guests[1].disks[0].size_gb, 10);
}

TEST(GuestDevicesTest, ScenarioSnapshotsListAndRoundTrip) {
  ClusterScenario cluster = default_cluster(Service::pve);
  cluster.guests[0].snapshots = {SnapshotScenario{"base", "clean", "", 1767225600, false},
                                 SnapshotScenario{"upgrade", "", "base", 1767229200, true}};
  Engine engine(test_options_with(cluster));
  const Reply list = get(engine, "/api2/json/nodes/pve1/qemu/100/snapshot");
  ASSERT_EQ(list.status, 200u) << list.body;
  ASSERT_EQ(list.data().as_array().size(), 3u);
  EXPECT_EQ(list.data().as_array()[1].at("parent"), "base");
  EXPECT_EQ(list.data().as_array()[2].at("parent"), "upgrade");  // "current"
  EXPECT_EQ(config_value(engine, "qemu/100", "parent"), "upgrade");
  EXPECT_EQ(engine.export_state().clusters[0].guests[0].snapshots, cluster.guests[0].snapshots);
}

}  // namespace
}  // namespace pbx::proxmox
