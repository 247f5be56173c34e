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
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pbx::proxmox {

enum class Service { pve, pbs, pdm };
std::string_view to_string(Service service);
// Accepts "pve", "PBS ", ...; throws std::invalid_argument listing the valid names.
Service parse_service(std::string_view text);

struct NodeScenario {
  std::string name;               // "pve1"
  std::string status = "online";  // online | offline
  std::string ip;                 // "10.0.0.11" (data only; never contacted)
  int cpus = 8;
  int64_t memory_bytes = 32LL << 30;
  int64_t disk_bytes = 512LL << 30;

  bool operator==(const NodeScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(NodeScenario, (), (name, status, ip, cpus, memory_bytes, disk_bytes))

struct NicScenario {
  std::string name = "net0";  // net0.. (qemu), eth0.. (lxc: name inside the guest)
  std::string mac;            // "BC:24:11:00:00:01"; generated when empty
  std::string bridge = "vmbr0";
  std::vector<std::string> ip_addresses;  // CIDR, reported by the guest agent / lxc config

  bool operator==(const NicScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(NicScenario, (), (name, mac, bridge, ip_addresses))

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

  bool operator==(const GuestScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(GuestScenario, (),
                      (vmid, type, name, node, status, cores, memory_mb, disk_gb, onboot, agent,
                       unprivileged, template_, pool, tags, description, os_type, nics))

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

struct TokenScenario {
  std::string id;      // "automation" in root@pam!automation
  std::string secret;  // UUID-shaped in the real API
  bool privsep = false;

  bool operator==(const TokenScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(TokenScenario, (), (id, secret, privsep))

struct UserScenario {
  std::string userid = "root@pam";
  std::string password = "proxmox";
  std::vector<TokenScenario> tokens;

  bool operator==(const UserScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(UserScenario, (), (userid, password, tokens))

// PBS-side state (service=pbs).
struct DatastoreScenario {
  std::string name;
  std::string path;
  std::vector<std::string> namespaces;

  bool operator==(const DatastoreScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(DatastoreScenario, (), (name, path, namespaces))

struct ClusterScenario {
  std::string name = "pve";      // cluster name (standalone: the node's name)
  std::string mode = "cluster";  // cluster | standalone
  std::vector<NodeScenario> nodes;
  std::vector<GuestScenario> guests;
  std::vector<StorageScenario> storages;
  std::vector<BackupScenario> backups;
  std::vector<DatastoreScenario> datastores;  // pbs

  bool operator==(const ClusterScenario&) const = default;
};
BOOST_DESCRIBE_STRUCT(ClusterScenario, (),
                      (name, mode, nodes, guests, storages, backups, datastores))

struct Scenario {
  Service service = Service::pve;
  std::vector<ClusterScenario> clusters;
  std::vector<UserScenario>
      users;  // empty: the documented defaults (root@pam / proxmox and
              // token root@pam!proxbox = 00000000-0000-0000-0000-000000000000)

  bool operator==(const Scenario&) const = default;
  static Scenario from_json(const boost::json::value& json);  // throws std::invalid_argument
  boost::json::value to_json() const;
};
BOOST_DESCRIBE_STRUCT(Scenario, (), (service, clusters, users))

// A big deterministic scenario for benchmarks: `guests` spread over `nodes` over `clusters`,
// with `backups_per_guest` backups each.
struct GenerateOptions {
  int clusters = 1;
  int nodes = 3;
  int guests = 10;
  int backups_per_guest = 0;
  uint64_t seed = 1;
  std::string prefix = "pve";
};
Scenario generate_scenario(const GenerateOptions& options);

}  // namespace pbx::proxmox
