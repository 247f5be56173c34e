#include "netbox/errors.hpp"

#include <boost/json/array.hpp>

namespace pbx::netbox {

namespace json = boost::json;

namespace {
constexpr char kKeySeparator = '\x1f';  // never in a field name
}  // namespace

std::string keyed_error(std::string_view field, std::string_view name) {
  return std::string(field) + kKeySeparator + std::string(name);
}

json::object to_json(const Errors& errors) {
  json::object out;
  for (const auto& [key, messages] : errors) {
    if (const size_t at = key.find(kKeySeparator); at != std::string::npos && !messages.empty()) {
      json::value& field = out[key.substr(0, at)];
      if (!field.is_object()) field = json::object{};
      field.as_object()[key.substr(at + 1)] = messages.front();
      continue;
    }
    json::array list;
    for (const auto& message : messages)
      list.emplace_back(message);
    out[key] = std::move(list);
  }
  return out;
}

http::Response bad_request(const Errors& errors) {
  return http::Response::json(http::Status::bad_request, to_json(errors));
}

http::Response detail(http::Status status, std::string_view message) {
  return http::Response::json(status, json::object{{"detail", message}});
}

http::Response not_found(const Model& model) {
  return detail(http::Status::not_found, "No " + model.class_name + " matches the given query.");
}

}  // namespace pbx::netbox
