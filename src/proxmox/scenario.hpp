#pragma once
// The seed of the mock's state: what a Proxmox endpoint holds. Shared by the mock (loads it),
// the E2E fixtures (build it), the sync tests and the benchmarks (generate it).
//
// One ClusterScenario is one Proxmox API endpoint (a PVE cluster, a standalone node, or a PBS
// server). A Scenario may hold several; `proxmox-mock` serves each on its own listener.
// JSON form: see to_json()/from_json(); unknown keys are rejected with a message naming them.
// Each struct's JSON fields are the members its BOOST_DESCRIBE_STRUCT lists, in that order, keyed
// by the member's name without a trailing '_' (template_ → "template"): one list serves both
// directions. A member left out of the list is neither read nor written.

#include <boost/describe/class.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/enum_names.hpp"

namespace pbx::proxmox {

enum class Service { pve, pbs, pdm };
BOOST_DESCRIBE_ENUM(Service, pve, pbs, pdm)
inline std::string_view to_string(Service service) {
  return common::enum_name(service);
}
// Accepts "pve", "PBS ", ...; throws std::invalid_argument listing the valid names.
Service parse_service(std::string_view text);

// One entry of a node's /etc/network/interfaces (GET /nodes/{node}/network).
struct InterfaceScenario {
  std::string iface;         // "eno1", "bond0", "vmbr0", "vmbr0.20"
  std::string type = "eth";  // eth | bond | bridge | vlan
  std::string mac;           // hardware address of a physical NIC (not in the API's listing)
  std::string cidr;          // "192.0.2.11/24"
  std::string gateway;
  std::string cidr6;  // "2001:db8::11/64"
  std::string gateway6;
  std::string bridge_ports;  // bridge: "eno1" or "bond0"
  bool bridge_vlan_aware = false;
  std::string slaves;     // bond: "eno1 eno2"
  std::string bond_mode;  // bond: "802.3ad", "active-backup", ...
  int vlan_id = 0;        // vlan: the tag ("vmbr0.20" also names it)
  std::string vlan_raw_device;
  int mtu = 0;  // 0: not set (1500)
  bool active = true;
  bool autostart = true;
  std::string comments;

