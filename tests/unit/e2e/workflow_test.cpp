// The CI workflow cannot run here; this parses it (python3-yaml) and checks it against the
// matrix proxbox-e2e actually generates.
#include <gtest/gtest.h>

#include "common/files.hpp"
#include "common/process.hpp"
#include "e2e/supervisor.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const fs::path kSource = PBX_SOURCE_DIR;

pbx::common::CommandResult check(const fs::path& workflow) {
  pbx::common::ProcessOptions options;
  options.argv = {"/usr/bin/python3", (kSource / "tests/unit/e2e/check_workflow.py").string(),
                  workflow.string(), PBX_E2E_PROGRAM};
  return pbx::common::run_command(options, 60s);
}

TEST(Workflow, MirrorsTheGeneratedMatrix) {
  const auto result = check(kSource / ".github/workflows/e2e.yml");
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(Workflow, CheckCatchesFailFastAndMissingAxes) {
  pbx::e2e::TempDir dir("workflow-test");
  const auto original = pbx::common::read_file(kSource / ".github/workflows/e2e.yml");
  for (const auto& [from, to] :
       {std::pair<std::string, std::string>{"fail-fast: false", "fail-fast: true"},
        {"--netbox ${{ matrix.netbox_version }}", "--netbox 4.6"},
        {"matrix --event", "cells --event"}}) {
    auto mutated = original;
    const auto at = mutated.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    mutated.replace(at, from.size(), to);
    const auto broken = dir.path() / "e2e.yml";
    pbx::common::write_file(broken, mutated);
    const auto result = check(broken);
    EXPECT_NE(result.exit_code, 0) << "a workflow with '" << to << "' passed:\n" << result.output;
  }
}

}  // namespace
