#pragma once
// Per-test outcomes of a suite run and the spec's per-cell verification table built from them.
// The suite binaries write their outcomes (with skip reasons, which gtest's JSON omits) to the
// file named by $PBX_E2E_RESULTS_FILE; the runner reads them back.

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/enum_names.hpp"
#include "e2e/matrix.hpp"

namespace pbx::e2e {

enum class Outcome { pass, skip, fail };
BOOST_DESCRIBE_ENUM(Outcome, pass, skip, fail)
inline std::string_view to_string(Outcome outcome) {
  return common::enum_name(outcome);
}

struct TestResult {
  std::string suite;  // gtest suite ("DevicesSync")
  std::string name;   // gtest test name
  Outcome outcome = Outcome::pass;
  std::string message;  // skip reason or first failure
  double seconds = 0;
};

void write_results(const std::filesystem::path& file, const std::vector<TestResult>& results);
// Throws std::runtime_error when the file is missing or malformed.
std::vector<TestResult> read_results(const std::filesystem::path& file);

enum class Pass { mock_http, mock_backend };

// One row of the spec's "What each cell verifies" table and the gtest suites that prove it.
struct VerificationRow {
  std::string_view check;
  Pass pass;
  std::vector<std::string_view> suites;  // gtest suite names (prefix match)
};
std::span<const VerificationRow> verification_rows();

// What a pass produced: its results, or why it has none.
struct PassOutcome {
  std::optional<std::vector<TestResult>> results;
  std::string not_run_reason;  // with no results: "skip: ..." rows are skipped, else failed
  bool skipped = false;        // the pass was deliberately not run (e.g. not on main)
};

struct RowResult {
  std::string check;
  Outcome outcome = Outcome::fail;
  std::string detail;  // skip reason or failing tests
};

std::vector<RowResult> verify_cell(const PassOutcome& mock_http, const PassOutcome& mock_backend);
bool all_passed_or_skipped(const std::vector<RowResult>& rows);

// The table as printed at the end of a cell.
std::string format_verification_table(const Cell& cell, const std::vector<RowResult>& rows);

// Text for XML or HTML content and attribute values (<, >, &, " escaped; control characters
// other than tab and newline become spaces).
std::string xml_escape(std::string_view text);

// JUnit XML with one <testsuite> per pass (failures and skip reasons included).
std::string to_junit_xml(const Cell& cell, const PassOutcome& mock_http,
                         const PassOutcome& mock_backend);

}  // namespace pbx::e2e
