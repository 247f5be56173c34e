#include "netbox/errors.hpp"

#include <boost/json/array.hpp>

namespace pbx::netbox {

namespace json = boost::json;

json::object to_json(const Errors& errors) {
  json::object out;
  for (const auto& [key, messages] : errors) {
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
