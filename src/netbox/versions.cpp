#include "netbox/versions.hpp"

#include <boost/json/parse.hpp>
#include <cstdlib>
#include <stdexcept>

#include "common/files.hpp"

namespace pbx::netbox {

namespace json = boost::json;

std::vector<NetboxVersion> load_versions(const std::filesystem::path& file) {
  boost::system::error_code code;
  const json::value document = json::parse(common::read_file(file), code);
  const json::value* list =
      !code && document.is_object() ? document.as_object().if_contains("versions") : nullptr;
  if (!list || !list->is_array()) {
    throw std::runtime_error(file.string() + ": expected {\"versions\": [...]}");
  }
  std::vector<NetboxVersion> versions;
  for (const json::value& entry : list->as_array()) {
    const json::object* object = entry.if_object();
    const json::value* version = object ? object->if_contains("version") : nullptr;
    const json::value* full = object ? object->if_contains("full_version") : nullptr;
    if (!version || !version->is_string() || !full || !full->is_string()) {
      throw std::runtime_error(file.string() + ": each version needs version and full_version");
    }
    NetboxVersion parsed{std::string(version->get_string()), std::string(full->get_string()), {}};
    if (const json::value* schema = object->if_contains("schema"); schema && schema->is_string()) {
      parsed.schema = std::string(schema->get_string());
    }
    versions.push_back(std::move(parsed));
  }
  if (versions.empty()) throw std::runtime_error(file.string() + ": no versions listed");
  return versions;
}

const NetboxVersion* find_version(const std::vector<NetboxVersion>& versions,
                                  std::string_view version) {
  for (const NetboxVersion& candidate : versions) {
    if (candidate.version == version || candidate.full_version == version) return &candidate;
  }
  return nullptr;
}

std::filesystem::path default_versions_file(const std::filesystem::path& executable) {
  if (const char* configured = std::getenv("PBX_NETBOX_VERSIONS_FILE"); configured && *configured)
    return configured;
  std::error_code error;
  const auto installed =
      executable.parent_path().parent_path() / "share" / "proxbox" / "netbox-versions.json";
  if (!executable.empty() && std::filesystem::exists(installed, error)) return installed;
  return std::filesystem::path(PBX_SOURCE_DIR) / "data" / "netbox-versions.json";
}

}  // namespace pbx::netbox
