#pragma once
// The SSE payloads the netbox-proxbox plugin parses (netbox_proxbox/schemas/backend_proxy.py),
// built from the sync engine's events. The engine reports facts (a step, an object NetBox
// refused, a write batch, a kind's plan); this layer gives them the plugin's shapes:
//   complete       {"ok", "message", "result", "errors": [{"detail", ...}]}  (errors a LIST)
//   step           {"step", "status", "message"}
//   error          {"step", "status": "failed", "error", "detail", ...}
//   item_progress  {"event", "phase", "status", "message", "item": {"name", "netbox_id",
//                   "netbox_url", "item_type"}, "operation", "progress": {"current", "total",
//                   "percent"}, "timing", "error"}
//   phase_summary  {"event", "phase", "status", "message", "result": {name: int}, "timing"}

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "sync/engine.hpp"

namespace pbx::api {

struct SseFrame {
  std::string event;
  boost::json::object data;
};

// `complete`: `ok` false only when the stage could not do its job (cancelled, a Proxmox
// endpoint unreadable, NetBox unavailable); objects NetBox refused are listed in `errors` with
// `ok` still true, as the other objects were written.
boost::json::object complete_payload(bool ok, std::string message, boost::json::value result,
                                     boost::json::array errors);
// `error` for a failure of the whole step (no object).
boost::json::object error_payload(std::string_view step, const std::string& message);

// Translates one run's engine events for one stage; the timing fields count from construction.
class PluginEventTranslator {
 public:
  explicit PluginEventTranslator(std::string stage);

  // The plugin frames for an engine event (none for the engine's own `complete`: the caller
  // sends complete_for() once the run returned, with what it adds to the result).
  std::vector<SseFrame> translate(const sync::SyncEvent& event) const;
  // The terminal `complete` of a finished run; `extra` is merged into `result`.
  SseFrame complete_for(const sync::SyncSummary& summary, boost::json::object extra = {}) const;

 private:
  boost::json::object timing() const;

  std::string stage_;
  std::string started_at_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace pbx::api
