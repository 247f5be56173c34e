#include "proxmox/parameter_validation.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cctype>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/text.hpp"
#include "http/multipart.hpp"
#include "proxmox/schema_checks.hpp"
#include "proxmox/schema_json.hpp"
#include "proxmox/schema_values.hpp"

namespace pbx::proxmox {

namespace json = boost::json;
using validation::as_object;
using validation::check_at;
using validation::check_value;
using validation::convert;
using validation::display;
using validation::schema_type;
using validation::valid_utf8;

namespace {

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
