#include "api/sync_console.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/serialize.hpp>

#include "common/json.hpp"
#include "sync/plugin_sync.hpp"

namespace pbx::api {

std::vector<std::string> planned_stages(sync::SyncScope scope) {
  using sync::SyncScope;
  // Reading Proxmox, then the shared objects and the layers the engine writes (or reads for
  // their ids) before any stage of its own: see SyncEngine::Run::sync_netbox.
  std::vector<std::string> stages = {"proxmox",       "tags",         "cluster_types",
                                     "manufacturers", "device_roles", "device_types",
                                     "sites",         "clusters",     "devices"};
  if (scope == SyncScope::devices) return stages;
  stages.emplace_back("virtual_machines");
  const sync::PluginStages plugin = sync::plugin_stages_of(scope);
  if (plugin.storage) stages.emplace_back("storage");
  if (plugin.task_history) stages.emplace_back("task_history");
  if (plugin.snapshots) stages.emplace_back("snapshots");
  if (plugin.replications) stages.emplace_back("replications");
  if (plugin.backup_routines) stages.emplace_back("backup_routines");
  if (scope == SyncScope::backups || scope == SyncScope::full) stages.emplace_back("backups");
  return stages;
}

int sync_exit_code(const sync::SyncSummary& summary, size_t proxmox_endpoints) {
  // The engine reports each endpoint whose read failed as one "proxmox" error.
  const auto proxmox = summary.kinds.find("proxmox");
  if (proxmox_endpoints > 0 && proxmox != summary.kinds.end() &&
      proxmox->second.errors >= proxmox_endpoints) {
    return kSyncCouldNotRun;
  }
  return summary.ok() ? kSyncOk : kSyncPartial;
}

namespace {

std::string seconds(std::chrono::milliseconds duration) {
  return fmt::format("{:.2f} s", duration.count() / 1000.0);
}

std::string result_line(const sync::SyncSummary& summary) {
  if (summary.cancelled) return "stopped before the end: nothing after the stop was written";
  if (summary.timed_out) return "timed out: the next run finishes the job";
  if (!summary.errors.empty()) {
    return fmt::format("{} error{} (printed above as they happened)", summary.errors.size(),
                       summary.errors.size() == 1 ? "" : "s");
  }
  return summary.dry_run ? "ok (dry run: nothing written)" : "ok";
}

}  // namespace

std::string format_sync_table(const sync::SyncSummary& summary) {
  size_t width = 20;  // of the kind column
  for (const auto& [kind, counts] : summary.kinds)
    width = std::max(width, kind.size() + 2);
  constexpr std::string_view kRow = "{:<{}}{:>9}{:>9}{:>11}{:>9}{:>9}{:>8}\n";
  std::string table = fmt::format(fmt::runtime(kRow), "kind", width, "created", "updated",
                                  "unchanged", "deleted", "unknown", "errors");
  const auto row = [&](std::string_view kind, const sync::KindCounts& counts) {
    table += fmt::format(fmt::runtime(kRow), kind, width, counts.created, counts.updated,
                         counts.unchanged, counts.deleted, counts.unknown, counts.errors);
  };
  for (const auto& [kind, counts] : summary.kinds)
    row(kind, counts);
  const sync::KindCounts totals = summary.totals();
  row("total", totals);
  if (totals.orphans > totals.deleted) {
    table += fmt::format("{} object{} Proxmox no longer has kept (--delete-orphans removes them)\n",
                         totals.orphans - totals.deleted,
                         totals.orphans - totals.deleted == 1 ? "" : "s");
  }
  const auto& netbox = summary.netbox_requests;
  table += fmt::format(
      "time {} (reading Proxmox {}) · requests: Proxmox {}, NetBox {} ({} GET, {} POST, {} "
      "PATCH, {} DELETE)\n",
      seconds(summary.duration), seconds(summary.proxmox_read), summary.proxmox_requests,
      netbox.get + netbox.writes(), netbox.get, netbox.post, netbox.patch, netbox.del);
  table += "result: " + result_line(summary) + "\n";
  return table;
}

std::string format_retry(std::string_view target, const sync::RetryNotice& notice) {
  const auto ms = notice.delay.count();
  const std::string delay =
      ms % 1000 == 0 ? fmt::format("{} s", ms / 1000) : fmt::format("{:.1f} s", ms / 1000.0);
  return fmt::format("retrying {} in {} (attempt {}/{}): {}", target, delay, notice.attempt,
                     notice.attempts, notice.cause);
}

SyncConsole::SyncConsole(std::ostream& err, Options options, std::vector<std::string> stages)
    : err_(err), options_(options), stages_(std::move(stages)) {}

void SyncConsole::on_event(const sync::SyncEvent& event) {
  const auto text = [&](std::string_view key) {
    return std::string(common::string_member(event.data, key));
  };
  std::lock_guard lock(mutex_);
  if (event.type == "error") {
    // The cause first, then what it concerns (the object is often a URL).
    const std::string object = text("object");
    print_line("error: " + text("message") + (object.empty() ? "" : " [" + object + "]"));
  } else if (event.type == "step" && options_.progress) {
    const std::string stage = text("step");
    const auto found = std::find(stages_.begin(), stages_.end(), stage);
    if (found == stages_.end()) {
      // A stage not planned: it runs now, after the one before it.
      stages_.insert(stages_.begin() + static_cast<std::ptrdiff_t>(stage_), stage);
      ++stage_;
    } else {
      stage_ = std::max(stage_, static_cast<size_t>(found - stages_.begin()) + 1);
    }
    message_ = text("message");
    redraw();
  }
}

sync::RetryObserver SyncConsole::retry_observer(std::string target) {
  return [this, target = std::move(target)](const sync::RetryNotice& notice) {
    std::lock_guard lock(mutex_);
    print_line(format_retry(target, notice));
  };
}

void SyncConsole::finish() {
  std::lock_guard lock(mutex_);
  if (drawn_) err_ << "\r\x1b[K" << std::flush;
  drawn_ = false;
}

void SyncConsole::print_line(const std::string& line) {
  if (drawn_) err_ << "\r\x1b[K";
  err_ << line << "\n";
  if (drawn_) redraw();
  err_ << std::flush;
}

void SyncConsole::redraw() {
  constexpr size_t kBar = 24;
  const size_t total = std::max<size_t>(stages_.size(), 1);
  const size_t filled = stage_ * kBar / total;
  std::string line = fmt::format("[{}{}] {}/{} {}", std::string(filled, '#'),
                                 std::string(kBar - filled, '-'), stage_, total, message_);
  if (line.size() > options_.width) line.resize(options_.width);
  err_ << "\r" << line << "\x1b[K" << std::flush;
  drawn_ = true;
}

int report_sync(const sync::SyncSummary& summary, size_t proxmox_endpoints, std::ostream& out,
                std::ostream& err, SyncReportOptions options) {
  const int status = sync_exit_code(summary, proxmox_endpoints);
  if (!options.json) {
    out << format_sync_table(summary) << std::flush;
  } else if (options.err_is_terminal) {
    err << format_sync_table(summary) << std::flush;
  }
  if (status == kSyncCouldNotRun) {
    err << "no Proxmox endpoint could be read: nothing was synced (exit status 2)\n";
  }
  if (options.json) out << boost::json::serialize(summary.to_json()) << std::endl;
  return status;
}

}  // namespace pbx::api
