#include "e2e/differential.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <regex>
#include <stdexcept>

#include "common/files.hpp"
#include "common/json.hpp"
#include "common/netbox_token.hpp"
#include "common/text.hpp"

namespace pbx::e2e {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

http::Verb parse_method(std::string_view name) {
  const auto verb = boost::beast::http::string_to_verb(name);
  if (verb == http::Verb::unknown) throw std::runtime_error(fmt::format("unknown method {}", name));
  return verb;
}

std::string text_of(const json::object& object, std::string_view key) {
  return std::string(common::string_member(object, key));
}

json::value parse_file(const fs::path& file) {
  try {
    return json::parse(common::read_file(file));
  } catch (const common::FileError&) {
    throw;
  } catch (const std::exception& error) {
    throw std::runtime_error(fmt::format("{}: not JSON ({})", file.string(), error.what()));
  }
}

std::string shown(const json::value& value) {
  auto text = json::serialize(value);
  if (text.size() > 160) text = text.substr(0, 157) + "...";
  return text;
}

// "https://127.0.0.1:8000/api/x/?offset=2" → "/api/x/?offset=2".
std::string without_origin(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const auto path = url.find('/', scheme + 3);
  return path == std::string_view::npos ? "/" : std::string(url.substr(path));
}

void compare_values(const std::string& exchange, const std::string& where,
                    const json::value& emulator, const json::value& netbox,
                    std::vector<Difference>& out) {
  if (emulator.is_object() && netbox.is_object()) {
    const auto& ours = emulator.as_object();
    const auto& theirs = netbox.as_object();
    for (const auto& [key, value] : theirs) {
      const auto at = fmt::format("{}.{}", where, std::string_view(key));
      if (const auto* mine = ours.if_contains(key))
        compare_values(exchange, at, *mine, value, out);
      else
        out.push_back({exchange, at, "only in NetBox: " + shown(value)});
    }
    for (const auto& [key, value] : ours) {
      if (!theirs.contains(key))
        out.push_back({exchange, fmt::format("{}.{}", where, std::string_view(key)),
                       "only in the emulator: " + shown(value)});
    }
    return;
  }
  if (emulator.is_array() && netbox.is_array()) {
    const auto& ours = emulator.as_array();
    const auto& theirs = netbox.as_array();
    if (ours.size() != theirs.size()) {
      out.push_back(
          {exchange, where,
           fmt::format("{} items in the emulator, {} in NetBox", ours.size(), theirs.size())});
    }
    for (size_t i = 0; i < std::min(ours.size(), theirs.size()); ++i)
      compare_values(exchange, fmt::format("{}[{}]", where, i), ours[i], theirs[i], out);
    return;
  }
  if (emulator != netbox) {
    out.push_back(
        {exchange, where, fmt::format("emulator {}, NetBox {}", shown(emulator), shown(netbox))});
  }
}

// "body.results[3].site" → "body.results[*].site", so one entry covers every item.
std::string any_index(const std::string& where) {
  static const std::regex index(R"(\[\d+\])");
  return std::regex_replace(where, index, "[*]");
}

bool covers(const std::string& prefix, const std::string& where) {
  if (!where.starts_with(prefix)) return false;
  return where.size() == prefix.size() || where[prefix.size()] == '.' ||
         where[prefix.size()] == '[';
}

}  // namespace

std::vector<Exchange> load_corpus(const fs::path& file) {
  const auto document = parse_file(file);
  std::vector<Exchange> exchanges;
  for (const auto& item : document.at("exchanges").as_array()) {
    const auto& object = item.as_object();
    Exchange exchange;
    exchange.name = text_of(object, "name");
    try {
      exchange.method = parse_method(text_of(object, "method"));
      exchange.path = text_of(object, "path");
      if (exchange.name.empty() || !exchange.path.starts_with("/api/"))
        throw std::runtime_error("needs a name and a path under /api/");
      if (const auto* body = object.if_contains("body")) exchange.body = *body;
      exchange.save_as = text_of(object, "save");
      if (const auto* token = object.if_contains("token")) {
        if (token->is_bool() && !token->as_bool())
          exchange.token = "";
        else if (token->is_string())
          exchange.token = std::string(token->as_string());
      }
    } catch (const std::exception& error) {
      throw std::runtime_error(
          fmt::format("{}: exchange '{}': {}", file.string(), exchange.name, error.what()));
    }
    exchanges.push_back(std::move(exchange));
  }
  return exchanges;
}

Replayer::Replayer(http::Client& client, std::string base_url, std::string token)
    : client_(client), base_url_(std::move(base_url)), token_(std::move(token)) {}

