#include "netbox/openapi_validator.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "netbox/values.hpp"

namespace pbx::netbox {
namespace {

namespace json = boost::json;

constexpr int kMaxDepth = 64;  // guards against cyclic $refs

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

bool type_matches(std::string_view type, const json::value& instance) {
  if (type == "object") return instance.is_object();
  if (type == "array") return instance.is_array();
  if (type == "string") return instance.is_string();
  if (type == "boolean") return instance.is_bool();
  if (type == "number") return instance.is_number();
  if (type == "integer") {
    return instance.is_int64() || instance.is_uint64() ||
           (instance.is_double() &&
            instance.get_double() ==
                static_cast<double>(static_cast<int64_t>(instance.get_double())));
  }
  return true;
}

const json::value* member(const json::object& object, std::string_view key) {
  return object.if_contains(key);
}

bool flag(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value && value->is_bool() && value->get_bool();
}

void check_enum(const json::object& schema, const json::value& instance, const std::string& where,
                std::vector<std::string>& problems) {
  if (const json::value* choices = member(schema, "enum"); choices && choices->is_array()) {
    bool found = false;
    for (const json::value& choice : choices->as_array()) {
      found = found || choice == instance ||
              (choice.is_number() && instance.is_number() &&
               choice.to_number<double>() == instance.to_number<double>());
    }
    if (!found) {
      problems.push_back(where + ": " + json::serialize(instance).substr(0, 80) +
                         " is not in the enum");
    }
  }
}

void check_string(const json::object& schema, std::string_view text, const std::string& where,
                  std::vector<std::string>& problems) {
  const size_t length = utf8_length(text);
  if (const json::value* max = member(schema, "maxLength");
      max && max->is_number() && length > max->to_number<size_t>()) {
    problems.push_back(where + ": longer than maxLength " + json::serialize(*max));
  }
  if (const json::value* min = member(schema, "minLength");
      min && min->is_number() && length < min->to_number<size_t>()) {
    problems.push_back(where + ": shorter than minLength " + json::serialize(*min));
  }
  if (const json::value* format = member(schema, "format"); format && format->is_string()) {
    if (format->get_string() == "date-time" && !is_iso_datetime(text)) {
      problems.push_back(where + ": not a date-time: " + std::string(text));
    }
    if (format->get_string() == "uri" && !text.starts_with("http://") &&
        !text.starts_with("https://")) {
      problems.push_back(where + ": not an absolute URI: " + std::string(text));
    }
  }
}

void check_number(const json::object& schema, double value, const std::string& where,
                  std::vector<std::string>& problems) {
  const json::value* min = member(schema, "minimum");
  const json::value* max = member(schema, "maximum");
  if (min && min->is_number()) {
    const double bound = min->to_number<double>();
    if (value < bound || (flag(schema, "exclusiveMinimum") && value == bound)) {
      problems.push_back(where + ": below minimum");
    }
  }
  if (max && max->is_number()) {
    const double bound = max->to_number<double>();
    if (value > bound || (flag(schema, "exclusiveMaximum") && value == bound)) {
      problems.push_back(where + ": above maximum");
    }
  }
}

}  // namespace

OpenApiDocument::OpenApiDocument(json::value document) : document_(std::move(document)) {
  if (!document_.is_object() || !document_.as_object().contains("paths")) {
    throw std::runtime_error("not an OpenAPI document: no \"paths\"");
  }
}

OpenApiDocument OpenApiDocument::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read OpenAPI document " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code code;
  json::value document = json::parse(text.str(), code);
  if (code) throw std::runtime_error(file.string() + ": " + code.message());
  return OpenApiDocument(std::move(document));
}

std::optional<OperationRef> OpenApiDocument::find_operation(std::string_view method,
                                                            std::string_view concrete_path) const {
  const auto wanted = segments(concrete_path);
  std::optional<OperationRef> best;
  int best_literals = -1;
  for (const auto& [path, item] : document_.at("paths").as_object()) {
    const auto parts = segments(path);
    if (parts.size() != wanted.size() || !item.is_object()) continue;
    int literals = 0;
    bool matches = true;
    for (size_t i = 0; i < parts.size() && matches; ++i) {
      const bool parameter = parts[i].size() > 1 && parts[i].front() == '{';
      if (parameter) continue;
      matches = parts[i] == wanted[i];
      ++literals;
    }
    const json::value* operation = item.as_object().if_contains(method);
    if (matches && operation && operation->is_object() && literals > best_literals) {
      best = OperationRef{std::string(path), &operation->as_object()};
      best_literals = literals;
    }
  }
  return best;
}

