#include "e2e/commands.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>
#include <thread>

#include "e2e/matrix.hpp"
#include "e2e/matrix_report.hpp"
#include "e2e/runner.hpp"
#include "e2e/supervisor.hpp"
#include "proxmox/scenario.hpp"

namespace pbx::e2e {
namespace {

namespace fs = std::filesystem;

std::vector<Mode> parse_modes(const std::vector<std::string>& names) {
  std::vector<Mode> modes;
  for (const auto& name : names) {
    // "--mode dev,release" and "--mode dev --mode release" both work.
    std::string_view rest = name;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      if (const auto part = rest.substr(0, comma); !part.empty()) modes.push_back(parse_mode(part));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  return modes;
}

std::string newest_version(const fs::path& versions_file) {
  return netbox::load_versions(versions_file).back().version;
}

// Release mode needs the CPack package installed once; every release cell shares the prefix.
struct ReleaseInstall {
  std::unique_ptr<TempDir> dir;
  Binaries binaries;
};

ReleaseInstall prepare_release(const fs::path& build_dir, const fs::path& existing_prefix) {
  ReleaseInstall install;
  fs::path prefix = existing_prefix;
  if (prefix.empty()) {
    install.dir = std::make_unique<TempDir>("proxbox-e2e-release");
    fmt::print(stderr, "release mode: building the CPack TGZ in {} and installing it into {}\n",
               build_dir.string(), (install.dir->path() / "prefix").string());
    prefix = install_release_package(build_dir, install.dir->path() / "prefix");
  }
  install.binaries = Binaries::from_prefix(prefix, build_dir);
  return install;
}

// A real-NetBox cell on a machine without PostgreSQL, say: nothing ran, nothing failed.
bool every_row_skipped(const std::vector<RowResult>& rows) {
  return std::all_of(rows.begin(), rows.end(),
                     [](const RowResult& row) { return row.outcome == Outcome::skip; });
}

// What the command line gives, for every subcommand (each reads its own).
struct CliArgs {
  std::string versions_file;
  std::string event = "push";
  std::vector<std::string> modes;
  bool real_netbox = false;
  Cell one;
  std::string service = "pve";
  std::string mode_name = "dev";
  std::string netbox;
  std::string bin_dir;
  std::string prefix;
  std::string output_dir = "e2e-results";
  bool skip_mock_backend = false;
  bool keep = false;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  std::string filter;
};

// `cell`: stands one cell up, runs the suite, prints its table.
int run_one_cell(const CliArgs& args, const fs::path& versions, const fs::path& build_dir) {
  Cell one = args.one;
  one.mode = parse_mode(args.mode_name);
  one.proxmox_service = std::string(proxmox::to_string(proxmox::parse_service(args.service)));
  one.netbox_version = args.netbox.empty() ? newest_version(versions) : args.netbox;
  real_netbox_release(one.netbox_version);  // "real-" + nothing is a usage error here
  transport_bundle(one.transport);
  CellRunOptions options;
  options.cell = one;
  ReleaseInstall release;
  if (one.mode == Mode::release) {
    release = prepare_release(build_dir, args.prefix);
    options.binaries = release.binaries;
  } else {
    options.binaries = Binaries::from_build_dir(build_dir);
  }
  options.binaries.check(true, true);
  options.output_dir = args.output_dir;
  options.run_mock_backend = !args.skip_mock_backend;
  options.keep_work_dir = args.keep;
  fmt::print(stderr, "cell {}: standing up on loopback ({})\n", one.id(),
             transport_bundle(one.transport).description);
  const auto result = run_cell(options);
  std::cout << format_verification_table(one, result.rows);
  std::cout << fmt::format("{} in {:.1f} s (stack up in {:.2f} s); JUnit: {}\n",
                           !result.passed                   ? "FAILED"
                           : every_row_skipped(result.rows) ? "SKIPPED"
                                                            : "PASSED",
                           result.duration.count() / 1000.0, result.startup.count() / 1000.0,
                           result.junit_file.string());
  if (!result.error.empty()) std::cout << "error: " << result.error << "\n";
  if (teardown_signal() != 0) return 128 + teardown_signal();
  return result.passed ? 0 : 1;
}

// `run-matrix`: every cell the filter takes, fail-fast off, and a summary.
int run_all_cells(const CliArgs& args, const fs::path& versions, const fs::path& build_dir) {
  const auto cell_filter = CellFilter::parse(args.filter);
  MatrixRunOptions options;
  for (const auto& candidate :
       build_matrix(modes_for(parse_event(args.event), parse_modes(args.modes)),
                    netbox::load_versions(versions), args.real_netbox)) {
    if (cell_filter.matches(candidate)) options.cells.push_back(candidate);
  }
  if (options.cells.empty()) {
    std::cerr << "no cell matches the filter '" << args.filter << "'\n";
    return 2;
  }
  options.dev_binaries = Binaries::from_build_dir(build_dir);
  options.dev_binaries.check(true, true);
  ReleaseInstall release;
  if (std::any_of(options.cells.begin(), options.cells.end(),
                  [](const Cell& c) { return c.mode == Mode::release; })) {
    release = prepare_release(build_dir, args.prefix);
    release.binaries.check(true, true);
    options.release_binaries = release.binaries;
  }
  options.output_dir = args.output_dir;
  options.jobs = args.jobs;
  options.run_mock_backend = !args.skip_mock_backend;
  fmt::print("running {} cells, {} at a time; JUnit per cell in {}\n", options.cells.size(),
             options.jobs, args.output_dir);
  const auto result = run_matrix(options);
  std::cout << format_matrix_summary(result);
  std::cout << "HTML report: " << write_matrix_report(result, args.output_dir).string() << "\n";
  if (teardown_signal() != 0) return 128 + teardown_signal();
  return result.passed() ? 0 : 1;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"proxbox-e2e: the E2E service matrix (generate CI cells, run one cell or all)"};
  CliArgs args;
  app.require_subcommand(1);
  app.add_option("--versions-file", args.versions_file,
                 "NetBox versions data file (default: data/netbox-versions.json)");

  auto* matrix = app.add_subcommand("matrix", "print the CI strategy.matrix as JSON");
  matrix->add_option("--event", args.event, "push | pull_request | release")->capture_default_str();
  matrix->add_option("--mode", args.modes, "dev and/or release; overrides the event's modes");
  matrix->add_flag("--real-netbox", args.real_netbox,
                   "add real NetBox cells (real-4.2, real-4.4, real-4.6; scripts/netbox-real)");

  auto* cell = app.add_subcommand("cell", "stand one cell up, run the suite, print its table");
  cell->add_option("--service", args.service, "pve | pbs | pdm")->capture_default_str();
  cell->add_option("--transport", args.one.transport, "transport bundle 1-7")
      ->capture_default_str();
  cell->add_option("--netbox", args.netbox,
                   "NetBox version for the emulator (default: newest certified), or a real "
                   "NetBox: real-4.2, real-4.4, real-4.6");
  cell->add_option("--mode", args.mode_name, "dev | release")->capture_default_str();
  cell->add_option("--bin-dir", args.bin_dir,
                   "build directory (default: the one holding this program)");
  cell->add_option("--prefix", args.prefix,
                   "release mode: an already installed prefix (skips cpack)");
  cell->add_option("--output-dir", args.output_dir, "JUnit XML and suite logs")
      ->capture_default_str();
  cell->add_flag("--skip-mock-backend", args.skip_mock_backend, "do not run the mock_backend pass");
  cell->add_flag("--keep", args.keep, "keep the cell's temp dir (logs, configs) for debugging");

  auto* run_all = app.add_subcommand("run-matrix", "run every cell (fail-fast off) and summarise");
  run_all->add_option("--jobs,-j", args.jobs, "cells in parallel")->capture_default_str();
  run_all->add_option("--filter", args.filter,
                      "e.g. transport=1,transport=4,service=pbs,netbox=4.6");
  run_all->add_option("--event", args.event, "push | release")->capture_default_str();
  run_all->add_option("--mode", args.modes, "dev and/or release; overrides the event's modes");
  run_all->add_option("--bin-dir", args.bin_dir, "build directory");
  run_all->add_option("--prefix", args.prefix, "release mode: an already installed prefix");
  run_all->add_option("--output-dir", args.output_dir, "a JUnit XML per cell")
      ->capture_default_str();
  run_all->add_flag("--skip-mock-backend", args.skip_mock_backend,
                    "do not run mock_backend passes");
  run_all->add_flag("--real-netbox", args.real_netbox,
                    "add real NetBox cells (skipped with the reason where PostgreSQL, Redis or "
                    "a fitting Python is missing)");

  CLI11_PARSE(app, argc, argv);
  try {
    const fs::path versions =
        args.versions_file.empty()
            ? netbox::default_versions_file(fs::read_symlink("/proc/self/exe"))
            : fs::path(args.versions_file);
    const fs::path build_dir = args.bin_dir.empty() ? default_build_dir() : fs::path(args.bin_dir);

    if (matrix->parsed()) {
      const auto cells = build_matrix(modes_for(parse_event(args.event), parse_modes(args.modes)),
                                      netbox::load_versions(versions), args.real_netbox);
      std::cout << boost::json::serialize(to_ci_matrix(cells)) << "\n";
      return 0;
    }

    install_teardown_on_signals();
    if (cell->parsed()) return run_one_cell(args, versions, build_dir);
    if (run_all->parsed()) return run_all_cells(args, versions, build_dir);
  } catch (const std::exception& error) {
    std::cerr << "proxbox-e2e: " << error.what() << "\n";
    return 2;
  }
  return 2;
}

}  // namespace pbx::e2e
