#include "sync/netbox_client.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <iterator>
#include <optional>

#include "common/netbox_token.hpp"
#include "common/text.hpp"
#include "sync/json_util.hpp"
#include "sync/keyset_paging.hpp"

namespace pbx::sync {
namespace json = boost::json;

NetBoxVersion NetBoxVersion::parse(std::string_view text) {
  NetBoxVersion version;
  version.text = std::string(text);
  // "4.5.1" → 4, 5; the minor only when the major is followed by its dot.
  const size_t dot = text.find('.');
  const std::string_view major = text.substr(0, dot);
  version.major = common::parse_number<int>(major, {.trailing_text = true}).value_or(0);
  if (dot != std::string_view::npos && common::parse_number<int>(major)) {
    version.minor =
        common::parse_number<int>(text.substr(dot + 1), {.trailing_text = true}).value_or(0);
  }
  return version;
}

std::string netbox_authorization(const std::string& token) {
  if (token.starts_with("Token ") || token.starts_with("Bearer ")) return token;
  return common::NetBoxToken::parse(token).authorization();
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
    status.proxbox_plugin =
        plugins && plugins->is_object() && plugins->as_object().contains(kProxboxPluginName);
  }
  return status;
}

std::string NetBoxClient::list_url(const std::string& path, const http::Params& filters,
                                   http::Params paging) const {
  http::Params params = filters;
  for (auto& pair : paging)
    params.push_back(std::move(pair));
  return api_root_ + path + "?" + http::encode_form(params);
}

ListPage NetBoxClient::get_page(const std::string& url) {
  return parse_list_page(send(http::Verb::get, url, {}, true).body);
}

bool NetBoxClient::list_range(const std::string& path, const http::Params& filters, IdRange range,
                              std::vector<json::object>& out, size_t& pages) {
  for (int64_t cursor = range.after;;) {
    ListPage page = get_page(list_url(path, filters,
                                      {{"ordering", "id"},
                                       {"id__gt", std::to_string(cursor)},
                                       {"id__lte", std::to_string(range.last)},
                                       {"limit", std::to_string(kPageSize)}}));
    ++pages;
    for (auto& object : page.results) {
      const auto id = object_id(object);
      // A server that ignores id__gt/id__lte (or an object without an id) cannot be keyset-paged.
      if (!id || *id <= cursor || *id > range.last) return false;
      cursor = *id;
      out.push_back(std::move(object));
    }
    if (page.next.empty() || page.results.empty()) return true;
  }
}

std::vector<json::object> NetBoxClient::list(const std::string& path, const http::Params& filters) {
  const auto started = std::chrono::steady_clock::now();
  // Ordered by primary key: objects created while we page cannot shuffle the pages.
  ListPage first =
      get_page(list_url(path, filters, {{"ordering", "id"}, {"limit", std::to_string(kPageSize)}}));
  std::vector<json::object> results = std::move(first.results);
  size_t pages = 1;
  const auto after = results.empty() ? std::nullopt : object_id(results.back());
  std::optional<int64_t> last;
  if (!first.next.empty() && after && first.count) {
    // The highest id now: every object that exists throughout the listing is in (after, last].
    const ListPage top = get_page(list_url(path, filters, {{"ordering", "-id"}, {"limit", "1"}}));
    ++pages;
    if (!top.results.empty()) last = object_id(top.results.front());
    if (last && *last <= *after) last.reset();  // `ordering=-id` not honoured: no keyset
  }
  bool keyset = !first.next.empty() && last;
  if (keyset) {
    const auto ranges =
        split_id_range(*after, *last, *first.count - static_cast<int64_t>(results.size()),
                       static_cast<int64_t>(kPageSize));
    std::vector<std::vector<json::object>> parts(ranges.size());
    std::vector<size_t> range_pages(ranges.size(), 0);
    std::atomic<bool> ignored{false};
    parallel_for(ranges.size(), kPagesInFlight, [&](size_t i) {
      if (ignored.load()) return;
      if (!list_range(path, filters, ranges[i], parts[i], range_pages[i])) ignored = true;
    });
    for (const size_t count : range_pages)
      pages += count;
    keyset = !ignored.load();
    if (keyset) {
      for (auto& part : parts)
        std::move(part.begin(), part.end(), std::back_inserter(results));
    } else {
      spdlog::warn("netbox list {}: the server ignores id__gt/id__lte, following its pages", path);
    }
  }
  if (!keyset && !first.next.empty()) {
    // No keyset (no count, no ids, or id lookups ignored): follow `next`. NetBox builds it from
    // its own idea of its host; behind a proxy that origin may be unreachable, so keep ours and
    // take only the path and query.
    const std::string origin = split_url(api_root_).origin;
    for (std::string url = origin + split_url(first.next).target; !url.empty(); ++pages) {
      ListPage page = get_page(url);
      std::move(page.results.begin(), page.results.end(), std::back_inserter(results));
      url = page.next.empty() ? std::string{} : origin + split_url(page.next).target;
    }
  }
  spdlog::debug("netbox list {}: {} objects in {} requests, {} ms", path, results.size(), pages,
                std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count());
  return results;
}

std::vector<json::object> NetBoxClient::write_chunks(http::Verb method, const std::string& path,
                                                     const std::vector<json::object>& items) {
  // Each chunk's answer in its own slot, so the written objects keep the items' order.
  std::vector<std::vector<json::object>> answers(write_chunk_count(items.size()));
  for_each_write_chunk(items.size(), [&](size_t index, size_t start, size_t end) {
    json::array chunk;
    chunk.reserve(end - start);
    for (size_t i = start; i < end; ++i)
      chunk.push_back(items[i]);
    // A bulk PATCH of ids is idempotent; a POST is not, so it is never repeated after an answer.
    const auto response =
        send(method, api_root_ + path, json::serialize(chunk), method != http::Verb::post);
    if (response.body.empty()) return;
    json::value parsed = json::parse(response.body);
    if (parsed.is_array()) {
      for (auto& item : parsed.as_array()) {
        if (item.is_object()) answers[index].push_back(std::move(item.as_object()));
      }
    } else if (parsed.is_object()) {
      answers[index].push_back(std::move(parsed.as_object()));
    }
  });
  std::vector<json::object> written;
  written.reserve(items.size());
  for (auto& answer : answers)
    std::move(answer.begin(), answer.end(), std::back_inserter(written));
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
  for_each_write_chunk(ids.size(), [&](size_t, size_t start, size_t end) {
    json::array chunk;
    for (size_t i = start; i < end; ++i) {
      chunk.push_back(json::object{{"id", ids[i]}});
    }
    send(http::Verb::delete_, api_root_ + path, json::serialize(chunk), true);
  });
}

}  // namespace pbx::sync
