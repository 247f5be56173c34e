#pragma once
// The Python interpreters the conformance scripts run under: Debian's /usr/bin/python3 with
// python3-pynetbox and python3-proxmoxer, and the newest clients from PyPI in the venv
// scripts/client-venv caches (versions pinned in tests/conformance/requirements-newest.txt).
// Each conformance test runs once per interpreter; the newest variant skips, with the cause,
// where that venv cannot be built (no usable Python, PyPI unreachable).

#include <chrono>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <string_view>

#include "common/process.hpp"

namespace pbx::conformance {

enum class Clients { kDebian, kNewest };

inline std::string clients_name(Clients clients) {
  return clients == Clients::kDebian ? "debian" : "newest";
}

inline void PrintTo(Clients clients, std::ostream* out) {
  *out << clients_name(clients);
}

struct Interpreter {
  std::string path;         // empty: none (see why)
  std::string unavailable;  // a missing requirement: the skip reason
  std::string error;        // scripts/client-venv failed otherwise: the test fails with this
};

inline std::filesystem::path conformance_dir() {
  return std::filesystem::path(PBX_SOURCE_DIR) / "tests" / "conformance";
}

inline std::string last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.remove_suffix(1);
  const auto start = text.rfind('\n');
  return std::string(start == std::string_view::npos ? text : text.substr(start + 1));
}

// scripts/client-venv once per test process: about 10 s when it builds, under 1 s after.
inline const Interpreter& newest_clients_python() {
  static const Interpreter found = [] {
    const auto script = std::filesystem::path(PBX_SOURCE_DIR) / "scripts" / "client-venv";
    const auto result = common::run_command({.argv = {script.string()}}, std::chrono::minutes(4));
    Interpreter interpreter;
    // Its log lines go to stderr, captured with stdout; the path or the reason is the last line.
    if (result.exit_code == 0) {
      interpreter.path = last_line(result.output);
      if (!std::filesystem::exists(interpreter.path)) {
        interpreter.path.clear();
        interpreter.error = "scripts/client-venv printed no interpreter:\n" + result.output;
      }
    } else if (result.exit_code == 3) {
      interpreter.unavailable = last_line(result.output);
    } else {
      interpreter.error = "scripts/client-venv failed (exit " + std::to_string(result.exit_code) +
                          "):\n" + result.output;
    }
    return interpreter;
  }();
  return found;
}

inline Interpreter clients_python(Clients clients) {
  if (clients == Clients::kDebian) return {.path = "/usr/bin/python3"};
  return newest_clients_python();
}

// The version requirements-newest.txt pins for `package` ("pynetbox" -> "7.8.0"), or "".
inline std::string pinned_version(std::string_view package) {
  std::ifstream in(conformance_dir() / "requirements-newest.txt");
  const std::string prefix = std::string(package) + "==";
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(prefix)) return line.substr(prefix.size());
  }
  return "";
}

}  // namespace pbx::conformance
