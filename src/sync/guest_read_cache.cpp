#include "sync/guest_read_cache.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <stdexcept>

namespace pbx::sync {
namespace json = boost::json;

namespace {

constexpr int64_t kFormat = 1;

json::array strings(const std::vector<std::string>& values) {
  json::array out;
  out.reserve(values.size());
  for (const auto& value : values)
    out.emplace_back(value);
  return out;
}

std::vector<std::string> strings_of(const json::value& value) {
  std::vector<std::string> out;
  for (const auto& item : value.as_array())
    out.emplace_back(item.as_string());
  return out;
}

std::string text(const json::value& value) {
  return std::string(value.as_string());
}

json::array disk_json(const GuestDisk& disk) {
  return {disk.key, disk.storage, disk.volume, disk.size_bytes};
}

GuestDisk disk_of(const json::array& a) {
  return {text(a.at(0)), text(a.at(1)), text(a.at(2)), a.at(3).as_int64()};
}

json::array nic_json(const GuestNic& nic) {
  return {nic.key,
          nic.model,
          nic.mac,
          nic.bridge,
          nic.name,
          nic.vlan_tag,
          nic.mtu,
          nic.firewall,
          nic.link_down,
          strings(nic.addresses),
          nic.addresses_known};
}

GuestNic nic_of(const json::array& a) {
  GuestNic nic;
  nic.key = text(a.at(0));
  nic.model = text(a.at(1));
  nic.mac = text(a.at(2));
  nic.bridge = text(a.at(3));
  nic.name = text(a.at(4));
  nic.vlan_tag = static_cast<int>(a.at(5).as_int64());
  nic.mtu = static_cast<int>(a.at(6).as_int64());
  nic.firewall = a.at(7).as_bool();
  nic.link_down = a.at(8).as_bool();
  nic.addresses = strings_of(a.at(9));
  nic.addresses_known = a.at(10).as_bool();
  return nic;
}

// A snapshot without its guest's vmid, type and node: apply_cached sets those from the guest.
json::array snapshot_json(const ProxmoxGuestSnapshot& item) {
  return {item.name, item.parent, item.description, item.snaptime, item.vmstate};
}

ProxmoxGuestSnapshot snapshot_of(const json::array& a) {
  ProxmoxGuestSnapshot item;
  item.name = text(a.at(0));
  item.parent = text(a.at(1));
  item.description = text(a.at(2));
  item.snaptime = a.at(3).as_int64();
  item.vmstate = a.at(4).as_bool();
  return item;
}

// Element 12, the snapshot list, is null when it was not read; a row written before snapshots
// were cached has no element 12 and reads as such (that guest is read again by a run that lists
// snapshots), so the format stays 1.
json::array guest_json(const CachedGuest& g) {
  const int64_t flags = (g.onboot ? 1 : 0) | (g.agent ? 2 : 0) | (g.unprivileged ? 4 : 0) |
                        (g.devices.agent_answered ? 8 : 0);
  json::array disks, nics, agent;
  for (const auto& disk : g.devices.disks)
    disks.emplace_back(disk_json(disk));
  for (const auto& nic : g.devices.nics)
    nics.emplace_back(nic_json(nic));
  for (const auto& interface : g.devices.agent_interfaces)
    agent.emplace_back(json::array{interface.name, interface.mac, strings(interface.addresses)});
  json::value snapshots;
  if (g.snapshots) {
    json::array items;
    for (const auto& item : *g.snapshots)
      items.emplace_back(snapshot_json(item));
    snapshots = std::move(items);
  }
  return {kFormat,
          g.signature,
          g.booted_at,
          g.read_at,
          g.digest,
          flags,
          g.description,
          strings(g.tags),
          strings(g.ip_addresses),
          std::move(disks),
          std::move(nics),
          std::move(agent),
          std::move(snapshots)};
}

CachedGuest guest_of(const json::array& a) {
  CachedGuest g;
  if (a.at(0).as_int64() != kFormat) throw std::runtime_error("unknown format");
  g.signature = text(a.at(1));
  g.booted_at = a.at(2).as_int64();
  g.read_at = a.at(3).as_int64();
  g.digest = text(a.at(4));
  const int64_t flags = a.at(5).as_int64();
  g.onboot = flags & 1;
  g.agent = flags & 2;
  g.unprivileged = flags & 4;
  g.devices.agent_answered = flags & 8;
  g.description = text(a.at(6));
  g.tags = strings_of(a.at(7));
  g.ip_addresses = strings_of(a.at(8));
  for (const auto& disk : a.at(9).as_array())
    g.devices.disks.push_back(disk_of(disk.as_array()));
  for (const auto& nic : a.at(10).as_array())
    g.devices.nics.push_back(nic_of(nic.as_array()));
  for (const auto& item : a.at(11).as_array()) {
    const auto& interface = item.as_array();
    g.devices.agent_interfaces.push_back(
        {text(interface.at(0)), text(interface.at(1)), strings_of(interface.at(2))});
  }
  if (a.size() > 12 && !a.at(12).is_null()) {
    g.snapshots.emplace();
    for (const auto& item : a.at(12).as_array())
      g.snapshots->push_back(snapshot_of(item.as_array()));
  }
  return g;
}

}  // namespace

std::string resources_signature(const json::object& entry) {
  static constexpr const char* kFields[] = {"type",     "node",   "name",   "status",
                                            "template", "maxcpu", "maxmem", "maxdisk",
                                            "tags",     "lock",   "hastate"};
  std::string signature;
  for (const char* name : kFields) {
    if (const auto* value = entry.if_contains(name)) signature += json::serialize(*value);
    signature += '|';
  }
  return signature;
}

void apply_cached(const CachedGuest& cached, ProxmoxGuest& guest) {
  static_cast<GuestReads&>(guest) = cached;
  if (guest.snapshots) {
    for (auto& item : *guest.snapshots) {
      item.vmid = guest.vmid;
      item.guest_type = guest.type;
      item.node = guest.node;  // unchanged since the read: the node is in the signature
    }
  }
}

CachedGuest cache_entry_of(const ProxmoxGuest& guest) {
  CachedGuest cached;
  static_cast<GuestReads&>(cached) = guest;
  return cached;
}

std::string serialize_cached_guest(const CachedGuest& guest) {
  return json::serialize(guest_json(guest));
}

CachedGuest parse_cached_guest(std::string_view text) {
  return guest_of(json::parse(text).as_array());
}

GuestReadCache::GuestReadCache(GuestReadCacheOptions options) : options_(std::move(options)) {}

int64_t GuestReadCache::now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<const CachedGuests> GuestReadCache::entries(const std::string& endpoint) const {
  std::lock_guard lock(mutex_);
  const auto found = endpoints_.find(endpoint);
  return found == endpoints_.end() ? nullptr : found->second;
}

void GuestReadCache::replace(const std::string& endpoint, CachedGuests guests,
                             const std::set<int>& changed) {
  auto shared = std::make_shared<const CachedGuests>(std::move(guests));
  std::lock_guard lock(mutex_);
  Pending& pending = pending_[endpoint];
  if (const auto old = endpoints_.find(endpoint); old != endpoints_.end() && old->second) {
    for (const auto& [vmid, entry] : *old->second) {
      if (shared->count(vmid)) continue;
      pending.deletes.insert(vmid);
      pending.upserts.erase(vmid);
    }
  }
  for (const int vmid : changed) {
    if (!shared->count(vmid)) continue;
    pending.upserts.insert(vmid);
    pending.deletes.erase(vmid);
  }
  endpoints_[endpoint] = std::move(shared);
}

void GuestReadCache::clear() {
  std::lock_guard lock(mutex_);
  endpoints_.clear();
  pending_.clear();
}

size_t GuestReadCache::size(const std::string& endpoint) const {
  const auto found = entries(endpoint);
  return found ? found->size() : 0;
}

bool GuestReadCache::usable(const CachedGuest& cached, const std::string& signature,
                            int64_t uptime) const {
  if (cached.signature != signature) return false;
  const int64_t now_seconds = now();
  if (uptime > 0 && now_seconds - uptime > cached.booted_at + kRestartSlackSeconds) {
    return false;  // booted after it was read (a guest that was stopped has booted_at 0)
  }
  const int64_t age = now_seconds - cached.read_at;
  return age >= 0 && age < options_.max_age.count();
}

namespace {

void ensure_table(common::Database& database) {
  database.exec(
      "CREATE TABLE IF NOT EXISTS guest_read_cache ("
      " endpoint TEXT NOT NULL, vmid INTEGER NOT NULL, data TEXT NOT NULL,"
      " PRIMARY KEY (endpoint, vmid)) WITHOUT ROWID");
}

}  // namespace

void GuestReadCache::load(common::Database& database) {
  ensure_table(database);
  std::map<std::string, CachedGuests> loaded;
  std::map<std::string, Pending> unreadable;
  auto statement = database.prepare("SELECT endpoint, vmid, data FROM guest_read_cache");
  while (statement.step()) {
    const std::string endpoint = statement.column_text(0);
    const int vmid = static_cast<int>(statement.column_int(1));
    try {
      loaded[endpoint].emplace(vmid, parse_cached_guest(statement.column_text(2)));
    } catch (const std::exception& error) {
      spdlog::warn("guest read cache of {} {} is unreadable ({}): the guest is read again",
                   endpoint, vmid, error.what());
      unreadable[endpoint].deletes.insert(vmid);  // unless the next run rewrites it
    }
  }
  std::lock_guard lock(mutex_);
  endpoints_.clear();
  for (auto& [endpoint, guests] : loaded)
    endpoints_[endpoint] = std::make_shared<const CachedGuests>(std::move(guests));
  pending_ = std::move(unreadable);
}

void GuestReadCache::save(common::Database& database) {
  struct Rows {
    std::string endpoint;
    std::vector<std::pair<int, std::string>> upserts;
    std::set<int> deletes;
  };
  std::vector<Rows> changed;
  {
    std::lock_guard lock(mutex_);
    for (auto& [endpoint, pending] : pending_) {
      if (pending.upserts.empty() && pending.deletes.empty()) continue;
      Rows rows{endpoint, {}, std::move(pending.deletes)};
      const auto found_endpoint = endpoints_.find(endpoint);
      if (found_endpoint != endpoints_.end() && found_endpoint->second) {
        const CachedGuests& guests = *found_endpoint->second;
        for (const int vmid : pending.upserts) {
          const auto found = guests.find(vmid);
          if (found != guests.end())
            rows.upserts.emplace_back(vmid, serialize_cached_guest(found->second));
        }
      }
      changed.push_back(std::move(rows));
    }
    pending_.clear();
  }
  if (changed.empty()) return;
  ensure_table(database);
  common::Transaction transaction(database);
  auto upsert = database.prepare(
      "INSERT INTO guest_read_cache (endpoint, vmid, data) VALUES (?, ?, ?)"
      " ON CONFLICT(endpoint, vmid) DO UPDATE SET data = excluded.data");
  auto remove = database.prepare("DELETE FROM guest_read_cache WHERE endpoint = ? AND vmid = ?");
  for (const auto& rows : changed) {
    for (const int vmid : rows.deletes) {
      remove.bind(1, rows.endpoint).bind(2, vmid);
      remove.step();
      remove.reset();
    }
    for (const auto& [vmid, data] : rows.upserts) {
      upsert.bind(1, rows.endpoint).bind(2, vmid).bind(3, data);
      upsert.step();
      upsert.reset();
    }
  }
  transaction.commit();
}

std::string read_cache_key(const std::string& endpoint_name, const std::string& base_url) {
  return endpoint_name + " " + base_url;
}

void ReadCacheFile::save() const {
  if (database && cache) cache->save(*database);
}

std::optional<ReadCacheFile> open_read_cache_file(
    const std::string& path, GuestReadCacheOptions options,
    const std::function<void(const std::string&)>& warn) {
  try {
    ReadCacheFile file;
    file.database = std::make_unique<common::Database>(path);
    file.cache = std::make_shared<GuestReadCache>(std::move(options));
    file.cache->load(*file.database);
    return file;
  } catch (const std::exception& error) {
    warn("read cache " + path + " is not usable (" + error.what() +
         "): every guest is read, the file is left as it is");
    return std::nullopt;
  }
}

}  // namespace pbx::sync
