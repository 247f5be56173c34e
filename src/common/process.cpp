#include "common/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>
#include <thread>
#include <utility>

#include "common/files.hpp"

extern char** environ;

namespace pbx::common {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPollInterval{10};

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// The parent's environment with `overrides` applied, as "NAME=value" strings.
std::vector<std::string> merged_environment(const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> merged;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    merged.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  for (const auto& [name, value] : overrides)
    merged[name] = value;
  std::vector<std::string> result;
  result.reserve(merged.size());
  for (const auto& [name, value] : merged)
    result.push_back(name + "=" + value);
  return result;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (auto& text : strings)
    pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Owns the posix_spawn attribute objects so every exit path destroys them.
struct SpawnSetup {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attributes{};
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

int spawn(const ProcessOptions& options) {
  if (options.argv.empty()) {
    throw std::system_error(EINVAL, std::generic_category(), "Process: empty argv");
  }
  SpawnSetup setup;
  // Own process group, so terminate() reaches grandchildren too; default signal handling,
  // whatever the parent (e.g. a test runner) has set.
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGTERM);
  sigaddset(&default_signals, SIGINT);
  sigaddset(&default_signals, SIGPIPE);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  posix_spawnattr_setpgroup(&setup.attributes, 0);
  posix_spawnattr_setsigdefault(&setup.attributes, &default_signals);
  posix_spawnattr_setsigmask(&setup.attributes, &no_signals);
  posix_spawnattr_setflags(&setup.attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  const std::string out = options.stdout_file.empty() ? "/dev/null" : options.stdout_file.string();
  posix_spawn_file_actions_addopen(&setup.actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (options.stderr_file.empty() || options.stderr_file == options.stdout_file) {
    posix_spawn_file_actions_adddup2(&setup.actions, STDOUT_FILENO, STDERR_FILENO);
  } else {
    const std::string err = options.stderr_file.string();
    posix_spawn_file_actions_addopen(&setup.actions, STDERR_FILENO, err.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  if (!options.working_directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&setup.actions, options.working_directory.c_str());
  }

  std::vector<std::string> argv_strings = options.argv;
  std::vector<std::string> env_strings = merged_environment(options.env);
  auto argv = pointers_to(argv_strings);
  auto envp = pointers_to(env_strings);
  pid_t pid = -1;
  // posix_spawnp looks the program up in the parent's PATH when argv[0] has no slash.
  const int error =
      ::posix_spawnp(&pid, argv[0], &setup.actions, &setup.attributes, argv.data(), envp.data());
  if (error != 0) {
    throw std::system_error(error, std::generic_category(),
                            "cannot start '" + options.argv.front() + "'");
  }
  return pid;
}

}  // namespace

Process::Process(ProcessOptions options) : pid_(spawn(options)) {}

Process::~Process() {
  if (pid_ > 0 && !exit_code_) terminate();
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), exit_code_(std::exchange(other.exit_code_, {})) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !exit_code_) terminate();
    pid_ = std::exchange(other.pid_, -1);
    exit_code_ = std::exchange(other.exit_code_, {});
  }
  return *this;
}

bool Process::running() {
  if (pid_ <= 0 || exit_code_) return false;
  int status = 0;
  const pid_t result = ::waitpid(pid_, &status, WNOHANG);
  if (result == pid_) {
    exit_code_ = decode_status(status);
    // The leader is gone; make sure nothing it left behind in its group survives it.
    ::kill(-pid_, SIGKILL);
    return false;
  }
  return result == 0;
}

std::optional<int> Process::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (running()) {
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
  return exit_code_;
}

int Process::terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  if (!running()) return exit_code_.value_or(-1);
  ::kill(-pid_, SIGTERM);
  if (auto code = wait_for(grace)) return *code;
  ::kill(-pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_code_ = decode_status(status);
  return *exit_code_;
}

std::optional<std::string> wait_for_ready_file(Process& process, const std::filesystem::path& path,
                                               std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    std::error_code error;
    if (std::filesystem::file_size(path, error) > 0 && !error) {
      return read_file(path);
    }
    if (!process.running() || Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

ReadyProcess start_until_ready(ProcessOptions options, const std::filesystem::path& dir,
                               const std::string& name, std::chrono::milliseconds timeout) {
  const auto ready_file = dir / (name + ".ready");
  std::error_code ignored;
  std::filesystem::remove(ready_file, ignored);  // a stale one would end the wait at once
  options.argv.insert(options.argv.end(), {"--ready-file", ready_file.string()});
  if (options.stdout_file.empty()) options.stdout_file = dir / (name + ".log");
  ReadyProcess started;
  started.log = options.stdout_file;
  started.process = std::make_unique<Process>(std::move(options));
  started.ready = wait_for_ready_file(*started.process, ready_file, timeout);
  return started;
}

CommandResult run_command(const ProcessOptions& options, std::chrono::milliseconds timeout) {
  ProcessOptions capture = options;
  std::filesystem::path temporary;
  if (capture.stdout_file.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "pbx-command-XXXXXX").string();
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "mkstemp");
    ::close(fd);
    temporary = pattern;
    capture.stdout_file = temporary;
    capture.stderr_file.clear();
  }
  CommandResult result;
  {
    Process process(capture);
    if (auto code = process.wait_for(timeout)) {
      result.exit_code = *code;
    } else {
      process.terminate(std::chrono::milliseconds(500));
      result.exit_code = -1;  // timed out
    }
  }
  result.output = read_file(capture.stdout_file);
  if (!temporary.empty()) std::filesystem::remove(temporary);
  return result;
}

}  // namespace pbx::common
