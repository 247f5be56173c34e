// The real pynetbox client against the real program: the conformance script in
// tests/conformance/netbox/ must pass for every certified version, with Debian's
// python3-pynetbox and with the newest pynetbox from PyPI (scripts/client-venv).

#include <gtest/gtest.h>

#include <iostream>
#include <tuple>

#include "client_python.hpp"
#include "netbox/emulator.hpp"
#include "program_support.hpp"

namespace pbx::netbox::testing {
namespace {

using conformance::Clients;

const std::filesystem::path kScript =
    conformance::conformance_dir() / "netbox" / "pynetbox_conformance.py";

struct Case {
  std::string version;
  std::string token;
};

void PrintTo(const Case& c, std::ostream* out) {
  *out << "NetBox " << c.version;
}

class PynetboxConformance : public ::testing::TestWithParam<std::tuple<Case, Clients>> {};

TEST_P(PynetboxConformance, ScriptPasses) {
  const auto& [netbox, clients] = GetParam();
  const auto python = conformance::clients_python(clients);
  ASSERT_TRUE(python.error.empty()) << python.error;
  if (python.path.empty()) GTEST_SKIP() << python.unavailable;
  ScratchDir scratch;
  auto emulator =
      start_emulator(scratch, {"--netbox-version", netbox.version, "--token", netbox.token});
  ASSERT_FALSE(emulator.url.empty()) << "did not start; see " << emulator.log;
  const auto result = common::run_command(
      {.argv = {python.path, kScript.string(), emulator.url, netbox.token, netbox.version}},
      std::chrono::seconds(240));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("pynetbox conformance: OK"), std::string::npos) << result.output;
  // The script's first line names the client it used; the newest variant must use the pin.
  std::cout << result.output.substr(0, result.output.find('\n')) << "\n";
  if (clients == Clients::kNewest) {
    EXPECT_NE(result.output.find("pynetbox " + conformance::pinned_version("pynetbox") + " "),
              std::string::npos)
        << result.output;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Versions, PynetboxConformance,
    ::testing::Combine(::testing::Values(Case{"4.2", kDefaultToken}, Case{"4.5", kDefaultToken},
                                         Case{"4.6", "nbt_abcdefghijkl.conformance"}),
                       ::testing::Values(Clients::kDebian, Clients::kNewest)),
    [](const auto& test_info) {
      const auto& version = std::get<0>(test_info.param).version;
      return "v" + std::string(1, version[0]) + std::string(1, version[2]) + "_" +
             conformance::clients_name(std::get<1>(test_info.param));
    });

}  // namespace
}  // namespace pbx::netbox::testing
