#include "estate.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <optional>
#include <set>

#include "e2e/cell.hpp"
#include "proxmox/engine.hpp"

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
      proxmox::BackupScenario backup;
      backup.storage = "backup";
      backup.node = guest.node;
      backup.vmid = guest.vmid;
      backup.format = guest.type == "qemu" ? "vma.zst" : "tar.zst";
      backup.size = (int64_t{1} << 30) + guest.vmid * 4096 + i;
      backup.ctime = kEstateTime + i * 86400;
      backup.notes = fmt::format("{} backup {}", guest.name, i + 1);
      backup.verification = "ok";
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

// ---- reading the two sides ----------------------------------------------------------------

// "2026-01-01T00:00:00Z" / "...+00:00" → unix seconds; -1 when not a time stamp.
int64_t unix_seconds(const json::value* value) {
  if (value == nullptr || !value->is_string() || value->as_string().size() < 19) return -1;
  std::tm parts{};
  if (!strptime(std::string(value->as_string()).substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &parts))
    return -1;
  return static_cast<int64_t>(timegm(&parts));
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

// "a,b,c" → {"a","b","c"}; empty items dropped.
std::vector<std::string> split_list(const std::string& text, char separator = ',') {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(separator, start), text.size());
    if (end > start) items.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return items;
}

bool is_v6(std::string_view cidr) {
  return cidr.find(':') != std::string_view::npos;
}

std::string nic_key(const GuestScenario& guest, const NicScenario& nic) {
  return guest.type == "lxc" ? nic.key : nic.name;
}

// The addresses NetBox should hold on a NIC: QEMU's from the guest agent, which answers only
// for a running VM with the agent on; a container's static ip=/ip6= (its first of each family).
std::optional<std::vector<std::string>> expected_addresses(const GuestScenario& guest,
                                                           const NicScenario& nic) {
  if (guest.type == "qemu") {
    if (!guest.agent || guest.status != "running") return std::nullopt;
    return nic.ip_addresses;
  }
  std::vector<std::string> addresses;
  for (const bool v6 : {false, true}) {
    const auto first = std::find_if(nic.ip_addresses.begin(), nic.ip_addresses.end(),
                                    [&](const std::string& cidr) { return is_v6(cidr) == v6; });
    if (first != nic.ip_addresses.end()) addresses.push_back(*first);
  }
  return addresses;
}

std::string netbox_version(NetBoxReader& netbox) {
  const auto status = netbox.get("/api/status/");
  if (!status.ok()) return "";
  return string_field(status.json().as_object(), "netbox-version");
}

bool at_least(const std::string& version, int major, int minor) {
  int got_major = 0, got_minor = 0;
  std::sscanf(version.c_str(), "%d.%d", &got_major, &got_minor);
  return got_major > major || (got_major == major && got_minor >= minor);
}

// A number Proxmox may send as a JSON number or as its text ("100").
int64_t number_of(const json::value& value) {
  if (value.is_string()) return std::stoll(std::string(value.as_string()));
  return value.to_number<int64_t>();
}

// A choice field's value: NetBox renders choices as {value, label}.
std::string choice_value(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value && value->is_object()) return string_field(value->as_object(), "value");
  return string_field(object, key);
}

std::string address_of(const json::value* ip) {
  if (ip == nullptr || !ip->is_object()) return "";
  return string_field(ip->as_object(), "address");
}

std::set<std::string> addresses_on(NetBoxReader& netbox, std::string_view filter, int64_t id) {
  std::set<std::string> addresses;
  for (const auto& ip : netbox.list("/api/ipam/ip-addresses/", fmt::format("{}={}", filter, id))) {
    addresses.insert(string_field(ip, "address"));
    EXPECT_EQ(choice_value(ip, "status"), "active");
    EXPECT_TRUE(tag_slugs(ip).contains("proxbox")) << string_field(ip, "address");
  }
  return addresses;
}

std::map<std::string, json::object> by_name(const std::vector<json::object>& objects,
                                            std::string_view field = "name") {
  std::map<std::string, json::object> named;
  for (const auto& object : objects)
    named[string_field(object, field)] = object;
  return named;
}

