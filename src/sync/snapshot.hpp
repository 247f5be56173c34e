#pragma once
// What one Proxmox endpoint holds, as plain data: the reader fills it, the mapping consumes it.
// No JSON here, so the mapping and the diff can be tested without any I/O.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sync/guest_devices.hpp"
#include "sync/node_network.hpp"
#include "sync/sdn.hpp"

namespace pbx::sync {

struct ProxmoxNode {
  std::string name;
  bool online = true;
  std::string ip;
  // GET /nodes/{node}/network, when the run read it and it answered (node_network.hpp).
  std::optional<std::vector<NodeInterface>> network;
};

struct ProxmoxGuestSnapshot {
  int vmid = 0;
  std::string guest_type;  // qemu | lxc
  std::string node;
  std::string name;
  std::string parent;
  std::string description;
  int64_t snaptime = 0;  // 0: Proxmox gave no time
  bool vmstate = false;
};

// What a guest's own reads said: its /config, its guest agent and its snapshot list, as opposed
// to its /cluster/resources entry. One group, because the read cache (guest_read_cache.hpp)
// keeps exactly this part per guest and copies it as a whole.
struct GuestReads {
  bool onboot = false;
  bool agent = false;
  bool unprivileged = false;
  std::string description;
  std::vector<std::string> tags;          // Proxmox tags (guest_tags.hpp)
  std::vector<std::string> ip_addresses;  // from the guest agent, when it answers
  GuestDevices devices;                   // disks, netN, agent interfaces (guest_devices.hpp)
  // GET .../snapshot when it was read and answered; nullopt: not read (not asked for, or the
  // config failed) or failed — unknown, never "no snapshots". The reader moves the lists into
  // PluginObjects::snapshots once the read cache has its copy.
  std::optional<std::vector<ProxmoxGuestSnapshot>> snapshots;
};

struct ProxmoxGuest : GuestReads {
  int vmid = 0;
  std::string type;  // "qemu" | "lxc"
  std::string name;
  std::string node;
  std::string status;  // running | stopped | paused
  int vcpus = 0;
  int64_t memory_bytes = 0;
  int64_t disk_bytes = 0;
  bool is_template = false;
  std::optional<std::string> config_error;  // the guest's config could not be read
};

struct ProxmoxBackup {
  std::string storage;
  std::string node;
  std::string volid;
  int vmid = 0;
  std::string subtype;  // qemu | lxc, when the storage reports it
  std::string format;
  int64_t size = 0;
  int64_t ctime = 0;
  std::string notes;
  bool is_protected = false;
  std::string verification_state;
};

// Objects of the netbox-proxbox plugin's own models (storage, snapshots, task history,
// replication and backup jobs), read by proxmox_reader_plugin.cpp.
struct ProxmoxStorage {
  std::string name;
  std::string type;
  std::string content;  // "images,rootdir,backup" as Proxmox lists it
  std::string path;
  std::string nodes;  // "pve1,pve2"; empty: every node
  bool shared = false;
  bool enabled = true;
};

struct ProxmoxTask {
  std::string upid;
  std::string node;
  std::string type;  // qmstart, vzdump, ...
  std::string id;    // the task's object id (a vmid for guest tasks)
  std::string user;
  std::string status;  // the exit status of a finished task ("OK", "job errors", ...)
  int64_t pid = 0;
  int64_t starttime = 0;
  int64_t endtime = 0;
};

// A cluster job (/cluster/replication, /cluster/backup) as Proxmox lists it: its id plus every
// setting as text (numbers and flags included), `raw_json` the entry verbatim.
struct ProxmoxJob {
  std::string id;
  std::map<std::string, std::string> settings;
  std::string raw_json;
};

// Which plugin listings answered in this run. A listing that failed is unknown, not empty:
// nothing it would have listed may be marked stale or deleted.
struct PluginListings {
  bool storages = false;
  bool tasks = false;  // every online node's task list answered
  bool replication = false;
  bool backup_jobs = false;
  std::set<int> snapshots_of;  // vmids whose snapshot list answered
};

struct PluginObjects {
  std::string base_url;  // the endpoint's configured URL (to find the plugin's endpoint object)
  std::vector<ProxmoxStorage> storages;
  std::vector<ProxmoxGuestSnapshot> snapshots;
  std::vector<ProxmoxTask> tasks;
  std::vector<ProxmoxJob> replication_jobs;
  std::vector<ProxmoxJob> backup_jobs;
  PluginListings listed;
};

// Which backup listings this run read, so that a NetBox backup is judged an orphan only when
// the listing that would have shown it succeeded: a node whose storage list failed (or that is
// offline) may hold any non-shared storage; a storage whose content listing failed on any node
// may hold any backup of that storage name.
struct BackupCoverage {
  bool read = false;                      // backups were read at all in this run
  std::set<std::string> unread_nodes;     // storage list failed, or node offline
  std::set<std::string> failed_storages;  // a content listing failed
  std::set<std::string> shared_storages;  // shared storages listed (from one node)
  std::vector<std::string> failures;      // one message per failed read, for the summary

  // True when every listing that could hold a backup on `storage` succeeded.
  bool complete(const std::string& storage) const {
    if (!read || failed_storages.count(storage)) return false;
    return unread_nodes.empty() || shared_storages.count(storage) > 0;
  }
};

struct ProxmoxSnapshot {
  std::string endpoint_name;  // the configured endpoint (for messages)
  std::string version;        // "8.2.4"
  std::string cluster_name;
  std::string cluster_mode;  // "cluster" | "standalone"
  std::vector<ProxmoxNode> nodes;
  std::vector<ProxmoxGuest> guests;
  std::vector<ProxmoxBackup> backups;
  PluginObjects plugin;
  std::optional<SdnConfig> sdn;  // when the run read it and every listing answered (sdn.hpp)
  BackupCoverage backup_coverage;
  std::vector<std::string> warnings;  // tolerated read failures (guest agent)
  size_t requests = 0;
  size_t guests_read = 0;    // guests whose config was requested in this run
  size_t guests_cached = 0;  // guests served from the read cache (no request)
};

}  // namespace pbx::sync
