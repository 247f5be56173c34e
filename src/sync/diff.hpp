#pragma once
// The difference between what NetBox should hold and what it holds, per object kind. Pure:
// no I/O, so every rule (changed fields only, tags kept, orphans) is unit-tested directly.

#include <boost/json/object.hpp>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pbx::sync {

// An object as the sync wants it: `fields` in NetBox's write form (relations as ids, choices
// as raw values, `tags` as ids, `custom_fields` as an object of the fields we own).
struct DesiredObject {
  std::string key;  // identity, never the display name alone
  boost::json::object fields;
};

// An object as NetBox returned it, with the identity the mapping derived from it.
struct CurrentObject {
  int64_t id = 0;
  std::string key;
  boost::json::object fields;
};

struct Update {
  int64_t id = 0;
  std::string key;
  boost::json::object patch;  // "id" plus only the fields that differ
};

// A current object by identity only (its fields are not needed once the diff is made).
struct ObjectRef {
  int64_t id = 0;
  std::string key;
};

struct Plan {
  std::vector<DesiredObject> creates;
  std::vector<Update> updates;
  std::vector<ObjectRef> unchanged;  // matched, nothing to write (ids for the next layer)
  std::vector<ObjectRef> orphans;    // current objects no desired object matched
};

struct DiffOptions {
  // Custom fields that change on every run (a timestamp): never a reason to write, but carried
  // along whenever the object is written anyway.
  std::set<std::string> volatile_custom_fields;
};

Plan diff(const std::vector<DesiredObject>& desired, const std::vector<CurrentObject>& current,
          const DiffOptions& options = {});

// `fields=` (NetBox 4.0+) naming only what the diff compares and the key is made of, as a
// query parameter: NetBox renders, sends and we parse a fraction of each object (nested
// relations, counts, URLs).
std::pair<std::string, std::string> fields_to_read(
    const std::vector<DesiredObject>& desired, std::initializer_list<std::string_view> key_fields);

// Whether a NetBox read value matches a write value: {"id":n,...} vs n, {"value":v,...} vs v,
// 2.0 vs 2, "…+00:00" vs "…Z".
bool same_value(const boost::json::value& desired, const boost::json::value& current);

}  // namespace pbx::sync
