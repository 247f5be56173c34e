#include "sync/proxmox_reader_plugin.hpp"

#include <boost/json/serialize.hpp>
#include <iterator>
#include <mutex>
#include <set>

#include "common/text.hpp"
#include "http/message.hpp"
#include "sync/json_util.hpp"
#include "sync/parallel.hpp"

namespace pbx::sync {
namespace json = boost::json;

namespace {

json::array as_list(json::value data) {
  return data.is_array() ? std::move(data.as_array()) : json::array{};
}

std::string node_path(const std::string& node) {
  return "/nodes/" + http::percent_encode(node);
}

// A job setting as text: Proxmox sends numbers, flags and strings at will, and newer versions
// an object for property strings such as prune-backups ({"keep-last": 3} → "keep-last=3").
std::string setting_text(const json::value& value) {
  if (value.is_object()) {
    std::string joined;
    for (const auto& [key, inner] : value.as_object())
      joined += (joined.empty() ? "" : ",") + std::string(key) + "=" + json_string(&inner);
    return joined;
  }
  if (value.is_array()) {
    std::string joined;
    for (const auto& inner : value.as_array())
      joined += (joined.empty() ? "" : ",") + json_string(&inner);
    return joined;
  }
  if (value.is_bool()) return value.get_bool() ? "1" : "0";
  return json_string(&value);
}

std::vector<ProxmoxJob> read_jobs(const json::array& entries) {
  std::vector<ProxmoxJob> jobs;
  for (const auto& entry : entries) {
    if (!entry.is_object()) continue;
    ProxmoxJob job;
    job.id = json_string(field(entry.as_object(), "id"));
    if (job.id.empty()) continue;
    for (const auto& [key, value] : entry.as_object())
      job.settings[std::string(key)] = setting_text(value);
    job.raw_json = json::serialize(entry);
    jobs.push_back(std::move(job));
  }
  return jobs;
}

// A finished task of a list entry; nullopt for running tasks (their state still changes) and
// for entries that are not tasks of this endpoint's nodes.
std::optional<ProxmoxTask> finished_task(const json::object& entry,
                                         const std::set<std::string>& nodes) {
  ProxmoxTask task;
  task.upid = json_string(field(entry, "upid"));
  const auto upid = parse_upid(task.upid);
  if (!upid || !nodes.count(upid->node)) return std::nullopt;
  task.endtime = json_int(field(entry, "endtime"));
  task.status = json_string(field(entry, "status"));
  if (task.endtime <= 0 || task.status.empty() || task.status == "running") return std::nullopt;
  task.node = upid->node;
  task.type = json_string(field(entry, "type"), upid->type);
  task.id = json_string(field(entry, "id"), upid->id);
  task.user = json_string(field(entry, "user"), upid->user);
  task.pid = json_int(field(entry, "pid"), upid->pid);
  task.starttime = json_int(field(entry, "starttime"), upid->starttime);
  return task;
}

struct Reads {
  const ProxmoxGet& get;
  size_t width;
  const std::stop_token& stop;
  ProxmoxSnapshot& snapshot;
  std::mutex mutex;

  void warn(std::string message) {
    std::lock_guard lock(mutex);
    snapshot.warnings.push_back(std::move(message));
  }

  // /storage: the cluster-wide definitions (type, content, path, nodes, shared, disable), as
  // the plugin's storage model holds them. The per-node lists (/nodes/{node}/storage) carry
  // usage, which the model does not, and lack path and nodes: when the definitions cannot be
  // read, storages stay unknown for this run rather than being rewritten from less.
  void storages() {
    json::array definitions;
    try {
      definitions = as_list(get("/storage"));
    } catch (const std::exception& error) {
      warn(std::string("storage definitions: ") + error.what());
      return;
    }
    for (const auto& entry : definitions) {
      if (!entry.is_object()) continue;
      const auto& object = entry.as_object();
      ProxmoxStorage storage;
      storage.name = json_string(field(object, "storage"));
      if (storage.name.empty()) continue;
      storage.type = json_string(field(object, "type"));
      storage.content = json_string(field(object, "content"));
      storage.path = json_string(field(object, "path"));
      storage.nodes = json_string(field(object, "nodes"));
      storage.shared = json_bool(field(object, "shared"));
      storage.enabled = !json_bool(field(object, "disable"));
      snapshot.plugin.storages.push_back(std::move(storage));
    }
    snapshot.plugin.listed.storages = true;
  }

  // Each guest's list, unless the read cache already gave it one (proxmox_reader.cpp); a list
  // that fails stays unknown (nullopt) with a warning.
  void snapshots() {
    parallel_for(snapshot.guests.size(), width, [&](size_t i) {
      ProxmoxGuest& guest = snapshot.guests[i];
      if (stop.stop_requested() || guest.config_error || guest.snapshots) return;
      const std::string path =
          node_path(guest.node) + "/" + guest.type + "/" + std::to_string(guest.vmid) + "/snapshot";
      try {
        std::vector<ProxmoxGuestSnapshot> found;
        for (const auto& entry : as_list(get(path))) {
          if (!entry.is_object()) continue;
          const auto& object = entry.as_object();
          ProxmoxGuestSnapshot item;
          item.name = json_string(field(object, "name"));
          if (item.name.empty() || item.name == "current") continue;  // "You are here!"
          item.vmid = guest.vmid;
          item.guest_type = guest.type;
          item.node = guest.node;
          item.parent = json_string(field(object, "parent"));
          item.description = json_string(field(object, "description"));
          item.snaptime = json_int(field(object, "snaptime"));
          item.vmstate = json_bool(field(object, "vmstate"));
          found.push_back(std::move(item));
        }
        guest.snapshots = std::move(found);
      } catch (const std::exception& error) {
        warn("snapshots of " + std::to_string(guest.vmid) + ": " + error.what());
      }
    });
  }

