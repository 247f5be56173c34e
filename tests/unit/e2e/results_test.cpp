#include "e2e/results.hpp"

#include <gtest/gtest.h>

#include "e2e/runner.hpp"
#include "e2e/supervisor.hpp"

namespace pbx::e2e {
namespace {

const Cell kPbsCell{3, Mode::dev, "4.6", "pbs"};

std::vector<TestResult> suite_results(Outcome sync_outcome, std::string sync_message) {
  std::vector<TestResult> results{
      {"StackReadiness", "NetBoxApiAnswers", Outcome::pass, "", 0.1},
      {"ProxmoxMockHealth", "RootReportsLoadedService", Outcome::pass, "", 0.1},
      {"ProxboxConnection", "NetBoxEndpointAndStatus", Outcome::pass, "", 0.1},
      {"CustomFieldBootstrap", "CreatesFieldsAndTagIdempotently", Outcome::pass, "", 0.1},
  };
  for (const char* suite :
       {"DevicesSync", "VmSync", "BackupsSync", "PluginObjectsSync", "FullEstateSync"})
    results.push_back({suite, "Sync", sync_outcome, sync_message, 0.5});
  return results;
}

TEST(VerifyCell, StubServiceSkipsThePveRowsWithTheReason) {
  const PassOutcome http{suite_results(
      Outcome::skip, "/work/main/tests/e2e/x.cpp:12\nrequires PVE schema; service=pbs")};
  const PassOutcome backend{std::vector<TestResult>{
      {"MockBackend", "Multi", Outcome::skip, "requires PVE schema; service=pbs", 0}}};
  const auto rows = verify_cell(http, backend);
  ASSERT_EQ(rows.size(), verification_rows().size());
  EXPECT_EQ(rows.size(), 9u);
  for (size_t i = 0; i < 4; ++i)
    EXPECT_EQ(rows[i].outcome, Outcome::pass) << rows[i].check;
  for (size_t i = 4; i < 9; ++i) {
    EXPECT_EQ(rows[i].outcome, Outcome::skip) << rows[i].check;
    EXPECT_EQ(rows[i].detail, "requires PVE schema; service=pbs");
  }
  EXPECT_TRUE(all_passed_or_skipped(rows));
  const auto table = format_verification_table(kPbsCell, rows);
  EXPECT_NE(table.find("skip (requires PVE schema; service=pbs)"), std::string::npos) << table;
  EXPECT_NE(table.find("| devices sync"), std::string::npos) << table;
}

TEST(VerifyCell, AFailingTestFailsItsRowAndTheCell) {
  auto results = suite_results(Outcome::pass, "");
  results.push_back({"VmSync", "Second", Outcome::fail, "x.cpp:3\nexpected 2 VMs, found 1", 0});
  const auto rows = verify_cell(
      {results}, {std::vector<TestResult>{{"MockBackend", "Multi", Outcome::pass, "", 0}}});
  EXPECT_EQ(rows[5].outcome, Outcome::fail);
  EXPECT_NE(rows[5].detail.find("VmSync.Second: expected 2 VMs, found 1"), std::string::npos);
  EXPECT_EQ(rows[4].outcome, Outcome::pass);
  EXPECT_FALSE(all_passed_or_skipped(rows));
}

TEST(VerifyCell, ARowWithoutTestsFails) {
  std::vector<TestResult> only_readiness{{"StackReadiness", "A", Outcome::pass, "", 0}};
  const auto rows = verify_cell({only_readiness}, {.not_run_reason = "", .skipped = true});
  EXPECT_EQ(rows[0].outcome, Outcome::pass);
  EXPECT_EQ(rows[1].outcome, Outcome::fail);
  EXPECT_EQ(rows[1].detail, "no test ran for this check");
  EXPECT_EQ(rows[8].outcome, Outcome::skip);
}

TEST(VerifyCell, APassThatDidNotRunFailsEveryRow) {
  const PassOutcome crashed{.not_run_reason = "stack did not start: netbox-emulator timed out"};
  const auto rows = verify_cell(crashed, crashed);
  for (const auto& row : rows) {
    EXPECT_EQ(row.outcome, Outcome::fail);
    EXPECT_EQ(row.detail, crashed.not_run_reason);
  }
}

TEST(Results, RoundTripThroughTheFile) {
  TempDir dir("results-test");
  const auto file = dir.path() / "r.json";
  const auto written = suite_results(Outcome::skip, "requires PVE schema; service=pdm");
  write_results(file, written);
  const auto read = read_results(file);
  ASSERT_EQ(read.size(), written.size());
  EXPECT_EQ(read.back().message, "requires PVE schema; service=pdm");
  EXPECT_EQ(read.back().outcome, Outcome::skip);
  EXPECT_THROW(read_results(dir.path() / "missing.json"), std::runtime_error);
}

TEST(Results, JUnitCarriesFailuresAndSkipReasons) {
  auto results = suite_results(Outcome::skip, "requires PVE schema; service=pbs");
  results.push_back({"StackReadiness", "Broken", Outcome::fail, "a < b & \"c\"", 0});
  const auto xml =
      to_junit_xml(kPbsCell, {results}, {.not_run_reason = "not requested", .skipped = true});
  EXPECT_NE(xml.find("<skipped message=\"requires PVE schema; service=pbs\">"), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("a &lt; b &amp; &quot;c&quot;"), std::string::npos) << xml;
  EXPECT_NE(
      xml.find("name=\"t3-dev-nb4.6-pbs.mock_http\" tests=\"10\" failures=\"1\" skipped=\"5\""),
      std::string::npos)
      << xml;
}

}  // namespace
}  // namespace pbx::e2e

namespace pbx::e2e {
namespace {

TEST(RunCell, AStackThatCannotStartFailsEveryRowWithoutThrowing) {
  TempDir output("run-cell-test");
  CellRunOptions options;
  options.cell = {6, Mode::dev, "4.6", "pve"};
  options.binaries = Binaries::from_build_dir("/nonexistent-build");
  options.output_dir = output.path();
  const auto result = run_cell(options);
  EXPECT_FALSE(result.passed);
  EXPECT_NE(result.error.find("proxmox-mock"), std::string::npos) << result.error;
  ASSERT_EQ(result.rows.size(), verification_rows().size());
  for (const auto& row : result.rows) {
    EXPECT_EQ(row.outcome, Outcome::fail) << row.check;
    EXPECT_NE(row.detail.find("stack did not start"), std::string::npos) << row.detail;
  }
  EXPECT_TRUE(std::filesystem::exists(result.junit_file));
}

}  // namespace
}  // namespace pbx::e2e
