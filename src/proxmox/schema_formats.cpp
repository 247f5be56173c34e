#include "proxmox/schema_formats.hpp"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <unordered_map>

#include "common/text.hpp"
#include "proxmox/schema_patterns.hpp"

namespace pbx::proxmox::validation {

namespace {

bool is_ipv4(std::string_view text) {
  in_addr address{};
  return text.size() < 16 && inet_pton(AF_INET, std::string(text).c_str(), &address) == 1;
}

bool is_ipv6(std::string_view text) {
  in6_addr address{};
  return text.size() < 46 && inet_pton(AF_INET6, std::string(text).c_str(), &address) == 1;
}

bool is_cidr(std::string_view text, bool require_mask) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return !require_mask && (is_ipv4(text) || is_ipv6(text));
  const auto address = text.substr(0, slash);
  const auto mask = common::parse_number<int>(text.substr(slash + 1));
  if (!mask || *mask < 0) return false;
  if (is_ipv4(address)) return *mask <= 32;
  return is_ipv6(address) && *mask <= 128;
}

// pve-firewall's IPorCIDRorAlias: an IP, a CIDR, or an alias name, optionally "dc/" or "guest/".
// pve-verify-dns-name: labels of letters, digits and inner hyphens, separated by dots.
bool is_dns_name(std::string_view text) {
  if (text.empty()) return false;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t dot = std::min(text.find('.', start), text.size());
    const std::string_view label = text.substr(start, dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (const char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    start = dot + 1;
  }
  return true;
}

bool is_ip_cidr_or_alias(std::string_view text) {
  static const RE2 alias("(?:(?:dc|guest)/)?[A-Za-z][A-Za-z0-9\\-_]+");
  return is_cidr(text, false) || RE2::FullMatch(re2::StringPiece(text.data(), text.size()), alias);
}

struct Format {
  const char* pattern;  // regex (RE2 syntax), or null when `check` decides
  bool (*check)(std::string_view);
  const char* message;  // "%s" is replaced by the value
};

const std::unordered_map<std::string_view, Format>& formats() {
  static const std::unordered_map<std::string_view, Format> table{
      {"pve-vmid", {"[1-9][0-9]{2,8}", nullptr, "value does not look like a valid VM ID"}},
      {"pve-node",
       {"(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\\-]*[a-zA-Z0-9])\\.)*(?:[A-Za-z0-9]|[A-Za-z0-9]"
        "[A-Za-z0-9\\-]*[A-Za-z0-9])",
        nullptr, "value does not look like a valid node name"}},
      {"pve-storage-id",
       {"(?i)[a-z][a-z0-9\\-_.]*[a-z0-9]", nullptr, "storage ID '%s' contains illegal characters"}},
      {"pve-configid", {"(?i)[a-z][a-z0-9_-]+", nullptr, "invalid configuration ID '%s'"}},
      {"pve-poolid", {"[A-Za-z0-9_\\-]+", nullptr, "invalid pool ID '%s'"}},
      {"pve-realm",
       {"[A-Za-z][A-Za-z0-9\\.\\-_]+", nullptr, "value does not look like a valid realm"}},
      {"pve-userid", {"[^\\s:/]+@[A-Za-z][A-Za-z0-9\\.\\-_]+", nullptr, "invalid user name '%s'"}},
      {"pve-groupid", {"[A-Za-z0-9\\.\\-_]+", nullptr, "invalid group name '%s'"}},
      {"pve-roleid", {"[A-Za-z0-9\\.\\-_]+", nullptr, "invalid role name '%s'"}},
      {"pve-iface",
       {"[a-zA-Z][a-zA-Z0-9_.\\-]{0,19}[a-zA-Z0-9]|[a-zA-Z]", nullptr,
        "invalid network interface name '%s'"}},
      {"pve-bridge-id", {"[-_.\\w\\d]+", nullptr, "invalid bridge ID '%s'"}},
      {"pve-tag", {"(?i)[a-z0-9_][a-z0-9_\\-\\+\\.]*", nullptr, "invalid tag '%s'"}},
      {"pve-volume-id",
       {"(?i)[a-z][a-z0-9\\-_.]*[a-z0-9]:.+", nullptr, "unable to parse volume ID '%s'"}},
      {"pve-sdn-zone-id", {"[a-z][a-z0-9]*[a-z0-9]?", nullptr, "invalid zone ID '%s'"}},
      {"pve-sdn-vnet-id", {"[a-z][a-z0-9]*[a-z0-9]?", nullptr, "invalid vnet ID '%s'"}},
      {"mac-addr",
       {"(?i)[a-f0-9][02468ace](?::[a-f0-9]{2}){5}", nullptr,
        "value does not look like a valid unicast MAC address"}},
      {"email",
       {"[\\w\\+\\-\\~]+(?:\\.[\\w\\+\\-\\~]+)*@[a-zA-Z0-9\\-]+(?:\\.[a-zA-Z0-9\\-]+)*", nullptr,
        "value does not look like a valid email address"}},
      {"dns-name",
       {"(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\\-]*[a-zA-Z0-9])\\.)*(?:[A-Za-z0-9]|[A-Za-z0-9]"
        "[A-Za-z0-9\\-]*[A-Za-z0-9])",
        nullptr, "value does not look like a valid DNS name"}},
      {"ipv4", {nullptr, is_ipv4, "value does not look like a valid IPv4 address"}},
      {"ipv6", {nullptr, is_ipv6, "value does not look like a valid IPv6 address"}},
      {"ip",
       {nullptr, [](std::string_view text) { return is_ipv4(text) || is_ipv6(text); },
        "value does not look like a valid IP address"}},
      // An IP address or a DNS name (pve_verify_address): realm servers, migration targets.
      {"address",
       {nullptr,
        [](std::string_view text) { return is_ipv4(text) || is_ipv6(text) || is_dns_name(text); },
        "value does not look like a valid address"}},
      {"CIDR",
       {nullptr, [](std::string_view text) { return is_cidr(text, true); },
        "value does not look like a valid CIDR network"}},
      {"IPorCIDR",
       {nullptr, [](std::string_view text) { return is_cidr(text, false); },
        "value does not look like a valid IP address or CIDR network"}},
      {"IPorCIDRorAlias",
       {nullptr, is_ip_cidr_or_alias,
        "value does not look like a valid IP address or CIDR network"}},
  };
  return table;
}

std::string with_value(const char* message, std::string_view value) {
  std::string text(message);
  if (const size_t at = text.find("%s"); at != std::string::npos) text.replace(at, 2, value);
  return text;
}

// PVE::Tools::split_list: "-list" formats accept items separated by commas, semicolons, NULs
// and whitespace (empty items dropped).
constexpr std::string_view kPveListSeparators{",;\0 \t\n\v\f\r", 9};

}  // namespace

ValueCheck check_named_format(std::string_view format, std::string_view value) {
  const auto& table = formats();
  if (const auto it = table.find(format); it != table.end()) {
    const Format& rule = it->second;
    const bool ok = rule.check ? rule.check(value) : matches(rule.pattern, value);
    if (!ok) return Refused{with_value(rule.message, value)};
    return {};
  }
  if (format.ends_with("-list")) {
    const auto base = format.substr(0, format.size() - 5);
    if (base == "pve-tag" || table.contains(base)) {
      for (const auto& item : common::split_list(value, kPveListSeparators)) {
        if (auto checked = check_named_format(base, item); !checked) return checked;
      }
    }
  }
  return {};  // formats the mock does not know are accepted, as a lenient server would
}

}  // namespace pbx::proxmox::validation
