#pragma once
// Child processes that die with the runner even when it is interrupted. common::Process already
// kills its group on destruction; a SIGINT/SIGTERM would skip destructors, so supervised
// processes are also listed where a signal handler can reach them: on a signal the handler
// SIGKILLs every listed group (async-signal-safe) and records the request; the runner then
// unwinds normally (its waits end because the children are gone) and exits non-zero.

#include <filesystem>
#include <string>

#include "common/process.hpp"

namespace pbx::e2e {

class SupervisedProcess {
 public:
  // Throws std::system_error like common::Process.
  explicit SupervisedProcess(common::ProcessOptions options);
  ~SupervisedProcess();
  SupervisedProcess(const SupervisedProcess&) = delete;
  SupervisedProcess& operator=(const SupervisedProcess&) = delete;

  common::Process& process() { return process_; }
  int pid() const { return process_.pid(); }

 private:
  common::Process process_;
  int slot_ = -1;
};

// Installs the SIGINT/SIGTERM handler once per process (later calls do nothing).
void install_teardown_on_signals();
// The signal that interrupted this process, 0 if none.
int teardown_signal();

// The last `max_bytes` of a child's log ("..." first when cut), "" when it never wrote one.
std::string log_tail(const std::filesystem::path& log, size_t max_bytes = 2000);

// A fresh directory under $TMPDIR (or /tmp), removed with its content on destruction unless
// keep() was called.
class TempDir {
 public:
  explicit TempDir(std::string_view name_prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  void keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

}  // namespace pbx::e2e
