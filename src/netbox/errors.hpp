#pragma once
// NetBox's error answers: field-keyed messages ({"name": ["..."], "__all__": ["..."]}) and
// {"detail": "..."}.

#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"
#include "netbox/model.hpp"

namespace pbx::netbox {

// Field-keyed messages in NetBox's 400 shape.
using Errors = std::map<std::string, std::vector<std::string>>;

// The key of a message DRF renders inside its field as {"<field>": {"<name>": "<message>"}}
// (a ValidationError raised with a dict by the field itself); to_json nests it.
std::string keyed_error(std::string_view field, std::string_view name);

boost::json::object to_json(const Errors& errors);
// 400 with the field-keyed messages.
http::Response bad_request(const Errors& errors);
http::Response detail(http::Status status, std::string_view message);
// 404 "No <Class> matches the given query."
http::Response not_found(const Model& model);

}  // namespace pbx::netbox
