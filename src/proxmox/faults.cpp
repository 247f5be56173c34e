#include "proxmox/faults.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <cmath>
#include <stdexcept>

#include "common/enum_names.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;

enum class LatencyKind { none, fixed, uniform, lognormal };
BOOST_DESCRIBE_ENUM(LatencyKind, none, fixed, uniform, lognormal)

// A rule's pattern is client input: RE2 matches in time linear in the path and without
// recursion, so no pattern can hang or crash the mock (std::regex overflowed its stack on
// `^/(a|b)*$` and a 15,000-character path, and took seconds on `(a|a)*b`). These bounds keep a
// rule's compiled program small.
constexpr size_t kMaxPatternLength = 1024;
constexpr int64_t kMaxPatternMemory = 1 << 20;

[[noreturn]] void bad_rule(std::string_view field, std::string_view message) {
  throw std::invalid_argument(fmt::format("fault rule: {}: {}", field, message));
}

double number_field(const json::object& object, std::string_view key, std::string_view context,
                    std::optional<double> fallback = std::nullopt) {
  const auto it = object.find(key);
  if (it == object.end()) {
    if (fallback) return *fallback;
    bad_rule(fmt::format("{}.{}", context, key), "required");
  }
  if (!it->value().is_number()) bad_rule(fmt::format("{}.{}", context, key), "expected a number");
  const double value = it->value().to_number<double>();
  if (!std::isfinite(value) || value < 0) {
    bad_rule(fmt::format("{}.{}", context, key), "must be a finite number >= 0");
  }
  return value;
}

std::unique_ptr<RE2> compile_path_regex(std::string_view pattern) {
  if (pattern.size() > kMaxPatternLength) {
    bad_rule("path_regex", fmt::format("longer than {} characters", kMaxPatternLength));
  }
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kMaxPatternMemory);
  auto regex = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!regex->ok()) {
    bad_rule("path_regex",
             fmt::format("not a valid RE2 regular expression ({}); RE2 has no backreferences "
                         "or lookaround",
                         regex->error()));
  }
  return regex;
}

double rate_field(const json::object& object, std::string_view key) {
  const double rate = number_field(object, key, "rule", 0.0);
  if (rate > 1) bad_rule(key, "must be between 0 and 1");
  return rate;
}

}  // namespace

struct FaultInjector::Rule {
  int id = 0;
  json::value source;
  std::optional<http::Verb> method;  // nullopt: any
  std::string glob = "*";
  std::unique_ptr<RE2> regex;
  LatencyKind latency = LatencyKind::none;
  double a = 0;  // fixed ms | uniform min | lognormal median
  double b = 0;  // uniform max | lognormal sigma
  std::optional<unsigned> error_status;
  double error_rate = 1;
  std::string error_message;
  double reset_rate = 0;
  double truncate_rate = 0;

  bool matches(http::Verb request_method, std::string_view path) const {
    if (method && *method != request_method) return false;
    if (regex) return RE2::PartialMatch(path, *regex);
    return glob_match(glob, path);
  }
};

