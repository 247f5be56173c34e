// `proxmox-mock scenario generate`: a big deterministic scenario for benchmarks and tests. The
// same options (and seed) give the same scenario byte for byte.

#include <fmt/format.h>

#include <random>
#include <stdexcept>

#include "proxmox/scenario.hpp"

namespace pbx::proxmox {
namespace {

constexpr int64_t kEpoch = 1767225600;  // 2026-01-01T00:00:00Z

class Picker {
 public:
  explicit Picker(uint64_t seed) : random_(seed) {}
  int operator()(int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(random_);
  }

 private:
  std::mt19937_64 random_;
};

// Two NICs bonded under the bridge that carries the node's address.
std::vector<InterfaceScenario> node_interfaces(const NodeScenario& node, int cluster, int index) {
  const auto mac = [&](int port) {
    return fmt::format("3C:EC:EF:{:02X}:{:02X}:{:02X}", cluster & 0xFF, index & 0xFF, port);
  };
  InterfaceScenario eno1{.iface = "eno1", .type = "eth", .mac = mac(1)};
  InterfaceScenario eno2{.iface = "eno2", .type = "eth", .mac = mac(2)};
  InterfaceScenario bond{.iface = "bond0", .type = "bond", .slaves = "eno1 eno2"};
  bond.bond_mode = "802.3ad";
  InterfaceScenario bridge{.iface = "vmbr0", .type = "bridge"};
  bridge.cidr = node.ip + "/24";
  bridge.gateway = fmt::format("10.{}.0.1", cluster + 1);
  bridge.bridge_ports = "bond0";
  bridge.bridge_vlan_aware = true;
  return {eno1, eno2, bond, bridge};
}

// NIC i: its own MAC (Proxmox's OUI), one address; NICs after the first are on VLAN 20.
NicScenario guest_nic(const GuestScenario& guest, int cluster, int i) {
  NicScenario nic;
  const bool lxc = guest.type == "lxc";
  nic.name = lxc ? fmt::format("eth{}", i) : fmt::format("net{}", i);
  if (lxc) nic.key = fmt::format("net{}", i);
  nic.mac = fmt::format("BC:24:11:{:02X}:{:02X}:{:02X}", ((guest.vmid >> 16) & 0x0F) | (i << 4),
                        (guest.vmid >> 8) & 0xFF, guest.vmid & 0xFF);
  const int high = (guest.vmid >> 8) & 0xFF;
  const int low = guest.vmid & 0xFF;
  if (i == 0) {
    nic.ip_addresses.push_back(fmt::format("10.{}.{}.{}/16", 100 + cluster, high, low));
    if (lxc) nic.gateway = fmt::format("10.{}.0.1", 100 + cluster);
  } else {
    nic.tag = 20;
    nic.ip_addresses.push_back(fmt::format("172.{}.{}.{}/16", 16 + cluster + i - 1, high, low));
  }
  return nic;
}

std::vector<DiskScenario> guest_disks(const GuestScenario& guest, int count, Picker& pick) {
  std::vector<DiskScenario> disks;
  const bool lxc = guest.type == "lxc";
  for (int d = 0; d < count; ++d) {
    DiskScenario disk;
    disk.key = lxc ? (d == 0 ? "rootfs" : fmt::format("mp{}", d - 1)) : fmt::format("scsi{}", d);
    disk.storage = "local-lvm";
    disk.size_gb = d == 0 ? guest.disk_gb : int64_t{8} << pick(0, 4);
    if (lxc && d > 0) disk.mountpoint = fmt::format("/srv/data{}", d);
    disks.push_back(std::move(disk));
  }
  return disks;
}

void add_snapshots(GuestScenario& guest, ClusterScenario& cluster, int count) {
  for (int s = 0; s < count; ++s) {
    SnapshotScenario snapshot;
    snapshot.name = fmt::format("snap{}", s + 1);
    snapshot.description = s == 0 ? "before upgrade" : "";
    snapshot.parent = s == 0 ? "" : fmt::format("snap{}", s);
    snapshot.snaptime = kEpoch + int64_t{3600} * s + guest.vmid % 600;
    guest.snapshots.push_back(snapshot);
    const std::string type = guest.type == "lxc" ? "vzsnapshot" : "qmsnapshot";
    cluster.tasks.push_back(TaskScenario{guest.node, type, std::to_string(guest.vmid), "root@pam",
                                         snapshot.snaptime, snapshot.snaptime + 3, "OK"});
  }
}

void add_backups(const GuestScenario& guest, ClusterScenario& cluster, int count) {
  for (int b = 0; b < count; ++b) {
    BackupScenario backup;
    backup.storage = "backup";
    backup.vmid = guest.vmid;
    backup.format = guest.type == "qemu" ? "vma.zst" : "tar.zst";
    backup.ctime = kEpoch + int64_t{86400} * b + guest.vmid % 3600;
    backup.size = (guest.disk_gb << 30) / 4;
    backup.verification = "ok";
    cluster.backups.push_back(std::move(backup));
  }
}

// Replication of every 10th guest to the next node, HA for every 5th, a start task per running
// guest.
void add_guest_extras(const GuestScenario& guest, int g, ClusterScenario& cluster) {
  const size_t node_count = cluster.nodes.size();
  if (g % 10 == 9 && node_count > 1) {
    const std::string id = fmt::format("{}-0", guest.vmid);
    const std::string target = cluster.nodes[static_cast<size_t>(g + 1) % node_count].name;
    cluster.replication_jobs.push_back(
        JobScenario{id, boost::json::object{{"id", id},
                                            {"type", "local"},
                                            {"guest", std::to_string(guest.vmid)},
                                            {"jobnum", "0"},
                                            {"target", target},
                                            {"source", guest.node},
                                            {"schedule", "*/15"}}});
  }
  if (g % 5 == 4 && !guest.template_) {
    cluster.ha_resources.push_back(
        HaResourceScenario{fmt::format("{}:{}", guest.type == "lxc" ? "ct" : "vm", guest.vmid),
                           guest.status == "running" ? "started" : "stopped", "", 1, 1, ""});
  }
  if (guest.status == "running") {
    const int64_t start = kEpoch - 3600 - guest.vmid % 86400;
    cluster.tasks.push_back(TaskScenario{guest.node, guest.type == "lxc" ? "vzstart" : "qmstart",
                                         std::to_string(guest.vmid), "root@pam", start, start + 2,
                                         "OK"});
  }
}

// One VLAN zone on vmbr0 with two VNets and a subnet each.
void add_sdn(ClusterScenario& cluster, int c) {
  cluster.sdn_zones.push_back(SdnZoneScenario{"zone1", "vlan", "vmbr0", 0, {}, "pve"});
  for (const int tag : {10, 20}) {
    const std::string vnet = fmt::format("vnet{}", tag);
    cluster.sdn_vnets.push_back(SdnVnetScenario{vnet, "zone1", tag, fmt::format("VLAN {}", tag)});
    cluster.sdn_subnets.push_back(SdnSubnetScenario{
        vnet, fmt::format("10.{}.{}.0/24", 200 + c, tag), fmt::format("10.{}.{}.1", 200 + c, tag)});
  }
}

GuestScenario make_guest(int vmid, const std::string& node, Picker& pick) {
  static constexpr const char* kTags[] = {"prod", "dev", "web", "db", "k8s", "backup"};
  static constexpr const char* kQemuOs[] = {"l26", "l26", "l26", "win11", "win10", "other"};
  static constexpr const char* kLxcOs[] = {"debian", "ubuntu", "alpine", "centos"};
  GuestScenario guest;
  guest.vmid = vmid;
  guest.type = pick(0, 3) == 0 ? "lxc" : "qemu";
  guest.node = node;
  guest.name = fmt::format("{}-{}", guest.type == "qemu" ? "vm" : "ct", guest.vmid);
  guest.status = pick(0, 4) == 0 ? "stopped" : "running";
  guest.cores = 1 << pick(0, 3);
  guest.memory_mb = int64_t{512} << pick(0, 5);
  guest.disk_gb = int64_t{8} << pick(0, 4);
  guest.onboot = pick(0, 1) == 1;
  guest.agent = guest.type == "qemu" && pick(0, 2) != 0;
  guest.template_ = guest.type == "qemu" && pick(0, 49) == 0;
  if (guest.template_) guest.status = "stopped";
  if (pick(0, 1) == 1) guest.tags.emplace_back(kTags[pick(0, 5)]);
  guest.os_type = guest.type == "qemu" ? kQemuOs[pick(0, 5)] : kLxcOs[pick(0, 3)];
  return guest;
}

ClusterScenario make_cluster(const GenerateOptions& options, int c, int& next_vmid, Picker& pick) {
  ClusterScenario cluster;
  const bool single = options.clusters == 1;
  cluster.name = single ? options.prefix : fmt::format("{}-cluster{}", options.prefix, c + 1);
  const std::string node_prefix =
      single ? options.prefix : fmt::format("{}{}n", options.prefix, c + 1);
  // Spread the remainder over the first clusters so the totals match the request exactly.
  const int node_count = options.nodes / options.clusters + (c < options.nodes % options.clusters);
  const int guest_count =
      options.guests / options.clusters + (c < options.guests % options.clusters);
  for (int n = 0; n < node_count; ++n) {
    NodeScenario node;
    node.name = fmt::format("{}{}", node_prefix, n + 1);
    node.ip = fmt::format("10.{}.0.{}", c + 1, n + 11);
    node.cpus = 8 << pick(0, 3);
    node.memory_bytes = (int64_t{32} << 30) << pick(0, 3);
    node.interfaces = node_interfaces(node, c, n);
    cluster.nodes.push_back(std::move(node));
  }
  cluster.storages = {
      {"local", "dir", {"iso", "vztmpl", "backup"}, false, {}, int64_t{100} << 30},
      {"local-lvm", "lvmthin", {"images", "rootdir"}, false, {}, int64_t{1} << 40},
      {"backup", "nfs", {"backup"}, true, {}, int64_t{8} << 40},
  };
  for (int g = 0; g < guest_count; ++g) {
    GuestScenario guest = make_guest(next_vmid++, cluster.nodes[g % node_count].name, pick);
    for (int i = 0; i < options.nics_per_guest; ++i)
      guest.nics.push_back(guest_nic(guest, c, i));
    guest.disks = guest_disks(guest, options.disks_per_guest, pick);
    add_snapshots(guest, cluster, options.snapshots_per_guest);
    add_backups(guest, cluster, options.backups_per_guest);
    if (options.extras) add_guest_extras(guest, g, cluster);
    cluster.guests.push_back(std::move(guest));
  }
  if (options.extras) add_sdn(cluster, c);
  return cluster;
}

}  // namespace

Scenario generate_scenario(const GenerateOptions& options) {
  if (options.clusters < 1 || options.nodes < options.clusters || options.guests < 0 ||
      options.backups_per_guest < 0 || options.nics_per_guest < 0 || options.nics_per_guest > 8 ||
      options.disks_per_guest < 0 || options.disks_per_guest > 8 ||
      options.snapshots_per_guest < 0) {
    throw std::invalid_argument(
        "generate: need clusters >= 1, nodes >= clusters, guests >= 0, backups >= 0, "
        "nics 0..8, disks 0..8, snapshots >= 0");
  }
  Picker pick(options.seed);
  Scenario scenario;
  int next_vmid = 100;  // unique over all clusters, so a merged NetBox view has no clashes
  for (int c = 0; c < options.clusters; ++c) {
    scenario.clusters.push_back(make_cluster(options, c, next_vmid, pick));
  }
  return scenario;
}

}  // namespace pbx::proxmox
