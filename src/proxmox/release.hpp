#pragma once
// The product release a schema file describes: what /version, node status and the guests'
// running QEMU report. One table maps each shipped schema file to its release, so a mock started
// with pve-8.3.json says 8.3.x everywhere, not only on `/`.

#include <string>
#include <string_view>

#include "proxmox/scenario.hpp"

namespace pbx::proxmox {

class ApiSchema;

struct Release {
  std::string version;       // "8.3.2" (GET /version "version")
  std::string release;       // "8.3"
  std::string repoid;        // the build's short commit id
  std::string kernel;        // "6.8.12-5-pve" (pve node status)
  std::string kernel_build;  // "#1 SMP PREEMPT_DYNAMIC PMX 6.8.12-5 (2024-12-03T10:26Z)"
  std::string qemu;          // "9.0.2" (pve "running-qemu")

  // "pve-manager/8.3.2/3e76eec2", as node status "pveversion" prints it.
  std::string manager_version() const;
};

// By the schema file's name ("pve-8.3" → 8.3.2). A name outside the table: "<service>-X.Y" is
// release X.Y.0; anything else is taken as the newest release of the service.
Release release_for(Service service, std::string_view schema_label);
Release release_of(Service service, const ApiSchema& schema);

}  // namespace pbx::proxmox
