#pragma once
// Starts the real netbox-emulator binary on an ephemeral loopback port and tears it down.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/process.hpp"

namespace pbx::netbox::testing {

inline std::filesystem::path build_dir() {
  const char* dir = std::getenv("PBX_BUILD_DIR");
  return dir ? std::filesystem::path(dir) : std::filesystem::current_path();
}

inline std::filesystem::path emulator_binary() {
  return build_dir() / "apps" / "netbox-emulator" / "netbox-emulator";
}

// A scratch directory removed with the object.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "netbox-emulator-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct RunningEmulator {
  std::unique_ptr<common::Process> process;
  std::string url;  // "http://127.0.0.1:43123"
  std::filesystem::path log;
};

// Starts the program with `flags` plus --listen/--ready-file (unless given); url is empty when
// it did not come up (the log then says why).
inline RunningEmulator start_emulator(const ScratchDir& scratch, std::vector<std::string> flags,
                                      const std::string& name = "emulator",
                                      const std::filesystem::path& binary = emulator_binary()) {
  std::vector<std::string> argv = {binary.string(), "--log-level", "warn"};
  const bool has_listen = std::find(flags.begin(), flags.end(), "--listen") != flags.end();
  if (!has_listen) {
    argv.push_back("--listen");
    argv.push_back("127.0.0.1:0");
  }
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto program = common::start_until_ready({.argv = std::move(argv)}, scratch.path(), name,
                                           std::chrono::seconds(30));
  RunningEmulator running{std::move(program.process), {}, std::move(program.log)};
  if (program.ready) {
    running.url =
        std::string(boost::json::parse(*program.ready).at("endpoints").at(0).at("url").as_string());
  }
  return running;
}

}  // namespace pbx::netbox::testing
