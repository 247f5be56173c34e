#pragma once
// Text helpers every layer uses: trimming, ASCII case, splitting lists, reading booleans and
// numbers. All ASCII and locale-independent (the "C" locale's rules, which every copy these
// replace relied on), so a result never depends on the process's locale. What an API accepts
// (which characters separate its lists, which words are its booleans, whether a number may carry
// a '+') stays with that API's module and is passed in, so the differences remain visible.

#include <charconv>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace pbx::common {

// What std::isspace accepts in the "C" locale.
inline constexpr std::string_view kWhitespace = " \t\n\v\f\r";
// HTTP's optional whitespace (RFC 9110 section 5.6.3): spaces and tabs, not line ends.
inline constexpr std::string_view kBlanks = " \t";

// `text` without leading and trailing characters of `whitespace`.
std::string_view trim(std::string_view text, std::string_view whitespace = kWhitespace);

// ASCII case mapping; other bytes (UTF-8 included) are kept as they are.
std::string to_lower(std::string_view text);
std::string to_upper(std::string_view text);
// Equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

// The pieces of `text` between any of `separators`, each trimmed of `whitespace` (nothing by
// default), empty pieces dropped: split_list(" a,,b ;c", ",;", kWhitespace) → {"a", "b", "c"}.
std::vector<std::string> split_list(std::string_view text, std::string_view separators,
                                    std::string_view whitespace = {});

// The spellings an API accepts for true and for false, in lower case.
struct BooleanWords {
  std::span<const std::string_view> yes;
  std::span<const std::string_view> no;
};
// true or false when `text` is one of `words` in any ASCII case; nullopt otherwise.
std::optional<bool> parse_boolean(std::string_view text, const BooleanWords& words);

// What a number's text may look like besides what std::from_chars reads.
struct NumberForm {
  bool plus_sign = false;           // one leading '+' is skipped before the number is read
  bool trailing_text = false;       // the number may be followed by anything ("12abc" → 12)
  bool leading_whitespace = false;  // kWhitespace before the number (and its sign) is skipped
  int base = 10;                    // integers only: the digits' base (2 to 36, no "0x")
};
// What C's atoi/strtol read: leading whitespace, a sign, then digits, anything after them.
inline constexpr NumberForm kLeadingNumber{
    .plus_sign = true, .trailing_text = true, .leading_whitespace = true};

// The number `text` spells (std::from_chars: no spaces, no '+' unless allowed, no "0x");
// nullopt when it is not one or does not fit in T. Floating point accepts "inf"/"nan".
template <class T>
requires(std::is_arithmetic_v<T> &&
         !std::is_same_v<T, bool>) std::optional<T> parse_number(std::string_view text,
                                                                 NumberForm form = {}) {
  if (form.leading_whitespace) {
    const size_t first = text.find_first_not_of(kWhitespace);
    text.remove_prefix(first == std::string_view::npos ? text.size() : first);
  }
  if (form.plus_sign && text.starts_with('+')) text.remove_prefix(1);
  T value{};
  const char* const last = text.data() + text.size();
  std::from_chars_result result{};
  if constexpr (std::is_integral_v<T>) {
    result = std::from_chars(text.data(), last, value, form.base);
  } else {
    result = std::from_chars(text.data(), last, value);
  }
  const auto [end, error] = result;
  if (error != std::errc{} || (!form.trailing_text && end != last)) return std::nullopt;
  return value;
}

}  // namespace pbx::common
