// `proxbox-api sync` as a person and as a script see it: under a pseudo-terminal (util-linux
// `script`) a progress line and a table, without one a single JSON line on stdout; retries
// announced on stderr; exit status 0, 1 and 2. Plus the console's formatting in-process.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <regex>
#include <sstream>

#include "api/sync_console.hpp"
#include "api_stack.hpp"
#include "common/files.hpp"

namespace pbx::api {
namespace {

using stack_test::build_dir;

// A loopback port nobody listens on (bound, then closed): connecting is refused.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string quoted(const std::string& word) {
  std::string out = "'";
  for (char c : word)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

// What a terminal shows of each line: the text after the line's last carriage return, without
// the erase-to-end-of-line sequences.
std::vector<std::string> visible_lines(const std::string& text) {
  std::vector<std::string> lines;
  for (auto line : lines_of(text)) {
    if (const auto last = line.rfind('\r'); last != std::string::npos) line.erase(0, last + 1);
    for (auto at = line.find("\x1b[K"); at != std::string::npos; at = line.find("\x1b[K"))
      line.erase(at, 3);
    lines.push_back(line);
  }
  return lines;
}

bool is_json_object(const std::string& line) {
  boost::system::error_code error;
  const auto value = boost::json::parse(line, error);
  return !error && value.is_object();
}

class SyncCliTest : public stack_test::ApiStackTest {
 protected:
  struct Result {
    int exit_code = -1;
    std::string out;  // on a terminal: everything the terminal showed
    std::string err;
  };

  // Runs `proxbox-api sync ARGS`; `terminal`: stdout and stderr are a pseudo-terminal.
  Result sync(std::vector<std::string> args, bool terminal) {
    std::vector<std::string> argv = {(build_dir() / "apps/proxbox-api/proxbox-api").string(),
                                     "sync"};
    argv.insert(argv.end(), args.begin(), args.end());
    if (terminal) {
      std::string command;
      for (const auto& word : argv)
        command += quoted(word) + " ";
      argv = {"script", "-qec", command, "/dev/null"};
    }
    common::ProcessOptions options{.argv = argv,
                                   .env = {{"PROXBOX_NETBOX_TOKEN", stack_test::kNetBoxToken},
                                           {"PROXBOX_PROXMOX_TOKEN", stack_test::kProxmoxToken}},
                                   .stdout_file = dir_ / "sync.out",
                                   .stderr_file = dir_ / "sync.err"};
    Result result;
    const auto run = common::run_command(options, std::chrono::seconds(120));
    result.exit_code = run.exit_code;
    result.out = run.output;
    result.err = common::read_file(dir_ / "sync.err");
    return result;
  }

  std::vector<std::string> endpoints() const {
    return {"--proxmox", proxmox_.url, "--netbox", netbox_.url};
  }
  static std::string refused_url() { return "http://127.0.0.1:" + std::to_string(closed_port()); }
};

TEST_F(SyncCliTest, WithoutTerminalStdoutIsOneJsonLineAndStderrHasNoProgress) {
  auto args = endpoints();
  args.push_back("--dry-run");  // a clean run whatever NetBox's write rules say
  const auto result = sync(args, false);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const auto lines = lines_of(result.out);
  ASSERT_EQ(lines.size(), 1u) << result.out;
  ASSERT_TRUE(is_json_object(lines[0])) << lines[0];
  EXPECT_TRUE(boost::json::parse(lines[0]).at("ok").as_bool());
  EXPECT_EQ(result.err.find('\r'), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("kind "), std::string::npos) << "no table for a script";
}

TEST_F(SyncCliTest, OnTerminalShowsProgressWithRightCountsThenTable) {
  if (!std::filesystem::exists("/usr/bin/script")) GTEST_SKIP() << "util-linux script missing";
  const auto result = sync(endpoints(), true);
  // 1 would be a full run's error (printed in the output), not this test's concern.
  ASSERT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.out;
  // Each redraw: "\r[###---] k/N message".
  const std::regex frame(R"(\r\[[#-]+\] (\d+)/(\d+) )");
  size_t frames = 0, last_done = 0, last_total = 0;
  for (std::sregex_iterator it(result.out.begin(), result.out.end(), frame), end; it != end; ++it) {
    ++frames;
    last_done = std::stoul((*it)[1]);
    last_total = std::stoul((*it)[2]);
    EXPECT_LE(last_done, last_total) << it->str();
  }
  EXPECT_GT(frames, 5u) << result.out;
  // The run's last stage is the last step of the plan: the total counted what really ran.
  EXPECT_EQ(last_done, last_total) << result.out;
  bool header = false, total = false;
  for (const auto& line : visible_lines(result.out)) {
    EXPECT_FALSE(line.find("{\"") != std::string::npos) << "JSON on a terminal: " << line;
    header |= line.find("kind") == 0 && line.find("unchanged") != std::string::npos;
    total |= line.find("total") == 0;
  }
  EXPECT_TRUE(header && total) << result.out;
  EXPECT_NE(result.out.find("result: "), std::string::npos) << result.out;
}

TEST_F(SyncCliTest, JsonFlagOnTerminalPrintsTheJsonOnItsOwnLine) {
  if (!std::filesystem::exists("/usr/bin/script")) GTEST_SKIP() << "util-linux script missing";
  auto args = endpoints();
  args.push_back("--json");
  args.push_back("--dry-run");  // a clean run whatever NetBox's write rules say
  const auto result = sync(args, true);
  ASSERT_EQ(result.exit_code, 0) << result.out;
  size_t json_lines = 0;
  for (const auto& line : lines_of(result.out)) {
    if (line.find("{\"") == std::string::npos) continue;
    ++json_lines;
    EXPECT_TRUE(is_json_object(line)) << "glued to something: " << line;
  }
  EXPECT_EQ(json_lines, 1u) << result.out;
}

TEST_F(SyncCliTest, NoProxmoxReadableExitsTwoAnnouncingRetriesCauseFirst) {
  const std::string refused = refused_url();
  const auto result = sync({"--proxmox", refused, "--netbox", netbox_.url}, false);
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("retrying Proxmox " + refused + " in 0.1 s (attempt 2/3): "),
            std::string::npos)
      << result.err;
  bool error_line = false;
  for (const auto& line : lines_of(result.err)) {
    if (line.rfind("error: ", 0) != 0) continue;
    error_line = true;
    // The cause before the request it concerns.
    const auto cause = line.find("efused");
    ASSERT_NE(cause, std::string::npos) << line;
    EXPECT_LT(cause, line.find("(GET ")) << line;
  }
  EXPECT_TRUE(error_line) << result.err;
  EXPECT_FALSE(boost::json::parse(result.out).at("ok").as_bool());
}

TEST_F(SyncCliTest, OneOfTwoEndpointsUnreadableExitsOne) {
  const auto result =
      sync({"--proxmox", proxmox_.url, "--proxmox", refused_url(), "--netbox", netbox_.url}, false);
  EXPECT_EQ(result.exit_code, 1) << result.err;
}

TEST_F(SyncCliTest, NetBoxRetriesAnnouncedAndAFailingNetBoxExitsTwo) {
  const auto result = sync({"--proxmox", proxmox_.url, "--netbox", refused_url()}, false);
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("retrying NetBox in 0.1 s (attempt 2/3): "), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("retrying NetBox in 0.2 s (attempt 3/3): "), std::string::npos)
      << result.err;
}

