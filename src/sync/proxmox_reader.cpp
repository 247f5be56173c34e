#include "sync/proxmox_reader.hpp"

#include <boost/json/parse.hpp>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "sync/guest_tags.hpp"
#include "sync/json_util.hpp"
#include "sync/parallel.hpp"
#include "sync/proxmox_reader_network.hpp"

namespace pbx::sync {
namespace json = boost::json;

namespace {

std::string api_root(std::string base) {
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  if (!base.ends_with("/api2/json")) base += "/api2/json";
  return base;
}

std::string excerpt(const std::string& body) {
  return body.size() > 300 ? body.substr(0, 300) + "..." : body;
}

}  // namespace

struct ProxmoxReader::Session {
  Transport& transport;
  std::string root;
  http::Headers auth_headers;
  http::RequestControl control;
  std::atomic<size_t> requests{0};

  // The `data` member of a Proxmox answer; throws ProxmoxError on a non-2xx status or a body
  // that is not JSON. Retries are send_with_retry's alone (a connection cut mid-answer is a
  // transport failure there, never a short body here).
  json::value get(const std::string& path) {
    requests.fetch_add(1, std::memory_order_relaxed);
    const auto response =
        send_with_retry(transport, http::Verb::get, root + path, {}, auth_headers, control);
    if (!response.ok()) {
      throw ProxmoxError(
          describe_failure(std::to_string(response.status) + ": " + excerpt(response.body),
                           http::Verb::get, root + path),
          static_cast<unsigned>(response.status));
    }
    boost::system::error_code error;
    json::value parsed = json::parse(response.body, error);
    if (error) {
      throw ProxmoxError(
          describe_failure("not JSON: " + excerpt(response.body), http::Verb::get, root + path));
    }
    const auto* data = parsed.is_object() ? parsed.as_object().if_contains("data") : nullptr;
    return data ? *data : json::value{};
  }

