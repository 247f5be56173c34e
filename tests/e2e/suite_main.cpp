// main() of the E2E suite binaries: the session environment (teardown of whatever the session
// stood up, also on SIGINT/SIGTERM) and a listener that records every outcome with its skip
// reason — for the proxbox-e2e runner ($PBX_E2E_RESULTS_FILE) and for humans reading CTest logs.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "e2e/results.hpp"
#include "e2e/supervisor.hpp"
#include "session.hpp"

namespace {

using pbx::e2e::Outcome;
using pbx::e2e::TestResult;

class SessionEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { pbx::e2e::suite::Session::shutdown(); }
};

class OutcomeRecorder : public ::testing::EmptyTestEventListener {
 public:
  void OnTestEnd(const ::testing::TestInfo& info) override {
    const auto* result = info.result();
    TestResult outcome{info.test_suite_name(),
                       info.name(),
                       Outcome::pass,
                       {},
                       static_cast<double>(result->elapsed_time()) / 1000.0};
    if (result->Skipped()) outcome.outcome = Outcome::skip;
    if (result->Failed()) outcome.outcome = Outcome::fail;
    for (int i = 0; i < result->total_part_count(); ++i) {
      const auto& part = result->GetTestPartResult(i);
      if ((outcome.outcome == Outcome::skip && part.skipped()) ||
          (outcome.outcome == Outcome::fail && part.failed())) {
        outcome.message = part.message();
        break;
      }
    }
    results_.push_back(std::move(outcome));
  }

  void OnTestProgramEnd(const ::testing::UnitTest&) override {
    size_t skipped = 0;
    for (const auto& result : results_) {
      if (result.outcome != Outcome::skip) continue;
      ++skipped;
      fmt::print("E2E SKIPPED {}.{}: {}\n", result.suite, result.name, result.message);
    }
    // CTest's SKIP_REGULAR_EXPRESSION keys on this line, so a run that skipped some tests but
    // passed or failed others is never reported as skipped.
    if (skipped > 0 && skipped == results_.size()) fmt::print("E2E: every test skipped\n");
    if (const char* file = std::getenv("PBX_E2E_RESULTS_FILE"); file && *file)
      pbx::e2e::write_results(file, results_);
  }

 private:
  std::vector<TestResult> results_;
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  pbx::e2e::install_teardown_on_signals();
  ::testing::AddGlobalTestEnvironment(new SessionEnvironment);  // gtest takes ownership
  ::testing::UnitTest::GetInstance()->listeners().Append(new OutcomeRecorder);
  return RUN_ALL_TESTS();
}
