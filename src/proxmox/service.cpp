#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>

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
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const Service service : {Service::pve, Service::pbs, Service::pdm}) {
    if (lower == to_string(service)) return service;
  }
  throw std::invalid_argument("unknown Proxmox service '" + std::string(text) +
                              "' (valid: pve, pbs, pdm)");
}

}  // namespace pbx::proxmox
