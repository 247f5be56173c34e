#pragma once
// The certified NetBox versions (data/netbox-versions.json): the E2E matrix and the emulator
// read the same file, so adding a version is a data change.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pbx::netbox {

struct NetboxVersion {
  std::string version;                // "4.2"
  std::string full_version;           // "4.2.2"
  std::optional<std::string> schema;  // OpenAPI file name in ../shared/schemas/netbox
};

// Throws std::runtime_error naming the file when it is missing or malformed.
std::vector<NetboxVersion> load_versions(const std::filesystem::path& file);
// Accepts "4.2" or "4.2.2"; nullptr when not listed.
const NetboxVersion* find_version(const std::vector<NetboxVersion>& versions,
                                  std::string_view version);

// $PBX_NETBOX_VERSIONS_FILE, else share/proxbox/netbox-versions.json in an installed binary's
// prefix, else the source tree's copy. Shared by the emulator and the E2E matrix.
std::filesystem::path default_versions_file(const std::filesystem::path& executable = {});

}  // namespace pbx::netbox
