#pragma once
// Child processes for integration tests and the E2E runner: started in their own process group,
// output captured to files, and always reaped: the destructor terminates the whole group
// (SIGTERM, then SIGKILL after a grace period), so no process outlives its owner.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pbx::common {

struct ProcessOptions {
  std::vector<std::string> argv;            // argv[0] is the program path
  std::map<std::string, std::string> env;   // added to (and overriding) the parent's
  std::filesystem::path working_directory;  // empty: inherit
  std::filesystem::path stdout_file;        // empty: /dev/null
  std::filesystem::path stderr_file;        // empty: same as stdout_file
};

class Process {
 public:
  // Throws std::system_error when the program cannot be started.
  explicit Process(ProcessOptions options);
  ~Process();
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  int pid() const { return pid_; }
  bool running();
  // Sends SIGTERM to the group, waits up to `grace`, then SIGKILLs. Returns the exit code
  // (128+signal when killed by a signal).
  int terminate(std::chrono::milliseconds grace = std::chrono::milliseconds{3'000});
  // Waits for exit; nullopt on timeout.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);

 private:
  int pid_ = -1;
  std::optional<int> exit_code_;
};

// Waits for `path` to exist and be non-empty (a --ready-file); returns its content or nullopt
// on timeout or when `process` exits first.
std::optional<std::string> wait_for_ready_file(Process& process, const std::filesystem::path& path,
                                               std::chrono::milliseconds timeout);

// A server started with `--ready-file <dir>/<name>.ready` added to its argv and its output in
// <dir>/<name>.log (unless options name another file), then waited for: the start-up that tests
// and benchmarks share.
struct ReadyProcess {
  std::unique_ptr<Process> process;
  std::optional<std::string> ready;  // the ready file's text; nullopt: exited or timed out
  std::filesystem::path log;         // says why it did not come up
};
ReadyProcess start_until_ready(ProcessOptions options, const std::filesystem::path& dir,
                               const std::string& name, std::chrono::milliseconds timeout);

// Runs a command to completion, capturing stdout+stderr. For conformance peers (python, node).
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult run_command(const ProcessOptions& options, std::chrono::milliseconds timeout);

}  // namespace pbx::common
