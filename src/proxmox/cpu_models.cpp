#include "proxmox/cpu_models.hpp"

#include <algorithm>

namespace pbx::proxmox {

const std::vector<CpuModel>& builtin_cpu_models() {
  // qemu-server's $cpu_vendor_list (PVE 8/9): QEMU's model names and the vendor each reports.
  static const std::vector<CpuModel> kModels{
      {"486", "GenuineIntel"},
      {"athlon", "AuthenticAMD"},
      {"Broadwell", "GenuineIntel"},
      {"Broadwell-IBRS", "GenuineIntel"},
      {"Broadwell-noTSX", "GenuineIntel"},
      {"Broadwell-noTSX-IBRS", "GenuineIntel"},
      {"Cascadelake-Server", "GenuineIntel"},
      {"Cascadelake-Server-noTSX", "GenuineIntel"},
      {"Cascadelake-Server-v2", "GenuineIntel"},
      {"Cascadelake-Server-v4", "GenuineIntel"},
      {"Cascadelake-Server-v5", "GenuineIntel"},
      {"Conroe", "GenuineIntel"},
      {"Cooperlake", "GenuineIntel"},
      {"Cooperlake-v2", "GenuineIntel"},
      {"core2duo", "GenuineIntel"},
      {"coreduo", "GenuineIntel"},
      {"EPYC", "AuthenticAMD"},
      {"EPYC-Genoa", "AuthenticAMD"},
      {"EPYC-IBPB", "AuthenticAMD"},
      {"EPYC-Milan", "AuthenticAMD"},
      {"EPYC-Milan-v2", "AuthenticAMD"},
      {"EPYC-Rome", "AuthenticAMD"},
      {"EPYC-Rome-v2", "AuthenticAMD"},
      {"EPYC-Rome-v3", "AuthenticAMD"},
      {"EPYC-Rome-v4", "AuthenticAMD"},
      {"EPYC-v3", "AuthenticAMD"},
      {"EPYC-v4", "AuthenticAMD"},
      {"GraniteRapids", "GenuineIntel"},
      {"Haswell", "GenuineIntel"},
      {"Haswell-IBRS", "GenuineIntel"},
      {"Haswell-noTSX", "GenuineIntel"},
      {"Haswell-noTSX-IBRS", "GenuineIntel"},
      {"host", "native"},
      {"Icelake-Client", "GenuineIntel"},
      {"Icelake-Client-noTSX", "GenuineIntel"},
      {"Icelake-Server", "GenuineIntel"},
      {"Icelake-Server-noTSX", "GenuineIntel"},
      {"Icelake-Server-v3", "GenuineIntel"},
      {"Icelake-Server-v4", "GenuineIntel"},
      {"Icelake-Server-v5", "GenuineIntel"},
      {"Icelake-Server-v6", "GenuineIntel"},
      {"IvyBridge", "GenuineIntel"},
      {"IvyBridge-IBRS", "GenuineIntel"},
      {"KnightsMill", "GenuineIntel"},
      {"kvm32", "default"},
      {"kvm64", "default"},
      {"max", "default"},
      {"Nehalem", "GenuineIntel"},
      {"Nehalem-IBRS", "GenuineIntel"},
      {"Opteron_G1", "AuthenticAMD"},
      {"Opteron_G2", "AuthenticAMD"},
      {"Opteron_G3", "AuthenticAMD"},
      {"Opteron_G4", "AuthenticAMD"},
      {"Opteron_G5", "AuthenticAMD"},
      {"Penryn", "GenuineIntel"},
      {"pentium", "GenuineIntel"},
      {"pentium2", "GenuineIntel"},
      {"pentium3", "GenuineIntel"},
      {"phenom", "AuthenticAMD"},
      {"qemu32", "default"},
      {"qemu64", "default"},
      {"SandyBridge", "GenuineIntel"},
      {"SandyBridge-IBRS", "GenuineIntel"},
      {"SapphireRapids", "GenuineIntel"},
      {"SapphireRapids-v2", "GenuineIntel"},
      {"Skylake-Client", "GenuineIntel"},
      {"Skylake-Client-IBRS", "GenuineIntel"},
      {"Skylake-Client-noTSX-IBRS", "GenuineIntel"},
      {"Skylake-Client-v4", "GenuineIntel"},
      {"Skylake-Server", "GenuineIntel"},
      {"Skylake-Server-IBRS", "GenuineIntel"},
      {"Skylake-Server-noTSX-IBRS", "GenuineIntel"},
      {"Skylake-Server-v4", "GenuineIntel"},
      {"Skylake-Server-v5", "GenuineIntel"},
      {"Westmere", "GenuineIntel"},
      {"Westmere-IBRS", "GenuineIntel"},
      {"x86-64-v2", "default"},
      {"x86-64-v2-AES", "default"},
      {"x86-64-v3", "default"},
      {"x86-64-v4", "default"},
  };
  return kModels;
}

std::optional<std::string_view> builtin_cpu_vendor(std::string_view name) {
  const auto& models = builtin_cpu_models();
  const auto found = std::find_if(models.begin(), models.end(),
                                  [&](const CpuModel& model) { return model.name == name; });
  if (found == models.end()) return std::nullopt;
  return found->vendor;
}

}  // namespace pbx::proxmox
