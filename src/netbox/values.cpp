#include "netbox/values.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <limits>
#include <vector>

#include "common/clock.hpp"
#include "common/json.hpp"
#include "common/text.hpp"

namespace pbx::netbox {

namespace json = boost::json;

std::string python_repr(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return "None";
    case json::kind::bool_:
      return value.get_bool() ? "True" : "False";
    case json::kind::int64:
      return std::to_string(value.get_int64());
    case json::kind::uint64:
      return std::to_string(value.get_uint64());
    case json::kind::double_:
      return json::serialize(value);
    case json::kind::string: {
      std::string out = "'";
      for (const char c : value.get_string()) {
        if (c == '\'' || c == '\\') out.push_back('\\');
        out.push_back(c);
      }
      return out + "'";
    }
    case json::kind::array: {
      std::string out = "[";
      for (const json::value& item : value.get_array()) {
        if (out.size() > 1) out += ", ";
        out += python_repr(item);
      }
      return out + "]";
    }
    case json::kind::object: {
      std::string out = "{";
      for (const auto& [key, item] : value.get_object()) {
        if (out.size() > 1) out += ", ";
        out += python_repr(json::value(key)) + ": " + python_repr(item);
      }
      return out + "}";
    }
  }
  return "";
}

std::string python_type(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return "NoneType";
    case json::kind::bool_:
      return "bool";
    case json::kind::int64:
    case json::kind::uint64:
      return "int";
    case json::kind::double_:
      return "float";
    case json::kind::string:
      return "str";
    case json::kind::array:
      return "list";
    case json::kind::object:
      return "dict";
  }
  return "object";
}

std::optional<int64_t> parse_integer(std::string_view text) {
  // DRF's IntegerField reads with Python's int(), which takes a leading '+'.
  return common::parse_number<int64_t>(text, {.plus_sign = true});
}

std::optional<int64_t> parse_integer_clamped(std::string_view text) {
  if (auto value = parse_integer(text)) return value;
  std::string_view digits = text;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) digits.remove_prefix(1);
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return negative ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
}

std::optional<DecimalDigits> decimal_digits(std::string_view text) {
  size_t at = 0;
  if (at < text.size() && (text[at] == '-' || text[at] == '+')) ++at;
  std::string mantissa;
  int64_t fraction = 0;
  bool point = false;
  for (; at < text.size(); ++at) {
    const char c = text[at];
    if (c >= '0' && c <= '9') {
      mantissa.push_back(c);
      if (point) ++fraction;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (mantissa.empty()) return std::nullopt;
  int64_t exponent = 0;
  if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
    const auto parsed = parse_integer(text.substr(at + 1));
    if (!parsed || *parsed > 1'000'000'000 || *parsed < -1'000'000'000) return std::nullopt;
    exponent = *parsed;
    at = text.size();
  }
  if (at != text.size()) return std::nullopt;
  const size_t first = mantissa.find_first_not_of('0');
  const int64_t digits =
      first == std::string::npos ? 1 : static_cast<int64_t>(mantissa.size() - first);
  return DecimalDigits{digits, exponent - fraction};
}

std::optional<std::string> normalize_mac(std::string_view text) {
  std::string compact;
  for (const char c : text) {
    if (c != ' ') compact.push_back(c);
  }
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  // Split into groups on one separator kind; each form fixes the group count and widths.
  std::vector<std::string> groups(1);
  char separator = 0;
  for (const char c : compact) {
    if (c == ':' || c == '-' || c == '.') {
      if (separator && separator != c) return std::nullopt;
      separator = c;
      groups.emplace_back();
    } else if (hex(c)) {
      groups.back().push_back(c);
    } else {
      return std::nullopt;
    }
  }
  std::string digits;
  auto all_sized = [&](size_t low, size_t high) {
    return std::all_of(groups.begin(), groups.end(),
                       [&](const std::string& g) { return g.size() >= low && g.size() <= high; });
  };
  if (!separator && groups.size() == 1 && groups[0].size() == 12) {
    digits = groups[0];
  } else if ((separator == ':' || separator == '-') && groups.size() == 6 && all_sized(1, 2)) {
    for (const std::string& group : groups)
      digits += (group.size() == 1 ? "0" : "") + group;
  } else if (separator == '.' && groups.size() == 3 && all_sized(4, 4)) {
    for (const std::string& group : groups)
      digits += group;
  } else {
    return std::nullopt;
  }
  std::string out;
  for (size_t i = 0; i < 12; i += 2) {
    if (!out.empty()) out.push_back(':');
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(digits[i]))));
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(digits[i + 1]))));
  }
  return out;
}

int64_t int_field(const boost::json::object& data, std::string_view name) {
  const boost::json::value* value = data.if_contains(name);
  return value && value->is_int64() ? value->get_int64() : 0;
}

