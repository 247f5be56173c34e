// proxbox-e2e itself, end to end: a cell passes and prints the table; an interrupted cell
// leaves no process and no temp dir behind.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <thread>

#include "common/files.hpp"
#include "common/process.hpp"
#include "e2e/cell.hpp"
#include "e2e/supervisor.hpp"

namespace pbx::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// "" for a process that exited meanwhile or a log not written yet.
std::string read(const fs::path& path) {
  try {
    return common::read_file(path);
  } catch (const common::FileError&) {
    return {};
  }
}

// Processes whose command line mentions `marker` (the runner's private TMPDIR).
std::vector<std::string> processes_mentioning(const std::string& marker) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto cmdline = read(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(marker) != std::string::npos) found.push_back(name + ": " + cmdline);
  }
  return found;
}

common::ProcessOptions cell_command(const fs::path& tmpdir, const fs::path& output,
                                    const fs::path& log) {
  const auto build_dir = default_build_dir();
  common::ProcessOptions options;
  options.argv = {(build_dir / "apps/proxbox-e2e/proxbox-e2e").string(),
                  "cell",
                  "--service",
                  "pdm",
                  "--transport",
                  "7",
                  "--bin-dir",
                  build_dir.string(),
                  "--output-dir",
                  output.string()};
  options.env = {{"TMPDIR", tmpdir.string()}};
  options.stdout_file = log;
  return options;
}

TEST(RunnerCell, PassesAndPrintsTheVerificationTable) {
  TempDir scratch("runner-test");
  const auto log = scratch.path() / "cell.log";
  const auto tmpdir = scratch.path() / "tmp";
  fs::create_directories(tmpdir);
  common::Process cell(cell_command(tmpdir, scratch.path() / "out", log));
  const auto code = cell.wait_for(300s);
  const auto output = read(log);
  ASSERT_TRUE(code.has_value()) << output;
  EXPECT_EQ(*code, 0) << output;
  EXPECT_NE(output.find("| custom-fields bootstrap"), std::string::npos) << output;
  EXPECT_NE(output.find("skip (requires PVE schema; service=pdm)"), std::string::npos) << output;
  EXPECT_TRUE(fs::exists(scratch.path() / "out" / "t7-dev-nb4.6-pdm.junit.xml"));
  EXPECT_TRUE(fs::is_empty(tmpdir)) << "the cell's temp dir must be gone";
}

TEST(RunnerCell, InterruptLeavesNothingBehind) {
  TempDir scratch("runner-test");
  const auto log = scratch.path() / "cell.log";
  const auto tmpdir = scratch.path() / "tmp";
  fs::create_directories(tmpdir);
  common::Process cell(cell_command(tmpdir, scratch.path() / "out", log));
  // Wait until the stack is (at least partly) up: a server's ready file exists.
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  bool some_server_up = false;
  while (!some_server_up && std::chrono::steady_clock::now() < deadline && cell.running()) {
    try {
      for (const auto& entry : fs::recursive_directory_iterator(tmpdir)) {
        if (entry.path().string().ends_with(".ready.json")) some_server_up = true;
      }
    } catch (const fs::filesystem_error&) {
      // A file vanished while listing: look again.
    }
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(some_server_up) << read(log);
  ASSERT_FALSE(processes_mentioning(tmpdir.string()).empty());
  ::kill(cell.pid(), SIGINT);  // the runner only, as a terminal's Ctrl-C would reach it first
  const auto code = cell.wait_for(60s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 128 + SIGINT) << read(log);
  const auto left = processes_mentioning(tmpdir.string());
  EXPECT_TRUE(left.empty()) << fmt::format("{}", fmt::join(left, "\n"));
  EXPECT_TRUE(fs::is_empty(tmpdir)) << "the cell's temp dir must be gone";
}

}  // namespace
}  // namespace pbx::e2e