// ---- per kind -----------------------------------------------------------------------------

// Stage 9 and 10: one VM interface per netN with its MAC, VLAN and addresses; the primary IPs.
void expect_vm_interfaces(NetBoxReader& netbox, const GuestScenario& guest, int64_t vm_id) {
  const auto interfaces = by_name(
      netbox.list("/api/virtualization/interfaces/", fmt::format("virtual_machine_id={}", vm_id)));
  EXPECT_EQ(interfaces.size(), guest.nics.size()) << "interfaces of " << guest.name;
  std::string primary4, primary6;
  bool addresses_known = true;
  for (const auto& nic : guest.nics) {
    const std::string key = nic_key(guest, nic);
    SCOPED_TRACE(guest.name + " " + key);
    const auto found = interfaces.find(key);
    if (found == interfaces.end()) {
      ADD_FAILURE() << "no NetBox interface " << key;
      continue;
    }
    const auto& interface = found->second;
    EXPECT_EQ(upper(string_field(interface, "mac_address")), upper(nic.mac));
    if (const auto* primary = interface.if_contains("primary_mac_address")) {
      ASSERT_TRUE(primary->is_object()) << "NetBox 4.2+: the MAC is a MAC address object";
      EXPECT_EQ(upper(string_field(primary->as_object(), "mac_address")), upper(nic.mac));
    }
    const auto* vlan = interface.if_contains("untagged_vlan");
    if (nic.tag > 0) {
      ASSERT_TRUE(vlan && vlan->is_object()) << "VLAN tag " << nic.tag << " has no VLAN";
      EXPECT_EQ(vlan->as_object().at("vid").to_number<int64_t>(), nic.tag);
      EXPECT_EQ(choice_value(interface, "mode"), "access") << json::serialize(interface);
    } else {
      EXPECT_TRUE(vlan == nullptr || vlan->is_null()) << json::serialize(interface);
    }
    EXPECT_EQ(interface.at("enabled").as_bool(), !nic.link_down);
    EXPECT_TRUE(tag_slugs(interface).contains("proxbox"));

    const auto expected = expected_addresses(guest, nic);
    const auto held = addresses_on(netbox, "vminterface_id", interface.at("id").as_int64());
    if (!expected) {
      addresses_known = false;
      EXPECT_TRUE(held.empty()) << "addresses nobody could read: " << *held.begin();
      continue;
    }
    EXPECT_EQ(held, std::set<std::string>(expected->begin(), expected->end()));
    for (const auto& address : *expected) {
      std::string& slot = is_v6(address) ? primary6 : primary4;
      if (slot.empty()) slot = address;
    }
  }
  const auto vm = netbox.get(fmt::format("/api/virtualization/virtual-machines/{}/", vm_id));
  ASSERT_EQ(vm.status, 200u);
  const auto object = vm.json().as_object();
  if (addresses_known) {
    EXPECT_EQ(address_of(object.if_contains("primary_ip4")), primary4) << guest.name;
    EXPECT_EQ(address_of(object.if_contains("primary_ip6")), primary6) << guest.name;
  } else {
    EXPECT_EQ(address_of(object.if_contains("primary_ip4")), "") << guest.name;
  }
}