  json::array get_list(const std::string& path) {
    json::value data = get(path);
    return data.is_array() ? std::move(data.as_array()) : json::array{};
  }
};

ProxmoxReader::ProxmoxReader(Transport& transport, ProxmoxCredentials credentials,
                             ReaderOptions options)
    : transport_(transport), credentials_(std::move(credentials)), options_(options) {}

void ProxmoxReader::login(Session& session) {
  if (!credentials_.token.empty()) {
    session.auth_headers.set(http::Field::authorization, "PVEAPIToken=" + credentials_.token);
  } else {
    const std::string form =
        http::encode_form({{"username", credentials_.user}, {"password", credentials_.password}});
    http::Headers headers;
    headers.set(http::Field::content_type, "application/x-www-form-urlencoded");
    session.requests++;
    const auto response =
        send_with_retry(transport_, http::Verb::post, session.root + "/access/ticket", form,
                        headers, session.control);
    if (!response.ok()) {
      throw ProxmoxError(describe_failure("authentication as " + credentials_.user +
                                              " failed with " + std::to_string(response.status),
                                          http::Verb::post, session.root + "/access/ticket"));
    }
    const json::value parsed = json::parse(response.body);
    const auto* data = parsed.as_object().if_contains("data");
    if (!data || !data->is_object() || !data->as_object().if_contains("ticket")) {
      throw ProxmoxError("authentication as " + credentials_.user + " returned no ticket");
    }
    const auto& ticket_data = data->as_object();
    session.auth_headers.set(http::Field::cookie,
                             "PVEAuthCookie=" + json_string(field(ticket_data, "ticket")));
    session.auth_headers.set("CSRFPreventionToken",
                             json_string(field(ticket_data, "CSRFPreventionToken")));
  }
}

json::value ProxmoxReader::get(const std::string& path) {
  Session session{
      transport_, api_root(credentials_.base_url), {}, {options_.deadline, options_.stop}};
  login(session);
  return session.get(path);
}

json::value ProxmoxReader::write(http::Verb method, const std::string& path,
                                 const http::Params& form) {
  Session session{
      transport_, api_root(credentials_.base_url), {}, {options_.deadline, options_.stop}};
  login(session);
  http::Headers headers = session.auth_headers;
  headers.set(http::Field::content_type, "application/x-www-form-urlencoded");
  const std::string url = session.root + path;
  const auto response =
      transport_.send(method, url, http::encode_form(form), headers, session.control);
  if (!response.ok()) {
    throw ProxmoxError(describe_failure(
        std::to_string(response.status) + ": " + excerpt(response.body), method, url));
  }
  boost::system::error_code error;
  json::value parsed = json::parse(response.body, error);
  const auto* data =
      !error && parsed.is_object() ? parsed.as_object().if_contains("data") : nullptr;
  return data ? *data : json::value{};
}

ClusterStatus parse_cluster_status(const json::value& data) {
  ClusterStatus status;
  if (!data.is_array()) return status;
  std::optional<std::string> cluster_name;  // the first cluster entry's
  std::vector<std::string> node_names;
  for (const auto& entry : data.as_array()) {
    if (!entry.is_object()) continue;
    const auto& object = entry.as_object();
    const std::string type = json_string(field(object, "type"));
    const std::string name = json_string(field(object, "name"));
    if (type == "cluster" && !cluster_name) {
      cluster_name = name;
    } else if (type == "node") {
      status.node_ips[name] = json_string(field(object, "ip"));
      if (!name.empty()) node_names.push_back(name);
    }
  }
  status.clustered = cluster_name.has_value();
  if (cluster_name)
    status.name = *cluster_name;
  else if (node_names.size() == 1)
    status.name = node_names.front();
  return status;
}

// One read's per-guest bookkeeping, by the guest's index in the snapshot: what the read cache
// compares (resources signature, uptime), whether the cache served the guest, and what a read
// learnt (config digest, a failed agent).
struct ProxmoxReader::GuestReadState {
  std::vector<std::string> signatures;
  std::vector<int64_t> uptimes;
  std::string cache_key;
  std::shared_ptr<const CachedGuests> cached;
  std::vector<char> from_cache;
  std::vector<std::string> digests;
  std::vector<char> agent_failed;
};

ProxmoxSnapshot ProxmoxReader::read(const std::string& endpoint_name) {
  Session session{
      transport_, api_root(credentials_.base_url), {}, {options_.deadline, options_.stop}};
  login(session);

  ProxmoxSnapshot snapshot;
  snapshot.endpoint_name = endpoint_name;
  GuestReadState ledger;
  read_endpoint(session, snapshot, ledger);
  read_guests(session, endpoint_name, snapshot, ledger);
  if (options_.read_backups && !options_.stop.stop_requested()) read_backups(session, snapshot);
  snapshot.plugin.base_url = credentials_.base_url;
  read_plugin_objects([&](const std::string& path) { return session.get(path); }, options_.plugin,
                      options_.max_in_flight, options_.stop, snapshot);
  if (options_.read_node_network) {
    read_node_networks([&](const std::string& path) { return session.get(path); },
                       options_.max_in_flight, options_.stop, snapshot);
  }
  if (options_.read_sdn) {
    read_sdn([&](const std::string& path) { return session.get(path); }, options_.max_in_flight,
             options_.stop, snapshot);
  }
  snapshot.requests = session.requests.load();
  update_read_cache(snapshot, ledger);
  collect_guest_snapshots(snapshot, options_.plugin.snapshots);
  return snapshot;
}

// The endpoint-wide reads: version, cluster status, nodes, and the guests /cluster/resources
// lists (with what the read cache compares for each).
void ProxmoxReader::read_endpoint(Session& session, ProxmoxSnapshot& snapshot,
                                  GuestReadState& ledger) {
  // The endpoint-wide reads are independent: run them side by side.
  json::value version;
  json::array cluster_status, nodes, resources;
  {
    std::vector<std::function<void()>> reads{
        [&] { version = session.get("/version"); },
        [&] { cluster_status = session.get_list("/cluster/status"); },
        [&] { nodes = session.get_list("/nodes"); },
        [&] { resources = session.get_list("/cluster/resources?type=vm"); }};
    parallel_for(reads.size(), options_.max_in_flight, [&](size_t i) { reads[i](); });
  }
  if (version.is_object()) snapshot.version = json_string(field(version.as_object(), "version"));

  ClusterStatus status = parse_cluster_status(cluster_status);
  snapshot.cluster_mode = status.clustered ? "cluster" : "standalone";
  snapshot.cluster_name = status.name;
  for (const auto& entry : nodes) {
    if (!entry.is_object()) continue;
    const auto& object = entry.as_object();
    ProxmoxNode node;
    node.name = json_string(field(object, "node"));
    node.online = json_string(field(object, "status"), "online") == "online";
    node.ip = status.node_ips[node.name];
    if (!node.name.empty()) snapshot.nodes.push_back(std::move(node));
  }
  if (snapshot.nodes.empty()) throw ProxmoxError("Proxmox endpoint lists no nodes");
  // /cluster/status named no cluster (parse_cluster_status): the first node /nodes lists.
  if (snapshot.cluster_name.empty()) snapshot.cluster_name = snapshot.nodes.front().name;

  // What the read cache compares: per guest, its resources signature and uptime.
  for (const auto& entry : resources) {
    if (!entry.is_object()) continue;
    const auto& object = entry.as_object();
    ProxmoxGuest guest;
    guest.type = json_string(field(object, "type"));
    if (guest.type != "qemu" && guest.type != "lxc") continue;
    guest.vmid = static_cast<int>(json_int(field(object, "vmid")));
    guest.name = json_string(field(object, "name"));
    guest.node = json_string(field(object, "node"));
    guest.status = json_string(field(object, "status"));
    guest.vcpus = static_cast<int>(json_int(field(object, "maxcpu")));
    guest.memory_bytes = json_int(field(object, "maxmem"));
    guest.disk_bytes = json_int(field(object, "maxdisk"));
    guest.is_template = json_bool(field(object, "template"));
    snapshot.guests.push_back(std::move(guest));
    if (options_.read_cache) {
      ledger.signatures.push_back(resources_signature(object));
      ledger.uptimes.push_back(json_int(field(object, "uptime")));
    }
  }
}

// Per guest, side by side: its own reads (read_guest) or the read cache's entry.
void ProxmoxReader::read_guests(Session& session, const std::string& endpoint_name,
                                ProxmoxSnapshot& snapshot, GuestReadState& ledger) {
  // Per guest: its config (onboot, agent, unprivileged) and, for running QEMU guests with an
  // agent, the addresses it reports; or what the read cache holds for an unchanged guest. A run
  // that lists snapshots takes an entry only when it holds the guest's list too (an entry made
  // by a run that did not list them is read again, config and list together).
  ledger.cache_key = read_cache_key(endpoint_name, credentials_.base_url);
  ledger.cached = options_.read_cache ? options_.read_cache->entries(ledger.cache_key) : nullptr;
  const auto& cached = ledger.cached;
  ledger.from_cache.assign(snapshot.guests.size(), 0);
  ledger.digests.assign(snapshot.guests.size(), {});
  ledger.agent_failed.assign(snapshot.guests.size(), 0);
  std::mutex snapshot_mutex;
  parallel_for(snapshot.guests.size(), options_.max_in_flight, [&](size_t i) {
    if (options_.stop.stop_requested()) return;
    ProxmoxGuest& guest = snapshot.guests[i];
    if (cached && !options_.full_read && !options_.fresh_vmids.count(guest.vmid)) {
      const auto found = cached->find(guest.vmid);
      if (found != cached->end() && (!options_.plugin.snapshots || found->second.snapshots) &&
          options_.read_cache->usable(found->second, ledger.signatures[i], ledger.uptimes[i])) {
        apply_cached(found->second, guest);
        ledger.from_cache[i] = 1;
        return;
      }
    }
    std::string warning;
    read_guest(session, guest, ledger.digests[i], warning);
    if (!warning.empty()) {
      ledger.agent_failed[i] = 1;
      std::lock_guard lock(snapshot_mutex);
      snapshot.warnings.push_back(std::move(warning));
    }
  });
  for (const char hit : ledger.from_cache)
    (hit ? snapshot.guests_cached : snapshot.guests_read)++;
}

// The backups on every backup storage (a shared one listed once) and what could not be read.
void ProxmoxReader::read_backups(Session& session, ProxmoxSnapshot& snapshot) {
  std::mutex snapshot_mutex;
  BackupCoverage& coverage = snapshot.backup_coverage;
  coverage.read = true;
  // Backup storages per node; a shared storage is listed once (from the first node).
  struct StorageOnNode {
    std::string node, storage;
  };
  std::vector<StorageOnNode> listings;
  std::set<std::string> shared_seen;
  std::vector<json::array> per_node(snapshot.nodes.size());
  parallel_for(snapshot.nodes.size(), options_.max_in_flight, [&](size_t i) {
    const std::string& node = snapshot.nodes[i].name;
    if (!snapshot.nodes[i].online) {
      std::lock_guard lock(snapshot_mutex);
      coverage.unread_nodes.insert(node);
      coverage.failures.push_back("storages of node " + node + ": node is offline");
      return;
    }
    try {
      per_node[i] =
          session.get_list("/nodes/" + http::percent_encode(node) + "/storage?content=backup");
    } catch (const std::exception& error) {
      std::lock_guard lock(snapshot_mutex);
      coverage.unread_nodes.insert(node);
      coverage.failures.push_back("storages of node " + node + ": " + error.what());
    }
  });
  for (size_t i = 0; i < per_node.size(); ++i) {
    for (const auto& entry : per_node[i]) {
      if (!entry.is_object()) continue;
      const auto& object = entry.as_object();
      const std::string storage = json_string(field(object, "storage"));
      const std::string content = json_string(field(object, "content"), "backup");
      if (storage.empty() || content.find("backup") == std::string::npos) continue;
      if (json_bool(field(object, "shared")) && !shared_seen.insert(storage).second) continue;
      if (json_bool(field(object, "shared"))) coverage.shared_storages.insert(storage);
      listings.push_back({snapshot.nodes[i].name, storage});
    }
  }
  std::vector<std::vector<ProxmoxBackup>> found(listings.size());
  parallel_for(listings.size(), options_.max_in_flight, [&](size_t i) {
    const auto& listing = listings[i];
    try {
      for (const auto& entry :
           session.get_list("/nodes/" + http::percent_encode(listing.node) + "/storage/" +
                            http::percent_encode(listing.storage) + "/content?content=backup")) {
        if (!entry.is_object()) continue;
        const auto& object = entry.as_object();
        ProxmoxBackup backup;
        backup.storage = listing.storage;
        backup.node = listing.node;
        backup.volid = json_string(field(object, "volid"));
        backup.vmid = static_cast<int>(json_int(field(object, "vmid")));
        backup.subtype = json_string(field(object, "subtype"));
        backup.format = json_string(field(object, "format"));
        backup.size = json_int(field(object, "size"));
        backup.ctime = json_int(field(object, "ctime"));
        backup.notes = json_string(field(object, "notes"));
        backup.is_protected = json_bool(field(object, "protected"));
        if (const auto* verification = object.if_contains("verification");
            verification && verification->is_object()) {
          backup.verification_state = json_string(field(verification->as_object(), "state"));
        }
        if (!backup.volid.empty() && backup.vmid > 0) found[i].push_back(std::move(backup));
      }
    } catch (const std::exception& error) {
      std::lock_guard lock(snapshot_mutex);
      coverage.failed_storages.insert(listing.storage);
      coverage.shared_storages.erase(listing.storage);
      coverage.failures.push_back("backups on " + listing.storage + "@" + listing.node + ": " +
                                  error.what());
    }
  });
  for (auto& list : found) {
    for (auto& backup : list)
      snapshot.backups.push_back(std::move(backup));
  }
}

// Only a read that completed replaces the endpoint's entries: a stopped one skipped guests.
void ProxmoxReader::update_read_cache(const ProxmoxSnapshot& snapshot, GuestReadState& ledger) {
  // When every guest came from the cache and none is gone, the entries stand as they are.
  const auto& cached = ledger.cached;
  const bool all_cached =
      cached && snapshot.guests_read == 0 && snapshot.guests_cached == cached->size();
  if (options_.read_cache && !options_.stop.stop_requested() && !all_cached) {
    const int64_t now = options_.read_cache->now();
    // A narrowed listing says nothing of the guests it omits: their entries stay.
    CachedGuests next = options_.listing_narrowed && cached ? *cached : CachedGuests{};
    std::set<int> read_now;
    for (size_t i = 0; i < snapshot.guests.size(); ++i) {
      const ProxmoxGuest& guest = snapshot.guests[i];
      if (ledger.from_cache[i]) {
        next.insert_or_assign(guest.vmid, cached->at(guest.vmid));
        continue;
      }
      // A failed read is unknown: no entry, so the next run reads the guest again. That includes
      // a snapshot list this run asked for and did not get.
      if (guest.config_error || ledger.agent_failed[i] ||
          (options_.plugin.snapshots && !guest.snapshots)) {
        next.erase(guest.vmid);
        continue;
      }
      CachedGuest entry = cache_entry_of(guest);
      entry.signature = ledger.signatures[i];
      entry.booted_at = ledger.uptimes[i] > 0 ? now - ledger.uptimes[i] : 0;
      entry.read_at = now;
      entry.digest = std::move(ledger.digests[i]);
      next.insert_or_assign(guest.vmid, std::move(entry));
      read_now.insert(guest.vmid);
    }
    options_.read_cache->replace(ledger.cache_key, std::move(next), read_now);
  }
}

void ProxmoxReader::read_guest(Session& session, ProxmoxGuest& guest, std::string& digest,
                               std::string& warning) {
  const std::string guest_path = "/nodes/" + http::percent_encode(guest.node) + "/" + guest.type +
                                 "/" + std::to_string(guest.vmid);
  try {
    const json::value config = session.get(guest_path + "/config");
    if (config.is_object()) {
      const auto& object = config.as_object();
      guest.onboot = json_bool(field(object, "onboot"));
      guest.agent = guest.type == "qemu" && json_bool(field(object, "agent"));
      guest.unprivileged = guest.type == "lxc" && json_bool(field(object, "unprivileged"));
      guest.description = json_string(field(object, "description"));
      guest.devices = parse_guest_devices(object, guest.type);
      guest.tags = split_proxmox_list(json_string(field(object, "tags")));
      digest = json_string(field(object, "digest"));
    }
  } catch (const CircuitOpen&) {
    throw;  // the endpoint is down: fail its read rather than mark every guest unreadable
  } catch (const std::exception& error) {
    guest.config_error = error.what();
    return;
  }
  if (!options_.read_agent_interfaces || !guest.agent || guest.status != "running") return;
  try {
    const json::value answer = session.get(guest_path + "/agent/network-get-interfaces");
    guest.devices.agent_interfaces = parse_agent_interfaces(answer);
    guest.devices.agent_answered = true;
    const auto* result = answer.is_object() ? answer.as_object().if_contains("result") : nullptr;
    if (!result || !result->is_array()) return;
    for (const auto& interface : result->as_array()) {
      if (!interface.is_object()) continue;
      const auto* addresses = interface.as_object().if_contains("ip-addresses");
      if (!addresses || !addresses->is_array()) continue;
      for (const auto& address : addresses->as_array()) {
        if (!address.is_object()) continue;
        const auto& a = address.as_object();
        guest.ip_addresses.push_back(json_string(field(a, "ip-address")) + "/" +
                                     json_string(field(a, "prefix")));
      }
    }
  } catch (const std::exception& error) {
    // An agent that does not answer is normal (guest booting, agent not installed).
    warning = "agent of " + std::to_string(guest.vmid) + ": " + error.what();
  }
}

}  // namespace pbx::sync
