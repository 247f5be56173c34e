#include "proxmox/parameter_validation.hpp"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/text.hpp"
#include "http/multipart.hpp"
#include "proxmox/schema_json.hpp"

namespace pbx::proxmox {

namespace json = boost::json;

namespace {

using ValueCheck = common::Result<void, std::string>;  // valid, or the problem as Proxmox words it
using Refused = common::Failure<std::string>;

// pveproxy bounds the request; a value larger than this is never legitimate.
constexpr size_t kMaxValueBytes = 64 * 1024;
// Bounds the matcher's work per value; no legitimate pattern-checked value is this long.
constexpr size_t kMaxRegexInput = 4096;

// ---------------------------------------------------------------------------------------------
// Schema access helpers

const json::object* as_object(const json::value* value) {
  return value ? value->if_object() : nullptr;
}

std::string_view schema_type(const json::object& schema) {
  const auto type = string_member(schema, "type");
  if (!type.empty()) return type;
  if (schema.contains("properties")) return "object";
  if (schema.contains("items")) return "array";
  return "any";
}

std::optional<double> number_of(const json::value& value) {
  if (value.is_int64()) return static_cast<double>(value.get_int64());
  if (value.is_uint64()) return static_cast<double>(value.get_uint64());
  if (value.is_double()) return value.get_double();
  return std::nullopt;
}

std::string number_text(double number) {
  if (std::nearbyint(number) == number && std::fabs(number) < 1e15)
    return std::to_string(static_cast<long long>(number));
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", number);
  return buffer;
}

// How a value reads in an error message: strings bare, everything else as JSON.
std::string display(const json::value& value) {
  if (value.is_string()) return std::string(value.get_string());
  return json::serialize(value);
}

size_t utf8_length(std::string_view text) {
  size_t count = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

bool valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t extra = 0;
    uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    const bool overlong = (extra == 1 && code < 0x80) || (extra == 2 && code < 0x800) ||
                          (extra == 3 && code < 0x10000);
    if (overlong || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Patterns: Proxmox writes Perl regexes (PBS wraps them in /.../). Translated once to RE2's
// syntax and cached process-wide, keyed by the schema's text, so a request never compiles a
// regex. RE2 matches in linear time without recursion: a client's value cannot make a match
// hang or overflow the stack, whatever the pattern nests.

// RE2 refuses counted repetitions above 1000 (`[0-9a-zA-Z!=]{0,4096}` in PVE's schema). Such a
// bound becomes open (`{0,}`): the value's maxLength still bounds it, and a pattern that accepts
// a little more is better than one that refuses valid values or is not checked at all.
// Returns the replacement and how many characters of `rest` it replaces.
std::optional<std::pair<std::string, size_t>> relax_large_repeat(std::string_view rest) {
  constexpr unsigned kRe2MaxRepeat = 1000;
  if (!rest.starts_with("{")) return std::nullopt;
  const size_t close = rest.find('}');
  if (close == std::string_view::npos) return std::nullopt;
  const std::string_view inside = rest.substr(1, close - 1);
  const size_t comma = inside.find(',');
  const auto number = [](std::string_view digits) {
    return common::parse_number<unsigned>(digits);
  };
  const auto low = number(inside.substr(0, comma));
  const auto high = comma == std::string_view::npos ? low : number(inside.substr(comma + 1));
  if (!low || *low > kRe2MaxRepeat || !high || *high <= kRe2MaxRepeat) return std::nullopt;
  return std::pair{"{" + std::to_string(*low) + ",}", close + 1};
}

std::string translate_pattern(std::string_view perl, bool& icase) {
  std::string_view body = perl;
  if (body.size() >= 2 && body.front() == '/' && body.back() == '/')
    body = body.substr(1, body.size() - 2);
  std::string out;
  out.reserve(body.size() + 8);
  for (size_t i = 0; i < body.size();) {
    const std::string_view rest = body.substr(i);
    if (rest.starts_with("\\")) {
      out.append(rest.substr(0, 2));
      i += std::min<size_t>(2, rest.size());
    } else if (rest.starts_with("(?^i:")) {
      icase = true;
      out += "(?:";
      i += 5;
    } else if (rest.starts_with("(?^:")) {
      out += "(?:";
      i += 4;
    } else if (rest.starts_with("(?i)")) {
      icase = true;
      i += 4;
    } else if (rest.starts_with("(?m)")) {
      i += 4;
    } else if (rest.starts_with("(?>")) {
      out += "(?:";
      i += 3;
    } else if (rest.starts_with("(?P<")) {
      const size_t close = rest.find('>');
      out += "(";
      i += close == std::string_view::npos ? rest.size() : close + 1;
    } else if (rest.starts_with("[[:^")) {
      // Perl's negated POSIX class "[[:^cntrl:]]" is "[^[:cntrl:]]".
      const size_t close = rest.find(":]]");
      if (close == std::string_view::npos) return {};
      out += "[^[:";
      out.append(rest.substr(4, close - 4));
      out += ":]]";
      i += close + 3;
    } else if (rest.starts_with("{,")) {
      out += "{0,";
      i += 2;
    } else if (const auto relaxed = relax_large_repeat(rest)) {
      out += relaxed->first;
      i += relaxed->second;
    } else {
      out.push_back(rest.front());
      ++i;
    }
  }
  return "(?:" + out + ")";
}

class PatternCache {
 public:
  // Null when the pattern uses Perl syntax RE2 cannot express: then it is not checked.
  const RE2* get(std::string_view pattern) {
    {
      std::shared_lock lock(mutex_);
      const auto it = cache_.find(std::string(pattern));
      if (it != cache_.end()) return it->second.get();
    }
    std::unique_ptr<RE2> compiled;
    bool icase = false;
    const std::string translated = translate_pattern(pattern, icase);
    if (!translated.empty()) {
      RE2::Options options;
      options.set_log_errors(false);
      options.set_case_sensitive(!icase);
      compiled = std::make_unique<RE2>(translated, options);
      if (!compiled->ok()) compiled.reset();
    }
    std::unique_lock lock(mutex_);
    auto& slot = cache_[std::string(pattern)];
    if (!slot) slot = std::move(compiled);
    return slot.get();
  }

 private:
  std::shared_mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<RE2>> cache_;
};

PatternCache& patterns() {
  static PatternCache cache;
  return cache;
}

bool matches(std::string_view pattern, std::string_view text) {
  const RE2* regex = patterns().get(pattern);
  if (!regex) return true;
  if (text.size() > kMaxRegexInput) return false;
  return RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *regex);
}

// ---------------------------------------------------------------------------------------------
// Named formats (PVE::JSONSchema::register_format), with pveproxy's messages.

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

ValueCheck check_named_format(std::string_view format, std::string_view value);

// PVE::Tools::split_list: "-list" formats accept items separated by commas, semicolons, NULs
// and whitespace (empty items dropped).
constexpr std::string_view kPveListSeparators{",;\0 \t\n\v\f\r", 9};

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

// ---------------------------------------------------------------------------------------------
// Conversion of request text into the schema's type, and checks of typed values.

ValueCheck check_value(const json::object& schema, const json::value& value);

// Integers and numbers in request text may carry a leading '+'; a number must be finite.
std::optional<int64_t> parse_integer(std::string_view text) {
  return common::parse_number<int64_t>(text, {.plus_sign = true});
}

std::optional<double> parse_number(std::string_view text) {
  const auto number = common::parse_number<double>(text, {.plus_sign = true});
  if (!number || !std::isfinite(*number)) return std::nullopt;
  return number;
}

// Proxmox's boolean spellings, any case: narrower than NetBox's (no t/f/y/n).
std::optional<bool> parse_boolean(std::string_view text) {
  using namespace std::string_view_literals;
  static constexpr std::array kYes{"1"sv, "true"sv, "yes"sv, "on"sv};
  static constexpr std::array kNo{"0"sv, "false"sv, "no"sv, "off"sv};
  return common::parse_boolean(text, {kYes, kNo});
}

std::string type_error(std::string_view type, const json::value& value) {
  return "type check ('" + std::string(type) + "') failed - got '" + display(value) + "'";
}

// Converts a request value (string from a query/form, or any JSON value from a JSON body) to
// the schema's type, or the error message.
common::Result<json::value, std::string> convert(const json::object& schema,
                                                 const json::value& raw) {
  const auto type = schema_type(schema);
  if (type == "integer") {
    if (raw.is_int64() || raw.is_uint64()) return raw;
    if (raw.is_double() && std::nearbyint(raw.get_double()) == raw.get_double() &&
        std::fabs(raw.get_double()) < 9e15)
      return json::value(static_cast<int64_t>(raw.get_double()));
    if (raw.is_string()) {
      if (const auto number = parse_integer(raw.get_string())) return json::value(*number);
    }
    return Refused{type_error(type, raw)};
  }
  if (type == "number") {
    if (auto number = number_of(raw)) return json::value(*number);
    if (raw.is_string()) {
      if (const auto number = parse_number(raw.get_string())) return json::value(*number);
    }
    return Refused{type_error(type, raw)};
  }
  if (type == "boolean") {
    if (raw.is_bool()) return raw;
    if ((raw.is_int64() || raw.is_uint64()) && (raw == 0 || raw == 1)) return json::value(raw != 0);
    if (raw.is_string()) {
      if (auto flag = parse_boolean(raw.get_string())) return json::value(*flag);
    }
    return Refused{type_error(type, raw)};
  }
  if (type == "string") {
    if (raw.is_string()) return raw;
    if (raw.is_int64() || raw.is_uint64() || raw.is_double()) return json::value(display(raw));
    if (raw.is_bool()) return json::value(raw.get_bool() ? "1" : "0");
    return Refused{type_error(type, raw)};
  }
  if (type == "array") {
    const auto* items = as_object(schema.if_contains("items"));
    json::array converted;
    auto add = [&](const json::value& item) -> ValueCheck {
      if (!items) {
        converted.push_back(item);
        return {};
      }
      auto result = convert(*items, item);
      if (!result) return Refused{result.error()};
      converted.push_back(std::move(*result));
      return {};
    };
    if (raw.is_array()) {
      for (const auto& item : raw.get_array()) {
        if (auto added = add(item); !added) return Refused{added.error()};
      }
    } else if (raw.is_object()) {
      return Refused{type_error(type, raw)};
    } else if (auto added = add(raw); !added) {
      return Refused{added.error()};
    }
    return json::value(std::move(converted));
  }
  return raw;
}

// "key=value,key2=value2" property strings (format given as an object of sub-schemas).
ValueCheck check_property_string(const json::object& format, std::string_view text) {
  std::vector<std::string> parts;
  std::string current;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      quoted = !quoted;
    } else if (c == '\\' && quoted && i + 1 < text.size()) {
      current.push_back(text[++i]);
    } else if (c == ',' && !quoted) {
      parts.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (quoted) return Refused{"invalid format - unterminated quoted string"};
  if (!current.empty() || !parts.empty()) parts.push_back(std::move(current));

  std::string default_key;
  for (const auto& [key, sub] : format) {
    if (const auto* object = sub.if_object(); object && truthy(object->if_contains("default_key")))
      default_key = std::string(key);
  }
  std::map<std::string, std::string> given;
  for (const auto& part : parts) {
    if (part.empty()) continue;
    const size_t equals = part.find('=');
    std::string key;
    std::string value;
    if (equals == std::string::npos) {
      if (default_key.empty() || given.contains(default_key))
        return Refused{
            "invalid format - value without key, but schema does not define a default key"};
      key = default_key;
      value = part;
    } else {
      key = part.substr(0, equals);
      value = part.substr(equals + 1);
    }
    const auto* sub = as_object(format.if_contains(key));
    if (!sub)
      return Refused{"invalid format - invalid key in comma-separated list property: " + key};
    if (given.contains(key))
      return Refused{"invalid format - duplicate key in comma-separated list property: " + key};
    // "e1000=<mac>" names the model by its key and validates the value as the aliased key.
    if (const auto alias = string_member(*sub, "alias"); !alias.empty()) {
      if (const auto key_alias = string_member(*sub, "keyAlias"); !key_alias.empty())
        given[std::string(key_alias)] = key;
      key = std::string(alias);
      sub = as_object(format.if_contains(alias));
      if (!sub) continue;
    }
    auto converted = convert(*sub, json::value(value));
    if (!converted) return Refused{"invalid format - " + key + ": " + converted.error()};
    if (auto checked = check_value(*sub, *converted); !checked)
      return Refused{"invalid format - " + key + ": " + checked.error()};
    given[key] = value;
  }
  for (const auto& [key, sub] : format) {
    const auto* object = sub.if_object();
    if (!object || object->contains("alias") || given.contains(std::string(key))) continue;
    if (!is_optional(*object) && !object->contains("default"))
      return Refused{"invalid format - " + std::string(key) +
                     ": property is missing and it is not optional"};
  }
  return {};
}

ValueCheck check_string(const json::object& schema, std::string_view text) {
  if (text.size() > kMaxValueBytes)
    return Refused{"value may only be " + std::to_string(kMaxValueBytes) + " characters long"};
  const auto* min = schema.if_contains("minLength");
  if (const auto bound = min ? number_of(*min) : std::nullopt;
      bound && static_cast<double>(utf8_length(text)) < *bound)
    return Refused{"value must be at least " + number_text(*bound) + " characters long"};
  const auto* max = schema.if_contains("maxLength");
  if (const auto bound = max ? number_of(*max) : std::nullopt;
      bound && static_cast<double>(utf8_length(text)) > *bound)
    return Refused{"value may only be " + number_text(*bound) + " characters long"};
  if (const auto pattern = string_member(schema, "pattern"); !pattern.empty()) {
    if (!matches(pattern, text)) return Refused{"value does not match the regex pattern"};
  }
  if (const auto* format = schema.if_contains("format")) {
    if (format->is_string()) {
      if (auto checked = check_named_format(format->get_string(), text); !checked) return checked;
    } else if (format->is_object()) {
      if (auto checked = check_property_string(format->get_object(), text); !checked)
        return checked;
    }
  }
  return {};
}

ValueCheck check_enum(const json::object& schema, const json::value& value) {
  const auto* choices = schema.if_contains("enum");
  if (!choices || !choices->is_array()) return {};
  const std::string text = display(value);
  std::string listing;
  for (const auto& choice : choices->get_array()) {
    if (display(choice) == text) return {};
    if (!listing.empty()) listing += ", ";
    listing += display(choice);
  }
  return Refused{"value '" + text + "' does not have a value in the enumeration '" + listing + "'"};
}

ValueCheck check_range(const json::object& schema, double number) {
  if (const auto* min = schema.if_contains("minimum")) {
    if (const auto bound = number_of(*min); bound && number < *bound)
      return Refused{"value must have a minimum value of " + number_text(*bound)};
  }
  if (const auto* max = schema.if_contains("maximum")) {
    if (const auto bound = number_of(*max); bound && number > *bound)
      return Refused{"value must have a maximum value of " + number_text(*bound)};
  }
  return {};
}

std::string join_location(std::string_view location, std::string_view member) {
  if (location.empty()) return std::string(member);
  return std::string(location) + "." + std::string(member);
}

ValueCheck prefixed(std::string_view location, ValueCheck checked) {
  if (checked || location.empty()) return checked;
  return Refused{std::string(location) + ": " + checked.error()};
}

ValueCheck check_at(const json::object& schema, const json::value& value,
                    const std::string& location);

// Valid when one alternative takes the value; else the first alternative's problem.
ValueCheck check_one_of(const json::array& alternatives, const json::value& value,
                        const std::string& location) {
  std::optional<ValueCheck> first_failure;
  for (const auto& alternative : alternatives) {
    const auto* object = alternative.if_object();
    if (!object) continue;
    auto checked = check_at(*object, value, location);
    if (checked) return {};
    if (!first_failure) first_failure = std::move(checked);
  }
  if (first_failure) return *first_failure;
  return {};
}

// Full recursive check of a typed value; the single place where the rules live.
ValueCheck check_at(const json::object& schema, const json::value& value,
                    const std::string& location) {
  if (const auto* one_of = schema.if_contains("oneOf"); one_of && one_of->is_array())
    return check_one_of(one_of->get_array(), value, location);
  const auto type = schema_type(schema);
  if (type == "null") {
    if (value.is_null()) return {};
    return prefixed(location, Refused{type_error(type, value)});
  }
  if (type == "integer") {
    const auto number = number_of(value);
    if (!number || std::nearbyint(*number) != *number)
      return prefixed(location, Refused{type_error(type, value)});
    if (auto checked = check_range(schema, *number); !checked) return prefixed(location, checked);
    if (const auto* format = schema.if_contains("format"); format && format->is_string()) {
      if (auto checked = check_named_format(format->get_string(), display(value)); !checked)
        return prefixed(location, checked);
    }
    return prefixed(location, check_enum(schema, value));
  }
  if (type == "number") {
    const auto number = number_of(value);
    if (!number) return prefixed(location, Refused{type_error(type, value)});
    return prefixed(location, check_range(schema, *number));
  }
  if (type == "boolean") {
    // The API itself answers booleans as 0/1 integers.
    const bool ok =
        value.is_bool() || ((value.is_int64() || value.is_uint64()) && (value == 0 || value == 1));
    if (ok) return {};
    return prefixed(location, Refused{type_error(type, value)});
  }
  if (type == "string") {
    if (!value.is_string()) return prefixed(location, Refused{type_error(type, value)});
    if (auto checked = check_enum(schema, value); !checked) return prefixed(location, checked);
    return prefixed(location, check_string(schema, value.get_string()));
  }
  if (type == "array") {
    if (!value.is_array()) return prefixed(location, Refused{type_error(type, value)});
    const auto* items = as_object(schema.if_contains("items"));
    if (!items) return {};
    const auto& array = value.get_array();
    for (size_t i = 0; i < array.size(); ++i) {
      if (auto checked = check_at(*items, array[i], location + "[" + std::to_string(i) + "]");
          !checked)
        return checked;
    }
    return {};
  }
  if (type == "object") {
    if (!value.is_object()) return prefixed(location, Refused{type_error(type, value)});
    const auto& object = value.get_object();
    const auto* properties = as_object(schema.if_contains("properties"));
    if (properties) {
      for (const auto& [name, sub] : *properties) {
        const auto* sub_schema = sub.if_object();
        if (!sub_schema) continue;
        const auto* member = object.if_contains(name);
        const std::string where = join_location(location, name);
        if (!member || (member->is_null() && is_optional(*sub_schema))) {
          if (!member && !is_optional(*sub_schema))
            return Refused{where + ": property is missing and it is not optional"};
          continue;
        }
        if (auto checked = check_at(*sub_schema, *member, where); !checked) return checked;
      }
    }
    const auto* additional = schema.if_contains("additionalProperties");
    for (const auto& [name, member] : object) {
      if (properties && properties->contains(name)) continue;
      if (additional && additional->is_object()) {
        auto checked = check_at(additional->get_object(), member, join_location(location, name));
        if (!checked) return checked;
      } else if (additional && !truthy(additional) && properties) {
        return Refused{join_location(location, name) +
                       ": property is not defined in schema and the schema does not allow "
                       "additional properties"};
      }
    }
    return {};
  }
  return {};  // "any"
}

ValueCheck check_value(const json::object& schema, const json::value& value) {
  return check_at(schema, value, {});
}

// ---------------------------------------------------------------------------------------------
// Request parameters

// "net[n]" in the schema stands for net0..net<max-1>; the limits are PVE's (MAX_NETS, ...).
int indexed_limit(std::string_view prefix) {
  static const std::unordered_map<std::string_view, int> limits{
      {"net", 32},       {"scsi", 31},     {"ide", 4},      {"sata", 6},  {"virtio", 16},
      {"unused", 256},   {"serial", 4},    {"parallel", 3}, {"usb", 14},  {"hostpci", 16},
      {"numa", 8},       {"ipconfig", 32}, {"mp", 256},     {"dev", 256}, {"link", 8},
      {"acmedomain", 6}, {"virtiofs", 10}};
  const auto it = limits.find(prefix);
  return it == limits.end() ? 256 : it->second;
}

const json::object* property_schema(const json::object& properties, std::string_view name) {
  if (const auto* schema = as_object(properties.if_contains(name))) return schema;
  size_t digits = name.size();
  while (digits > 0 && std::isdigit(static_cast<unsigned char>(name[digits - 1])))
    --digits;
  if (digits == 0 || digits == name.size() || name.size() - digits > 3) return nullptr;
  if (name.size() - digits > 1 && name[digits] == '0') return nullptr;
  const auto prefix = name.substr(0, digits);
  const auto* schema = as_object(properties.if_contains(std::string(prefix) + "[n]"));
  if (!schema) return nullptr;
  const int index = common::parse_number<int>(name.substr(digits)).value_or(0);
  return index < indexed_limit(prefix) ? schema : nullptr;
}

std::string_view content_type(const http::Request& request) {
  std::string_view type = request.header(http::Field::content_type);
  if (const size_t semicolon = type.find(';'); semicolon != std::string_view::npos)
    type = type.substr(0, semicolon);
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back())))
    type.remove_suffix(1);
  return type;
}

