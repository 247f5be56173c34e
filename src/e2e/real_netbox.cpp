#include "e2e/real_netbox.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <cstdlib>
#include <stdexcept>

#include "common/process.hpp"
#include "e2e/cell.hpp"
#include "e2e/supervisor.hpp"

namespace pbx::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The script's exit code for "this machine lacks a requirement" (its message starts "requires").
constexpr int kExitRequirementMissing = 3;
constexpr std::string_view kScriptPrefix = "netbox-real: ";
constexpr std::chrono::milliseconds kStopGrace{30'000};

// The script's last non-empty line without its "netbox-real: " prefix.
std::string last_message(const std::string& output) {
  auto end = output.find_last_not_of(" \n");
  if (end == std::string::npos) return {};
  const auto start = output.rfind('\n', end);
  auto line = output.substr(start == std::string::npos ? 0 : start + 1,
                            end - (start == std::string::npos ? 0 : start + 1) + 1);
  if (line.starts_with(kScriptPrefix)) line.erase(0, kScriptPrefix.size());
  return line;
}

// Runs the script under supervision (a signal to the runner kills it with the cell) and waits.
int run_script(const std::vector<std::string>& arguments, const fs::path& log,
               std::chrono::milliseconds timeout, std::string_view step) {
  common::ProcessOptions options;
  options.argv = {netbox_real_script().string()};
  options.argv.insert(options.argv.end(), arguments.begin(), arguments.end());
  options.stdout_file = log;
  SupervisedProcess script(std::move(options));
  const auto exit_code = script.process().wait_for(timeout);
  if (!exit_code) {
    script.process().terminate();
    throw CellError(fmt::format("real NetBox: {} did not finish within {} s; log {}:\n{}", step,
                                timeout.count() / 1000, log.string(), log_tail(log)));
  }
  return *exit_code;
}

}  // namespace

fs::path netbox_real_script() {
  if (const char* configured = std::getenv("PBX_NETBOX_REAL"); configured && *configured)
    return configured;
  return fs::path(PBX_SOURCE_DIR) / "scripts" / "netbox-real";
}

RealNetBoxAvailability check_real_netbox(std::string_view release) {
  common::ProcessOptions options;
  options.argv = {netbox_real_script().string(), std::string(release), "check"};
  const auto result = common::run_command(options, 120s);
  if (result.exit_code == 0) return {.available = true, .reason = {}};
  if (result.exit_code == kExitRequirementMissing)
    return {.available = false, .reason = last_message(result.output)};
  throw CellError(fmt::format("{} {} check failed (exit {}): {}", options.argv[0], release,
                              result.exit_code, result.output));
}

RealNetBox::RealNetBox(RealNetBoxOptions options) : options_(std::move(options)) {
  if (options_.tls_certificate.empty() != options_.tls_private_key.empty())
    throw std::invalid_argument("real NetBox: TLS needs both a certificate and a private key");
  install();
  serve();
}

RealNetBox::~RealNetBox() {
  // Longer than SupervisedProcess's default grace: the script first waits for gunicorn's
  // workers, then drops the instance's database (a killed script leaves it to the next start).
  if (server_) server_->process().terminate(kStopGrace);
}

int RealNetBox::pid() const {
  return server_ ? server_->pid() : -1;
}

void RealNetBox::install() {
  const auto log = options_.work_dir / fmt::format("netbox-real-{}-install.log", options_.release);
  const auto exit_code =
      run_script({options_.release, "install"}, log, options_.install_timeout, "install");
  if (exit_code != 0) {
    throw CellError(fmt::format("real NetBox {}: install failed (exit {}): {}", options_.release,
                                exit_code, last_message(log_tail(log))));
  }
}

void RealNetBox::serve() {
  const auto log = options_.work_dir / fmt::format("netbox-real-{}.log", options_.release);
  const auto ready_file =
      options_.work_dir / fmt::format("netbox-real-{}.ready.json", options_.release);
  common::ProcessOptions process;
  process.argv = {netbox_real_script().string(),
                  options_.release,
                  "serve",
                  "--ready-file",
                  ready_file.string(),
                  "--listen",
                  options_.listen,
                  "--timeout",
                  std::to_string(options_.start_timeout.count() / 1000)};
  if (!options_.tls_certificate.empty()) {
    process.argv.insert(process.argv.end(), {"--tls-cert", options_.tls_certificate.string(),
                                             "--tls-key", options_.tls_private_key.string()});
  }
  process.stdout_file = log;
  server_ = std::make_unique<SupervisedProcess>(std::move(process));
  // The script gives up after --timeout itself; the extra seconds let it report why.
  const auto ready =
      common::wait_for_ready_file(server_->process(), ready_file, options_.start_timeout + 15s);
  if (!ready) {
    server_.reset();
    throw CellError(fmt::format("real NetBox {} did not become ready; log {}:\n{}",
                                options_.release, log.string(), log_tail(log)));
  }
  try {
    const auto document = boost::json::parse(*ready).as_object();
    url_ = std::string(document.at("endpoints").at(0).at("url").as_string());
    token_ = std::string(document.at("token").as_string());
    if (const auto* v2 = document.if_contains("token_v2"); v2 && v2->is_string())
      token_v2_ = std::string(v2->as_string());
    netbox_version_ = std::string(document.at("netbox_version").as_string());
    database_ = std::string(document.at("database").as_string());
  } catch (const std::exception& error) {
    server_.reset();
    throw CellError(
        fmt::format("real NetBox wrote an unreadable ready file ({}): {}", error.what(), *ready));
  }
}

}  // namespace pbx::e2e