  // Every online node's archive, plus the cluster's recent list (which also holds tasks of
  // nodes that are offline now). Listed only when every online node answered.
  void tasks() {
    std::set<std::string> nodes;
    for (const auto& node : snapshot.nodes)
      nodes.insert(node.name);
    std::vector<json::array> lists(snapshot.nodes.size() + 1);
    bool complete = true;
    parallel_for(lists.size(), width, [&](size_t i) {
      if (stop.stop_requested()) return;
      const bool cluster = i == snapshot.nodes.size();
      if (!cluster && !snapshot.nodes[i].online) return;
      const std::string path =
          cluster ? "/cluster/tasks"
                  : node_path(snapshot.nodes[i].name) +
                        "/tasks?source=archive&limit=" + std::to_string(kTaskLimit);
      try {
        lists[i] = as_list(get(path));
      } catch (const std::exception& error) {
        std::lock_guard lock(mutex);
        if (!cluster) complete = false;
        snapshot.warnings.push_back("tasks (" + path + "): " + error.what());
      }
    });
    std::set<std::string> seen;
    for (const auto& list : lists) {
      for (const auto& entry : list) {
        if (!entry.is_object()) continue;
        auto task = finished_task(entry.as_object(), nodes);
        if (task && seen.insert(task->upid).second) snapshot.plugin.tasks.push_back(*task);
      }
    }
    snapshot.plugin.listed.tasks = complete && !stop.stop_requested();
  }

  void jobs(const char* path, std::vector<ProxmoxJob>& into, bool& listed) {
    try {
      into = read_jobs(as_list(get(path)));
      listed = true;
    } catch (const std::exception& error) {
      warn(std::string(path) + ": " + error.what());
    }
  }

  static constexpr int kTaskLimit = 1000;  // the node archive's newest tasks
};

}  // namespace

std::optional<Upid> parse_upid(std::string_view text) {
  // PVE: UPID:node:pid:pstart:starttime:type:id:user:  (numbers in hex)
  // PBS: UPID:node:pid:pstart:counter:starttime:type:id:user:
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    const size_t colon = text.find(':');
    parts.push_back(text.substr(0, colon));
    if (colon == std::string_view::npos) break;
    text.remove_prefix(colon + 1);
  }
  if (parts.size() < 8 || parts[0] != "UPID" || parts[1].empty()) return std::nullopt;
  const size_t offset = parts.size() >= 9 ? 1 : 0;  // the PBS task counter
  auto hex = [](std::string_view part, int64_t& out) {
    const auto number = common::parse_number<int64_t>(part, {.base = 16});
    if (number) out = *number;
    return number.has_value();
  };
  Upid upid;
  int64_t pstart = 0;
  if (!hex(parts[2], upid.pid) || !hex(parts[3], pstart) ||
      !hex(parts[4 + offset], upid.starttime)) {
    return std::nullopt;
  }
  upid.node = parts[1];
  upid.type = parts[5 + offset];
  upid.id = parts[6 + offset];
  upid.user = parts[7 + offset];
  return upid;
}

void read_plugin_objects(const ProxmoxGet& get, const PluginReadSet& what, size_t max_in_flight,
                         const std::stop_token& stop, ProxmoxSnapshot& snapshot) {
  if (!what.any() || stop.stop_requested()) return;
  Reads reads{get, std::max<size_t>(1, max_in_flight), stop, snapshot, {}};
  std::vector<std::function<void()>> listings;
  if (what.storages) listings.emplace_back([&] { reads.storages(); });
  if (what.tasks) listings.emplace_back([&] { reads.tasks(); });
  if (what.replication) {
    listings.emplace_back([&] {
      reads.jobs("/cluster/replication", snapshot.plugin.replication_jobs,
                 snapshot.plugin.listed.replication);
    });
  }
  if (what.backup_jobs) {
    listings.emplace_back([&] {
      reads.jobs("/cluster/backup", snapshot.plugin.backup_jobs,
                 snapshot.plugin.listed.backup_jobs);
    });
  }
  // The endpoint-wide listings side by side; the per-guest snapshot lists use the whole width.
  parallel_for(listings.size(), listings.size(), [&](size_t i) { listings[i](); });
  if (what.snapshots) reads.snapshots();
}

void collect_guest_snapshots(ProxmoxSnapshot& snapshot, bool listed) {
  for (auto& guest : snapshot.guests) {
    if (listed && guest.snapshots) {
      snapshot.plugin.listed.snapshots_of.insert(guest.vmid);
      std::move(guest.snapshots->begin(), guest.snapshots->end(),
                std::back_inserter(snapshot.plugin.snapshots));
    }
    guest.snapshots.reset();
  }
}

}  // namespace pbx::sync