using RawParams = std::map<std::string, std::vector<json::value>>;

void add_text_params(const http::Params& params, RawParams& raw, ValidationErrors& result) {
  for (const auto& [name, value] : params) {
    if (!valid_utf8(name)) {
      result.errors["body"] = "parameter name is not valid UTF-8";
      continue;
    }
    if (!valid_utf8(value)) {
      result.errors[name] = "value is not valid UTF-8";
      continue;
    }
    raw[name].emplace_back(value);
  }
}

// pveproxy streams a multipart upload to a temporary file: form fields become parameters and the
// file part, which must be the field "filename", gives `filename` the name the client sent. The
// upload handler reads the file part itself (its bytes are no parameter).
void add_multipart_params(const http::Request& request, RawParams& raw, ValidationErrors& result) {
  const auto boundary = http::multipart_boundary(request.header(http::Field::content_type));
  if (!boundary) {
    result.errors["body"] = "multipart/form-data without a valid boundary";
    return;
  }
  const http::MultipartForm form = http::parse_multipart(request.body, *boundary);
  if (!form.ok()) {
    result.errors["body"] = form.error;
    return;
  }
  http::Params fields;
  for (const auto& part : form.parts) {
    if (!part.filename) {
      fields.emplace_back(part.name, std::string(part.data));
    } else if (part.name == "filename") {
      fields.emplace_back(part.name, *part.filename);
    } else {
      result.errors["body"] = "wrong field name for file upload";
      return;
    }
  }
  add_text_params(fields, raw, result);
}