// Stage 3 (tags, notes) and 5 (virtual disks, the VM's disk their sum).
void expect_vm_details(NetBoxReader& netbox, const GuestScenario& guest, int64_t vm_id,
                       bool sizes_in_mb) {
  const auto vm = netbox.get(fmt::format("/api/virtualization/virtual-machines/{}/", vm_id));
  ASSERT_EQ(vm.status, 200u);
  const auto object = vm.json().as_object();
  const auto tags = tag_slugs(object);
  for (const auto& tag : guest.tags)
    EXPECT_TRUE(tags.contains(tag)) << guest.name << " lacks its Proxmox tag " << tag;
  EXPECT_EQ(string_field(object, "description"), guest.description) << guest.name;

  const auto disks = by_name(netbox.list("/api/virtualization/virtual-disks/",
                                         fmt::format("virtual_machine_id={}", vm_id)));
  EXPECT_EQ(disks.size(), guest.disks.size()) << "virtual disks of " << guest.name;
  int64_t sum = 0;
  for (const auto& disk : guest.disks) {
    const int64_t size = sizes_in_mb ? disk.size_gb * 1024 : disk.size_gb;
    sum += size;
    const auto found = disks.find(disk.key);
    if (found == disks.end()) {
      ADD_FAILURE() << guest.name << ": no virtual disk " << disk.key;
      continue;
    }
    EXPECT_EQ(found->second.at("size").to_number<int64_t>(), size) << guest.name << " " << disk.key;
  }
  const auto* total = object.if_contains("disk");
  ASSERT_TRUE(total && total->is_number()) << guest.name << " has no disk size";
  EXPECT_EQ(total->to_number<int64_t>(), sum) << guest.name << ": the sum of its virtual disks";
}

// Stage 7: one snapshot object per guest snapshot.
void expect_snapshots(NetBoxReader& netbox, const GuestScenario& guest, int64_t vm_id) {
  const auto snapshots = by_name(
      netbox.list("/api/plugins/proxbox/snapshots/", fmt::format("virtual_machine_id={}", vm_id)));
  EXPECT_EQ(snapshots.size(), guest.snapshots.size()) << "snapshots of " << guest.name;
  for (const auto& snapshot : guest.snapshots) {
    const auto found = snapshots.find(snapshot.name);
    if (found == snapshots.end()) {
      ADD_FAILURE() << guest.name << ": no snapshot " << snapshot.name;
      continue;
    }
    const auto& object = found->second;
    EXPECT_EQ(string_field(object, "description"), snapshot.description);
    EXPECT_EQ(string_field(object, "parent"), snapshot.parent) << snapshot.name;
    EXPECT_EQ(unix_seconds(object.if_contains("snaptime")), snapshot.snaptime) << snapshot.name;
    EXPECT_EQ(choice_value(object, "subtype"), guest.type);
    EXPECT_EQ(string_field(object, "node"), guest.node);
    EXPECT_EQ(object.at("vmid").to_number<int64_t>(), guest.vmid);
  }
}

// Stage 4: the finished guest tasks the endpoint lists (cluster-wide and per node), by UPID.
void expect_task_history(NetBoxReader& netbox, ProxmoxSide& pve, const ClusterScenario& cluster,
                         const EstateIds& ids) {
  std::map<std::string, json::object> listed;  // upid → the task as Proxmox lists it
  std::vector<std::string> paths{"/cluster/tasks"};
  for (const auto& node : cluster.nodes)
    paths.push_back("/nodes/" + node.name + "/tasks");
  for (const auto& path : paths) {
    const auto tasks = pve.get(path);
    if (!tasks.is_array()) continue;
    for (const auto& task : tasks.as_array()) {
      const auto& object = task.as_object();
      const std::string id = string_field(object, "id");
      const bool of_guest =
          std::any_of(cluster.guests.begin(), cluster.guests.end(),
                      [&](const GuestScenario& g) { return std::to_string(g.vmid) == id; });
      if (of_guest && object.contains("endtime")) listed[string_field(object, "upid")] = object;
    }
  }
  ASSERT_FALSE(listed.empty()) << "the endpoint lists no finished guest task";
  std::map<std::string, json::object> held;
  for (const auto& [vmid, vm_id] : ids.vms) {
    for (auto& task : netbox.list("/api/plugins/proxbox/task-history/",
                                  fmt::format("virtual_machine_id={}", vm_id))) {
      EXPECT_EQ(string_field(task, "task_id"), std::to_string(vmid)) << json::serialize(task);
      held[string_field(task, "upid")] = std::move(task);
    }
  }
  std::set<std::string> listed_upids, held_upids;
  for (const auto& [upid, _] : listed)
    listed_upids.insert(upid);
  for (const auto& [upid, _] : held)
    held_upids.insert(upid);
  EXPECT_EQ(held_upids, listed_upids);
  for (const auto& [upid, task] : listed) {
    const auto found = held.find(upid);
    if (found == held.end()) continue;
    EXPECT_EQ(string_field(found->second, "task_type"), string_field(task, "type")) << upid;
    EXPECT_EQ(string_field(found->second, "node"), string_field(task, "node")) << upid;
    EXPECT_EQ(string_field(found->second, "username"), string_field(task, "user")) << upid;
    EXPECT_EQ(string_field(found->second, "status"), string_field(task, "status")) << upid;
    EXPECT_EQ(unix_seconds(found->second.if_contains("start_time")),
              number_of(task.at("starttime")))
        << upid;
  }
}

