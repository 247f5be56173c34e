#include "e2e/supervisor.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <system_error>

#include "common/files.hpp"

namespace pbx::e2e {
namespace {

constexpr size_t kMaxSupervised = 256;
std::array<std::atomic<int>, kMaxSupervised> g_process_groups{};
std::atomic<int> g_teardown_signal{0};

int claim_slot(int process_group) {
  for (size_t i = 0; i < kMaxSupervised; ++i) {
    int expected = 0;
    if (g_process_groups[i].compare_exchange_strong(expected, process_group))
      return static_cast<int>(i);
  }
  return -1;  // table full: the Process destructor still reaps it on a normal exit
}

void on_teardown_signal(int signal_number) {
  g_teardown_signal.store(signal_number);
  for (auto& group : g_process_groups) {
    if (const int pid = group.load(); pid > 0) ::kill(-pid, SIGKILL);
  }
}

}  // namespace

SupervisedProcess::SupervisedProcess(common::ProcessOptions options)
    : process_(std::move(options)) {
  slot_ = claim_slot(process_.pid());
  // A signal that arrived while the child was starting found no entry for it.
  if (teardown_signal() != 0) process_.terminate(std::chrono::milliseconds{0});
}

SupervisedProcess::~SupervisedProcess() {
  process_.terminate();
  if (slot_ >= 0) g_process_groups[slot_].store(0);
}

void install_teardown_on_signals() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_handler = on_teardown_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGHUP, &action, nullptr);
    return true;
  }();
  (void)installed;
}

int teardown_signal() {
  return g_teardown_signal.load();
}

std::string log_tail(const std::filesystem::path& log, size_t max_bytes) {
  std::error_code missing;
  if (!std::filesystem::exists(log, missing)) return {};
  auto content = common::read_file(log);
  if (content.size() > max_bytes) content = "..." + content.substr(content.size() - max_bytes);
  return content;
}

TempDir::TempDir(std::string_view name_prefix) {
  const char* base = std::getenv("TMPDIR");
  auto pattern =
      (std::filesystem::path(base && *base ? base : "/tmp") / fmt::format("{}-XXXXXX", name_prefix))
          .string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  if (keep_) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace pbx::e2e
