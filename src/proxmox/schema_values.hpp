#pragma once
// Reading a JSON value against the Proxmox schema dialect: the schema's type, a value as a number
// or as the text an error message shows, and the UTF-8 checks pveproxy applies to request text.
// Shared by the pieces of parameter validation (schema_checks, schema_formats, the request side).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace pbx::proxmox::validation {

using ValueCheck = common::Result<void, std::string>;  // valid, or the problem as Proxmox words it
using Refused = common::Failure<std::string>;

const boost::json::object* as_object(const boost::json::value* value);
// "type", else inferred: "object" with properties, "array" with items, else "any".
std::string_view schema_type(const boost::json::object& schema);
std::optional<double> number_of(const boost::json::value& value);
// A bound as Proxmox prints it: integral numbers without a fraction.
std::string number_text(double number);
// How a value reads in an error message: strings bare, everything else as JSON.
std::string display(const boost::json::value& value);
size_t utf8_length(std::string_view text);
bool valid_utf8(std::string_view text);

}  // namespace pbx::proxmox::validation