bool glob_match(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

FaultInjector::FaultInjector(uint64_t seed) : random_(seed) {}
FaultInjector::~FaultInjector() = default;

int FaultInjector::add(const json::value& value) {
  if (!value.is_object()) bad_rule("rule", "expected a JSON object");
  const json::object& object = value.as_object();
  static const std::vector<std::string_view> kKeys = {
      "method", "path", "path_regex", "latency", "error", "reset_rate", "truncate_rate", "id"};
  for (const auto& [key, unused] : object) {
    if (std::find(kKeys.begin(), kKeys.end(), std::string_view(key)) == kKeys.end()) {
      bad_rule(std::string_view(key), "unknown key");
    }
  }
  auto rule = std::make_unique<Rule>();
  if (const auto* method = object.if_contains("method")) {
    if (!method->is_string()) bad_rule("method", "expected a string");
    const std::string_view text = method->as_string();
    if (text != "*" && !text.empty()) {
      const auto verb = boost::beast::http::string_to_verb(text);
      if (verb == http::Verb::unknown) bad_rule("method", "unknown HTTP method");
      rule->method = verb;
    }
  }
  if (const auto* path = object.if_contains("path")) {
    if (!path->is_string()) bad_rule("path", "expected a string");
    rule->glob = std::string(path->as_string());
  }
  if (const auto* pattern = object.if_contains("path_regex")) {
    if (!pattern->is_string()) bad_rule("path_regex", "expected a string");
    rule->regex = compile_path_regex(pattern->as_string());
  }
  if (const auto* latency = object.if_contains("latency")) {
    if (!latency->is_object()) bad_rule("latency", "expected an object");
    const json::object& spec = latency->as_object();
    const auto* kind = spec.if_contains("kind");
    const std::string_view kind_name =
        kind != nullptr && kind->is_string() ? std::string_view(kind->as_string()) : "fixed";
    const auto parsed = common::parse_enum<LatencyKind>(kind_name);
    rule->latency = parsed.value_or(LatencyKind::none);
    switch (rule->latency) {
      case LatencyKind::fixed:
        rule->a = number_field(spec, "ms", "latency");
        break;
      case LatencyKind::uniform:
        rule->a = number_field(spec, "min_ms", "latency");
        rule->b = number_field(spec, "max_ms", "latency");
        if (rule->b < rule->a) bad_rule("latency.max_ms", "must be >= min_ms");
        break;
      case LatencyKind::lognormal:
        rule->a = number_field(spec, "median_ms", "latency");
        rule->b = number_field(spec, "sigma", "latency", 0.5);
        if (rule->a <= 0) bad_rule("latency.median_ms", "must be > 0");
        break;
      case LatencyKind::none:  // not a kind a rule may name
        bad_rule("latency.kind", "must be fixed, uniform or lognormal");
    }
  }
  if (const auto* error = object.if_contains("error")) {
    if (!error->is_object()) bad_rule("error", "expected an object");
    const json::object& spec = error->as_object();
    const double status = number_field(spec, "status", "error");
    if (status < 400 || status > 599 || status != std::floor(status)) {
      bad_rule("error.status", "must be an HTTP status 400..599");
    }
    rule->error_status = static_cast<unsigned>(status);
    rule->error_rate = number_field(spec, "rate", "error", 1.0);
    if (rule->error_rate > 1) bad_rule("error.rate", "must be between 0 and 1");
    if (const auto* message = spec.if_contains("message"); message && message->is_string()) {
      rule->error_message = std::string(message->as_string());
    }
  }
  rule->reset_rate = rate_field(object, "reset_rate");
  rule->truncate_rate = rate_field(object, "truncate_rate");

  std::lock_guard lock(mutex_);
  rule->id = next_id_++;
  json::object source = object;
  source["id"] = rule->id;
  rule->source = std::move(source);
  rules_.push_back(std::move(rule));
  return rules_.back()->id;
}

bool FaultInjector::remove(int id) {
  std::lock_guard lock(mutex_);
  return std::erase_if(rules_, [id](const auto& rule) { return rule->id == id; }) > 0;
}

void FaultInjector::clear() {
  std::lock_guard lock(mutex_);
  rules_.clear();
}

bool FaultInjector::empty() const {
  std::lock_guard lock(mutex_);
  return rules_.empty();
}

json::value FaultInjector::list() const {
  std::lock_guard lock(mutex_);
  json::array out;
  for (const auto& rule : rules_)
    out.push_back(rule->source);
  return out;
}

FaultDecision FaultInjector::decide(http::Verb method, std::string_view path) {
  FaultDecision decision;
  std::lock_guard lock(mutex_);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  bool drawn = false;  // an error, reset or truncation already chosen
  double delay_ms = 0;
  for (const auto& rule : rules_) {
    if (!rule->matches(method, path)) continue;
    switch (rule->latency) {
      case LatencyKind::none:
        break;
      case LatencyKind::fixed:
        delay_ms += rule->a;
        break;
      case LatencyKind::uniform:
        delay_ms += std::uniform_real_distribution<double>(rule->a, rule->b)(random_);
        break;
      case LatencyKind::lognormal:
        delay_ms += std::lognormal_distribution<double>(std::log(rule->a), rule->b)(random_);
        break;
    }
    if (drawn) continue;
    if (rule->reset_rate > 0 && unit(random_) < rule->reset_rate) {
      decision.reset = drawn = true;
    } else if (rule->truncate_rate > 0 && unit(random_) < rule->truncate_rate) {
      decision.truncate = drawn = true;
    } else if (rule->error_status && unit(random_) < rule->error_rate) {
      decision.error_status = rule->error_status;
      decision.error_message = rule->error_message.empty() ? "injected fault" : rule->error_message;
      drawn = true;
    }
  }
  // Cap absurd lognormal tails so one unlucky draw cannot hang a test for minutes.
  delay_ms = std::min(delay_ms, 60'000.0);
  decision.delay = std::chrono::microseconds(static_cast<int64_t>(delay_ms * 1000));
  return decision;
}

}  // namespace pbx::proxmox