const json::value* OpenApiDocument::request_schema(const json::object& operation) const {
  const json::value* body = member(operation, "requestBody");
  if (!body || !body->is_object()) return nullptr;
  const json::value* content = member(body->as_object(), "content");
  const json::value* media =
      content && content->is_object() ? member(content->as_object(), "application/json") : nullptr;
  return media && media->is_object() ? member(media->as_object(), "schema") : nullptr;
}

const json::value* OpenApiDocument::response_schema(const json::object& operation,
                                                    unsigned status) const {
  const json::value* responses = member(operation, "responses");
  if (!responses || !responses->is_object()) return nullptr;
  const json::value* response = member(responses->as_object(), std::to_string(status));
  if (!response) response = member(responses->as_object(), "default");
  if (!response || !response->is_object()) return nullptr;
  const json::value* content = member(response->as_object(), "content");
  const json::value* media =
      content && content->is_object() ? member(content->as_object(), "application/json") : nullptr;
  return media && media->is_object() ? member(media->as_object(), "schema") : nullptr;
}

std::vector<std::pair<std::string, std::string>> OpenApiDocument::operations() const {
  std::vector<std::pair<std::string, std::string>> result;
  for (const auto& [path, item] : document_.at("paths").as_object()) {
    if (!item.is_object()) continue;
    for (const auto& [method, operation] : item.as_object()) {
      if (operation.is_object() && operation.as_object().contains("responses")) {
        result.emplace_back(std::string(method), std::string(path));
      }
    }
  }
  return result;
}

const json::value& OpenApiDocument::resolve(const json::value& schema) const {
  const json::value* current = &schema;
  for (int hops = 0; hops < kMaxDepth; ++hops) {
    if (!current->is_object()) return *current;
    const json::value* ref = current->as_object().if_contains("$ref");
    if (!ref || !ref->is_string()) return *current;
    const std::string_view pointer = ref->get_string();
    if (!pointer.starts_with("#/")) throw std::runtime_error("external $ref unsupported");
    const json::value* target = &document_;
    for (const auto part : segments(pointer.substr(1))) {
      target = target->is_object() ? target->as_object().if_contains(part) : nullptr;
      if (!target) throw std::runtime_error("unresolved $ref " + std::string(pointer));
    }
    current = target;
  }
  throw std::runtime_error("$ref chain too deep");
}

std::vector<std::string> OpenApiDocument::validate(const json::value& schema,
                                                   const json::value& instance,
                                                   Direction direction) const {
  std::vector<std::string> problems;
  check(schema, instance, direction, "$", problems, 0);
  return problems;
}

void OpenApiDocument::check(const json::value& raw_schema, const json::value& instance,
                            Direction direction, const std::string& where,
                            std::vector<std::string>& problems, int depth) const {
  if (depth > kMaxDepth) {
    problems.push_back(where + ": schema nesting too deep");
    return;
  }
  const json::value& resolved = resolve(raw_schema);
  if (!resolved.is_object()) return;  // `true`/{}-like schemas accept anything
  const json::object& schema = resolved.as_object();
  if (instance.is_null()) {
    // Only an explicit `nullable` admits null; a bare schema ({}) accepts anything.
    const bool constrained = schema.contains("type") || schema.contains("allOf") ||
                             schema.contains("oneOf") || schema.contains("anyOf") ||
                             schema.contains("enum") || schema.contains("properties") ||
                             schema.contains("$ref");
    if (!flag(schema, "nullable") && constrained) {
      problems.push_back(where + ": null is not allowed");
    }
    return;
  }
  check_combinators(schema, instance, direction, where, problems, depth);
  if (const json::value* type = member(schema, "type"); type && type->is_string()) {
    if (!type_matches(type->get_string(), instance)) {
      problems.push_back(where + ": expected " + std::string(type->get_string()) + ", got " +
                         json::serialize(instance).substr(0, 80));
      return;
    }
  }
  check_enum(schema, instance, where, problems);
  if (instance.is_string()) check_string(schema, instance.get_string(), where, problems);
  if (instance.is_number()) check_number(schema, instance.to_number<double>(), where, problems);
  if (instance.is_array()) {
    if (const json::value* items = member(schema, "items")) {
      size_t index = 0;
      for (const json::value& item : instance.as_array()) {
        check(*items, item, direction, where + "[" + std::to_string(index++) + "]", problems,
              depth + 1);
      }
    }
  }
  if (instance.is_object()) {
    check_object(schema, instance.as_object(), direction, where, problems, depth);
  }
}

