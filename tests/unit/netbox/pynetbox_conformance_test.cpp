// The real pynetbox client (Debian's python3-pynetbox) against the real program: the
// conformance script in tests/conformance/netbox/ must pass for every certified version.

#include <gtest/gtest.h>

#include "netbox/emulator.hpp"
#include "program_support.hpp"

namespace pbx::netbox::testing {
namespace {

const std::filesystem::path kScript = std::filesystem::path(PBX_SOURCE_DIR) / "tests" /
                                      "conformance" / "netbox" / "pynetbox_conformance.py";

struct Case {
  std::string version;
  std::string token;
};

void PrintTo(const Case& c, std::ostream* out) {
  *out << "NetBox " << c.version;
}

class PynetboxConformance : public ::testing::TestWithParam<Case> {};

TEST_P(PynetboxConformance, ScriptPasses) {
  ScratchDir scratch;
  auto emulator = start_emulator(
      scratch, {"--netbox-version", GetParam().version, "--token", GetParam().token});
  ASSERT_FALSE(emulator.url.empty()) << "did not start; see " << emulator.log;
  const auto result =
      common::run_command({.argv = {"/usr/bin/python3", kScript.string(), emulator.url,
                                    GetParam().token, GetParam().version}},
                          std::chrono::seconds(240));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("pynetbox conformance: OK"), std::string::npos) << result.output;
}

INSTANTIATE_TEST_SUITE_P(Versions, PynetboxConformance,
                         ::testing::Values(Case{"4.2", kDefaultToken}, Case{"4.5", kDefaultToken},
                                           Case{"4.6", "nbt_abcdefghijkl.conformance"}),
                         [](const auto& test_info) {
                           return "v" + std::string(1, test_info.param.version[0]) +
                                  std::string(1, test_info.param.version[2]);
                         });

}  // namespace
}  // namespace pbx::netbox::testing
