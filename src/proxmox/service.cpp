#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>

#include "common/text.hpp"
#include "proxmox/scenario.hpp"

namespace pbx::proxmox {

std::string_view to_string(Service service) {
  switch (service) {
    case Service::pve:
      return "pve";
    case Service::pbs:
      return "pbs";
    case Service::pdm:
      return "pdm";
  }
  return "pve";
}

Service parse_service(std::string_view text) {
  text = common::trim(text);
  const std::string lower = common::to_lower(text);
  for (const Service service : {Service::pve, Service::pbs, Service::pdm}) {
    if (lower == to_string(service)) return service;
  }
  throw std::invalid_argument("unknown Proxmox service '" + std::string(text) +
                              "' (valid: pve, pbs, pdm)");
}

}  // namespace pbx::proxmox
