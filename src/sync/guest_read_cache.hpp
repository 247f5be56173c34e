#pragma once
// What the last completed read learned from each guest's /config, guest agent and snapshot
// list, per Proxmox endpoint, so that an unchanged guest costs no request (issue #15). A guest
// is read again when its /cluster/resources entry changed in a field Proxmox changes with the
// config (type, node, name, status, template, maxcpu, maxmem, maxdisk, tags, lock, hastate; see
// resources_signature), when it restarted since (its uptime says it booted later than when it was
// read: agent addresses may differ), when the entry is older than `max_age` (NIC, description
// and onboot edits do not show in /cluster/resources: max_age bounds how stale those can be), or
// when the run asks for a full read (or a single-guest sync names it). A failed read leaves no
// entry, so the next run reads the guest again.
//
// Snapshots: the guest's snapshot list is cached with its entry and read again exactly when the
// config is. Taking or deleting a snapshot changes the guest's config (its snapshot sections,
// `parent`, the digest), a change /cluster/resources does not show either: like any other
// config edit it is up to `max_age` late with the cache on (with it off, the default, every run
// lists every guest's snapshots). An entry without a list (read by a run that did not list
// snapshots) cannot serve a run that does: that guest is read again, config and list together.
// A snapshot list that failed is unknown: the guest gets no entry (read again next run), and
// its NetBox snapshots are neither marked stale nor deleted.
//
// Persistence: one row per guest in a SQLite table (a compact JSON array), keyed by endpoint and
// vmid; a save writes only the rows a run changed (read again, or gone), so an unchanged run
// writes nothing.

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/sqlite.hpp"
#include "sync/snapshot.hpp"

namespace pbx::sync {

// A guest's own reads (its config, agent and snapshot list: GuestReads), and when and against
// what they were read.
struct CachedGuest : GuestReads {
  std::string signature;  // resources_signature() when it was read
  int64_t booted_at = 0;  // the cache's clock minus the guest's uptime when read; 0: not running
  int64_t read_at = 0;    // seconds since the epoch (the cache's clock)
  std::string digest;     // the config's `digest`, for diagnostics
};
using CachedGuests = std::map<int, CachedGuest>;  // by vmid

// The fields of a /cluster/resources entry that change when the guest's config or state does
// (not its counters: cpu, mem, netin, diskread, uptime, ...), as one string.
std::string resources_signature(const boost::json::object& resources_entry);

// A guest's cached reads copied into it, and the other way round: the GuestReads group as a
// whole, so that a read added there is cached without another list of fields here.
void apply_cached(const CachedGuest& cached, ProxmoxGuest& guest);
CachedGuest cache_entry_of(const ProxmoxGuest& guest);

// The compact JSON form of one entry, and back (throws std::exception on any malformed document).
std::string serialize_cached_guest(const CachedGuest& guest);
CachedGuest parse_cached_guest(std::string_view text);

struct GuestReadCacheOptions {
  std::chrono::seconds max_age{600};
  // Seconds since the epoch; the system clock when empty (tests inject their own).
  std::function<int64_t()> now;
};

class GuestReadCache {
 public:
  explicit GuestReadCache(GuestReadCacheOptions options = {});

  int64_t now() const;
  std::chrono::seconds max_age() const { return options_.max_age; }

  // The entries of `endpoint` (a key naming the endpoint and its URL), or null when none.
  std::shared_ptr<const CachedGuests> entries(const std::string& endpoint) const;
  // Replaces every entry of `endpoint`: called only after a read of it that completed. `changed`:
  // the vmids whose entry was (re)read in that run; the others are as they were.
  void replace(const std::string& endpoint, CachedGuests guests, const std::set<int>& changed);
  void clear();
  size_t size(const std::string& endpoint) const;

  // Whether `cached` can stand for a guest whose resources entry now has `signature` and
  // `uptime`.
  bool usable(const CachedGuest& cached, const std::string& signature, int64_t uptime) const;
  // A boot this much later than the one recorded is a restart (the two clocks read apart).
  static constexpr int64_t kRestartSlackSeconds = 120;

  // Persistence in `database` (table guest_read_cache). load() replaces what this holds with
  // what the table has; a row that cannot be parsed is dropped with a warning (that guest is read
  // cold, its row rewritten). save() writes the rows changed since the last load/save. Both throw
  // common::SqliteError when the database itself fails.
  void load(common::Database& database);
  void save(common::Database& database);

 private:
  GuestReadCacheOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const CachedGuests>> endpoints_;
  struct Pending {
    std::set<int> upserts, deletes;
  };
  std::map<std::string, Pending> pending_;  // per endpoint, since the last load/save
};

// The key of an endpoint in the cache: its name and URL, so that pointing an endpoint at another
// cluster never serves the old cluster's entries.
std::string read_cache_key(const std::string& endpoint_name, const std::string& base_url);

// The one-shot CLI's cache file: opens (creating) the SQLite file at `path` and loads it. When
// the file is not a usable SQLite database, returns nullopt after `warn` says why: the run then
// reads everything and the file is left untouched.
struct ReadCacheFile {
  std::unique_ptr<common::Database> database;
  std::shared_ptr<GuestReadCache> cache;
  void save() const;
};
std::optional<ReadCacheFile> open_read_cache_file(
    const std::string& path, GuestReadCacheOptions options,
    const std::function<void(const std::string&)>& warn);

}  // namespace pbx::sync