  bool operator==(const InterfaceScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(InterfaceScenario, (),
                      (iface, type, mac, cidr, gateway, cidr6, gateway6, bridge_ports,
                       bridge_vlan_aware, slaves, bond_mode, vlan_id, vlan_raw_device, mtu, active,
                       autostart, comments))

struct NodeScenario {
  std::string name;               // "pve1"
  std::string status = "online";  // online | offline
  std::string ip;                 // "10.0.0.11" (data only; never contacted)
  int cpus = 8;
  int64_t memory_bytes = 32LL << 30;
  int64_t disk_bytes = 512LL << 30;
  // Empty: two NICs and a bridge vmbr0 carrying `ip` (see ClusterState).
  std::vector<InterfaceScenario> interfaces;

  bool operator==(const NodeScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(NodeScenario, (),
                      (name, status, ip, cpus, memory_bytes, disk_bytes, interfaces))

// A guest's `netN`. QEMU: "virtio=<mac>,bridge=vmbr0,firewall=1,tag=20,mtu=..,rate=..,queues=..,
// link_down=1"; LXC: "name=eth0,bridge=vmbr0,hwaddr=<mac>,ip=<cidr>,gw=..,ip6=..,gw6=..,tag=..".
struct NicScenario {
  std::string name = "net0";  // net0.. (qemu: the config key), eth0.. (lxc: name inside the guest)
  std::string mac;            // kept exactly as given; generated only when empty
  std::string bridge = "vmbr0";
  // CIDR, v4 and v6. QEMU: what the guest agent reports; LXC: ip= (first v4, else dhcp) and
  // ip6= (first v6).
  std::vector<std::string> ip_addresses;
  std::string key;               // lxc: the config key ("net1"); empty: net<position>
  std::string model = "virtio";  // qemu: virtio | e1000 | e1000e | rtl8139 | vmxnet3
  int tag = 0;                   // VLAN tag; 0: untagged
  bool firewall = true;
  int mtu = 0;       // 0: not set
  std::string rate;  // MB/s as Proxmox prints it ("12.5"); empty: unlimited
  int queues = 0;    // qemu multiqueue; 0: not set
  bool link_down = false;
  std::string gateway;   // lxc gw=
  std::string gateway6;  // lxc gw6=

  bool operator==(const NicScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(NicScenario, (),
                      (name, mac, bridge, ip_addresses, key, model, tag, firewall, mtu, rate,
                       queues, link_down, gateway, gateway6))

// A guest disk: qemu scsiN/virtioN/sataN/ideN, lxc rootfs/mpN, or a detached volume the guest
// still owns (unusedN: on its storage, in its content and usage, not attached).
struct DiskScenario {
  std::string key = "scsi0";
  std::string storage;  // empty: the first storage of the guest's node for images/rootdir
  int64_t size_gb = 8;
  std::string volume;      // "vm-100-disk-0"; generated when empty
  std::string mountpoint;  // lxc mpN: the path inside the container ("/srv")
  // The drive's other settings as a client wrote them ("backup=0,discard=on"), printed sorted
  // by key around size= as Proxmox does. A qemu scsi disk of a loaded scenario without options
  // gets "iothread=1".
  std::string options;

  bool operator==(const DiskScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(DiskScenario, (), (key, storage, size_gb, volume, mountpoint, options))

struct SnapshotScenario {
  std::string name;
  std::string description;
  std::string parent;  // the snapshot this one was taken on top of
  int64_t snaptime = 0;
  bool vmstate = false;

  bool operator==(const SnapshotScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(SnapshotScenario, (), (name, description, parent, snaptime, vmstate))

struct GuestScenario {
  int vmid = 0;
  std::string type = "qemu";  // qemu | lxc
  std::string name;
  std::string node;
  std::string status = "running";  // running | stopped | paused
  int cores = 1;
  int64_t memory_mb = 1024;
  int64_t disk_gb = 8;
  bool onboot = false;
  bool agent = false;        // qemu guest agent enabled (and answering)
  bool unprivileged = true;  // lxc only
  bool template_ = false;    // JSON key "template"
  std::string pool;
  std::vector<std::string> tags;
  std::string description;
  std::string os_type;  // qemu ostype / lxc ostype
  std::vector<NicScenario> nics;
  // Empty: one disk of disk_gb (scsi0 / rootfs) when disk_gb > 0. The state keeps disk_gb equal
  // to the first disk's size (what maxdisk reports).
  std::vector<DiskScenario> disks;
  std::vector<SnapshotScenario> snapshots;  // oldest first; "current" derives from the last

  bool operator==(const GuestScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(GuestScenario, (),
                      (vmid, type, name, node, status, cores, memory_mb, disk_gb, onboot, agent,
                       unprivileged, template_, pool, tags, description, os_type, nics, disks,
                       snapshots))

struct StorageScenario {
  std::string id;                                         // "local", "backup"
  std::string type = "dir";                               // dir | lvmthin | nfs | pbs | zfspool ...
  std::vector<std::string> content{"images", "rootdir"};  // images, rootdir, backup, iso, vztmpl
  bool shared = false;
  std::vector<std::string> nodes;  // empty: every node
  int64_t total_bytes = 1LL << 40;

  bool operator==(const StorageScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(StorageScenario, (), (id, type, content, shared, nodes, total_bytes))

struct BackupScenario {
  std::string storage;  // a StorageScenario id with "backup" content
  std::string node;     // node whose storage listing shows it (shared storage: every node)
  int vmid = 0;
  std::string
      volid;  // "backup:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst"; generated when empty
  std::string format = "vma.zst";
  int64_t size = 1LL << 30;
  int64_t ctime = 0;  // unix seconds
  std::string notes;
  bool protected_ = false;   // JSON key "protected"
  std::string verification;  // "", "ok", "failed"

  bool operator==(const BackupScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(BackupScenario, (),
                      (storage, node, vmid, volid, format, size, ctime, notes, protected_,
                       verification))

// A volume of a storage's content that belongs to no guest config and is no backup: ISO images
// (iso/), container templates (vztmpl/), import sources (import/), and disk images left without
// a guest. Uploads, download-url and content deletes change this list.
struct VolumeScenario {
  std::string storage;  // a StorageScenario id
  std::string node;     // non-shared storage: the node it is on; empty: every node
  std::string volid;    // "local:iso/debian-12.8.0-amd64-netinst.iso"
  std::string content;  // iso | vztmpl | import | images | rootdir
  std::string format;   // iso | tzst | tgz | txz | raw | qcow2 | ova ...
  int64_t size = 0;     // bytes
  int64_t ctime = 0;    // unix seconds; 0: when loaded
  int vmid = 0;         // images/rootdir: the owner's vmid; 0 otherwise

  bool operator==(const VolumeScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(VolumeScenario, (),
                      (storage, node, volid, content, format, size, ctime, vmid))

struct TokenScenario {
  std::string id;      // "automation" in root@pam!automation
  std::string secret;  // UUID-shaped in the real API
  bool privsep = false;
  int64_t expire = 0;  // unix seconds; 0: never
  std::string comment;

  bool operator==(const TokenScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(TokenScenario, (), (id, secret, privsep, expire, comment))

// An account of user.cfg (/access/users). The password is what POST /access/ticket checks,
// whatever the realm's type (the mock asks no PAM or LDAP server).
struct UserScenario {
  std::string userid = "root@pam";
  std::string password = "proxmox";
  std::vector<TokenScenario> tokens;
  bool enable = true;
  int64_t expire = 0;  // unix seconds; 0: never
  std::string firstname;
  std::string lastname;
  std::string email;
  std::string comment;
  std::string keys;  // two-factor keys (yubico), as Proxmox keeps them

  bool operator==(const UserScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(UserScenario, (),
                      (userid, password, tokens, enable, expire, firstname, lastname, email,
                       comment, keys))

// An authentication realm of domains.cfg (/access/domains). pam and pve always exist.
struct RealmScenario {
  std::string realm;  // "pve", "corp-ldap"
  std::string type;   // pam | pve | ldap | ad | openid
  std::string comment;
  bool default_ = false;  // JSON key "default": preselected at login
  // The type's other settings as a client sent them ("server1", "base_dn", "tfa", ...).
  boost::json::object options;

  bool operator==(const RealmScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(RealmScenario, (), (realm, type, comment, default_, options))

// A group of user.cfg (/access/groups); membership lives here, users show it as `groups`.
struct GroupScenario {
  std::string groupid;
  std::string comment;
  std::vector<std::string> members;  // userids

  bool operator==(const GroupScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(GroupScenario, (), (groupid, comment, members))

// A role a client made (/access/roles). The built-in roles (Administrator, PVEAuditor, ...) are
// not listed here: they always exist, with Proxmox's privileges, and cannot be changed.
struct RoleScenario {
  std::string roleid;
  std::vector<std::string> privs;  // "VM.Audit", "Sys.Audit", ...

  bool operator==(const RoleScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(RoleScenario, (), (roleid, privs))

// One entry of the access control list (/access/acl): a role for a user, group or API token
// on a path.
struct AclScenario {
  std::string path = "/";
  std::string type = "user";  // user | group | token
  std::string ugid;           // "alice@pve", "admins", "alice@pve!ci"
  std::string roleid;
  bool propagate = true;

  bool operator==(const AclScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(AclScenario, (), (path, type, ugid, roleid, propagate))

// PBS-side state (service=pbs).
struct DatastoreScenario {
  std::string name;
  std::string path;
  std::vector<std::string> namespaces;

  bool operator==(const DatastoreScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(DatastoreScenario, (), (name, path, namespaces))

// A cluster job (/cluster/backup, /cluster/replication): its settings as the API lists them.
struct JobScenario {
  std::string id;                // "backup-daily", "100-0"
  boost::json::object settings;  // includes "id"

  bool operator==(const JobScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(JobScenario, (), (id, settings))

// A finished task of the history (/cluster/tasks, /nodes/{node}/tasks).
struct TaskScenario {
  std::string node;
  std::string type;  // qmstart, vzdump, qmsnapshot, ...
  std::string id;    // vmid or object id
  std::string user = "root@pam";
  int64_t starttime = 0;
  int64_t endtime = 0;
  std::string status = "OK";  // the exit status

  bool operator==(const TaskScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(TaskScenario, (), (node, type, id, user, starttime, endtime, status))

// /cluster/ha/resources.
struct HaResourceScenario {
  std::string sid;                // "vm:100", "ct:101"
  std::string state = "started";  // started | stopped | enabled | disabled | ignored
  std::string group;
  int max_restart = 1;
  int max_relocate = 1;
  std::string comment;

  bool operator==(const HaResourceScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(HaResourceScenario, (),
                      (sid, state, group, max_restart, max_relocate, comment))

// /cluster/sdn/zones, /cluster/sdn/vnets, /cluster/sdn/vnets/{vnet}/subnets.
struct SdnZoneScenario {
  std::string zone;
  std::string type = "simple";  // simple | vlan | qinq | vxlan | evpn
  std::string bridge;           // vlan/qinq zones
  int mtu = 0;
  std::vector<std::string> nodes;  // empty: every node
  std::string ipam;                // "pve"

  bool operator==(const SdnZoneScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(SdnZoneScenario, (), (zone, type, bridge, mtu, nodes, ipam))

struct SdnVnetScenario {
  std::string vnet;
  std::string zone;
  int tag = 0;
  std::string alias;
  bool vlanaware = false;

  bool operator==(const SdnVnetScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(SdnVnetScenario, (), (vnet, zone, tag, alias, vlanaware))

struct SdnSubnetScenario {
  std::string vnet;
  std::string cidr;  // "10.10.0.0/24"
  std::string gateway;
  bool snat = false;

  bool operator==(const SdnSubnetScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(SdnSubnetScenario, (), (vnet, cidr, gateway, snat))

// A custom CPU model (/etc/pve/virtual-guest/cpu-models.conf): no API of the schemas the mock
// serves writes it, so it is scenario data.
struct CpuModelScenario {
  std::string name;                      // listed as "custom-<name>"
  std::string reported_model = "kvm64";  // a built-in model; its vendor is the listing's
  std::string flags;                     // "+aes;-pcid"

  bool operator==(const CpuModelScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(CpuModelScenario, (), (name, reported_model, flags))

struct ClusterScenario {
  std::string name = "pve";      // cluster name (standalone: the node's name)
  std::string mode = "cluster";  // cluster | standalone
  std::vector<NodeScenario> nodes;
  std::vector<GuestScenario> guests;
  std::vector<StorageScenario> storages;
  std::vector<BackupScenario> backups;
  std::vector<VolumeScenario> volumes;        // ISOs, templates, unattached images
  std::vector<DatastoreScenario> datastores;  // pbs
  // Empty on PVE with guests and a backup storage: one daily job of every guest.
  std::vector<JobScenario> backup_jobs;
  std::vector<JobScenario> replication_jobs;
  std::vector<TaskScenario> tasks;
  std::vector<HaResourceScenario> ha_resources;
  std::vector<SdnZoneScenario> sdn_zones;
  std::vector<SdnVnetScenario> sdn_vnets;
  std::vector<SdnSubnetScenario> sdn_subnets;
  // Custom CPU models (cpu-models.conf), listed as "custom-<name>" by capabilities/qemu/cpu.
  std::vector<CpuModelScenario> cpu_models;
  // Rules, options, IP sets, aliases per zone and the security groups: FirewallState's JSON
  // form (firewall_state.hpp); {} is no firewall configuration.
  boost::json::object firewall;

  bool operator==(const ClusterScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(ClusterScenario, (),
                      (name, mode, nodes, guests, storages, backups, volumes, datastores,
                       backup_jobs, replication_jobs, tasks, ha_resources, sdn_zones, sdn_vnets,
                       sdn_subnets, cpu_models, firewall))

struct Scenario {
  Service service = Service::pve;
  std::vector<ClusterScenario> clusters;
  // Accounts and permissions, given to every cluster of the scenario (each keeps its own copy,
  // as each cluster has its own user.cfg).
  std::vector<UserScenario>
      users;  // empty: the documented defaults (root@pam / proxmox and
              // token root@pam!proxbox = 00000000-0000-0000-0000-000000000000)
  std::vector<RealmScenario> realms;  // empty: pam and pve; both are added when missing
  std::vector<GroupScenario> groups;
  std::vector<RoleScenario> roles;  // custom roles only
  std::vector<AclScenario> acl;

  bool operator==(const Scenario&) const = default;
  static Scenario from_json(const boost::json::value& json);  // throws std::invalid_argument
  boost::json::value to_json() const;
};
BOOST_DESCRIBE_STRUCT(Scenario, (), (service, clusters, users, realms, groups, roles, acl))

// The access part of a Scenario (users, realms, groups, roles, ACL): what one endpoint starts
// from and exports again.
struct AccessConfig {
  std::vector<UserScenario> users;
  std::vector<RealmScenario> realms;
  std::vector<GroupScenario> groups;
  std::vector<RoleScenario> roles;
  std::vector<AclScenario> acl;

  bool operator==(const AccessConfig&) const = default;
  static AccessConfig of(const Scenario& scenario);
  void into(Scenario& scenario) const;
};

// A big deterministic scenario for benchmarks: `guests` spread over `nodes` over `clusters`,
// with `backups_per_guest` backups each.
struct GenerateOptions {
  int clusters = 1;
  int nodes = 3;
  int guests = 10;
  int backups_per_guest = 0;
  int nics_per_guest = 2;       // one address each
  int disks_per_guest = 2;      // qemu scsi0.., lxc rootfs + mp0..
  int snapshots_per_guest = 0;  // each with its snapshot task in the history
  // Cluster extras: a backup job, replication of every 10th guest, HA for every 5th, one SDN
  // zone with two VNets and their subnets, and a start task per running guest.
  bool extras = true;
  uint64_t seed = 1;
  std::string prefix = "pve";
};
Scenario generate_scenario(const GenerateOptions& options);

}  // namespace pbx::proxmox
