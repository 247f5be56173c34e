#include "proxmox/schema_patterns.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <utility>

#include "common/text.hpp"

namespace pbx::proxmox::validation {

namespace {

// Bounds the matcher's work per value; no legitimate pattern-checked value is this long.
constexpr size_t kMaxRegexInput = 4096;

// RE2 refuses counted repetitions above 1000 (`[0-9a-zA-Z!=]{0,4096}` in PVE's schema). Such a
// bound becomes open (`{0,}`): the value's maxLength still bounds it, and a pattern that accepts
// a little more is better than one that refuses valid values or is not checked at all.
// Returns the replacement and how many characters of `rest` it replaces.
std::optional<std::pair<std::string, size_t>> relax_large_repeat(std::string_view rest) {
  constexpr unsigned kRe2MaxRepeat = 1000;
  if (!rest.starts_with("{")) return std::nullopt;
  const size_t close = rest.find('}');
  if (close == std::string_view::npos) return std::nullopt;
  const std::string_view inside = rest.substr(1, close - 1);
  const size_t comma = inside.find(',');
  const auto number = [](std::string_view digits) {
    return common::parse_number<unsigned>(digits);
  };
  const auto low = number(inside.substr(0, comma));
  const auto high = comma == std::string_view::npos ? low : number(inside.substr(comma + 1));
  if (!low || *low > kRe2MaxRepeat || !high || *high <= kRe2MaxRepeat) return std::nullopt;
  return std::pair{"{" + std::to_string(*low) + ",}", close + 1};
}

}  // namespace

std::string translate_pattern(std::string_view perl, bool& icase) {
  std::string_view body = perl;
  if (body.size() >= 2 && body.front() == '/' && body.back() == '/')
    body = body.substr(1, body.size() - 2);
  std::string out;
  out.reserve(body.size() + 8);
  for (size_t i = 0; i < body.size();) {
    const std::string_view rest = body.substr(i);
    if (rest.starts_with("\\")) {
      out.append(rest.substr(0, 2));
      i += std::min<size_t>(2, rest.size());
    } else if (rest.starts_with("(?^i:")) {
      icase = true;
      out += "(?:";
      i += 5;
    } else if (rest.starts_with("(?^:")) {
      out += "(?:";
      i += 4;
    } else if (rest.starts_with("(?i)")) {
      icase = true;
      i += 4;
    } else if (rest.starts_with("(?m)")) {
      i += 4;
    } else if (rest.starts_with("(?>")) {
      out += "(?:";
      i += 3;
    } else if (rest.starts_with("(?P<")) {
      const size_t close = rest.find('>');
      out += "(";
      i += close == std::string_view::npos ? rest.size() : close + 1;
    } else if (rest.starts_with("[[:^")) {
      // Perl's negated POSIX class "[[:^cntrl:]]" is "[^[:cntrl:]]".
      const size_t close = rest.find(":]]");
      if (close == std::string_view::npos) return {};
      out += "[^[:";
      out.append(rest.substr(4, close - 4));
      out += ":]]";
      i += close + 3;
    } else if (rest.starts_with("{,")) {
      out += "{0,";
      i += 2;
    } else if (const auto relaxed = relax_large_repeat(rest)) {
      out += relaxed->first;
      i += relaxed->second;
    } else {
      out.push_back(rest.front());
      ++i;
    }
  }
  return "(?:" + out + ")";
}

namespace {

class PatternCache {
 public:
  // Null when the pattern uses Perl syntax RE2 cannot express: then it is not checked.
  const RE2* get(std::string_view pattern) {
    {
      std::shared_lock lock(mutex_);
      const auto it = cache_.find(std::string(pattern));
      if (it != cache_.end()) return it->second.get();
    }
    std::unique_ptr<RE2> compiled;
    bool icase = false;
    const std::string translated = translate_pattern(pattern, icase);
    if (!translated.empty()) {
      RE2::Options options;
      options.set_log_errors(false);
      options.set_case_sensitive(!icase);
      compiled = std::make_unique<RE2>(translated, options);
      if (!compiled->ok()) compiled.reset();
    }
    std::unique_lock lock(mutex_);
    auto& slot = cache_[std::string(pattern)];
    if (!slot) slot = std::move(compiled);
    return slot.get();
  }

 private:
  std::shared_mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<RE2>> cache_;
};

PatternCache& patterns() {
  static PatternCache cache;
  return cache;
}

}  // namespace

bool matches(std::string_view pattern, std::string_view text) {
  const RE2* regex = patterns().get(pattern);
  if (!regex) return true;
  if (text.size() > kMaxRegexInput) return false;
  return RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *regex);
}

}  // namespace pbx::proxmox::validation
