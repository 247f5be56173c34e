#include "estate.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/object.hpp>

#include "e2e/fixtures.hpp"

namespace pbx::e2e::suite {
namespace json = boost::json;
using proxmox::ClusterScenario;
using proxmox::GuestScenario;
using proxmox::InterfaceScenario;
using proxmox::NicScenario;

namespace {

constexpr int64_t kEstateTime = 1767225600;  // 2026-01-01T00:00:00Z

// ---- the estate ---------------------------------------------------------------------------

InterfaceScenario node_interface(std::string iface, std::string type) {
  InterfaceScenario interface;
  interface.iface = std::move(iface);
  interface.type = std::move(type);
  return interface;
}

std::vector<proxmox::NodeScenario> estate_nodes(const std::string& prefix, int octet) {
  proxmox::NodeScenario n1;
  n1.name = prefix + "-n1";
  n1.ip = fmt::format("10.{}.250.1", octet);
  auto eno1 = node_interface("eno1", "eth");
  eno1.mac = fmt::format("AA:00:{:02X}:00:01:01", octet);
  auto eno2 = node_interface("eno2", "eth");
  eno2.mac = fmt::format("AA:00:{:02X}:00:01:02", octet);
  auto bond = node_interface("bond0", "bond");
  bond.slaves = "eno1 eno2";
  bond.bond_mode = "802.3ad";
  bond.mtu = 9000;
  auto bridge = node_interface("vmbr0", "bridge");
  bridge.bridge_ports = "bond0";
  bridge.bridge_vlan_aware = true;
  bridge.cidr = fmt::format("10.{}.250.1/24", octet);
  bridge.gateway = fmt::format("10.{}.250.254", octet);
  bridge.cidr6 = fmt::format("fd00:{}:250::1/64", octet);
  bridge.comments = "uplink bridge";
  auto vlan = node_interface("vmbr0.30", "vlan");
  vlan.vlan_id = 30;
  vlan.vlan_raw_device = "vmbr0";
  vlan.cidr = fmt::format("10.{}.251.1/24", octet);
  n1.interfaces = {eno1, eno2, bond, bridge, vlan};

  proxmox::NodeScenario n2;
  n2.name = prefix + "-n2";
  n2.ip = fmt::format("10.{}.250.2", octet);
  auto n2_eno1 = node_interface("eno1", "eth");
  n2_eno1.mac = fmt::format("AA:00:{:02X}:00:02:01", octet);
  auto n2_bridge = node_interface("vmbr0", "bridge");
  n2_bridge.bridge_ports = "eno1";
  n2_bridge.cidr = fmt::format("10.{}.250.2/24", octet);
  n2.interfaces = {n2_eno1, n2_bridge};
  return {n1, n2};
}

NicScenario nic(std::string name, std::string mac, int tag, std::vector<std::string> addresses) {
  NicScenario made;
  made.name = std::move(name);
  made.mac = std::move(mac);
  made.tag = tag;
  made.ip_addresses = std::move(addresses);
  return made;
}

proxmox::DiskScenario disk(std::string key, int64_t size_gb, std::string mountpoint = {}) {
  proxmox::DiskScenario made;
  made.key = std::move(key);
  made.storage = "local";
  made.size_gb = size_gb;
  made.mountpoint = std::move(mountpoint);
  return made;
}

std::vector<GuestScenario> estate_guests(const std::string& prefix, int octet) {
  const auto mac = [&](int vmid, int index) {
    return fmt::format("BC:24:{:02X}:{:02X}:{:02X}:{:02X}", octet, vmid / 256, vmid % 256, index);
  };
  GuestScenario web;
  web.vmid = 100;
  web.type = "qemu";
  web.name = prefix + "-web";
  web.node = prefix + "-n1";
  web.cores = 2;
  web.memory_mb = 2048;
  web.onboot = true;
  web.agent = true;
  web.os_type = "l26";
  web.tags = {"e2e", "web-tier"};
  web.description = "front end of the estate";
  web.nics = {nic("net0", mac(100, 0), 20,
                  {fmt::format("10.{}.1.10/24", octet), fmt::format("fd00:{}:1::10/64", octet)}),
              nic("net1", mac(100, 1), 0, {fmt::format("10.{}.2.10/24", octet)})};
  web.nics[1].model = "e1000";
  web.nics[1].firewall = false;
  web.disks = {disk("scsi0", 32), disk("scsi1", 100)};
  web.snapshots = {
      {"before-upgrade", "before the upgrade", "", kEstateTime, false},
      {"after-upgrade", "after the upgrade", "before-upgrade", kEstateTime + 3600, true}};

  GuestScenario db;
  db.vmid = 101;
  db.type = "qemu";
  db.name = prefix + "-db";
  db.node = prefix + "-n2";
  db.status = "stopped";  // its agent cannot answer: its addresses are unknown
  db.agent = true;
  db.memory_mb = 4096;
  db.nics = {nic("net0", mac(101, 0), 20, {fmt::format("10.{}.1.11/24", octet)})};
  db.disks = {disk("virtio0", 16)};

  GuestScenario ct;
  ct.vmid = 102;
  ct.type = "lxc";
  ct.name = prefix + "-ct";
  ct.node = prefix + "-n1";
  ct.memory_mb = 512;
  ct.os_type = "debian";
  ct.tags = {"e2e"};
  ct.description = "cache";
  ct.nics = {nic("eth0", mac(102, 0), 30,
                 {fmt::format("10.{}.3.20/24", octet), fmt::format("fd00:{}:3::20/64", octet)}),
             nic("eth1", mac(102, 1), 0, {fmt::format("10.{}.4.20/24", octet)})};
  ct.nics[0].gateway = fmt::format("10.{}.3.1", octet);
  ct.disks = {disk("rootfs", 8), disk("mp0", 20, "/srv")};
  ct.snapshots = {{"base", "clean install", "", kEstateTime + 7200, false}};
  return {web, db, ct};
}

std::vector<proxmox::BackupScenario> estate_backups(const std::vector<GuestScenario>& guests) {
  std::vector<proxmox::BackupScenario> backups;
  for (const auto& guest : guests) {
    const int count = guest.vmid == 100 ? 2 : guest.vmid == 102 ? 1 : 0;
    for (int i = 0; i < count; ++i) {
      proxmox::BackupScenario backup = daily_backup(guest, i, kEstateTime);
      backup.protected_ = i == 0;
      backups.push_back(std::move(backup));
    }
  }
  return backups;
}

void add_cluster_jobs(ClusterScenario& cluster, const std::string& prefix, int octet) {
  const std::string job_id = fmt::format("backup-{}", prefix);
  cluster.backup_jobs = {{job_id, json::object{{"id", job_id},
                                               {"type", "vzdump"},
                                               {"schedule", "sun 02:00"},
                                               {"storage", "backup"},
                                               {"vmid", "100,102"},
                                               {"enabled", 1},
                                               {"mode", "snapshot"},
                                               {"prune-backups", "keep-last=3,keep-weekly=2"},
                                               {"comment", "weekly estate backup"}}}};
  cluster.replication_jobs = {{"100-0", json::object{{"id", "100-0"},
                                                     {"type", "local"},
                                                     {"guest", 100},
                                                     {"target", prefix + "-n2"},
                                                     {"source", prefix + "-n1"},
                                                     {"schedule", "*/15"},
                                                     {"rate", "10"},
                                                     {"comment", "estate replication"},
                                                     {"jobnum", 0}}}};
  const auto task = [&](std::string node, std::string type, std::string id, int64_t offset,
                        std::string status) {
    proxmox::TaskScenario made;
    made.node = prefix + "-" + node;
    made.type = std::move(type);
    made.id = std::move(id);
    made.starttime = kEstateTime + offset;
    made.endtime = kEstateTime + offset + 5;
    made.status = std::move(status);
    return made;
  };
  cluster.tasks = {task("n1", "qmstart", "100", 10, "OK"),
                   task("n1", "qmsnapshot", "100", 20, "OK"),
                   task("n2", "qmstop", "101", 30, "command 'qm stop 101' failed: exit code 255"),
                   task("n1", "vzdump", "102", 40, "OK"),
                   task("n1", "aptupdate", "", 50, "OK")};  // a node task: no guest's history
  proxmox::SdnZoneScenario zone;
  zone.zone = fmt::format("e{}", octet);
  zone.type = "vlan";
  zone.bridge = "vmbr0";
  proxmox::SdnVnetScenario vnet;
  vnet.vnet = fmt::format("v{}a", octet);
  vnet.zone = zone.zone;
  vnet.tag = 100;
  vnet.alias = "estate net";
  proxmox::SdnSubnetScenario subnet;
  subnet.vnet = vnet.vnet;
  subnet.cidr = fmt::format("10.{}.240.0/24", octet);
  subnet.gateway = fmt::format("10.{}.240.1", octet);
  cluster.sdn_zones = {zone};
  cluster.sdn_vnets = {vnet};
  cluster.sdn_subnets = {subnet};
}

}  // namespace

proxmox::Scenario create_estate(std::string_view prefix, int octet) {
  const std::string name(prefix);
  ClusterScenario cluster;
  cluster.name = name;
  cluster.mode = "cluster";
  cluster.nodes = estate_nodes(name, octet);
  cluster.guests = estate_guests(name, octet);
  proxmox::StorageScenario local;
  local.id = "local";
  local.content = {"images", "rootdir", "iso", "vztmpl"};
  proxmox::StorageScenario backup;
  backup.id = "backup";
  backup.content = {"backup"};
  backup.shared = true;
  cluster.storages = {local, backup};
  cluster.backups = estate_backups(cluster.guests);
  add_cluster_jobs(cluster, name, octet);
  proxmox::Scenario scenario;
  scenario.service = proxmox::Service::pve;
  scenario.clusters = {std::move(cluster)};
  return scenario;
}

int free_address_octet(NetBoxReader& netbox) {
  static std::atomic<int> counter{0};
  const int start = static_cast<int>((::getpid() * 7 + counter++ * 13) % 150);
  for (int i = 0; i < 150; ++i) {
    const int octet = 100 + (start + i) % 150;
    if (netbox.list("/api/ipam/ip-addresses/", fmt::format("q=10.{}.", octet)).empty())
      return octet;
  }
  ADD_FAILURE() << "no free 10.x.0.0/16 left in this NetBox";
  return 100;
}

}  // namespace pbx::e2e::suite
