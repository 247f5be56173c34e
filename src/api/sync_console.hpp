#pragma once
// What `proxbox-api sync` shows a person and tells a script: a progress line on a terminal's
// stderr (redrawn in place, cleared before anything else is printed), retries and errors as
// lines on stderr, and at the end a short table for a person or one JSON line for a script
// (cron, scripts/demo). The sync engine and its transports stay silent; they report through
// SyncEvent and RetryNotice, which this turns into text.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "sync/engine.hpp"
#include "sync/transport.hpp"

namespace pbx::api {

// Exit status of `proxbox-api sync` (also in its --help).
inline constexpr int kSyncOk = 0;
inline constexpr int kSyncPartial = 1;      // ran, but with errors, unknown objects, a stop
inline constexpr int kSyncCouldNotRun = 2;  // bad usage, NetBox failing, no Proxmox readable
inline constexpr std::string_view kSyncExitCodes =
    "Exit status: 0 everything was read and written; 1 the run finished with errors (objects "
    "NetBox refused, Proxmox reads that failed: those objects are kept as they are), or it was "
    "stopped or timed out; 2 it could not run: bad usage, NetBox could not be read or written, "
    "or no Proxmox endpoint could be read at all.";

// The stages a run of `scope` goes through, in the engine's order (the `step` of its events):
// the progress display's denominator. A stage the engine runs that is not listed here (a new
// one) extends the count when it starts, so the display never shows a step past its total.
std::vector<std::string> planned_stages(sync::SyncScope scope);

// 0, 1 or 2 for a run that returned its summary (see kSyncExitCodes).
int sync_exit_code(const sync::SyncSummary& summary, size_t proxmox_endpoints);

// The per-kind table, time and request counts, as printed on a terminal.
std::string format_sync_table(const sync::SyncSummary& summary);

// "retrying NetBox in 2 s (attempt 2/3): connection refused"
std::string format_retry(std::string_view target, const sync::RetryNotice& notice);

class SyncConsole {
 public:
  struct Options {
    bool progress = false;  // redraw a progress line (stderr is a terminal)
    size_t width = 100;     // of the progress line, in characters
  };
  SyncConsole(std::ostream& err, Options options, std::vector<std::string> stages);

  // Both may be called from several threads at once.
  void on_event(const sync::SyncEvent& event);
  sync::RetryObserver retry_observer(std::string target);

  // Clears the progress line; what follows starts on a clean line.
  void finish();

 private:
  void print_line(const std::string& line);  // mutex_ held
  void redraw();                             // mutex_ held

  std::ostream& err_;
  Options options_;
  std::vector<std::string> stages_;
  std::mutex mutex_;
  size_t stage_ = 0;  // index + 1 of the stage running; 0 before the first
  std::string message_;
  bool drawn_ = false;  // a progress line is on the screen
};

// Prints the end of a run: the table (to `out` when it is for a person, else to `err` when
// that is a terminal) and/or the JSON summary line on `out`. Returns the exit status.
struct SyncReportOptions {
  bool json = false;  // --json, or stdout is not a terminal
  bool err_is_terminal = false;
};
int report_sync(const sync::SyncSummary& summary, size_t proxmox_endpoints, std::ostream& out,
                std::ostream& err, SyncReportOptions options);

}  // namespace pbx::api