// Stages 12 and 13: the cluster's replication and backup jobs.
void expect_jobs(NetBoxReader& netbox, const ClusterScenario& cluster, const EstateIds& ids) {
  ASSERT_FALSE(cluster.replication_jobs.empty());
  for (const auto& job : cluster.replication_jobs) {
    const auto& settings = job.settings;
    const int vmid = static_cast<int>(number_of(settings.at("guest")));
    const auto replications = netbox.list("/api/plugins/proxbox/replications/",
                                          fmt::format("virtual_machine_id={}", ids.vms.at(vmid)));
    ASSERT_EQ(replications.size(), 1u) << "replication " << job.id;
    const auto& replication = replications.front();
    EXPECT_EQ(string_field(replication, "replication_id"), job.id);
    EXPECT_EQ(string_field(replication, "target"), std::string(settings.at("target").as_string()));
    EXPECT_EQ(string_field(replication, "schedule"),
              std::string(settings.at("schedule").as_string()));
    EXPECT_EQ(replication.at("guest").to_number<int64_t>(), vmid);
  }
  ASSERT_FALSE(cluster.backup_jobs.empty());
  for (const auto& job : cluster.backup_jobs) {
    const auto routines = netbox.list("/api/plugins/proxbox/backup-routines/",
                                      "job_id=" + http::percent_encode(job.id));
    ASSERT_EQ(routines.size(), 1u) << "backup routine " << job.id;
    const auto& routine = routines.front();
    const auto& settings = job.settings;
    EXPECT_EQ(string_field(routine, "schedule"), std::string(settings.at("schedule").as_string()));
    EXPECT_EQ(routine.at("enabled").as_bool(), true);
    json::array vmids;
    for (const auto& vmid : split_list(std::string(settings.at("vmid").as_string())))
      vmids.push_back(std::stoll(vmid));
    EXPECT_EQ(routine.at("selection"), json::value(vmids)) << json::serialize(routine);
    // "keep-last=3,keep-weekly=2"
    for (const auto& part : split_list(std::string(settings.at("prune-backups").as_string()))) {
      const auto equals = part.find('=');
      std::string field = part.substr(0, equals);
      std::replace(field.begin(), field.end(), '-', '_');
      EXPECT_EQ(routine.at(field).to_number<int64_t>(), std::stoll(part.substr(equals + 1)))
          << field;
    }
  }
}

}  // namespace

