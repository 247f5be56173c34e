#pragma once
// Conversion of request text into a schema's type, and the full recursive check of a typed
// value against a Proxmox schema (type, format, enum, minimum/maximum, pattern,
// minLength/maxLength, property strings, properties/items, oneOf, optional).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>

#include "common/result.hpp"
#include "proxmox/schema_values.hpp"

namespace pbx::proxmox::validation {

// Converts a request value (string from a query/form, or any JSON value from a JSON body) to
// the schema's type, or the error message.
common::Result<boost::json::value, std::string> convert(const boost::json::object& schema,
                                                        const boost::json::value& raw);

// The first problem as Proxmox words it, prefixed by `location` for nested values.
ValueCheck check_at(const boost::json::object& schema, const boost::json::value& value,
                    const std::string& location);

// check_at without a location.
ValueCheck check_value(const boost::json::object& schema, const boost::json::value& value);

}  // namespace pbx::proxmox::validation
