#include "netbox/reads.hpp"

#include <algorithm>
#include <set>
#include <vector>

#include "common/text.hpp"
#include "netbox/errors.hpp"
#include "netbox/filters.hpp"
#include "netbox/rendering.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox {
namespace {

namespace json = boost::json;

constexpr int64_t kDefaultPageSize = 50;
constexpr int64_t kMaxPageSize = 1000;

int64_t parse_limit(const http::Request& request) {
  const auto text = request.query_value("limit");
  if (!text) return kDefaultPageSize;
  const auto value = parse_integer_clamped(*text);  // NetBox: int(), then capped
  if (!value || *value < 0) return kDefaultPageSize;
  if (*value == 0 || *value > kMaxPageSize) return kMaxPageSize;
  return *value;
}

// Which attributes to render: brief= (the model's brief form), fields=, and 4.6's omit=.
struct Selection {
  std::optional<std::vector<std::string>> only;
  std::set<std::string> omit;

  const std::vector<std::string>* only_ptr() const { return only ? &*only : nullptr; }
  const std::set<std::string>* omit_ptr() const { return omit.empty() ? nullptr : &omit; }
};

Selection selection(const RequestContext& context, const Model& model,
                    const http::Request& request) {
  Selection chosen;
  if (auto brief = request.query_value("brief"); brief && !brief->empty()) {
    chosen.only = model.brief;
    for (const auto& [name, until] : model.brief_until) {
      if (compare_versions(context.options.version, until) < 0) continue;
      chosen.only->erase(std::remove(chosen.only->begin(), chosen.only->end(), name),
                         chosen.only->end());
    }
  } else if (auto fields = request.query_value("fields"); fields && !fields->empty()) {
    chosen.only = common::split_list(*fields, ",", common::kWhitespace);
  }
  if (auto omitted = request.query_value("omit"); omitted && context.at_least("4.6")) {
    for (auto& name : common::split_list(*omitted, ",", common::kWhitespace))
      chosen.omit.insert(name);
  }
  return chosen;
}

// The request's URL with `replace` parameters set (in place or appended) and `drop` removed.
std::string page_url(const RequestContext& context, const http::Request& request,
                     const http::Params& replace, const std::set<std::string>& drop) {
  http::Params params;
  std::set<std::string> placed;
  for (const auto& [name, value] : request.query) {
    if (drop.count(name)) continue;
    auto match = std::find_if(replace.begin(), replace.end(),
                              [&](const auto& pair) { return pair.first == name; });
    if (match == replace.end()) {
      params.emplace_back(name, value);
    } else if (placed.insert(name).second) {
      params.push_back(*match);
    }
  }
  for (const auto& pair : replace) {
    if (!placed.count(pair.first)) params.push_back(pair);
  }
  return context.base + request.path + (params.empty() ? "" : "?" + http::encode_form(params));
}

// 4.6 cursor paging: ids from `start` on, no count, `next` from the last id; NetBox's 400 for a
// bad start.
common::Result<void, http::Response> cursor_page(RequestContext& context, const Model& model,
                                                 const http::Request& request,
                                                 std::string_view start, int64_t limit,
                                                 Condition& where, json::object& body,
                                                 std::vector<StoredObject>& rows) {
  const auto start_id = parse_integer(start);
  if (!start_id || *start_id < 0) {
    return common::Failure{http::Response::json(
        http::Status::bad_request, json::object{{"start", json::array{"Invalid start value."}}})};
  }
  if (request.query_value("offset") || request.query_value("ordering")) {
    return common::Failure{
        detail(http::Status::bad_request,
               "The start parameter cannot be combined with offset or ordering.")};
  }
  where.add("id >= ?", {*start_id});
  rows = context.store.select(model, where, "id", limit, 0);
  body["count"] = nullptr;
  body["next"] = nullptr;
  if (static_cast<int64_t>(rows.size()) == limit) {
    body["next"] = page_url(
        context, request,
        {{"start", std::to_string(rows.back().id + 1)}, {"limit", std::to_string(limit)}}, {});
  }
  body["previous"] = nullptr;
  return {};
}

// limit/offset paging with the total count and absolute next/previous links.
void offset_page(RequestContext& context, const Model& model, const http::Request& request,
                 int64_t limit, int64_t offset, const Condition& where, json::object& body,
                 std::vector<StoredObject>& rows) {
  const int64_t total = context.store.count(model, where);
  // NetBox answers an offset past the end without querying; offset + limit could overflow.
  if (offset <= total) {
    rows = context.store.select(model, where, order_clause(model, request), limit, offset);
  }
  body["count"] = total;
  body["next"] =
      offset < total - limit
          ? json::value(page_url(
                context, request,
                {{"limit", std::to_string(limit)}, {"offset", std::to_string(offset + limit)}}, {}))
          : json::value(nullptr);
  if (offset <= 0) {
    body["previous"] = nullptr;
  } else if (offset - limit <= 0) {
    body["previous"] = page_url(context, request, {{"limit", std::to_string(limit)}}, {"offset"});
  } else {
    body["previous"] = page_url(
        context, request,
        {{"limit", std::to_string(limit)}, {"offset", std::to_string(offset - limit)}}, {});
  }
}

}  // namespace

http::Response list_objects(RequestContext& context, const Model& model,
                            const http::Request& request) {
  auto where = build_filter(context, model, request);
  if (!where) return where.error();
  const int64_t limit = parse_limit(request);
  // DRF's offset: a negative or non-integer offset is 0, a huge one is past every page.
  int64_t offset = 0;
  if (auto text = request.query_value("offset")) {
    offset = std::max<int64_t>(0, parse_integer_clamped(*text).value_or(0));
  }
  const Selection chosen = selection(context, model, request);
  json::object body;
  std::vector<StoredObject> rows;
  if (auto start = request.query_value("start"); start && context.at_least("4.6")) {
    auto paged = cursor_page(context, model, request, *start, limit, *where, body, rows);
    if (!paged) return paged.error();
  } else {
    offset_page(context, model, request, limit, offset, *where, body, rows);
  }
  json::array results;
  results.reserve(rows.size());
  prefetch_counts(context, model, rows, chosen.only_ptr());
  for (const StoredObject& row : rows) {
    results.push_back(
        render(context, model, row.id, row.data, chosen.only_ptr(), chosen.omit_ptr()));
  }
  body["results"] = std::move(results);
  return http::Response::json(body);
}

http::Response get_object(RequestContext& context, const Model& model,
                          const http::Request& request) {
  const auto id = path_id(request);
  const auto data = id ? context.store.get(model, *id) : std::nullopt;
  if (!data) return not_found(model);
  const Selection chosen = selection(context, model, request);
  return with_etag(context,
                   http::Response::json(
                       render(context, model, *id, *data, chosen.only_ptr(), chosen.omit_ptr())),
                   model, *id);
}

std::optional<int64_t> path_id(const http::Request& request) {
  return parse_integer(request.path_param("id"));
}

std::string etag(const json::object& data) {
  const json::value* updated = data.if_contains("last_updated");
  const std::string stamp =
      updated && updated->is_string() ? std::string(updated->get_string()) : "";
  return "\"" + std::to_string(std::hash<std::string>{}(stamp)) + "\"";
}

http::Response with_etag(RequestContext& context, http::Response response, const Model& model,
                         int64_t id) {
  if (!context.at_least("4.6")) return response;
  if (const auto data = context.store.get(model, id)) response.headers.set("ETag", etag(*data));
  return response;
}

}  // namespace pbx::netbox