namespace {

// Stage 8: one device interface per node interface, linked as the node's network is, with the
// node's addresses on them.
void expect_node_interfaces(NetBoxReader& netbox, const proxmox::NodeScenario& node,
                            int64_t device_id) {
  const auto interfaces =
      by_name(netbox.list("/api/dcim/interfaces/", fmt::format("device_id={}", device_id)));
  EXPECT_EQ(interfaces.size(), node.interfaces.size()) << "interfaces of " << node.name;
  const auto id_of_named = [&](const std::string& name) -> int64_t {
    const auto found = interfaces.find(name);
    return found == interfaces.end() ? -1 : found->second.at("id").as_int64();
  };
  for (const auto& interface : node.interfaces) {
    SCOPED_TRACE(node.name + " " + interface.iface);
    const auto found = interfaces.find(interface.iface);
    if (found == interfaces.end()) {
      ADD_FAILURE() << "no NetBox interface";
      continue;
    }
    const auto& object = found->second;
    const std::map<std::string, std::string> kTypes{
        {"eth", "other"}, {"bond", "lag"}, {"bridge", "bridge"}, {"vlan", "virtual"}};
    EXPECT_EQ(choice_value(object, "type"), kTypes.at(interface.type));
    EXPECT_EQ(object.at("enabled").as_bool(), interface.active);
    if (interface.mtu > 0) {
      EXPECT_EQ(object.at("mtu").to_number<int64_t>(), interface.mtu);
    }
    EXPECT_EQ(string_field(object, "description"), interface.comments);
    int64_t lag = 0, bridge = 0;
    for (const auto& other : node.interfaces) {
      const auto members =
          split_list(other.type == "bond" ? other.slaves : other.bridge_ports, ' ');
      if (std::find(members.begin(), members.end(), interface.iface) == members.end()) continue;
      (other.type == "bond" ? lag : bridge) = id_of_named(other.iface);
    }
    EXPECT_EQ(id_of(object.if_contains("lag")), lag);
    EXPECT_EQ(id_of(object.if_contains("bridge")), bridge);
    EXPECT_EQ(id_of(object.if_contains("parent")),
              interface.vlan_raw_device.empty() ? 0 : id_of_named(interface.vlan_raw_device));
    std::set<std::string> expected;
    for (const auto* cidr : {&interface.cidr, &interface.cidr6}) {
      if (!cidr->empty()) expected.insert(*cidr);
    }
    EXPECT_EQ(addresses_on(netbox, "interface_id", object.at("id").as_int64()), expected);
  }
}

// Stage 11: zones as VLAN groups of the cluster, tagged VNets as their VLANs, subnets as
// prefixes on those VLANs.
void expect_sdn(NetBoxReader& netbox, const ClusterScenario& cluster, int64_t cluster_id) {
  ASSERT_FALSE(cluster.sdn_zones.empty());
  std::map<std::string, int64_t> groups;
  for (const auto& zone : cluster.sdn_zones) {
    const auto found = netbox.list("/api/ipam/vlan-groups/", "name=" + zone.zone);
    const auto mine = std::find_if(found.begin(), found.end(), [&](const json::object& group) {
      return id_of(group.if_contains("scope_id")) == cluster_id;
    });
    if (mine == found.end()) {
      ADD_FAILURE() << "no VLAN group for SDN zone " << zone.zone << " on the cluster";
      continue;
    }
    EXPECT_EQ(string_field(*mine, "scope_type"), "virtualization.cluster");
    groups[zone.zone] = mine->at("id").as_int64();
  }
  std::map<std::string, int64_t> vlans;
  for (const auto& vnet : cluster.sdn_vnets) {
    if (!groups.contains(vnet.zone)) continue;
    const auto found = netbox.find_one(
        "/api/ipam/vlans/", fmt::format("group_id={}&name={}", groups[vnet.zone], vnet.vnet));
    if (!found) continue;
    EXPECT_EQ(found->at("vid").to_number<int64_t>(), vnet.tag) << vnet.vnet;
    vlans[vnet.vnet] = found->at("id").as_int64();
  }
  for (const auto& subnet : cluster.sdn_subnets) {
    const auto found =
        netbox.find_one("/api/ipam/prefixes/", "prefix=" + http::percent_encode(subnet.cidr));
    if (!found) continue;
    EXPECT_EQ(id_of(found->if_contains("vlan")), vlans[subnet.vnet]) << subnet.cidr;
  }
}

// Stage 2: one storage object per storage of the cluster.
void expect_storages(NetBoxReader& netbox, const ClusterScenario& cluster, int64_t cluster_id) {
  const auto storages = by_name(
      netbox.list("/api/plugins/proxbox/storage/", fmt::format("cluster_id={}", cluster_id)));
  EXPECT_EQ(storages.size(), cluster.storages.size());
  for (const auto& storage : cluster.storages) {
    const auto found = storages.find(storage.id);
    if (found == storages.end()) {
      ADD_FAILURE() << "no storage object for " << storage.id;
      continue;
    }
    EXPECT_EQ(string_field(found->second, "storage_type"), storage.type) << storage.id;
    EXPECT_EQ(found->second.at("shared").as_bool(), storage.shared) << storage.id;
    for (const auto& content : storage.content) {
      EXPECT_NE(string_field(found->second, "content").find(content), std::string::npos)
          << storage.id << " content " << content;
    }
  }
}

// The backup volumes Proxmox lists for a guest (storage content of its node).
std::vector<json::object> listed_backups(ProxmoxSide& pve, const ClusterScenario& cluster,
                                         const GuestScenario& guest) {
  std::vector<json::object> backups;
  for (const auto& storage : cluster.storages) {
    if (std::find(storage.content.begin(), storage.content.end(), "backup") ==
        storage.content.end())
      continue;
    const auto content =
        pve.get(fmt::format("/nodes/{}/storage/{}/content?content=backup", guest.node, storage.id));
    if (!content.is_array()) continue;
    for (const auto& volume : content.as_array()) {
      if (number_of(volume.as_object().at("vmid")) == guest.vmid)
        backups.push_back(volume.as_object());
    }
  }
  return backups;
}

std::vector<json::object> vm_journal(NetBoxReader& netbox, int64_t vm_id) {
  return netbox.list(
      "/api/extras/journal-entries/",
      fmt::format("assigned_object_type=virtualization.virtualmachine&assigned_object_id={}",
                  vm_id));
}

// Stage 6: each listed backup with its size, format, notes, protection and verification, and
// an entry in its VM's journal.
void expect_backups(NetBoxReader& netbox, ProxmoxSide& pve, const ClusterScenario& cluster,
                    const GuestScenario& guest, int64_t vm_id) {
  const auto listed = listed_backups(pve, cluster, guest);
  const auto held = by_name(
      netbox.list("/api/plugins/proxbox/backups/", fmt::format("virtual_machine_id={}", vm_id)),
      "volume_id");
  EXPECT_EQ(held.size(), listed.size()) << "backups of " << guest.name;
  const auto journal = vm_journal(netbox, vm_id);
  for (const auto& volume : listed) {
    const std::string volid = string_field(volume, "volid");
    const auto found = held.find(volid);
    if (found == held.end()) {
      ADD_FAILURE() << guest.name << ": no backup " << volid;
      continue;
    }
    const auto& backup = found->second;
    EXPECT_EQ(backup.at("size").to_number<int64_t>(), number_of(volume.at("size")));
    EXPECT_EQ(string_field(backup, "notes"), string_field(volume, "notes")) << volid;
    EXPECT_EQ(unix_seconds(backup.if_contains("creation_time")), number_of(volume.at("ctime")))
        << volid;
    if (const auto* verification = volume.if_contains("verification")) {
      EXPECT_EQ(string_field(backup, "verification_state"),
                string_field(verification->as_object(), "state"))
          << volid;
    }
    const bool journaled = std::any_of(journal.begin(), journal.end(), [&](const auto& entry) {
      return string_field(entry, "comments").find(volid) != std::string::npos;
    });
    EXPECT_TRUE(journaled) << guest.name << "'s journal does not mention " << volid;
  }
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

// ---- ProxmoxSide --------------------------------------------------------------------------

namespace {

http::Headers proxmox_headers(bool form) {
  http::Headers headers;
  headers.set(http::Field::authorization, fmt::format("PVEAPIToken={}!{}={}", kMockTokenUser,
                                                      kMockTokenName, kMockTokenSecret));
  if (form) headers.set(http::Field::content_type, "application/x-www-form-urlencoded");
  return headers;
}

}  // namespace

ProxmoxSide ProxmoxSide::over_http(http::Client& client, std::string mock_url) {
  return ProxmoxSide(
      [&client, mock_url](http::Verb method, const std::string& target, const std::string& body) {
        return client.request(method, mock_url + target, body, proxmox_headers(!body.empty()));
      });
}

ProxmoxSide ProxmoxSide::in_process(proxmox::Engine& engine) {
  return ProxmoxSide(
      [&engine](http::Verb method, const std::string& target, const std::string& body) {
        auto request = http::Request::make(method, target, body);
        request.headers = proxmox_headers(!body.empty());
        const auto response = engine.handle(request);
        http::ClientResponse answer;
        answer.status = response.code();
        answer.headers = response.headers;
        answer.body = response.body;
        return answer;
      });
}

ClusterScenario ProxmoxSide::state() {
  const auto answer = call_(http::Verb::get, "/mock/state", "");
  if (answer.status != 200) {
    ADD_FAILURE() << "GET /mock/state -> " << answer.status << " " << answer.body;
    return {};
  }
  return proxmox::Scenario::from_json(answer.json().at("data")).clusters.at(0);
}

json::value ProxmoxSide::get(std::string_view path) {
  const auto answer = call_(http::Verb::get, "/api2/json" + std::string(path), "");
  if (answer.status != 200) {
    ADD_FAILURE() << "GET " << path << " -> " << answer.status << " " << answer.body;
    return nullptr;
  }
  return answer.json().at("data");
}

void ProxmoxSide::put(std::string_view path, const http::Params& form) {
  const auto answer =
      call_(http::Verb::put, "/api2/json" + std::string(path), http::encode_form(form));
  EXPECT_EQ(answer.status, 200u) << "PUT " << path << ": " << answer.body;
}

void ProxmoxSide::remove(std::string_view path) {
  const auto answer = call_(http::Verb::delete_, "/api2/json" + std::string(path), "");
  EXPECT_EQ(answer.status, 200u) << "DELETE " << path << ": " << answer.body;
}

// ---- checks -------------------------------------------------------------------------------

EstateIds estate_ids(NetBoxReader& netbox, const ClusterScenario& cluster) {
  EstateIds ids;
  const auto found = netbox.find_one("/api/virtualization/clusters/",
                                     "name=" + http::percent_encode(cluster.name));
  if (!found) return ids;
  ids.cluster = found->at("id").as_int64();
  for (const auto& device :
       netbox.list("/api/dcim/devices/", fmt::format("cluster_id={}", ids.cluster)))
    ids.devices[string_field(device, "name")] = device.at("id").as_int64();
  for (const auto& vm : netbox.list("/api/virtualization/virtual-machines/",
                                    fmt::format("cluster_id={}", ids.cluster))) {
    if (const auto* vmid = custom_field(vm, "proxmox_vm_id"); vmid && vmid->is_int64())
      ids.vms[static_cast<int>(vmid->as_int64())] = vm.at("id").as_int64();
  }
  return ids;
}

void expect_estate_synced(NetBoxReader& netbox, ProxmoxSide& pve, bool plugin_objects) {
  const auto cluster = pve.state();
  proxmox::Scenario scenario;
  scenario.clusters = {cluster};
  expect_devices_synced(netbox, scenario);
  expect_vms_synced(netbox, scenario);
  const auto ids = estate_ids(netbox, cluster);
  ASSERT_NE(ids.cluster, 0);
  const bool sizes_in_mb = at_least(netbox_version(netbox), 4, 1);
  for (const auto& guest : cluster.guests) {
    SCOPED_TRACE(guest.name);
    const auto vm = ids.vms.find(guest.vmid);
    if (vm == ids.vms.end()) continue;  // expect_vms_synced said so
    expect_vm_details(netbox, guest, vm->second, sizes_in_mb);
    expect_vm_interfaces(netbox, guest, vm->second);
    if (!plugin_objects) continue;
    expect_snapshots(netbox, guest, vm->second);
    expect_backups(netbox, pve, cluster, guest, vm->second);
  }
  for (const auto& node : cluster.nodes) {
    const auto device = ids.devices.find(node.name);
    if (device != ids.devices.end()) expect_node_interfaces(netbox, node, device->second);
  }
  expect_sdn(netbox, cluster, ids.cluster);
  if (!plugin_objects) return;
  expect_storages(netbox, cluster, ids.cluster);
  expect_task_history(netbox, pve, cluster, ids);
  expect_jobs(netbox, cluster, ids);
}

std::map<int64_t, std::string> vm_ip_addresses(NetBoxReader& netbox, const EstateIds& ids) {
  std::map<int64_t, std::string> addresses;
  for (const auto& [vmid, vm_id] : ids.vms) {
    for (const auto& ip :
         netbox.list("/api/ipam/ip-addresses/", fmt::format("virtual_machine_id={}", vm_id)))
      addresses[ip.at("id").as_int64()] = string_field(ip, "address");
  }
  return addresses;
}

std::string change_container_address(ProxmoxSide& pve, const ClusterScenario& cluster, int vmid,
                                     std::string_view key, std::string_view cidr) {
  const auto guest = std::find_if(cluster.guests.begin(), cluster.guests.end(),
                                  [&](const GuestScenario& g) { return g.vmid == vmid; });
  if (guest == cluster.guests.end() || guest->type != "lxc") {
    ADD_FAILURE() << "no container " << vmid;
    return "";
  }
  const std::string path = fmt::format("/nodes/{}/lxc/{}/config", guest->node, vmid);
  const auto config = pve.get(path);
  if (!config.is_object() || !config.as_object().contains(key)) {
    ADD_FAILURE() << vmid << " has no " << key << ": " << json::serialize(config);
    return "";
  }
  // "name=eth0,bridge=vmbr0,hwaddr=..,ip=10.1.3.20/24,..": replace the ip= item.
  std::string replaced, changed;
  for (const auto& item : split_list(std::string(config.at(key).as_string()), ',')) {
    const bool address = item.starts_with("ip=");
    if (address) replaced = item.substr(3);
    changed += (changed.empty() ? "" : ",") + (address ? "ip=" + std::string(cidr) : item);
  }
  EXPECT_FALSE(replaced.empty()) << key << " has no static ip=";
  pve.put(path, {{std::string(key), changed}});
  return replaced;
}

std::string delete_first_backup(ProxmoxSide& pve, const ClusterScenario& cluster, int vmid) {
  const auto guest = std::find_if(cluster.guests.begin(), cluster.guests.end(),
                                  [&](const GuestScenario& g) { return g.vmid == vmid; });
  if (guest == cluster.guests.end()) {
    ADD_FAILURE() << "no guest " << vmid;
    return "";
  }
  const auto backups = listed_backups(pve, cluster, *guest);
  const auto deletable = std::find_if(backups.begin(), backups.end(), [](const auto& backup) {
    return !backup.contains("protected");  // Proxmox refuses to delete a protected one
  });
  if (deletable == backups.end()) {
    ADD_FAILURE() << vmid << " has no unprotected backup to delete";
    return "";
  }
  const std::string volid = string_field(*deletable, "volid");
  const std::string storage = volid.substr(0, volid.find(':'));
  pve.remove(fmt::format("/nodes/{}/storage/{}/content/{}", guest->node, storage,
                         http::percent_encode(volid)));
  return volid;
}

void expect_backup_deleted(NetBoxReader& netbox, int64_t vm_id, std::string_view volid,
                           size_t backups_left) {
  const auto backups =
      netbox.list("/api/plugins/proxbox/backups/", fmt::format("virtual_machine_id={}", vm_id));
  EXPECT_EQ(backups.size(), backups_left);
  for (const auto& backup : backups)
    EXPECT_NE(string_field(backup, "volume_id"), volid) << "still in NetBox";
  const auto journal = vm_journal(netbox, vm_id);
  const bool warned = std::any_of(journal.begin(), journal.end(), [&](const auto& entry) {
    const auto* kind = entry.if_contains("kind");
    return kind && choice_value(entry, "kind") == "warning" &&
           string_field(entry, "comments").find(volid) != std::string::npos;
  });
  EXPECT_TRUE(warned) << "no warning in the VM's journal about the deleted " << volid;
}

}  // namespace pbx::e2e::suite
