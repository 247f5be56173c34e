#include "api/plugin_events.hpp"

#include "common/clock.hpp"
#include "common/json.hpp"

namespace pbx::api {
namespace json = boost::json;
using common::field;
using common::json_int;
using common::json_string;

json::object complete_payload(bool ok, std::string message, json::value result,
                              json::array errors) {
  return json::object{{"ok", ok},
                      {"message", std::move(message)},
                      {"result", std::move(result)},
                      {"errors", std::move(errors)}};
}

json::object error_payload(std::string_view step, const std::string& message) {
  return json::object{
      {"step", step}, {"status", "failed"}, {"error", message}, {"detail", message}};
}

PluginEventTranslator::PluginEventTranslator(std::string stage)
    : stage_(std::move(stage)),
      started_at_(common::utc_now_iso8601()),
      started_(std::chrono::steady_clock::now()) {}

json::object PluginEventTranslator::timing() const {
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started_);
  return json::object{{"elapsed_ms", elapsed.count()}, {"started_at", started_at_}};
}

std::vector<SseFrame> PluginEventTranslator::translate(const sync::SyncEvent& event) const {
  const json::object& data = event.data;
  const std::string phase = json_string(field(data, "phase"));
  if (event.type == "step") {
    return {{"step", json::object{{"step", json_string(field(data, "step"))},
                                  {"status", "running"},
                                  {"message", json_string(field(data, "message"))},
                                  {"stage", stage_}}}};
  }
  if (event.type == "error") {
    const std::string object = json_string(field(data, "object"));
    const std::string message = json_string(field(data, "message"));
    json::object payload = error_payload(json_string(field(data, "step")),
                                         object.empty() ? message : object + ": " + message);
    payload["object"] = object;
    payload["stage"] = stage_;
    return {{"error", std::move(payload)}};
  }
  if (event.type == "item_progress") {
    const int64_t current = json_int(field(data, "current"));
    const int64_t total = json_int(field(data, "total"));
    const std::string operation = json_string(field(data, "operation"));
    const std::string done = operation == "create" ? "created" : "updated";
    const double percent = total > 0 ? 100.0 * static_cast<double>(current) / total : 100.0;
    return {
        {"item_progress",
         json::object{{"event", "item_progress"},
                      {"phase", phase},
                      {"status", done},
                      {"message", phase + ": " + std::to_string(current) + " of " +
                                      std::to_string(total) + " " + done},
                      {"item", json::object{{"name", json_string(field(data, "item"))},
                                            {"netbox_id", nullptr},
                                            {"netbox_url", nullptr},
                                            {"item_type", phase}}},
                      {"operation", operation},
                      {"progress",
                       json::object{{"current", current}, {"total", total}, {"percent", percent}}},
                      {"timing", timing()},
                      {"error", nullptr}}}};
  }
  if (event.type == "phase_summary") {
    json::object result;
    std::string message = phase + ":";
    if (const auto* counts = data.if_contains("result"); counts && counts->is_object()) {
      for (const auto& [name, value] : counts->as_object()) {
        result[name] = json_int(&value);
        message += " " + std::to_string(json_int(&value)) + " " + std::string(name);
      }
    }
    return {{"phase_summary", json::object{{"event", "phase_summary"},
                                           {"phase", phase},
                                           {"status", "completed"},
                                           {"message", std::move(message)},
                                           {"result", std::move(result)},
                                           {"timing", timing()}}}};
  }
  return {};  // the engine's `complete`: see complete_for()
}

SseFrame PluginEventTranslator::complete_for(const sync::SyncSummary& summary,
                                             json::object extra) const {
  json::array errors;
  for (const auto& message : summary.errors)
    errors.push_back(json::object{{"detail", message}});
  const auto proxmox = summary.kinds.find("proxmox");
  const bool proxmox_unread = proxmox != summary.kinds.end() && proxmox->second.errors > 0;
  // An object NetBox refused, or one kept as unknown after a failed per-guest/storage read, is
  // listed in `errors` without failing the stage (the plugin would abort "Sync all"); a stage
  // that could not run through (cancelled, out of time, an endpoint unreadable) fails.
  const bool ok = !summary.cancelled && !summary.timed_out && !proxmox_unread;
  const sync::KindCounts totals = summary.totals();
  std::string message = stage_ + ": " + std::to_string(totals.created) + " created, " +
                        std::to_string(totals.updated) + " updated, " +
                        std::to_string(totals.unchanged) + " unchanged, " +
                        std::to_string(totals.deleted) + " deleted, " +
                        std::to_string(summary.errors.size()) + " errors";
  if (summary.dry_run) message += " (dry run: nothing written)";
  if (summary.cancelled) message += " (cancelled)";
  if (summary.timed_out) message += " (out of time)";
  if (proxmox_unread) message += " (a Proxmox endpoint could not be read)";
  json::object result = summary.to_json();
  for (auto& [name, value] : extra)
    result[name] = std::move(value);
  result["stage"] = stage_;
  return {"complete",
          complete_payload(ok, std::move(message), std::move(result), std::move(errors))};
}

}  // namespace pbx::api
