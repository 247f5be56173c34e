#pragma once
// SQLite persistence for the model registry: one table per model holding the stored
// representation as JSON (`data`), with expression indexes on the fields that filters and
// uniqueness checks hit (names, slugs, foreign keys, every uniqueness rule's fields), and per
// tagged model a tag table kept by triggers. Statements are prepared once and cached.

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/sqlite.hpp"
#include "netbox/model.hpp"

namespace pbx::netbox {

// A WHERE clause over `data` with its bound parameters.
struct Condition {
  std::string sql;  // "" matches everything
  std::vector<common::SqlValue> params;

  void add(std::string clause, std::vector<common::SqlValue> values = {});
  // `expression` begins with `prefix` (byte-wise, case-sensitive), as a range an index on
  // `expression` can search; LIKE 'prefix%' cannot use one and scans.
  void add_starts_with(const std::string& expression, const std::string& prefix);
};

struct StoredObject {
  int64_t id = 0;
  boost::json::object data;
};

// SQL text for a stored field: json_extract(data,'$.name'); "id" is the primary key.
std::string field_sql(std::string_view field);

// The table indexing a tagged model's `tags` (tag_id, object_id), kept by triggers.
std::string tags_table(const Model& model);
// A condition on one tag id (one parameter): the rows of `model` carrying that tag.
std::string tagged_sql(const Model& model);
// The query of one page of `model` (Store::select): ids chosen by `where` in `order_by` order,
// then their rows; the parameters are where's, then limit and offset.
std::string page_sql(const Model& model, const Condition& where, const std::string& order_by);

class Store {
 public:
  // The owner creates the tables and indexes and takes every write. A reader is one more
  // connection to the owner's database file (WAL: readers run beside each other and beside
  // the owner) that only reads; ":memory:" has no readers (each connection is its own database).
  enum class Role { owner, reader };
  explicit Store(const std::string& path, Role role = Role::owner);

  common::Database& database() { return db_; }
  // A cached prepared statement, reset and ready for binding. References stay valid until
  // trim_cache(), which callers run between requests.
  common::Statement& statement(const std::string& sql);
  void trim_cache();

  std::optional<boost::json::object> get(const Model& model, int64_t id);
  bool exists(const Model& model, int64_t id);
  int64_t insert(const Model& model, const boost::json::object& data);
  void update(const Model& model, int64_t id, const boost::json::object& data);
  void remove(const Model& model, int64_t id);

  int64_t count(const Model& model, const Condition& where);
  std::vector<StoredObject> select(const Model& model, const Condition& where,
                                   const std::string& order_by, int64_t limit, int64_t offset);
  std::vector<int64_t> ids(const Model& model, const Condition& where);
  // Sets `field` to null in every row that points at `id` through it.
  void clear_references(const Model& model, const std::string& field, int64_t id);

  void clear_all();

 private:
  void create_schema();
  void create_unique_index(const Model& model, const UniqueRule& rule);
  void create_tag_index(const Model& model);
  Role role_;
  common::Database db_;
  std::unordered_map<std::string, common::Statement> statements_;
  // What has changed in the database as this connection sees it: the owner's own changes
  // (nobody else writes), a reader's `PRAGMA data_version` (it moves when the owner commits).
  int64_t change_stamp();
  struct CachedCount {
    int64_t changes = 0;  // change_stamp() when counted
    int64_t rows = 0;
  };
  std::unordered_map<std::string, CachedCount> counts_;  // by SQL and parameters
};

}  // namespace pbx::netbox
