#pragma once
// Enum names declared once: an enum described with BOOST_DESCRIBE_ENUM (next to its declaration)
// is written and read by its enumerators' names. Where an interface spells a value otherwise,
// the parser is given that spelling explicitly (`EnumAlias`), so each difference is visible at
// the one place that accepts it. Matching is exact; callers that accept any case or surrounding
// blanks normalise first (common::trim, common::to_lower).

#include <boost/describe/enum.hpp>
#include <boost/describe/enumerators.hpp>
#include <boost/mp11/algorithm.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace pbx::common {

template <class E>
concept DescribedEnum = std::is_enum_v<E> && boost::describe::has_describe_enumerators<E>::value;

// Another spelling an interface accepts for `value` (parsing only; names are written canonical).
template <class E>
struct EnumAlias {
  std::string_view text;
  E value;
};

// The enumerator's name ("virtual_machines"); "" for a value that is no enumerator.
template <DescribedEnum E>
std::string_view enum_name(E value) {
  std::string_view name;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto enumerator) {
    if (enumerator.value == value) name = enumerator.name;
  });
  return name;
}

// The enumerator `text` names, or one of `aliases`; nullopt otherwise.
template <DescribedEnum E>
std::optional<E> parse_enum(std::string_view text, std::span<const EnumAlias<E>> aliases = {}) {
  std::optional<E> found;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto enumerator) {
    if (!found && text == enumerator.name) found = enumerator.value;
  });
  for (const auto& alias : aliases) {
    if (!found && text == alias.text) found = alias.value;
  }
  return found;
}

// Every enumerator's name in declaration order, joined by `separator` ("dev, release").
template <DescribedEnum E>
std::string enum_names(std::string_view separator = ", ") {
  std::string joined;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto enumerator) {
    if (!joined.empty()) joined += separator;
    joined += enumerator.name;
  });
  return joined;
}

}  // namespace pbx::common
