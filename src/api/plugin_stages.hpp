#pragma once
// The netbox-proxbox plugin's sync stages, in the order its "Sync all" walks them
// (netbox_proxbox/sync_types.py), and the proxbox-api route of each. The service registers
// `GET <path>` (JSON) and `GET <path>/stream` (SSE) for every row, plus the per-VM variant
// when the row has one; `full-update` runs every implemented row.
//
// One row per stage. A stage is implemented when its row names the sync engine scope that runs
// it; a row without a scope answers 501 `{"detail": ...}` naming the route (never 404), and
// `/openapi.json` marks it. Plugging in a new stage: give the engine a SyncScope for it, make
// SyncScope::full include it, and put the scope in the row (nothing else in src/api changes).

#include <optional>
#include <span>
#include <string_view>

#include "sync/engine.hpp"

namespace pbx::api {

struct PluginStage {
  std::string_view sync_type;  // the plugin's SyncTypeChoices value: "devices", "vm-disks", ...
  std::string_view path;       // "/dcim/devices/create"; "<path>/stream" is its SSE twin
  std::string_view summary;    // what the stage writes into NetBox
  std::optional<sync::SyncScope> scope;  // the engine scope that runs it; nullopt: 501
  // "/virtualization/virtual-machines/{vm_id}/create" when the plugin can run the stage for one
  // NetBox virtual machine, else empty.
  std::string_view per_vm_path = {};
  // The query flag with which the plugin asks the stage to delete what Proxmox no longer has
  // ("delete_nonexistent_backup"); it means `delete_orphans` for this stage. Empty: none.
  std::string_view delete_flag = {};

  bool implemented() const { return scope.has_value(); }
};

// Every stage, in the plugin's order (13 rows).
std::span<const PluginStage> plugin_stages();

// The row of a plugin SyncTypeChoices value, or nullptr.
const PluginStage* find_plugin_stage(std::string_view sync_type);

// The 501 answer's detail for a route whose stage is not implemented yet.
std::string not_implemented_detail(std::string_view method_and_path);

}  // namespace pbx::api
