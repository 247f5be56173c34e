#include "proxmox/release.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>

#include "proxmox/api_schema.hpp"

namespace pbx::proxmox {
namespace {

struct KnownRelease {
  Service service;
  std::string_view label;  // the schema file's stem
  std::string_view version;
  std::string_view repoid;
  std::string_view kernel;
  std::string_view kernel_build;
  std::string_view qemu;
};

constexpr std::string_view kKernel614 = "#1 SMP PREEMPT_DYNAMIC PMX 6.14.8-2 (2025-07-22T10:04Z)";
constexpr std::string_view kKernel68 = "#1 SMP PREEMPT_DYNAMIC PMX 6.8.12-5 (2024-12-03T10:26Z)";

// The schemas of ../shared/schemas/proxmox (README there: pve-docs versions, dates). The first
// entry of a service is its newest release.
constexpr std::array<KnownRelease, 4> kReleases{{
    {Service::pve, "pve-latest", "9.1.2", "7b7d1ab8", "6.14.8-2-pve", kKernel614, "9.2.0"},
    {Service::pve, "pve-9.1", "9.1.2", "7b7d1ab8", "6.14.8-2-pve", kKernel614, "9.2.0"},
    {Service::pve, "pve-8.3", "8.3.2", "3e76eec2", "6.8.12-5-pve", kKernel68, "9.0.2"},
    {Service::pbs, "pbs-latest", "4.0.14", "d0f5e7c1", "6.14.8-2-pve", kKernel614, ""},
}};

Release make(const KnownRelease& known, std::string version) {
  const size_t second_dot = version.find('.', version.find('.') + 1);
  Release out;
  out.release = version.substr(0, second_dot);
  out.version = std::move(version);
  out.repoid = std::string(known.repoid);
  out.kernel = std::string(known.kernel);
  out.kernel_build = std::string(known.kernel_build);
  out.qemu = std::string(known.qemu);
  return out;
}

// "pve-8.4" → "8.4"; empty when the label has no such shape.
std::string release_in_label(Service service, std::string_view label) {
  const std::string prefix = fmt::format("{}-", to_string(service));
  if (!label.starts_with(prefix)) return {};
  const std::string_view rest = label.substr(prefix.size());
  const size_t dot = rest.find('.');
  const auto digits = [](std::string_view text) {
    if (text.empty()) return false;
    for (const char c : text) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
  };
  if (dot == std::string_view::npos || !digits(rest.substr(0, dot)) ||
      !digits(rest.substr(dot + 1))) {
    return {};
  }
  return std::string(rest);
}

}  // namespace

std::string Release::manager_version() const {
  return fmt::format("pve-manager/{}/{}", version, repoid);
}

Release release_for(Service service, std::string_view schema_label) {
  const KnownRelease* newest = nullptr;
  for (const auto& known : kReleases) {
    if (known.service != service) continue;
    if (newest == nullptr) newest = &known;
    if (known.label == schema_label) return make(known, std::string(known.version));
  }
  if (newest == nullptr) return Release{};  // pdm: no schema, no release yet
  if (const std::string named = release_in_label(service, schema_label); !named.empty()) {
    return make(*newest, named + ".0");
  }
  return make(*newest, std::string(newest->version));
}

Release release_of(Service service, const ApiSchema& schema) {
  return release_for(service, schema.version_label());
}

}  // namespace pbx::proxmox