// allOf: every part holds; oneOf: exactly one option does; anyOf: at least one.
void OpenApiDocument::check_combinators(const json::object& schema, const json::value& instance,
                                        Direction direction, const std::string& where,
                                        std::vector<std::string>& problems, int depth) const {
  if (const json::value* all = member(schema, "allOf"); all && all->is_array()) {
    for (const json::value& part : all->as_array()) {
      check(part, instance, direction, where, problems, depth + 1);
    }
  }
  for (const char* combinator : {"oneOf", "anyOf"}) {
    const json::value* options = member(schema, combinator);
    if (!options || !options->is_array()) continue;
    size_t matching = 0;
    std::vector<std::string> first_failure;
    for (const json::value& option : options->as_array()) {
      std::vector<std::string> attempt;
      check(option, instance, direction, where, attempt, depth + 1);
      if (attempt.empty()) {
        ++matching;
      } else if (first_failure.empty()) {
        first_failure = std::move(attempt);
      }
    }
    const bool one_of = std::string_view(combinator) == "oneOf";
    if (matching == 0) {
      problems.push_back(where + ": matches none of " + combinator +
                         (first_failure.empty() ? "" : " (first: " + first_failure.front() + ")"));
    } else if (one_of && matching > 1) {
      problems.push_back(where + ": matches " + std::to_string(matching) + " oneOf options");
    }
  }
}

// Required properties (but a request's read-only and a response's write-only ones), declared
// properties by their schemas, undeclared ones by additionalProperties.
void OpenApiDocument::check_object(const json::object& schema, const json::object& object,
                                   Direction direction, const std::string& where,
                                   std::vector<std::string>& problems, int depth) const {
  const json::value* properties = member(schema, "properties");
  const json::object* declared =
      properties && properties->is_object() ? &properties->as_object() : nullptr;
  if (const json::value* required = member(schema, "required"); required && required->is_array()) {
    for (const json::value& name : required->as_array()) {
      if (!name.is_string() || object.contains(name.get_string())) continue;
      const json::value* property = declared ? declared->if_contains(name.get_string()) : nullptr;
      const json::value& property_schema = property ? resolve(*property) : name;
      const bool skipped =
          property_schema.is_object() &&
          ((direction == Direction::Request && flag(property_schema.as_object(), "readOnly")) ||
           (direction == Direction::Response && flag(property_schema.as_object(), "writeOnly")));
      if (!skipped) {
        problems.push_back(where + ": missing required property " + std::string(name.get_string()));
      }
    }
  }
  const json::value* additional = member(schema, "additionalProperties");
  for (const auto& [key, value] : object) {
    const std::string child = where + "." + std::string(key);
    const json::value* property = declared ? declared->if_contains(key) : nullptr;
    if (property) {
      const json::value& property_schema = resolve(*property);
      if (direction == Direction::Request && property_schema.is_object() &&
          flag(property_schema.as_object(), "readOnly")) {
        problems.push_back(child + ": read-only property sent in a request");
        continue;
      }
      check(*property, value, direction, child, problems, depth + 1);
    } else if (additional && additional->is_bool() && !additional->get_bool()) {
      problems.push_back(child + ": unexpected property");
    } else if (additional && additional->is_object()) {
      check(*additional, value, direction, child, problems, depth + 1);
    }
  }
}

}  // namespace pbx::netbox