bool is_upload(const Operation& operation) {
  return operation.method == http::Verb::post && operation.path.ends_with("/upload");
}

void collect_body(const Operation& operation, const http::Request& request, RawParams& raw,
                  ValidationErrors& result) {
  if (request.body.empty()) return;
  const auto type = content_type(request);
  const bool json_body =
      common::iequals(type, "application/json") ||
      (type.empty() && request.body.find_first_not_of(" \t\r\n") != std::string::npos &&
       request.body[request.body.find_first_not_of(" \t\r\n")] == '{');
  if (json_body) {
    boost::system::error_code error;
    const auto document = json::parse(request.body, error);
    if (error) {
      result.errors["body"] = "malformed JSON body: " + error.message();
      return;
    }
    if (document.is_null()) return;
    if (!document.is_object()) {
      result.errors["body"] = "JSON body must be an object";
      return;
    }
    for (const auto& [name, value] : document.get_object()) {
      auto& slot = raw[std::string(name)];
      if (value.is_null()) continue;  // JSON null means "not given", as pveproxy treats undef
      slot.push_back(value);
    }
    return;
  }
  if (type.empty() || common::iequals(type, "application/x-www-form-urlencoded")) {
    add_text_params(http::parse_form(request.body), raw, result);
    return;
  }
  if (common::iequals(type, "multipart/form-data") && is_upload(operation)) {
    add_multipart_params(request, raw, result);
    return;
  }
  result.errors["body"] = "unsupported content type '" + std::string(type) + "'";
}

