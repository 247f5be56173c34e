#pragma once
// The CPU models a Proxmox VE node offers its guests (qemu-server's CPUConfig.pm): the
// built-in ones with the vendor each reports, and custom models (cpu-models.conf) from the
// scenario, listed as "custom-<name>" with the vendor of their reported model.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pbx::proxmox {

struct CpuModel {
  std::string_view name;
  std::string_view vendor;  // GenuineIntel, AuthenticAMD, default, native, ...
};

// The built-in x86_64 models, in Proxmox's listing order (by name).
const std::vector<CpuModel>& builtin_cpu_models();
// The vendor of a built-in model, or none when it is not one.
std::optional<std::string_view> builtin_cpu_vendor(std::string_view name);

}  // namespace pbx::proxmox
