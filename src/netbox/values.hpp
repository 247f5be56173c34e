#pragma once
// Value coercion with Django REST Framework's / NetBox's rules and messages: strings, integers,
// booleans, IP addresses, Python-style reprs for error texts.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/sqlite.hpp"

namespace pbx::netbox {

// Python's repr() of a JSON value, as NetBox quotes request data in messages: {'name': 'x'}.
std::string python_repr(const boost::json::value& value);
// Python's type name of a JSON value ("dict", "list", "str", "int", "float", "bool", "NoneType").
std::string python_type(const boost::json::value& value);

std::optional<int64_t> parse_integer(std::string_view text);
// The integer at `name` of a stored object (an id, mostly); 0 when absent or not an integer.
int64_t int_field(const boost::json::object& data, std::string_view name);
// The string at `name` of a stored object; "" when absent or not a string.
std::string text_field(const boost::json::object& data, std::string_view name);
// Like parse_integer, but an integer beyond int64 is clamped to its limit instead of refused
// (Python's int has no limit: NetBox compares such a value, it does not reject it).
std::optional<int64_t> parse_integer_clamped(std::string_view text);
std::optional<double> parse_number(std::string_view text);

// A finite decimal number's digits as Python's Decimal(text).as_tuple() counts them: its
// significant digits (leading zeros dropped, at least one) and the exponent of the last one
// ("1.50" → 3 digits, exponent -2; "1e+308" → 1, 308). Nothing for anything else (inf, nan).
struct DecimalDigits {
  int64_t digits = 0;
  int64_t exponent = 0;
};
std::optional<DecimalDigits> decimal_digits(std::string_view text);
// DRF BooleanField spellings: true/false, yes/no, on/off, t/f, y/n, 1/0 (any case).
std::optional<bool> parse_boolean(std::string_view text);

// JSON scalar → SQLite value for binding (bool → 0/1). Arrays/objects → their JSON text.
common::SqlValue to_sql(const boost::json::value& value);

// "192.0.2.1/24" → canonical text; with `network` the host bits are cleared (prefixes). Fails
// with NetBox's message when invalid.
common::Result<std::string, std::string> normalize_ip(std::string_view text, bool network);
// A MAC address as NetBox's MACAddressField reads it (netaddr EUI-48: "aa:bb:cc:dd:ee:ff",
// "aa-bb-…", "aabb.ccdd.eeff", "aabbccddeeff", spaces ignored) → "AA:BB:CC:DD:EE:FF".
std::optional<std::string> normalize_mac(std::string_view text);
// 4 or 6 for a normalized address, 0 when unknown.
int ip_family(std::string_view address);

std::string now_iso8601();
size_t utf8_length(std::string_view text);
bool is_slug(std::string_view text);
// ISO 8601 date (YYYY-MM-DD) / date-time (YYYY-MM-DD[T ]hh:mm[:ss[.f]][Z|±hh:mm]).
bool is_iso_date(std::string_view text);
bool is_iso_datetime(std::string_view text);
// A value limit as NetBox prints it in its messages ("2147483647", "-1e6") as a JSON number;
// the text itself when it is not one.
boost::json::value limit_number(std::string_view text);
// Django's title(): the first letter of each word upper-cased, the rest kept ("MAC address" →
// "MAC Address", "site" → "Site").
std::string title_case(std::string_view text);

}  // namespace pbx::netbox
