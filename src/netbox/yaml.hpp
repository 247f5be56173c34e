#pragma once
// A JSON value as YAML block text (what NetBox's /api/schema/ serves by default). Every key and
// string is written double-quoted with JSON's escapes, which YAML 1.2 reads identically, so no
// value can change meaning (no "yes"/"no"/"1e3" surprises).

#include <boost/json/value.hpp>
#include <string>

namespace pbx::netbox {

std::string to_yaml(const boost::json::value& value);

}  // namespace pbx::netbox
