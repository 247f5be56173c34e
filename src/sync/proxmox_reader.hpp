#pragma once
// Reads what the sync needs from one Proxmox VE endpoint (API token or user+password auth),
// with a bounded number of requests in flight, into a plain ProxmoxSnapshot.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <stop_token>
#include <string>

#include "sync/guest_read_cache.hpp"
#include "sync/proxmox_reader_plugin.hpp"
#include "sync/snapshot.hpp"
#include "sync/transport.hpp"

namespace pbx::sync {

struct ProxmoxCredentials {
  std::string base_url;  // "https://pve:8006" (an "/api2/json" suffix is accepted)
  std::string token;     // "user@realm!id=secret"; when empty, user + password are used
  std::string user;      // "root@pam"
  std::string password;
};

// A Proxmox answer the reader cannot do without (auth, version, nodes, resources).
class ProxmoxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  ProxmoxError(const std::string& message, unsigned status)
      : std::runtime_error(message), status_(status) {}
  // The HTTP status Proxmox answered (501: the API has no such method), 0 when there was none.
  unsigned status() const { return status_; }

 private:
  unsigned status_ = 0;
};

struct ReaderOptions {
  size_t max_in_flight = 8;  // per endpoint
  bool read_backups = true;
  bool read_agent_interfaces = true;
  PluginReadSet plugin;            // the plugin's objects to read (none by default)
  bool read_node_network = false;  // every node's /network (the node interfaces stage)
  bool read_sdn = false;           // /cluster/sdn zones, VNets, subnets (the SDN stage)
  // What earlier reads learned of each guest's config and agent (guest_read_cache.hpp): an
  // unchanged guest is served from it without a request. None: every guest is read.
  std::shared_ptr<GuestReadCache> read_cache;
  bool full_read = false;     // read every guest, cached or not (and refresh the cache)
  std::set<int> fresh_vmids;  // these guests are read whatever the cache holds
  // /cluster/resources is narrowed to some guests (a single-object sync): a guest it omits is not
  // gone, and its cache entry stays.
  bool listing_narrowed = false;
  // Once requested, the remaining per-guest and backup reads are skipped and the requests in
  // flight are aborted: the snapshot is then partial and must not be synced (the engine checks
  // the same token).
  std::stop_token stop;
  // No request runs past it (the run's deadline).
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// What an endpoint's /cluster/status answer (its `data`) says of the endpoint: the one reading
// of it that the sync (ProxmoxReader::read) and proxbox-api's routes share.
struct ClusterStatus {
  bool clustered = false;  // a "cluster" entry is listed: mode "cluster", else "standalone"
  // The cluster's name: the first "cluster" entry's; on a standalone node (no cluster entry) its
  // one "node" entry's. Empty when a well-formed answer would name one but this one does not (a
  // cluster entry without a name, no node entry, several node entries but no cluster entry, not a
  // list): the caller then keeps the fallback it always had — the sync the first node /nodes
  // lists, proxbox-api the endpoint's own name — rather than this guessing a name.
  std::string name;
  std::map<std::string, std::string> node_ips;  // each "node" entry's name → its "ip"
};
ClusterStatus parse_cluster_status(const boost::json::value& data);

class ProxmoxReader {
 public:
  ProxmoxReader(Transport& transport, ProxmoxCredentials credentials, ReaderOptions options = {});

  // Throws ProxmoxError (or http::TransportError) when the endpoint cannot be read at all;
  // per-guest failures land in the snapshot (config_error, warnings) instead.
  ProxmoxSnapshot read(const std::string& endpoint_name);
  // One authenticated GET below /api2/json ("/cluster/status"), for proxied reads; returns its
  // `data`. Throws as read() does.
  boost::json::value get(const std::string& path);
  // One authenticated write below /api2/json ("POST /cluster/firewall/rules") with `form` as
  // its parameters, for proxied writes. Sent once, never retried (a write is not idempotent);
  // returns its `data`. Throws ProxmoxError with Proxmox's status and message on a refusal.
  boost::json::value write(http::Verb method, const std::string& path, const http::Params& form);

 private:
  struct Session;
  // Authenticates `session`: the API token header, or a ticket for user + password.
  void login(Session& session);
  // The phases of read(), in order.
  struct GuestReadState;
  void read_endpoint(Session& session, ProxmoxSnapshot& snapshot, GuestReadState& ledger);
  void read_guests(Session& session, const std::string& endpoint_name, ProxmoxSnapshot& snapshot,
                   GuestReadState& ledger);
  void read_backups(Session& session, ProxmoxSnapshot& snapshot);
  void update_read_cache(const ProxmoxSnapshot& snapshot, GuestReadState& ledger);
  // One guest's config and, for a running QEMU guest with an agent, its agent's interfaces.
  // A config that cannot be read sets config_error; an agent that cannot, `warning`.
  void read_guest(Session& session, ProxmoxGuest& guest, std::string& digest, std::string& warning);
  Transport& transport_;
  ProxmoxCredentials credentials_;
  ReaderOptions options_;
};

}  // namespace pbx::sync
