#include "e2e/runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "common/files.hpp"
#include "e2e/real_netbox.hpp"
#include "e2e/supervisor.hpp"

namespace pbx::e2e {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

PassOutcome run_suite(const fs::path& binary, std::string_view pass_name,
                      const std::map<std::string, std::string>& stack_env,
                      const CellRunOptions& options) {
  const auto stem = fmt::format("{}.{}", options.cell.id(), pass_name);
  const auto results_file = options.output_dir / (stem + ".results.json");
  const auto log_file = options.output_dir / (stem + ".log");
  std::error_code ignored;
  fs::remove(results_file, ignored);

  common::ProcessOptions process_options;
  process_options.argv = {binary.string(), "--gtest_color=no"};
  process_options.env = stack_env;
  process_options.env["PBX_E2E_RESULTS_FILE"] = results_file.string();
  process_options.stdout_file = log_file;
  PassOutcome outcome;
  std::optional<int> exit_code;
  {
    SupervisedProcess suite(std::move(process_options));
    exit_code = suite.process().wait_for(options.suite_timeout);
    if (!exit_code) {
      suite.process().terminate();
      outcome.not_run_reason = fmt::format("{} pass timed out after {} s; log {}", pass_name,
                                           options.suite_timeout.count(), log_file.string());
      return outcome;
    }
  }
  try {
    outcome.results = read_results(results_file);
  } catch (const std::exception& error) {
    outcome.not_run_reason = fmt::format("{} pass exited {} without results ({}); log {}",
                                         pass_name, *exit_code, error.what(), log_file.string());
    return outcome;
  }
  // A crash after some tests: the results are partial, so the missing rows fail on their own;
  // record the crash as a failure so the cell cannot pass.
  if (*exit_code != 0 &&
      std::none_of(outcome.results->begin(), outcome.results->end(),
                   [](const TestResult& t) { return t.outcome == Outcome::fail; })) {
    outcome.results->push_back({"SuiteProcess", std::string(pass_name), Outcome::fail,
                                fmt::format("exit code {}; log {}", *exit_code, log_file.string()),
                                0});
  }
  return outcome;
}

// The verification table and the JUnit report from the two passes' outcomes.
CellRunResult finish_cell(const CellRunOptions& options, CellRunResult result,
                          const PassOutcome& mock_http, const PassOutcome& mock_backend,
                          Clock::time_point started) {
  result.rows = verify_cell(mock_http, mock_backend);
  result.passed = result.error.empty() && all_passed_or_skipped(result.rows);
  result.junit_file = options.output_dir / (options.cell.id() + ".junit.xml");
  common::write_file(result.junit_file, to_junit_xml(options.cell, mock_http, mock_backend));
  result.duration = since(started);
  return result;
}

}  // namespace

CellRunResult run_cell(const CellRunOptions& options) {
  const auto started = Clock::now();
  CellRunResult result;
  result.cell = options.cell;
  fs::create_directories(options.output_dir);
  PassOutcome mock_http;
  PassOutcome mock_backend;
  try {
    // A real NetBox needs PostgreSQL, Redis and a fitting Python: without them the cell skips
    // with the script's reason ("requires PostgreSQL at 127.0.0.1:5432 ...") instead of failing.
    if (const auto release = real_netbox_release(options.cell.netbox_version)) {
      if (auto availability = check_real_netbox(*release); !availability.available) {
        mock_http = {.not_run_reason = availability.reason, .skipped = true};
        mock_backend = mock_http;
        return finish_cell(options, std::move(result), mock_http, mock_backend, started);
      }
    }
    CellOptions cell_options;
    cell_options.cell = options.cell;
    cell_options.binaries = options.binaries;
    cell_options.keep_work_dir = options.keep_work_dir;
    CellStack stack(std::move(cell_options));
    result.startup = stack.startup_time();
    auto env = stack.environment();
    if (const char* build_dir = std::getenv("PBX_BUILD_DIR")) env["PBX_BUILD_DIR"] = build_dir;
    mock_http = run_suite(options.binaries.mock_http_suite, "mock_http", env, options);
    if (!options.run_mock_backend) {
      mock_backend.skipped = true;
      mock_backend.not_run_reason = "mock_backend pass not requested";
    } else if (teardown_signal() != 0) {
      mock_backend.not_run_reason = "interrupted";
    } else {
      mock_backend = run_suite(options.binaries.mock_backend_suite, "mock_backend", env, options);
    }
  } catch (const std::exception& error) {
    result.error = error.what();
    mock_http.not_run_reason = "stack did not start: " + result.error;
    mock_backend.not_run_reason = mock_http.not_run_reason;
  }
  return finish_cell(options, std::move(result), mock_http, mock_backend, started);
}

