#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>

#include "common/text.hpp"
#include "proxmox/scenario.hpp"

namespace pbx::proxmox {

Service parse_service(std::string_view text) {
  text = common::trim(text);
  if (const auto service = common::parse_enum<Service>(common::to_lower(text))) return *service;
  throw std::invalid_argument("unknown Proxmox service '" + std::string(text) +
                              "' (valid: " + common::enum_names<Service>() + ")");
}

}  // namespace pbx::proxmox
