#include "proxmox/handler_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <functional>

#include "common/text.hpp"

namespace pbx::proxmox {

std::string value_text(const boost::json::value& value) {
  if (value.is_string()) return std::string(value.as_string());
  if (value.is_bool()) return value.as_bool() ? "1" : "0";
  if (value.is_int64()) return std::to_string(value.as_int64());
  if (value.is_uint64()) return std::to_string(value.as_uint64());
  if (value.is_double()) return fmt::format("{}", value.as_double());
  if (value.is_array()) {
    std::string joined;
    for (const auto& item : value.as_array()) {
      if (!joined.empty()) joined += ',';
      joined += value_text(item);
    }
    return joined;
  }
  return {};
}

std::optional<int64_t> leading_integer(std::string_view text) {
  const size_t digits = text.find_first_of("0123456789");
  if (digits == std::string_view::npos) return std::nullopt;
  return common::parse_number<int64_t>(text.substr(digits), {.trailing_text = true});
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

PropertyList property_string(std::string_view text) {
  PropertyList out;
  for (const auto& piece : split_list(text, ",")) {
    const size_t eq = piece.find('=');
    if (eq == std::string::npos) {
      out.emplace_back(piece, "");
    } else {
      out.emplace_back(piece.substr(0, eq), piece.substr(eq + 1));
    }
  }
  return out;
}

std::optional<std::string> property(const PropertyList& properties, std::string_view key) {
  const auto it = std::find_if(properties.begin(), properties.end(),
                               [&](const auto& entry) { return entry.first == key; });
  if (it == properties.end()) return std::nullopt;
  return it->second;
}

bool is_mac(std::string_view text) {
  if (text.size() != 17) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i % 3 == 2 ? text[i] != ':' : !std::isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

bool is_true(std::string_view text) {
  return text == "1" || text == "true" || text == "yes" || text == "on";
}

std::string content_digest(const boost::json::value& content) {
  const std::string text = boost::json::serialize(content);
  std::hash<std::string> hash;
  return fmt::format("{:016x}{:016x}{:08x}", hash(text), hash(text + "#"),
                     static_cast<uint32_t>(hash(text + "!")));
}

}  // namespace pbx::proxmox
