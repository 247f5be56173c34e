#include "sync/netbox_client.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <iterator>
#include <optional>

#include "sync/json_util.hpp"
#include "sync/parallel.hpp"

namespace pbx::sync {
namespace json = boost::json;

NetBoxVersion NetBoxVersion::parse(std::string_view text) {
  NetBoxVersion version;
  version.text = std::string(text);
  const char* end = text.data() + text.size();
  auto [after_major, error] = std::from_chars(text.data(), end, version.major);
  if (error == std::errc{} && after_major < end && *after_major == '.') {
    std::from_chars(after_major + 1, end, version.minor);
  }
  return version;
}

std::string netbox_authorization(const std::string& token) {
  if (token.starts_with("Token ") || token.starts_with("Bearer ")) return token;
  return (token.starts_with("nbt_") ? "Bearer " : "Token ") + token;
}

NetBoxClient::NetBoxClient(Transport& transport, std::string base_url, const std::string& token)
    : transport_(transport) {
  while (!base_url.empty() && base_url.back() == '/')
    base_url.pop_back();
  if (!base_url.ends_with("/api")) base_url += "/api";
  api_root_ = std::move(base_url);
  headers_.set(http::Field::authorization, netbox_authorization(token));
  headers_.set(http::Field::accept, "application/json");
  headers_.set(http::Field::content_type, "application/json");
}

NetBoxWriteCounts NetBoxClient::counts() const {
  return {gets_.load(), posts_.load(), patches_.load(), deletes_.load()};
}

http::ClientResponse NetBoxClient::send(http::Verb method, const std::string& url, std::string body,
                                        bool retry) {
  switch (method) {
    case http::Verb::get:
      ++gets_;
      break;
    case http::Verb::post:
      ++posts_;
      break;
    case http::Verb::patch:
      ++patches_;
      break;
    case http::Verb::delete_:
      ++deletes_;
      break;
    default:
      break;
  }
  http::ClientResponse response =
      retry ? send_with_retry(transport_, method, url, body, headers_, control_)
            : transport_.send(method, url, std::move(body), headers_, control_);
  if (!response.ok()) {
    const std::string message = describe_failure(
        std::to_string(response.status) + ": " +
            (response.body.size() > 500 ? response.body.substr(0, 500) + "..." : response.body),
        method, url);
    throw NetBoxError(response.status, message, std::move(response.body));
  }
  return response;
}

NetBoxStatus NetBoxClient::status() {
  const auto started = std::chrono::steady_clock::now();
  const auto response = send(http::Verb::get, api_root_ + "/status/", {}, true);
  NetBoxStatus status;
  status.latency = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  const json::value parsed = json::parse(response.body);
  if (parsed.is_object()) {
    status.version = NetBoxVersion::parse(json_string(field(parsed.as_object(), "netbox-version")));
    const auto* plugins = parsed.as_object().if_contains("plugins");
    status.proxbox_plugin = plugins && plugins->is_object() &&
                            plugins->as_object().contains(kProxboxPluginName);
  }
  return status;
}

namespace {

struct Page {
  std::vector<json::object> results;
  std::optional<int64_t> count;
  std::string next;  // absolute URL, empty on the last page
};

Page parse_page(const std::string& body) {
  json::value parsed = json::parse(body);
  Page page;
  if (!parsed.is_object()) return page;
  auto& object = parsed.as_object();
  if (auto* items = object.if_contains("results"); items && items->is_array()) {
    page.results.reserve(items->as_array().size());
    for (auto& item : items->as_array()) {
      if (item.is_object()) page.results.push_back(std::move(item.as_object()));
    }
  }
  if (const auto* count = object.if_contains("count"); count && count->is_number()) {
    page.count = json_int(count);
  }
  page.next = json_string(field(object, "next"));
  return page;
}

std::optional<int64_t> param_int(const http::Params& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    int64_t number = 0;
    if (key == name &&
        std::from_chars(value.data(), value.data() + value.size(), number).ec == std::errc{}) {
      return number;
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<json::object> NetBoxClient::list(const std::string& path, const http::Params& filters) {
  const auto started = std::chrono::steady_clock::now();
  // Ordered by primary key: objects created while we page cannot shuffle the pages.
  auto page_url = [&](int64_t limit, int64_t offset) {
    http::Params params = filters;
    params.emplace_back("ordering", "id");
    params.emplace_back("limit", std::to_string(limit));
    if (offset > 0) params.emplace_back("offset", std::to_string(offset));
    return api_root_ + path + "?" + http::encode_form(params);
  };
  const std::string origin = split_url(api_root_).origin;
  auto get_page = [&](const std::string& url) {
    return parse_page(send(http::Verb::get, url, {}, true).body);
  };

  Page first = get_page(page_url(kPageSize, 0));
  std::vector<json::object> results = std::move(first.results);
  size_t pages = 1;
  // NetBox builds `next` from its own idea of its host; behind a proxy that origin may be
  // unreachable, so keep ours and take only the path and query.
  const std::string next_target = first.next.empty() ? "" : split_url(first.next).target;
  const http::Params next_params =
      http::parse_form(next_target.substr(std::min(next_target.size(), next_target.find('?') + 1)));
  const auto page_size = param_int(next_params, "limit");  // the server may cap our limit
  const auto next_offset = param_int(next_params, "offset");
  if (!next_target.empty() && first.count && page_size && *page_size > 0 && next_offset) {
    // Offset paging with a known total: the remaining pages are independent, ask for them at
    // once (in order of offset) instead of one round trip after the other.
    std::vector<std::string> urls;
    for (int64_t offset = *next_offset; offset < *first.count; offset += *page_size) {
      urls.push_back(page_url(*page_size, offset));
    }
    std::vector<Page> rest(urls.size());
    parallel_for(urls.size(), kPagesInFlight, [&](size_t i) { rest[i] = get_page(urls[i]); });
    for (auto& page : rest) {
      std::move(page.results.begin(), page.results.end(), std::back_inserter(results));
    }
    pages += rest.size();
  } else {
    // Cursor paging (or no count): follow `next`.
    for (std::string url = next_target.empty() ? "" : origin + next_target; !url.empty(); ++pages) {
      Page page = get_page(url);
      std::move(page.results.begin(), page.results.end(), std::back_inserter(results));
      url = page.next.empty() ? std::string{} : origin + split_url(page.next).target;
    }
  }
  spdlog::debug("netbox list {}: {} objects in {} pages, {} ms", path, results.size(), pages,
                std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count());
  return results;
}

std::vector<json::object> NetBoxClient::write_chunks(http::Verb method, const std::string& path,
                                                     const std::vector<json::object>& items) {
  std::vector<json::object> written;
  for (size_t start = 0; start < items.size(); start += kWriteChunk) {
    json::array chunk;
    const size_t end = std::min(items.size(), start + kWriteChunk);
    for (size_t i = start; i < end; ++i)
      chunk.push_back(items[i]);
    // A bulk PATCH of ids is idempotent; a POST is not, so it is never repeated after an answer.
    const auto response =
        send(method, api_root_ + path, json::serialize(chunk), method != http::Verb::post);
    if (response.body.empty()) continue;
    json::value parsed = json::parse(response.body);
    if (parsed.is_array()) {
      for (auto& item : parsed.as_array()) {
        if (item.is_object()) written.push_back(std::move(item.as_object()));
      }
    } else if (parsed.is_object()) {
      written.push_back(std::move(parsed.as_object()));
    }
  }
  return written;
}

std::vector<json::object> NetBoxClient::create(const std::string& path,
                                               const std::vector<json::object>& items) {
  return write_chunks(http::Verb::post, path, items);
}

std::vector<json::object> NetBoxClient::update(const std::string& path,
                                               const std::vector<json::object>& items) {
  return write_chunks(http::Verb::patch, path, items);
}

void NetBoxClient::remove(const std::string& path, const std::vector<int64_t>& ids) {
  for (size_t start = 0; start < ids.size(); start += kWriteChunk) {
    json::array chunk;
    for (size_t i = start; i < std::min(ids.size(), start + kWriteChunk); ++i) {
      chunk.push_back(json::object{{"id", ids[i]}});
    }
    send(http::Verb::delete_, api_root_ + path, json::serialize(chunk), true);
  }
}

}  // namespace pbx::sync
