#include "e2e/matrix.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

#include "common/text.hpp"

namespace pbx::e2e {
namespace {

constexpr std::array<TransportBundle, 7> kBundles{{
    {1, Exposure::nginx_tls, Exposure::plain_http, false,
     "NetBox https via nginx, proxbox-api plain http, IPv4"},
    {2, Exposure::native_tls, Exposure::plain_http, false,
     "NetBox https native TLS, proxbox-api plain http, IPv4"},
    {3, Exposure::plain_http, Exposure::nginx_tls, false,
     "NetBox plain http, proxbox-api https via nginx, IPv4"},
    {4, Exposure::plain_http, Exposure::native_tls, false,
     "NetBox plain http, proxbox-api https native TLS, IPv4"},
    {5, Exposure::native_tls, Exposure::native_tls, false,
     "NetBox https native TLS, proxbox-api https native TLS, IPv4"},
    {6, Exposure::plain_http, Exposure::plain_http, false,
     "NetBox plain http, proxbox-api plain http, IPv4"},
    {7, Exposure::native_tls, Exposure::plain_http, true,
     "NetBox https native TLS on [::1], proxbox-api plain http on [::1], IPv6"},
}};

std::string trimmed_lower(std::string_view text) {
  return common::to_lower(common::trim(text));
}

}  // namespace

std::string_view to_string(Exposure exposure) {
  switch (exposure) {
    case Exposure::plain_http:
      return "plain http";
    case Exposure::nginx_tls:
      return "https via nginx";
    case Exposure::native_tls:
      return "https native TLS";
  }
  return "?";
}

std::span<const TransportBundle> transport_bundles() {
  return kBundles;
}

const TransportBundle& transport_bundle(int id) {
  for (const auto& bundle : kBundles) {
    if (bundle.id == id) return bundle;
  }
  throw std::invalid_argument(fmt::format("unknown transport bundle {}; valid: 1-7", id));
}

Mode parse_mode(std::string_view text) {
  if (const auto mode = common::parse_enum<Mode>(trimmed_lower(text))) return *mode;
  throw std::invalid_argument(
      fmt::format("unknown mode '{}'; valid: {}", text, common::enum_names<Mode>()));
}

Event parse_event(std::string_view text) {
  // The GitHub events that run what a push runs.
  static constexpr std::array<common::EnumAlias<Event>, 2> kGitHubEvents{
      {{"pull_request", Event::push}, {"workflow_dispatch", Event::push}}};
  if (const auto event = common::parse_enum<Event>(trimmed_lower(text), kGitHubEvents)) {
    return *event;
  }
  throw std::invalid_argument(fmt::format(
      "unknown event '{}'; valid: push, pull_request, workflow_dispatch, release", text));
}

std::vector<Mode> modes_for(Event event, const std::vector<Mode>& requested) {
  if (!requested.empty()) return requested;
  if (event == Event::release) return {Mode::dev, Mode::release};
  return {Mode::dev};
}

std::string Cell::id() const {
  return fmt::format("t{}-{}-nb{}-{}", transport, to_string(mode), netbox_version, proxmox_service);
}

boost::json::object Cell::to_json() const {
  return {{"transport", transport},
          {"mode", to_string(mode)},
          {"netbox_version", netbox_version},
          {"proxmox_service", proxmox_service}};
}

std::optional<std::string> real_netbox_release(std::string_view netbox_axis_value) {
  if (!netbox_axis_value.starts_with(kRealNetBoxPrefix)) return std::nullopt;
  const auto release = netbox_axis_value.substr(kRealNetBoxPrefix.size());
  const bool line = !release.empty() && std::isdigit(static_cast<unsigned char>(release.front())) &&
                    release.find_first_not_of("0123456789.") == std::string_view::npos;
  if (!line) {
    throw std::invalid_argument(fmt::format("'{}' is not a real NetBox version; valid: {}",
                                            netbox_axis_value,
                                            fmt::join(real_netbox_versions(), ", ")));
  }
  return std::string(release);
}

std::vector<std::string> real_netbox_versions() {
  // One per release tree in ../shared/vendor/netbox (4.2.9, 4.4.10, 4.6.8).
  return {"real-4.2", "real-4.4", "real-4.6"};
}

std::vector<std::string> netbox_axis(const std::vector<NetBoxVersion>& versions,
                                     bool with_real_netbox) {
  std::vector<std::string> axis;
  for (const auto& version : versions)
    axis.push_back(version.version);
  if (with_real_netbox) {
    for (auto& real : real_netbox_versions())
      axis.push_back(std::move(real));
  }
  return axis;
}

std::vector<Cell> build_matrix(const std::vector<Mode>& modes,
                               const std::vector<NetBoxVersion>& versions, bool with_real_netbox) {
  const auto axis = netbox_axis(versions, with_real_netbox);
  std::vector<Cell> cells;
  for (const auto& bundle : kBundles) {
    for (const auto mode : modes) {
      for (const auto& version : axis) {
        for (const auto service : kProxmoxServices) {
          cells.push_back({bundle.id, mode, version, std::string(service)});
        }
      }
    }
  }
  return cells;
}

boost::json::object to_ci_matrix(const std::vector<Cell>& cells) {
  boost::json::array include;
  for (const auto& cell : cells)
    include.push_back(cell.to_json());
  return {{"include", std::move(include)}};
}

CellFilter CellFilter::parse(std::string_view text) {
  static const std::map<std::string, std::string> kAliases{
      {"transport", "transport"},     {"mode", "mode"},
      {"netbox", "netbox_version"},   {"netbox_version", "netbox_version"},
      {"service", "proxmox_service"}, {"proxmox_service", "proxmox_service"},
  };
  CellFilter filter;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto term = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (trimmed_lower(term).empty()) continue;
    const auto equals = term.find('=');
    if (equals == std::string_view::npos)
      throw std::invalid_argument(fmt::format("filter term '{}' is not key=value", term));
    const auto key = trimmed_lower(term.substr(0, equals));
    const auto alias = kAliases.find(key);
    if (alias == kAliases.end())
      throw std::invalid_argument(
          fmt::format("unknown filter key '{}'; valid: transport, mode, netbox, service", key));
    filter.allowed_[alias->second].push_back(trimmed_lower(term.substr(equals + 1)));
  }
  return filter;
}

bool CellFilter::matches(const Cell& cell) const {
  const std::map<std::string, std::string> values{
      {"transport", std::to_string(cell.transport)},
      {"mode", std::string(to_string(cell.mode))},
      {"netbox_version", cell.netbox_version},
      {"proxmox_service", cell.proxmox_service},
  };
  for (const auto& [key, allowed] : allowed_) {
    if (std::find(allowed.begin(), allowed.end(), values.at(key)) == allowed.end()) return false;
  }
  return true;
}

}  // namespace pbx::e2e
