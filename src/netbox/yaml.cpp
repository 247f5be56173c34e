#include "netbox/yaml.hpp"

#include <boost/json/serialize.hpp>

namespace pbx::netbox {
namespace {

namespace json = boost::json;

bool is_block(const json::value& value) {
  return (value.is_object() && !value.get_object().empty()) ||
         (value.is_array() && !value.get_array().empty());
}

// Scalars, {} and [] on one line.
std::string inline_text(const json::value& value) {
  if (value.is_object()) return "{}";
  if (value.is_array()) return "[]";
  return json::serialize(value);
}

void write(const json::value& value, int indent, std::string& out);

// After "key:" or "- ": a scalar on the same line, a block on the following lines.
void write_child(const json::value& value, int indent, std::string& out) {
  if (!is_block(value)) {
    out += " " + inline_text(value) + "\n";
    return;
  }
  out += "\n";
  write(value, indent, out);
}

void write(const json::value& value, int indent, std::string& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  if (value.is_object()) {
    for (const auto& [key, child] : value.get_object()) {
      out += pad + json::serialize(json::value(key)) + ":";
      write_child(child, indent + 2, out);
    }
  } else if (value.is_array()) {
    for (const json::value& item : value.get_array()) {
      out += pad + "-";
      write_child(item, indent + 2, out);
    }
  } else {
    out += pad + inline_text(value) + "\n";
  }
}

}  // namespace

std::string to_yaml(const json::value& value) {
  std::string out;
  if (is_block(value)) {
    write(value, 0, out);
  } else {
    out = inline_text(value) + "\n";
  }
  return out;
}

}  // namespace pbx::netbox