TEST_F(SyncCliTest, HelpSaysTheExitCodes) {
  const auto result = sync({"--help"}, false);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("Exit status: 0"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("2 it could not run"), std::string::npos) << result.out;
}

// The console alone: no processes.
sync::SyncSummary summary_with(size_t proxmox_errors) {
  sync::SyncSummary summary;
  summary.kinds["devices"].created = 2;
  summary.kinds["virtual_machines"].unchanged = 3;
  for (size_t i = 0; i < proxmox_errors; ++i) {
    summary.kinds["proxmox"].errors++;
    summary.errors.push_back("proxmox read failed");
  }
  summary.duration = std::chrono::milliseconds(1234);
  return summary;
}

TEST(SyncConsole, ExitCodes) {
  EXPECT_EQ(sync_exit_code(summary_with(0), 2), 0);
  EXPECT_EQ(sync_exit_code(summary_with(1), 2), 1);
  EXPECT_EQ(sync_exit_code(summary_with(2), 2), 2);
  auto cancelled = summary_with(0);
  cancelled.cancelled = true;
  EXPECT_EQ(sync_exit_code(cancelled, 1), 1);
}

TEST(SyncConsole, TableHasOneRowPerKindAndTotals) {
  const auto table = format_sync_table(summary_with(1));
  EXPECT_NE(table.find("devices                     2"), std::string::npos) << table;
  EXPECT_NE(table.find("time 1.23 s"), std::string::npos) << table;
  EXPECT_NE(table.find("result: 1 error "), std::string::npos) << table;
}

TEST(SyncConsole, RetryWording) {
  sync::RetryNotice notice;
  notice.attempt = 2;
  notice.attempts = 3;
  notice.delay = std::chrono::seconds(2);
  notice.cause = "connection refused";
  EXPECT_EQ(format_retry("NetBox", notice),
            "retrying NetBox in 2 s (attempt 2/3): connection refused");
  notice.delay = std::chrono::milliseconds(100);
  EXPECT_EQ(format_retry("NetBox", notice),
            "retrying NetBox in 0.1 s (attempt 2/3): connection refused");
}

TEST(SyncConsole, UnplannedStageExtendsTheTotalAndErrorsClearTheLine) {
  std::ostringstream err;
  SyncConsole console(err, {.progress = true}, {"proxmox", "devices"});
  const auto step = [&](const char* stage) {
    console.on_event({"step", {{"step", stage}, {"message", std::string(stage) + " done"}}});
  };
  step("proxmox");
  step("extra");
  console.on_event({"error", {{"step", "devices"}, {"object", "pve1"}, {"message", "refused"}}});
  step("devices");
  console.finish();
  const std::string text = err.str();
  EXPECT_NE(text.find("] 1/2 proxmox done"), std::string::npos) << text;
  EXPECT_NE(text.find("] 2/3 extra done"), std::string::npos) << text;
  EXPECT_NE(text.find("] 3/3 devices done"), std::string::npos) << text;
  EXPECT_NE(text.find("\r\x1b[Kerror: refused [pve1]\n"), std::string::npos) << text;
  EXPECT_TRUE(text.ends_with("\r\x1b[K")) << text;
}

}  // namespace
}  // namespace pbx::api