bool MatrixRunResult::passed() const {
  return !cells.empty() &&
         std::all_of(cells.begin(), cells.end(), [](const CellRunResult& c) { return c.passed; });
}

MatrixRunResult run_matrix(const MatrixRunOptions& options) {
  install_teardown_on_signals();
  const auto started = Clock::now();
  MatrixRunResult result;
  result.cells.resize(options.cells.size());
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex print_mutex;
  const auto worker = [&] {
    for (size_t index = next++; index < options.cells.size(); index = next++) {
      auto& slot = result.cells[index];
      slot.cell = options.cells[index];
      if (teardown_signal() != 0) {
        slot.error = "interrupted before start";
        slot.rows = verify_cell({.not_run_reason = slot.error}, {.not_run_reason = slot.error});
        continue;
      }
      CellRunOptions cell_options;
      cell_options.cell = slot.cell;
      cell_options.binaries =
          slot.cell.mode == Mode::release ? options.release_binaries : options.dev_binaries;
      cell_options.output_dir = options.output_dir;
      cell_options.run_mock_backend = options.run_mock_backend;
      slot = run_cell(cell_options);
      const std::lock_guard lock(print_mutex);
      fmt::print("[{:>3}/{}] {:<22} {} {:>6.1f} s{}\n", ++done, options.cells.size(),
                 slot.cell.id(), slot.passed ? "pass" : "FAIL", slot.duration.count() / 1000.0,
                 slot.error.empty() ? "" : "  (" + slot.error.substr(0, 120) + ")");
      std::fflush(stdout);
    }
  };
  std::vector<std::jthread> workers;
  const auto jobs = std::max(1u, std::min<unsigned>(options.jobs, options.cells.size()));
  for (unsigned i = 0; i < jobs; ++i)
    workers.emplace_back(worker);
  workers.clear();
  result.wall_time = since(started);
  return result;
}

std::string format_matrix_summary(const MatrixRunResult& result, size_t slowest) {
  size_t passed = 0;
  std::string failures;
  for (const auto& cell : result.cells) {
    if (cell.passed) {
      ++passed;
      continue;
    }
    failures += fmt::format("  {}:", cell.cell.id());
    if (!cell.error.empty()) failures += " " + cell.error.substr(0, 300);
    for (const auto& row : cell.rows) {
      if (row.outcome == Outcome::fail)
        failures += fmt::format("\n    - {}: {}", row.check, row.detail.substr(0, 300));
    }
    failures += "\n";
  }
  std::string summary = fmt::format(
      "E2E matrix: {} cells, {} passed, {} failed, wall time {:.1f} s\n", result.cells.size(),
      passed, result.cells.size() - passed, result.wall_time.count() / 1000.0);
  if (!failures.empty()) summary += "failed cells:\n" + failures;
  auto by_duration = result.cells;
  std::sort(by_duration.begin(), by_duration.end(),
            [](const CellRunResult& a, const CellRunResult& b) { return a.duration > b.duration; });
  summary += "slowest cells:\n";
  for (size_t i = 0; i < std::min(slowest, by_duration.size()); ++i) {
    summary += fmt::format("  {:<22} {:>6.1f} s (stack up in {:.2f} s)\n", by_duration[i].cell.id(),
                           by_duration[i].duration.count() / 1000.0,
                           by_duration[i].startup.count() / 1000.0);
  }
  return summary;
}

}  // namespace pbx::e2e
