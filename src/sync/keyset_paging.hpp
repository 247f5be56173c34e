#pragma once
// Keyset paging of a NetBox list: which id ranges to list, concurrently, after the first page.
// A page chosen by `id__gt=<last id>&ordering=id` costs NetBox (and the emulator) an index range
// scan, where `offset=N` costs a scan of N rows; ranges of ids are independent of each other,
// so they can be listed at once, and an id range never shifts under concurrent writes.

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pbx::sync {

// Ids in (after, last].
struct IdRange {
  int64_t after = 0;
  int64_t last = 0;
  bool operator==(const IdRange&) const = default;
};

// (after, last] cut into consecutive ranges expected to hold about `page` of the `rows` objects
// left each (the ids spread evenly): as wide as `page` ids at least (no range can hold more
// objects than ids), wider where ids are sparse. Empty when there is nothing after `after`.
std::vector<IdRange> split_id_range(int64_t after, int64_t last, int64_t rows, int64_t page);

// One page of a NetBox list answer.
struct ListPage {
  std::vector<boost::json::object> results;
  std::optional<int64_t> count;
  std::string next;  // absolute URL, empty on the last page
};
ListPage parse_list_page(const std::string& body);

// The integer `id` of an object, if it has one.
std::optional<int64_t> object_id(const boost::json::object& object);

}  // namespace pbx::sync