// Repeated names: array parameters collect every value, "-list" strings are joined, anything
// else is joined by NUL like pveproxy's CGI layer (and usually fails its type or format).
json::value merge_repeated(const json::object& schema, std::vector<json::value>& values) {
  if (values.size() == 1) return std::move(values.front());
  if (schema_type(schema) == "array") {
    json::array all;
    for (auto& value : values) {
      if (value.is_array()) {
        for (auto& item : value.get_array())
          all.push_back(std::move(item));
      } else {
        all.push_back(std::move(value));
      }
    }
    return all;
  }
  const auto format = string_member(schema, "format");
  const char separator = format.ends_with("-list") ? ',' : '\0';
  std::string joined;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) joined.push_back(separator);
    joined += display(values[i]);
  }
  return json::value(std::move(joined));
}

}  // namespace

boost::json::object error_body(const ValidationErrors& errors) {
  json::object messages;
  for (const auto& [name, message] : errors.errors)
    messages[name] = message;
  return json::object{{"data", nullptr}, {"errors", std::move(messages)}};
}

common::Result<void, std::string> validate_value(const boost::json::value& schema,
                                                 const boost::json::value& value,
                                                 std::string_view location) {
  const auto* object = schema.if_object();
  if (!object) return {};
  return check_at(*object, value, std::string(location));
}