std::string text_field(const boost::json::object& data, std::string_view name) {
  return std::string(common::string_member(data, name));
}

std::optional<double> parse_number(std::string_view text) {
  return common::parse_number<double>(text);
}

std::optional<bool> parse_boolean(std::string_view text) {
  using namespace std::string_view_literals;
  // DRF's BooleanField.TRUE_VALUES / FALSE_VALUES (wider than Proxmox's, which has no t/f/y/n).
  static constexpr std::array kYes{"true"sv, "t"sv, "yes"sv, "y"sv, "on"sv, "1"sv};
  static constexpr std::array kNo{"false"sv, "f"sv, "no"sv, "n"sv, "off"sv, "0"sv};
  return common::parse_boolean(text, {kYes, kNo});
}

common::SqlValue to_sql(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return std::monostate{};
    case json::kind::bool_:
      return static_cast<int64_t>(value.get_bool() ? 1 : 0);
    case json::kind::int64:
      return value.get_int64();
    case json::kind::uint64:
      return static_cast<int64_t>(value.get_uint64());
    case json::kind::double_:
      return value.get_double();
    case json::kind::string:
      return std::string(value.get_string());
    default:
      return json::serialize(value);
  }
}

common::Result<std::string, std::string> normalize_ip(std::string_view text, bool network) {
  const std::string input(common::trim(text));
  const size_t slash = input.find('/');
  const std::string host = input.substr(0, slash);
  const auto invalid = [&] {
    return network ? "Invalid IP prefix format: " + input : "Invalid IP address format: " + input;
  };
  unsigned char bytes[16] = {};
  int family = 0;
  if (inet_pton(AF_INET, host.c_str(), bytes) == 1) {
    family = AF_INET;
  } else if (inet_pton(AF_INET6, host.c_str(), bytes) == 1) {
    family = AF_INET6;
  } else {
    return common::Failure{invalid()};
  }
  if (slash == std::string::npos) return common::Failure{"CIDR mask (e.g. /24) is required."};
  const int max_bits = family == AF_INET ? 32 : 128;
  const auto bits = parse_integer(std::string_view(input).substr(slash + 1));
  if (!bits || *bits < 0 || *bits > max_bits) return common::Failure{invalid()};
  if (network) {
    const int length = max_bits / 8;
    for (int i = 0; i < length; ++i) {
      const int64_t keep = std::clamp<int64_t>(*bits - i * 8, 0, 8);
      bytes[i] &= static_cast<unsigned char>(keep == 8 ? 0xFF : (0xFF << (8 - keep)) & 0xFF);
    }
  }
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, bytes, buffer, sizeof buffer);
  return fmt::format("{}/{}", buffer, *bits);
}

int ip_family(std::string_view address) {
  if (address.empty()) return 0;
  return address.find(':') != std::string_view::npos ? 6 : 4;
}

std::string now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1'000'000;
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  return fmt::format("{}.{:06}Z", common::format_utc(seconds, "%Y-%m-%dT%H:%M:%S"), micros);
}

size_t utf8_length(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool is_slug(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

namespace {
bool digits(std::string_view text, size_t at, size_t count) {
  if (at + count > text.size()) return false;
  for (size_t i = at; i < at + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}
}  // namespace

bool is_iso_date(std::string_view text) {
  return text.size() == 10 && digits(text, 0, 4) && text[4] == '-' && digits(text, 5, 2) &&
         text[7] == '-' && digits(text, 8, 2);
}

bool is_iso_datetime(std::string_view text) {
  if (text.size() < 16 || !is_iso_date(text.substr(0, 10))) return false;
  if (text[10] != 'T' && text[10] != ' ') return false;
  if (!digits(text, 11, 2) || text[13] != ':' || !digits(text, 14, 2)) return false;
  size_t at = 16;
  if (at < text.size() && text[at] == ':') {
    if (!digits(text, at + 1, 2)) return false;
    at += 3;
    if (at < text.size() && text[at] == '.') {
      ++at;
      while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])))
        ++at;
    }
  }
  if (at == text.size()) return true;
  if (text[at] == 'Z') return at + 1 == text.size();
  if (text[at] == '+' || text[at] == '-') {
    return text.size() == at + 6 && digits(text, at + 1, 2) && text[at + 3] == ':' &&
           digits(text, at + 4, 2);
  }
  return false;
}

json::value limit_number(std::string_view text) {
  if (const auto whole = parse_integer(text)) return *whole;
  if (const auto number = parse_number(text)) return *number;
  return json::value(std::string(text));
}

std::string title_case(std::string_view text) {
  std::string out(text);
  bool start = true;
  for (char& c : out) {
    if (start) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    start = c == ' ';
  }
  return out;
}

}  // namespace pbx::netbox
