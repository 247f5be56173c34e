#pragma once
// NetBox relations as the sync reads and writes them. The lenient readers (json_int, json_string,
// …) live in common/json.hpp; they are named here too so the sync's code reads them unqualified.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/json.hpp"

namespace pbx::sync {

using common::field;
using common::json_bool;
using common::json_int;
using common::json_number;
using common::json_string;

// A relation of a NetBox read object: its id (nested object or bare id), its name; 0 / "" when
// absent.
int64_t nested_id(const boost::json::object& object, std::string_view key);
std::string nested_name(const boost::json::object& object, std::string_view key);
// A relation in NetBox's write form: the id, or null for 0 (not created yet, dry run).
boost::json::value id_or_null(int64_t id);

}  // namespace pbx::sync