common::Result<ValidatedParams, ValidationErrors> validate_request(const Operation& operation,
                                                                   const http::Request& request) {
  ValidationErrors result;
  RawParams raw;
  add_text_params(request.query, raw, result);
  collect_body(operation, request, raw, result);
  // Path captures win over same-named query/body values, as in pveproxy.
  for (const auto& [name, value] : request.path_params) {
    if (!valid_utf8(value)) {
      result.errors[name] = "value is not valid UTF-8";
      continue;
    }
    raw[name] = {json::value(value)};
  }

  static const json::object no_properties;
  const auto* properties = as_object(operation.parameters->if_contains("properties"));
  if (!properties) properties = &no_properties;
  const auto* additional = operation.parameters->if_contains("additionalProperties");
  const bool allow_additional = truthy(additional) || (additional && additional->is_object());

  ValidatedParams validated;
  for (auto& [name, values] : raw) {
    if (values.empty() || result.errors.contains(name)) continue;
    const json::object* schema = property_schema(*properties, name);
    if (!schema) {
      const bool is_path_param =
          std::find(operation.path_parameters.begin(), operation.path_parameters.end(), name) !=
          operation.path_parameters.end();
      if (allow_additional || is_path_param) {
        validated.values[name] = values.size() == 1
                                     ? std::move(values.front())
                                     : json::value(json::array(values.begin(), values.end()));
      } else {
        result.errors[name] =
            "property is not defined in schema and the schema does not allow additional "
            "properties";
      }
      continue;
    }
    json::value merged = merge_repeated(*schema, values);
    auto converted = convert(*schema, merged);
    if (!converted) {
      result.errors[name] = converted.error();
      continue;
    }
    if (auto checked = check_value(*schema, *converted); !checked) {
      result.errors[name] = checked.error();
      continue;
    }
    validated.values[name] = std::move(*converted);
  }
  for (const auto& [name, schema] : *properties) {
    const auto* object = schema.if_object();
    if (!object || is_optional(*object) || name.ends_with("[n]")) continue;
    if (!validated.values.contains(name) && !result.errors.contains(std::string(name)))
      result.errors[std::string(name)] = "property is missing and it is not optional";
  }
  if (!result.errors.empty()) return common::Failure{std::move(result)};
  return validated;
}

}  // namespace pbx::proxmox
