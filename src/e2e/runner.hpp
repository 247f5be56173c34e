#pragma once
// Runs cells: stand the stack up, run the suite binaries against it (mock_http pass, then the
// mock_backend pass), turn their outcomes into the verification table and a JUnit report.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "e2e/cell.hpp"
#include "e2e/results.hpp"

namespace pbx::e2e {

struct CellRunOptions {
  Cell cell;
  Binaries binaries;
  std::filesystem::path output_dir;  // <cell id>.junit.xml and the suites' logs land here
  bool run_mock_backend = true;      // false: the row is skipped ("not requested")
  bool keep_work_dir = false;
  std::chrono::seconds suite_timeout{900};
};

struct CellRunResult {
  Cell cell;
  std::vector<RowResult> rows;
  bool passed = false;
  std::chrono::milliseconds duration{0};
  std::chrono::milliseconds startup{0};
  std::string error;  // the stack did not come up
  std::filesystem::path junit_file;
};

// Never throws for a failing cell: failures are in the result.
CellRunResult run_cell(const CellRunOptions& options);

struct MatrixRunOptions {
  std::vector<Cell> cells;
  Binaries dev_binaries;
  Binaries release_binaries;  // used by cells in Mode::release
  std::filesystem::path output_dir;
  unsigned jobs = 2;
  bool run_mock_backend = true;
};

struct MatrixRunResult {
  std::vector<CellRunResult> cells;  // in matrix order
  std::chrono::milliseconds wall_time{0};
  bool passed() const;
};

// Every cell, fail-fast off, `jobs` at a time. Stops starting cells after SIGINT/SIGTERM.
MatrixRunResult run_matrix(const MatrixRunOptions& options);

// Counts, failed cells with their failing rows, and the slowest cells.
std::string format_matrix_summary(const MatrixRunResult& result, size_t slowest = 5);

}  // namespace pbx::e2e
