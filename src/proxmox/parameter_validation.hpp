#pragma once
// Request parameter validation as pveproxy does it (PVE::JSONSchema): the effective parameters
// are the path captures, the query (GET/DELETE) and the body (POST/PUT, form-urlencoded or JSON),
// checked against the operation's "parameters" schema.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/result.hpp"
#include "http/message.hpp"
#include "proxmox/api_schema.hpp"

namespace pbx::proxmox {

// Parameters converted to their schema types: "integer" → int64, "number" → double,
// "boolean" → bool (true/false, whatever spelling the client used), "string" → string,
// "array" → array of strings. Names matched through "net[n]"-style properties keep the
// name the client sent ("net0"). A repeated name (allowed for "-list"/array parameters) keeps
// every value: an array of the converted values.
struct ValidatedParams {
  boost::json::object values;
};

// param → message, worded as Proxmox words them ("property is missing and it is not optional").
// Errors that are not about one parameter (malformed body, invalid UTF-8) use the key "body".
struct ValidationErrors {
  std::map<std::string, std::string> errors;
  // The HTTP reason the real API sends with the 400.
  std::string reason = "Parameter verification failed.";
};

// Proxmox's 400 body: {"data": null, "errors": {"<param>": "<message>"}}.
boost::json::object error_body(const ValidationErrors& errors);

// Never throws for bad input; the request path params must already be filled (ApiSchema::find).
common::Result<ValidatedParams, ValidationErrors> validate_request(const Operation& operation,
                                                                   const http::Request& request);

// Checks one typed value against a Proxmox JSON schema (parameter or `returns` dialect: type,
// format, enum, minimum/maximum, pattern, minLength/maxLength, properties/items, optional).
// Returns the first problem as Proxmox words it, prefixed by its location for nested values
// ("data[0].vmid: ..."); done when valid. Used for `returns` samples and in tests.
common::Result<void, std::string> validate_value(const boost::json::value& schema,
                                                 const boost::json::value& value,
                                                 std::string_view location = {});

}  // namespace pbx::proxmox
