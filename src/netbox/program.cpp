#include "netbox/program.hpp"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>

#include "common/netbox_token.hpp"
#include "http/server.hpp"
#include "http/server_cli.hpp"
#include "netbox/emulator.hpp"
#include "netbox/model.hpp"
#include "netbox/versions.hpp"

namespace pbx::netbox {
int run_netbox_emulator(int argc, char** argv) {
  CLI::App app{"netbox-emulator: NetBox's REST API on SQLite"};
  http::ServerCli server_cli;
  http::add_server_flags(app, server_cli, "127.0.0.1:8000");
  std::string database = ":memory:";
  std::string version;
  // The binary's real location (argv[0] may be a bare name found through PATH).
  std::error_code no_proc;
  const auto executable = std::filesystem::read_symlink("/proc/self/exe", no_proc);
  std::string versions_file =
      default_versions_file(no_proc ? std::filesystem::path(argv[0]) : executable).string();
  std::vector<std::string> tokens;
  app.add_option("--db", database, "SQLite file, or :memory:")->capture_default_str();
  app.add_option("--netbox-version", version,
                 "NetBox version to behave as (major.minor); default: newest certified");
  app.add_option("--versions-file", versions_file, "the certified versions (JSON)")
      ->capture_default_str();
  app.add_option("--token", tokens,
                 std::string("API token, repeatable: v1 (40 hex) or, from 4.5, v2 "
                             "nbt_<12-char key>.<secret>; default ") +
                     kDefaultToken);
  bool strict_fields = false;
  app.add_flag("--strict-fields", strict_fields,
               "refuse body fields the model does not have with 400 \"Unknown field.\" (default: "
               "ignored, as NetBox/DRF ignores them)");
  bool accept_unknown_fields = false;  // the old opt-in to what is now the default
  app.add_flag("--accept-unknown-fields", accept_unknown_fields,
               "no effect: unknown body fields are ignored by default now (see --strict-fields)");
  CLI11_PARSE(app, argc, argv);
  http::configure_logging(server_cli);
  if (accept_unknown_fields) {
    spdlog::warn(
        "netbox-emulator: --accept-unknown-fields has no effect (it is the default now); "
        "--strict-fields refuses unknown fields");
  }
  if (accept_unknown_fields && strict_fields) {
    std::cerr << "--accept-unknown-fields and --strict-fields contradict each other\n";
    return 2;
  }

  try {
    const auto versions = load_versions(versions_file);
    const NetboxVersion* selected =
        version.empty() ? &versions.back() : find_version(versions, version);
    if (!selected) {
      std::string known;
      for (const auto& entry : versions)
        known += (known.empty() ? "" : ", ") + entry.version;
      std::cerr << "--netbox-version " << version << " is not certified (known: " << known << ")\n";
      return 2;
    }
    for (const std::string& token : tokens) {
      const bool v2_allowed = compare_versions(selected->version, "4.5") >= 0;
      const auto parsed = common::NetBoxToken::parse(token);
      if (!parsed.netbox_generated_form() ||
          (parsed.version == common::NetBoxToken::Version::v2 && !v2_allowed)) {
        std::cerr << "--token " << token.substr(0, 8) << "...: expected 40 hex characters"
                  << (v2_allowed ? " or nbt_<12-char key>.<secret>" : "") << "\n";
        return 2;
      }
    }
    Emulator emulator(EmulatorOptions{database, selected->version, selected->full_version, tokens,
                                      strict_fields});
    http::Server server(http::to_server_options(server_cli, "netbox-emulator"), emulator.handler());
    server.start();
    spdlog::info("netbox-emulator: NetBox {} on {}", selected->full_version, database);
    http::announce_ready(server, server_cli.ready_file);
    server.run_until_signal();
    return 0;
  } catch (const std::invalid_argument& error) {
    std::cerr << error.what() << "\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "netbox-emulator: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace pbx::netbox