std::string Replayer::substitute(const std::string& text) const {
  std::string result = text;
  for (const auto& [name, id] : saved_ids_) {
    const auto placeholder = fmt::format("{{{}.id}}", name);
    for (auto at = result.find(placeholder); at != std::string::npos;
         at = result.find(placeholder, at)) {
      result.replace(at, placeholder.size(), std::to_string(id));
    }
  }
  if (result.find(".id}") != std::string::npos) throw std::runtime_error("no saved id for " + text);
  return result;
}

json::value Replayer::substitute(const json::value& value) const {
  if (value.is_string()) {
    const std::string text(value.as_string());
    // A whole-string placeholder is a relation: NetBox takes the id as a number.
    if (text.starts_with("{") && text.ends_with(".id}")) {
      const std::string id = substitute(text);
      if (const auto number = common::parse_number<int64_t>(id, common::kLeadingNumber)) {
        return *number;
      }
      throw std::runtime_error("saved id '" + id + "' for " + text + " is not a number");
    }
    return json::string(substitute(text));
  }
  if (value.is_array()) {
    json::array items;
    for (const auto& item : value.as_array())
      items.push_back(substitute(item));
    return items;
  }
  if (value.is_object()) {
    json::object object;
    for (const auto& [key, item] : value.as_object())
      object[key] = substitute(item);
    return object;
  }
  return value;
}

Answer Replayer::send(const Exchange& exchange) {
  http::Headers headers;
  const auto token = exchange.token.value_or(token_);
  if (!token.empty())
    headers.set("Authorization", common::NetBoxToken::parse(token).authorization());
  headers.set("Accept", "application/json");
  std::string body;
  if (exchange.body) {
    headers.set("Content-Type", "application/json");
    body = json::serialize(substitute(*exchange.body));
  }
  const auto response =
      client_.request(exchange.method, base_url_ + substitute(exchange.path), body, headers);
  Answer answer;
  answer.status = response.status;
  if (!response.body.empty()) {
    boost::system::error_code error;
    answer.body = json::parse(response.body, error);
    if (error) answer.body = nullptr;
  }
  if (!exchange.save_as.empty() && answer.body.is_object()) {
    if (const auto* id = answer.body.as_object().if_contains("id"); id && id->is_int64())
      saved_ids_[exchange.save_as] = id->as_int64();
  }
  return answer;
}

json::value normalise(const json::value& value) {
  if (value.is_array()) {
    json::array items;
    for (const auto& item : value.as_array())
      items.push_back(normalise(item));
    return items;
  }
  if (!value.is_object()) return value;
  json::object object;
  for (const auto& [key, item] : value.as_object()) {
    const std::string_view name = key;
    if ((name == "id" || name.ends_with("_id")) && item.is_int64()) {
      object[key] = 0;
    } else if ((name == "url" || name == "display_url") && item.is_string()) {
      object[key] = "<url>";
    } else if ((name == "created" || name == "last_updated") && item.is_string()) {
      object[key] = "<timestamp>";
    } else if (name == "display" && item.is_string()) {
      object[key] = "<display>";
    } else if ((name == "next" || name == "previous") && item.is_string()) {
      object[key] = without_origin(item.as_string());
    } else {
      object[key] = normalise(item);
    }
  }
  return object;
}

std::vector<Difference> compare_answers(const std::string& exchange, const Answer& emulator,
                                        const Answer& netbox) {
  std::vector<Difference> differences;
  if (emulator.status != netbox.status) {
    differences.push_back({exchange, "status",
                           fmt::format("emulator {}, NetBox {}", emulator.status, netbox.status)});
  }
  compare_values(exchange, "body", normalise(emulator.body), normalise(netbox.body), differences);
  return differences;
}

std::vector<KnownDifference> load_known_differences(const fs::path& file) {
  const auto document = parse_file(file);
  std::vector<KnownDifference> known;
  for (const auto& item : document.at("differences").as_array()) {
    const auto& object = item.as_object();
    KnownDifference entry{text_of(object, "version"), text_of(object, "exchange"),
                          text_of(object, "where"), text_of(object, "reason")};
    if (entry.exchange.empty() || entry.where.empty() || entry.reason.empty()) {
      throw std::runtime_error(
          fmt::format("{}: every known difference needs exchange, where and a reason: {}",
                      file.string(), json::serialize(item)));
    }
    known.push_back(std::move(entry));
  }
  return known;
}

const KnownDifference* find_known(const std::vector<KnownDifference>& known,
                                  std::string_view version, const Difference& difference) {
  const auto where = any_index(difference.where);
  for (const auto& entry : known) {
    if (!entry.version.empty() && entry.version != version) continue;
    if (entry.exchange != "*" && entry.exchange != difference.exchange) continue;
    if (covers(entry.where, difference.where) || covers(entry.where, where)) return &entry;
  }
  return nullptr;
}

}  // namespace pbx::e2e
