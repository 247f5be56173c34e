#include "sync/keyset_paging.hpp"

#include <boost/json/parse.hpp>

#include "sync/json_util.hpp"

namespace pbx::sync {
namespace json = boost::json;

std::vector<IdRange> split_id_range(int64_t after, int64_t last, int64_t rows, int64_t page) {
  std::vector<IdRange> ranges;
  if (last <= after) return ranges;
  page = std::max<int64_t>(1, page);
  rows = std::max<int64_t>(1, rows);
  const int64_t span = last - after;
  // ceil(span * page / rows) without overflow for any id: spread over `rows / page` ranges.
  const int64_t wanted = std::max<int64_t>(1, (rows + page - 1) / page);
  const int64_t width = std::max(page, span / wanted + (span % wanted ? 1 : 0));
  for (int64_t start = after; start < last;) {
    const int64_t end = last - start <= width ? last : start + width;
    ranges.push_back({start, end});
    start = end;
  }
  return ranges;
}

ListPage parse_list_page(const std::string& body) {
  json::value parsed = json::parse(body);
  ListPage page;
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

std::optional<int64_t> object_id(const json::object& object) {
  const json::value* id = object.if_contains("id");
  if (!id) return std::nullopt;
  if (id->is_int64()) return id->get_int64();
  if (id->is_uint64() && id->get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(id->get_uint64());
  }
  return std::nullopt;
}

}  // namespace pbx::sync
