#include "common/process.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "common/files.hpp"

namespace pbx::common {
namespace {

using namespace std::chrono_literals;

std::filesystem::path scratch_dir() {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("pbx-process-" + std::to_string(::getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(dir);
  return dir;
}

// A killed process whose parent is gone may stay a zombie when PID 1 does not reap: dead, though
// kill(pid, 0) still succeeds.
bool alive(int pid) {
  if (::kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, name, state;
  stat >> pid_field >> name >> state;
  return state != "Z";
}

TEST(Process, TerminateKillsALongRunningChild) {
  Process sleeper({.argv = {"sleep", "30"}});
  const int pid = sleeper.pid();
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(sleeper.running());
  EXPECT_EQ(::getpgid(pid), pid);  // its own process group
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(sleeper.terminate(), 128 + SIGTERM);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);  // generous: the child sleeps 30 s
  EXPECT_FALSE(sleeper.running());
  EXPECT_NE(::kill(pid, 0), 0);  // reaped: the pid is gone
}

TEST(Process, TerminateReachesTheWholeGroup) {
  const auto dir = scratch_dir();
  // The shell ignores SIGTERM, so only SIGKILL after the grace period ends it and its child.
  Process shell({.argv = {"sh", "-c", "trap '' TERM; sleep 30 & echo $! > child.pid; wait"},
                 .working_directory = dir});
  std::optional<std::string> child;
  for (int i = 0; i < 200 && !child; ++i) {
    std::this_thread::sleep_for(10ms);
    std::ifstream in(dir / "child.pid");
    std::string text;
    if (in >> text) child = text;
  }
  ASSERT_TRUE(child);
  const int child_pid = std::stoi(*child);
  EXPECT_TRUE(alive(child_pid));
  EXPECT_EQ(shell.terminate(200ms), 128 + SIGKILL);
  for (int i = 0; i < 100 && alive(child_pid); ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(alive(child_pid));
  std::filesystem::remove_all(dir);
}

TEST(Process, DestructorTerminates) {
  int pid = 0;
  {
    Process sleeper({.argv = {"sleep", "30"}});
    pid = sleeper.pid();
  }
  EXPECT_NE(::kill(pid, 0), 0);
}

TEST(Process, WaitForReturnsExitCodeOrTimesOut) {
  Process quick({.argv = {"sh", "-c", "exit 7"}});
  EXPECT_EQ(quick.wait_for(5s), 7);
  Process slow({.argv = {"sleep", "30"}});
  EXPECT_EQ(slow.wait_for(50ms), std::nullopt);
}

TEST(Process, RunCommandCapturesOutputAndEnvironment) {
  const auto result =
      run_command({.argv = {"sh", "-c", "echo out=$PBX_TEST_VALUE; echo err >&2; exit 3"},
                   .env = {{"PBX_TEST_VALUE", "hello world"}}},
                  5s);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.output.find("out=hello world\n"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("err\n"), std::string::npos) << result.output;
  EXPECT_NE(run_command({.argv = {"sh", "-c", "echo $HOME"}}, 5s).output, "\n");  // inherited
}

TEST(Process, RunCommandTimesOut) {
  const auto started = std::chrono::steady_clock::now();
  const auto result = run_command({.argv = {"sleep", "30"}}, 100ms);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);  // generous: 200 x the timeout
}

TEST(Process, MissingProgramThrows) {
  EXPECT_THROW(Process({.argv = {"/nonexistent/program"}}), std::system_error);
}

TEST(Process, OutputGoesToFilesInWorkingDirectory) {
  const auto dir = scratch_dir();
  Process pwd({.argv = {"sh", "-c", "pwd; echo oops >&2"},
               .working_directory = dir,
               .stdout_file = dir / "out.txt",
               .stderr_file = dir / "err.txt"});
  ASSERT_EQ(pwd.wait_for(5s), 0);
  std::ifstream out(dir / "out.txt");
  std::string line;
  std::getline(out, line);
  EXPECT_EQ(std::filesystem::path(line), std::filesystem::canonical(dir));
  std::ifstream err(dir / "err.txt");
  std::getline(err, line);
  EXPECT_EQ(line, "oops");
  std::filesystem::remove_all(dir);
}

TEST(Process, WaitForReadyFile) {
  const auto dir = scratch_dir();
  const auto ready = dir / "ready.json";
  Process writer(
      {.argv = {"sh", "-c", "sleep 0.2; echo '{}' > ready.tmp; mv ready.tmp ready.json; sleep 30"},
       .working_directory = dir});
  const auto content = wait_for_ready_file(writer, ready, 5s);
  ASSERT_TRUE(content);
  EXPECT_EQ(*content, "{}\n");

  Process quitter({.argv = {"sh", "-c", "exit 1"}});
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(wait_for_ready_file(quitter, dir / "never.json", 50s), std::nullopt);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 25s);  // the exit ends the wait early
  std::filesystem::remove_all(dir);
}

TEST(Process, StartUntilReadyPassesTheReadyFileAndNamesTheLog) {
  const auto dir = scratch_dir();
  // The ready file's path arrives as $2 ("--ready-file" is $1); a stale one must not count.
  common::write_file(dir / "server.ready", "stale");
  auto server = start_until_ready(
      {.argv = {"sh", "-c", "sleep 0.2; echo started; echo ready > \"$2\"; sleep 30", "sh"}}, dir,
      "server", 10s);
  ASSERT_TRUE(server.ready);
  EXPECT_EQ(*server.ready, "ready\n");
  EXPECT_EQ(server.log, dir / "server.log");
  EXPECT_EQ(common::read_file(server.log), "started\n");
  ASSERT_TRUE(server.process && server.process->running());

  auto quitter = start_until_ready({.argv = {"sh", "-c", "echo no config >&2; exit 2", "sh"}}, dir,
                                   "quitter", 10s);
  EXPECT_EQ(quitter.ready, std::nullopt);
  EXPECT_EQ(common::read_file(quitter.log), "no config\n") << "stderr goes to the log too";
  server.process.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pbx::common
