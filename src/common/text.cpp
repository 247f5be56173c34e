#include "common/text.hpp"

#include <algorithm>

namespace pbx::common {
namespace {

char lower_char(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

char upper_char(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

}  // namespace

std::string_view trim(std::string_view text, std::string_view whitespace) {
  const size_t first = text.find_first_not_of(whitespace);
  // An all-whitespace text leaves an empty view at its end, as trimming front first would.
  if (first == std::string_view::npos) return text.substr(text.size());
  const size_t last = text.find_last_not_of(whitespace);
  return text.substr(first, last - first + 1);
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), lower_char);
  return out;
}

std::string to_upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), upper_char);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lower_char(x) == lower_char(y);
         });
}

std::vector<std::string> split_list(std::string_view text, std::string_view separators,
                                    std::string_view whitespace) {
  std::vector<std::string> out;
  while (true) {
    const size_t end = text.find_first_of(separators);
    const std::string_view piece = trim(text.substr(0, end), whitespace);
    if (!piece.empty()) out.emplace_back(piece);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

std::optional<bool> parse_boolean(std::string_view text, const BooleanWords& words) {
  const auto matches = [text](std::string_view word) { return iequals(text, word); };
  if (std::any_of(words.yes.begin(), words.yes.end(), matches)) return true;
  if (std::any_of(words.no.begin(), words.no.end(), matches)) return false;
  return std::nullopt;
}

}  // namespace pbx::common
