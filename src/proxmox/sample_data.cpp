#include "proxmox/sample_data.hpp"

#include <algorithm>
#include <array>
#include <boost/beast/http/verb.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstdio>
#include <string>

#include "common/text.hpp"
#include "proxmox/parameter_validation.hpp"
#include "proxmox/schema_json.hpp"

namespace pbx::proxmox {

namespace json = boost::json;

namespace {

constexpr int kMaxDepth = 8;
constexpr int64_t kEpochBase = 1767225600;  // 2026-01-01: recent enough to look live

uint64_t fnv1a(std::string_view text, uint64_t hash = 1469598103934665603ULL) {
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::optional<double> bound(const json::object& schema, std::string_view key) {
  const auto* value = schema.if_contains(key);
  if (!value) return std::nullopt;
  if (value->is_int64()) return static_cast<double>(value->get_int64());
  if (value->is_uint64()) return static_cast<double>(value->get_uint64());
  if (value->is_double()) return value->get_double();
  return std::nullopt;
}

// Builds one string a (Perl-dialect) pattern matches: first alternative, the smallest useful
// repetition, the first member of each character class. Enough for the id/fingerprint/URL
// shapes Proxmox schemas use; the result is still checked by validate_value.
class PatternExample {
 public:
  explicit PatternExample(std::string_view pattern) : text_(pattern) {
    if (text_.size() >= 2 && text_.front() == '/' && text_.back() == '/')
      text_ = text_.substr(1, text_.size() - 2);
  }
  std::string build() {
    std::string out = alternatives();
    return out;
  }

 private:
  bool done() const { return at_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[at_]; }

  std::string alternatives() {
    std::string first = sequence();
    while (peek() == '|') {
      ++at_;
      sequence();  // parsed to skip it; the first alternative is the example
    }
    return first;
  }

  std::string sequence() {
    std::string out;
    while (!done() && peek() != '|' && peek() != ')') {
      std::string piece = atom();
      out += repeat(piece);
    }
    return out;
  }

  std::string repeat(const std::string& piece) {
    size_t count = 1;
    if (peek() == '*' || peek() == '+' || peek() == '?') {
      ++at_;
    } else if (peek() == '{') {
      const size_t close = text_.find('}', at_);
      if (close == std::string_view::npos) return piece;
      const auto inside = text_.substr(at_ + 1, close - at_ - 1);
      at_ = close + 1;
      const size_t minimum =
          common::parse_number<size_t>(inside, {.trailing_text = true}).value_or(0);
      count = std::max<size_t>(minimum, inside.find(',') == std::string_view::npos ? minimum : 1);
      count = std::min<size_t>(count, 256);
    } else {
      return piece;
    }
    if (peek() == '?' || peek() == '+') ++at_;  // lazy / possessive
    std::string out;
    for (size_t i = 0; i < count; ++i)
      out += piece;
    return out;
  }

  std::string atom() {
    const char c = text_[at_++];
    switch (c) {
      case '^':
      case '$':
        return {};
      case '.':
        return "a";
      case '\\':
        return escape();
      case '[':
        return std::string(1, character_class());
      case '(':
        return group();
      default:
        return std::string(1, c);
    }
  }

  std::string escape() {
    if (done()) return {};
    const char c = text_[at_++];
    switch (c) {
      case 'd':
        return "1";
      case 'w':
      case 'S':
        return "a";
      case 's':
        return " ";
      case 'A':
      case 'z':
      case 'Z':
      case 'b':
        return {};
      default:
        return std::string(1, c);
    }
  }

  char character_class() {
    bool negated = false;
    if (peek() == '^') {
      negated = true;
      ++at_;
    }
    std::string members;
    bool first = true;
    while (!done() && (peek() != ']' || first)) {
      first = false;
      if (text_.substr(at_).starts_with("[:")) {
        const size_t close = text_.find(":]", at_);
        if (close == std::string_view::npos) break;
        const auto name = text_.substr(at_ + 2, close - at_ - 2);
        members += name.starts_with("^") ? "" : name == "digit" ? "1" : "a";
        at_ = close + 2;
        continue;
      }
      char c = text_[at_++];
      if (c == '\\' && !done()) {
        const char e = text_[at_++];
        c = e == 'd' ? '1' : e == 'w' ? 'a' : e == 's' ? ' ' : e;
      }
      members.push_back(c);
      if (peek() == '-' && at_ + 1 < text_.size() && text_[at_ + 1] != ']') at_ += 2;
    }
    if (!done()) ++at_;  // ']'
    if (!negated) return members.empty() ? 'a' : members.front();
    for (const char candidate : std::string_view("aA1_.")) {
      if (members.find(candidate) == std::string::npos) return candidate;
    }
    return 'a';
  }

  std::string group() {
    if (peek() == '?') {
      ++at_;
      if (peek() == 'P' || peek() == '<') {
        const size_t close = text_.find('>', at_);
        at_ = close == std::string_view::npos ? text_.size() : close + 1;
      } else {
        while (!done() && peek() != ':' && peek() != ')')
          ++at_;
        if (peek() == ')') {  // inline flags such as "(?i)"
          ++at_;
          return {};
        }
        ++at_;
      }
    }
    std::string out = alternatives();
    if (peek() == ')') ++at_;
    return out;
  }

  std::string_view text_;
  size_t at_ = 0;
};

class Generator {
 public:
  Generator(uint64_t seed, const http::Params& path_params, std::string worker_type = "vzdump",
            bool json_booleans = false)
      : state_(seed),
        path_params_(path_params),
        worker_type_(std::move(worker_type)),
        json_booleans_(json_booleans) {}

  json::value value(const json::value& schema_value, std::string_view name, int depth = 0) {
    const auto* schema = schema_value.if_object();
    if (!schema) return nullptr;
    if (const auto* one_of = schema->if_contains("oneOf"); one_of && one_of->is_array()) {
      const auto& alternatives = one_of->get_array();
      if (!alternatives.empty())
        return value(alternatives[next() % alternatives.size()], name, depth);
    }
    std::string_view type = string_member(*schema, "type");
    if (type.empty()) {
      if (schema->contains("properties"))
        type = "object";
      else if (schema->contains("items"))
        type = "array";
    }
    if (const auto* choices = schema->if_contains("enum");
        choices && choices->is_array() && !choices->get_array().empty()) {
      const auto& options = choices->get_array();
      return options[next() % options.size()];
    }
    if (type == "object") return object(*schema, depth);
    if (type == "array") return array(*schema, name, depth);
    if (type == "integer") return integer(*schema, name);
    if (type == "number") return number(*schema, name);
    if (type == "boolean") {
      const bool flag = next() % 2 != 0;
      return json_booleans_ ? json::value(flag) : json::value(static_cast<int64_t>(flag));
    }
    if (type == "string") return string(*schema, name, depth);
    return nullptr;  // "null", "any"
  }

 private:
  uint64_t next() {
    // splitmix64: tiny, fast and the same on every platform.
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  int64_t between(int64_t low, int64_t high) {
    if (high <= low) return low;
    return low + static_cast<int64_t>(next() % static_cast<uint64_t>(high - low + 1));
  }

  std::optional<std::string_view> path_param(std::string_view name) const {
    for (const auto& [key, value] : path_params_) {
      if (key == name) return value;
    }
    return std::nullopt;
  }

  std::string node_name() {
    if (auto node = path_param("node")) return std::string(*node);
    return "pve" + std::to_string(between(1, 3));
  }

  json::value object(const json::object& schema, int depth) {
    json::object result;
    if (depth >= kMaxDepth) return result;
    const auto* properties = schema.if_contains("properties");
    if (!properties || !properties->is_object()) return result;
    for (const auto& [key, sub] : properties->get_object()) {
      const auto* sub_schema = sub.if_object();
      if (!sub_schema) continue;
      // Real answers leave out some optional members; keep most so clients see realistic data.
      if (is_optional(*sub_schema) && next() % 5 == 0) continue;
      result[key] = value(sub, key, depth + 1);
    }
    return result;
  }

  json::value array(const json::object& schema, std::string_view name, int depth) {
    json::array result;
    const auto* items = schema.if_contains("items");
    if (!items || depth >= kMaxDepth) return result;
    const int64_t count = between(1, 3);
    for (int64_t i = 0; i < count; ++i)
      result.push_back(value(*items, name, depth + 1));
    return result;
  }

  static int64_t clamp(const json::object& schema, int64_t number) {
    const auto min = bound(schema, "minimum");
    const auto max = bound(schema, "maximum");
    if (min && number < *min) number = static_cast<int64_t>(std::ceil(*min));
    if (max && number > *max) number = static_cast<int64_t>(std::floor(*max));
    return number;
  }

  json::value integer(const json::object& schema, std::string_view name) {
    const std::string key = common::to_lower(name);
    if (key == "vmid" || string_member(schema, "format") == "pve-vmid") {
      if (auto vmid = path_param("vmid")) {
        if (const auto parsed = common::parse_number<int64_t>(*vmid, {.trailing_text = true}))
          return clamp(schema, *parsed);
      }
      return clamp(schema, between(100, 140));
    }
    const auto min = bound(schema, "minimum");
    const auto max = bound(schema, "maximum");
    int64_t number = 0;
    if (contains(key, "time") && !contains(key, "uptime") && !contains(key, "timeout")) {
      number = kEpochBase + between(0, 90 * 86400);
    } else if (key == "uptime") {
      number = between(3600, 90 * 86400);
    } else if (key == "pid") {
      number = between(1000, 400000);
    } else if (key == "cpus" || key == "cores" || key == "maxcpu" || key == "sockets") {
      number = between(1, 16);
    } else if (contains(key, "mem") || contains(key, "disk") || contains(key, "size") ||
               key == "used" || key == "total" || key == "free" || key == "avail" ||
               contains(key, "bytes")) {
      number = between(1, 64) << 30;
    } else if (contains(key, "net") || contains(key, "read") || contains(key, "write")) {
      number = between(0, 1) << 20 | between(0, 1 << 20);
    } else if (min && max) {
      number = static_cast<int64_t>(*min) +
               between(0, std::min<int64_t>(static_cast<int64_t>(*max - *min), 1000));
    } else {
      number = between(0, 100);
    }
    return clamp(schema, number);
  }

  json::value number(const json::object& schema, std::string_view name) {
    const std::string key = common::to_lower(name);
    double number = key == "cpu" || contains(key, "ratio") || contains(key, "usage")
                        ? static_cast<double>(between(0, 10000)) / 10000.0
                        : static_cast<double>(between(0, 10000)) / 100.0;
    const auto min = bound(schema, "minimum");
    const auto max = bound(schema, "maximum");
    if (min && number < *min) number = *min;
    if (max && number > *max) number = *max;
    return number;
  }

  std::string hex(size_t digits, bool upper = false) {
    static constexpr char kLower[] = "0123456789abcdef";
    static constexpr char kUpper[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(digits);
    for (size_t i = 0; i < digits; ++i)
      out.push_back((upper ? kUpper : kLower)[next() % 16]);
    return out;
  }

  std::string mac() {
    std::string out = "BC:24:11";
    for (int i = 0; i < 3; ++i) {
      // Appended piecewise: `":" + hex(...)` trips GCC 12's -Wrestrict false positive at -O3.
      out += ':';
      out += hex(2, true);
    }
    return out;
  }

  std::string uuid() { return hex(8) + "-" + hex(4) + "-" + hex(4) + "-" + hex(4) + "-" + hex(12); }

  std::string upid(bool pbs_style) {
    const std::string node = node_name();
    const int64_t start = kEpochBase + between(0, 90 * 86400);
    char buffer[160];
    if (pbs_style) {
      std::snprintf(buffer, sizeof buffer,
                    "UPID:%s:%08X:%08X:%08X:%08X:garbage_collection::root@pam:", node.c_str(),
                    static_cast<unsigned>(between(1000, 400000)),
                    static_cast<unsigned>(between(1, 1 << 30)),
                    static_cast<unsigned>(between(0, 1000)), static_cast<unsigned>(start));
    } else {
      std::string id;
      if (auto vmid = path_param("vmid")) id = std::string(*vmid);
      std::snprintf(buffer, sizeof buffer, "UPID:%s:%08X:%08X:%08X:%s:%s:root@pam:", node.c_str(),
                    static_cast<unsigned>(between(1000, 400000)),
                    static_cast<unsigned>(between(1, 1 << 30)), static_cast<unsigned>(start),
                    worker_type_.c_str(), id.c_str());
    }
    return buffer;
  }

  std::string property_string(const json::object& format, int depth) {
    std::string out;
    for (const auto& [key, sub] : format) {
      const auto* sub_schema = sub.if_object();
      if (!sub_schema || sub_schema->contains("alias") || is_optional(*sub_schema) ||
          sub_schema->contains("default"))
        continue;
      const auto item = value(sub, key, depth + 1);
      if (!out.empty()) out.push_back(',');
      out += std::string(key) + "=" +
             (item.is_string() ? std::string(item.get_string()) : json::serialize(item));
    }
    return out;
  }

  // The name/format-based guess; validated by the caller, which falls back when it fails.
  std::string guess_string(const json::object& schema, std::string_view name, int depth) {
    const std::string key = common::to_lower(name);
    const auto* format_value = schema.if_contains("format");
    if (format_value && format_value->is_object())
      return property_string(format_value->get_object(), depth);
    std::string format(string_member(schema, "format"));
    if (format.ends_with("-list")) format.resize(format.size() - 5);
    const auto pattern = string_member(schema, "pattern");

    if (auto echoed = path_param(name)) return std::string(*echoed);
    if (contains(pattern, "UPID") || key == "upid") return upid(contains(pattern, "task_id"));
    if (format == "pve-node" || key == "node" || key == "nodename") return node_name();
    if (format == "mac-addr" || contains(key, "macaddr") || contains(key, "hwaddr") || key == "mac")
      return mac();
    if (format == "ipv6" || key == "ip6" || key == "ipv6") return "fd00::" + hex(2);
    if (format == "CIDR" || key == "cidr") return "10.0." + std::to_string(between(0, 9)) + ".0/24";
    if (format == "ip" || format == "ipv4" || format == "address" || format == "IPorCIDR" ||
        key == "ip" || key == "address" || key == "ipv4" || key == "gateway")
      return "10.0.0." + std::to_string(between(2, 254));
    if (format == "pve-storage-id" || key == "storage" || key == "store" || key == "datastore") {
      static constexpr std::array<const char*, 3> kStorages{"local", "local-lvm", "backup"};
      return kStorages[next() % kStorages.size()];
    }
    if (format == "pve-volume-id" || key == "volid") {
      return "local-lvm:vm-" + std::to_string(between(100, 140)) + "-disk-" +
             std::to_string(between(0, 2));
    }
    if (format == "pve-userid" || key == "userid" || key == "owner" || key == "user" ||
        key == "auth-id" || key == "authid")
      return "root@pam";
    if (format == "pve-realm" || key == "realm") return "pam";
    if (format == "email" || format == "email-opt" || key == "email") return "admin@example.com";
    if (format == "dns-name" || key == "hostname" || key == "domain")
      return "pve" + std::to_string(between(1, 3)) + ".example.com";
    if (format == "pve-vmid" || key == "vmid") return std::to_string(between(100, 140));
    if (format == "pve-poolid" || key == "pool" || key == "poolid") return "pool" + hex(2);
    if (format == "pve-iface" || key == "iface") return "vmbr" + std::to_string(between(0, 2));
    if (key == "digest") return hex(40);
    if (key == "fingerprint" || contains(key, "csum") || contains(pattern, "{64}")) return hex(64);
    if (contains(key, "uuid") || (key == "id" && contains(pattern, "-[0-9a-f]{4}"))) return uuid();
    if (key == "version" || key == "release") return "9.1.2";
    if (key == "repoid") return hex(8);
    if (contains(key, "time") || contains(key, "date")) return "2026-01-01 00:00:00";
    if (key == "name" || key == "hostname") return "vm-" + std::to_string(between(100, 140));
    if (key == "type") return "qemu";
    if (key == "status" || key == "state") return "ok";
    if (key == "comment" || key == "description" || key == "notes") return "managed by proxbox";
    if (key == "path") return "/var/lib/vz";
    if (!key.empty() && key.size() <= 24 && std::isalpha(static_cast<unsigned char>(key[0])))
      return key + std::to_string(between(1, 9));
    return "sample" + std::to_string(between(1, 9));
  }

  json::value string(const json::object& schema, std::string_view name, int depth) {
    json::value candidate(guess_string(schema, name, depth));
    fit_length(schema, candidate.get_string());
    if (validate_value(schema, candidate)) return candidate;
    // Patterns and unknown formats: the first generic shape that satisfies the schema.
    static const std::array<const char*, 18> kFallbacks{
        "sample",
        "pve1",
        "a1",
        "100",
        "1",
        "0",
        "local",
        "root@pam",
        "example.com",
        "10.0.0.1",
        "10.0.0.0/24",
        "BC:24:11:00:00:01",
        "2026-01-01",
        "1.0",
        "ok",
        "none",
        "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
        "/"};
    for (const char* text : kFallbacks) {
      json::value fallback(text);
      fit_length(schema, fallback.get_string());
      if (validate_value(schema, fallback)) return fallback;
    }
    if (const auto pattern = string_member(schema, "pattern"); !pattern.empty()) {
      json::value example(PatternExample(pattern).build());
      fit_length(schema, example.get_string());
      if (validate_value(schema, example)) return example;
    }
    return candidate;  // best effort: a pattern this generator cannot satisfy
  }

  void fit_length(const json::object& schema, json::string& text) {
    if (const auto max = bound(schema, "maxLength"); max && text.size() > *max)
      text.resize(static_cast<size_t>(*max));
    if (const auto min = bound(schema, "minLength"); min) {
      while (text.size() < *min)
        text.push_back('a');
    }
  }

  uint64_t state_;
  const http::Params& path_params_;
  std::string worker_type_;  // UPID task type: "qmstart", "vzcreate", ...
  bool json_booleans_;
};

uint64_t operation_seed(const Operation& operation, const http::Params& path_params,
                        uint64_t seed) {
  uint64_t hash = fnv1a(std::to_string(seed));
  hash = fnv1a(boost::beast::http::to_string(operation.method), hash);
  hash = fnv1a(operation.path, hash);
  for (const auto& [name, value] : path_params) {
    hash = fnv1a(name, hash);
    hash = fnv1a(value, hash);
  }
  return hash;
}

// Task-starting calls answer a bare string: the worker's UPID.
std::string_view returns_name(const Operation& operation) {
  const auto* schema = operation.returns->if_object();
  if (!schema || string_member(*schema, "type") != "string" || schema->contains("format") ||
      schema->contains("pattern") || schema->contains("enum"))
    return {};
  const auto description = common::to_lower(string_member(*schema, "description"));
  const bool says_task = contains(description, "task") || contains(description, "upid");
  if (says_task || (description.empty() && operation.method != http::Verb::get)) return "upid";
  return {};
}

// The UPID's worker type, as pvedaemon names it for the common guest actions.
std::string worker_type(const Operation& operation) {
  const std::string_view path = operation.path;
  const bool lxc = contains(path, "/lxc");
  const std::string prefix = lxc ? "vz" : "qm";
  static constexpr std::array<std::string_view, 7> kActions{
      "start", "stop", "shutdown", "reboot", "suspend", "resume", "reset"};
  for (const auto action : kActions) {
    if (path.ends_with("/status/" + std::string(action))) return prefix + std::string(action);
  }
  if (operation.method == http::Verb::delete_ &&
      (path.ends_with("/qemu/{vmid}") || path.ends_with("/lxc/{vmid}")))
    return prefix + "destroy";
  if (operation.method == http::Verb::post && (path.ends_with("/qemu") || path.ends_with("/lxc")))
    return prefix + "create";
  if (contains(path, "snapshot")) return prefix + "snapshot";
  if (contains(path, "vzdump")) return "vzdump";
  std::string name = operation.name.empty() ? "task" : operation.name;
  for (auto& c : name) {
    if (c == ':' || std::isspace(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

}  // namespace

boost::json::value sample_returns(const Operation& operation, const http::Params& path_params,
                                  uint64_t seed) {
  Generator generator(operation_seed(operation, path_params, seed), path_params,
                      worker_type(operation), operation.json_booleans);
  return generator.value(*operation.returns, returns_name(operation));
}

boost::json::value sample_value(const boost::json::value& schema, std::string_view name,
                                uint64_t seed) {
  static const http::Params no_params;
  Generator generator(fnv1a(name, seed), no_params);
  return generator.value(schema, name);
}

}  // namespace pbx::proxmox
