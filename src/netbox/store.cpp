#include "netbox/store.hpp"

#include <sqlite3.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <type_traits>
#include <variant>

namespace pbx::netbox {
namespace {

namespace json = boost::json;

// Dynamic filter SQL varies per query; cap the cache so odd queries cannot grow it unbounded.
constexpr size_t kMaxCachedStatements = 512;

void bind_all(common::Statement& statement, const std::vector<common::SqlValue>& params,
              int first = 1) {
  int index = first;
  for (const common::SqlValue& value : params)
    statement.bind(index++, value);
}

StoredObject read_row(common::Statement& statement) {
  StoredObject object;
  object.id = statement.column_int(0);
  object.data = json::parse(statement.column_text(1)).as_object();
  return object;
}

}  // namespace

void Condition::add(std::string clause, std::vector<common::SqlValue> values) {
  if (!sql.empty()) sql += " AND ";
  sql += "(" + clause + ")";
  for (auto& value : values)
    params.push_back(std::move(value));
}

void Condition::add_starts_with(const std::string& expression, const std::string& prefix) {
  // The first string after every one that begins with `prefix`: its last byte below 0xFF
  // incremented, what follows dropped. None when every byte is 0xFF.
  std::string after = prefix;
  while (!after.empty() && static_cast<unsigned char>(after.back()) == 0xFF)
    after.pop_back();
  if (after.empty()) {
    add(expression + " >= ?", {prefix});
    return;
  }
  after.back() = static_cast<char>(static_cast<unsigned char>(after.back()) + 1);
  add(expression + " >= ? AND " + expression + " < ?", {prefix, after});
}

std::string field_sql(std::string_view field) {
  if (field == "id") return "id";
  return "json_extract(data,'$." + std::string(field) + "')";
}

Store::Store(const std::string& path, Role role) : role_(role), db_(path) {
  db_.exec("PRAGMA synchronous=NORMAL");
  if (role_ == Role::owner) create_schema();
}

namespace {

// Fields with an index of their own: filters, relations and the global address and prefix
// tables (NetBox's duplicate checks) look them up.
bool indexed_alone(const Field& field) {
  return field.kind == FieldKind::ForeignKey || field.kind == FieldKind::GenericId ||
         field.kind == FieldKind::IpInterface || field.kind == FieldKind::IpNetwork ||
         field.name == "name" || field.name == "slug";
}

}  // namespace

std::string tags_table(const Model& model) {
  return model.table() + "__tags";
}

void Store::create_schema() {
  common::Transaction transaction(db_);
  for (const Model& model : Registry::instance().models()) {
    const std::string table = model.table();
    db_.exec("CREATE TABLE IF NOT EXISTS " + table +
             " (id INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL)");
    auto index = [&](const std::string& suffix, const std::string& expression) {
      db_.exec("CREATE INDEX IF NOT EXISTS ix_" + table + "_" + suffix + " ON " + table + "(" +
               expression + ")");
    };
    for (const Field& field : model.fields) {
      if (indexed_alone(field)) index(field.name, field_sql(field.name));
    }
    for (const UniqueRule& rule : model.unique)
      create_unique_index(model, rule);
    if (model.tags) create_tag_index(model);
  }
  transaction.commit();
}

// Every write checks each uniqueness rule with one lookup on the rule's fields (check_unique);
// without an index over all of them that lookup scans the table (or every row sharing an
// indexed first field, as snapshots named "daily" do), which made bulk creates quadratic.
void Store::create_unique_index(const Model& model, const UniqueRule& rule) {
  const std::string table = model.table();
  const Field* single = rule.fields.size() == 1 ? model.field(rule.fields.front()) : nullptr;
  if (single && !rule.case_insensitive_first && indexed_alone(*single)) return;
  std::string name = "ix_" + table + (rule.case_insensitive_first ? "_lower" : "");
  std::string columns;
  for (size_t i = 0; i < rule.fields.size(); ++i) {
    name += "_" + rule.fields[i];
    const std::string expression = field_sql(rule.fields[i]);
    columns += (i ? "," : "");
    columns += i == 0 && rule.case_insensitive_first ? "lower(" + expression + ")" : expression;
  }
  db_.exec("CREATE INDEX IF NOT EXISTS " + name + " ON " + table + "(" + columns + ")");
}

// `tag=` filters look tags up in <table>__tags (tag id, object id), which triggers keep equal to
// every row's `tags` array whatever statement writes the row; scanning each row's JSON array
// made a tag filter cost a parse of the whole table. A table created beside existing rows (a
// database file from before the index) is filled from them once.
void Store::create_tag_index(const Model& model) {
  const std::string table = model.table();
  const std::string tags = tags_table(model);
  common::Statement existing =
      db_.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  existing.bind(1, tags);
  const bool existed = existing.step();
  const std::string fill = "INSERT OR IGNORE INTO " + tags +
                           " (tag_id, object_id) SELECT value, new.id FROM json_each(new.data, "
                           "'$.tags') WHERE type = 'integer'";
  db_.exec("CREATE TABLE IF NOT EXISTS " + tags +
           " (tag_id INTEGER NOT NULL, object_id INTEGER NOT NULL, PRIMARY KEY (tag_id, "
           "object_id)) WITHOUT ROWID");
  db_.exec("CREATE INDEX IF NOT EXISTS ix_" + tags + "_object ON " + tags + "(object_id)");
  db_.exec("CREATE TRIGGER IF NOT EXISTS " + tags + "_insert AFTER INSERT ON " + table + " BEGIN " +
           fill + "; END");
  db_.exec("CREATE TRIGGER IF NOT EXISTS " + tags + "_update AFTER UPDATE OF data ON " + table +
           " WHEN json_extract(old.data, '$.tags') IS NOT json_extract(new.data, '$.tags') BEGIN "
           "DELETE FROM " +
           tags + " WHERE object_id = old.id; " + fill + "; END");
  db_.exec("CREATE TRIGGER IF NOT EXISTS " + tags + "_delete AFTER DELETE ON " + table +
           " BEGIN DELETE FROM " + tags + " WHERE object_id = old.id; END");
  if (!existed) {
    db_.exec("INSERT OR IGNORE INTO " + tags + " (tag_id, object_id) SELECT tag.value, " + table +
             ".id FROM " + table + ", json_each(" + table +
             ".data, '$.tags') AS tag WHERE tag.type = 'integer'");
  }
}

// Correlated, so that a keyset page (`id > ? ORDER BY id LIMIT ?`) stays a range scan of the
// primary key probing the tag index per row: `id IN (SELECT object_id ...)` made SQLite build
// the list of every object carrying the tag for each page and each count.
std::string tagged_sql(const Model& model) {
  const std::string table = model.table();
  return "EXISTS (SELECT 1 FROM " + tags_table(model) +
         " WHERE tag_id = ? AND object_id = " + table + ".id)";
}

std::string page_sql(const Model& model, const Condition& where, const std::string& order_by) {
  const std::string table = model.table();
  return "SELECT id, data FROM " + table + " WHERE id IN (SELECT id FROM " + table +
         (where.sql.empty() ? "" : " WHERE " + where.sql) + " ORDER BY " + order_by +
         " LIMIT ? OFFSET ?) ORDER BY " + order_by;
}

common::Statement& Store::statement(const std::string& sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    found = statements_.emplace(sql, db_.prepare(sql)).first;
  }
  found->second.reset();
  return found->second;
}

std::optional<json::object> Store::get(const Model& model, int64_t id) {
  auto& select = statement("SELECT id, data FROM " + model.table() + " WHERE id = ?");
  select.bind(1, id);
  if (!select.step()) return std::nullopt;
  json::object data = read_row(select).data;
  select.reset();  // ends the read so no snapshot outlives the call
  return data;
}

bool Store::exists(const Model& model, int64_t id) {
  auto& select = statement("SELECT 1 FROM " + model.table() + " WHERE id = ?");
  select.bind(1, id);
  const bool found = select.step();
  select.reset();
  return found;
}

int64_t Store::insert(const Model& model, const json::object& data) {
  auto& insert = statement("INSERT INTO " + model.table() + " (data) VALUES (?)");
  insert.bind(1, json::serialize(data));
  insert.step();
  return db_.last_insert_id();
}

void Store::update(const Model& model, int64_t id, const json::object& data) {
  auto& update = statement("UPDATE " + model.table() + " SET data = ? WHERE id = ?");
  update.bind(1, json::serialize(data)).bind(2, id);
  update.step();
}

void Store::remove(const Model& model, int64_t id) {
  auto& remove = statement("DELETE FROM " + model.table() + " WHERE id = ?");
  remove.bind(1, id);
  remove.step();
}

int64_t Store::count(const Model& model, const Condition& where) {
  const std::string sql =
      "SELECT count(*) FROM " + model.table() + (where.sql.empty() ? "" : " WHERE " + where.sql);
  // A paged listing asks for the same count once per page, and the count is a full scan of the
  // filter. It cannot change without a change on this connection or a commit on another one
  // (change_stamp), so committed counts are kept until then; inside a transaction nothing is
  // cached, as a rollback does not move the change counter back.
  sqlite3* handle = db_.handle();
  const bool committed = sqlite3_get_autocommit(handle) != 0;
  const int64_t changes = committed ? change_stamp() : 0;
  std::string key;
  if (committed) {
    key = sql;
    for (const common::SqlValue& value : where.params) {
      key += '\x1f';
      key += static_cast<char>('0' + value.index());
      std::visit(
          [&key](const auto& v) {
            if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>) {
              key += std::to_string(v.size()) + ':' + v;  // length first: no ambiguity
            } else if constexpr (!std::is_same_v<std::decay_t<decltype(v)>, std::monostate>) {
              key += std::to_string(v);
            }
          },
          value);
    }
    if (auto found = counts_.find(key);
        found != counts_.end() && found->second.changes == changes) {
      return found->second.rows;
    }
  }
  auto& select = statement(sql);
  bind_all(select, where.params);
  select.step();
  const int64_t rows = select.column_int(0);
  select.reset();
  if (committed) {
    if (counts_.size() >= kMaxCachedStatements) counts_.clear();
    counts_[key] = {changes, rows};
  }
  return rows;
}

std::vector<StoredObject> Store::select(const Model& model, const Condition& where,
                                        const std::string& order_by, int64_t limit,
                                        int64_t offset) {
  // The page is chosen on ids alone, then only its rows are read: sorting every matching row
  // with its whole JSON document made each page of a large table cost a sort of the table.
  auto& select = statement(page_sql(model, where, order_by));
  bind_all(select, where.params);
  const int next = static_cast<int>(where.params.size()) + 1;
  select.bind(next, limit).bind(next + 1, offset);
  std::vector<StoredObject> rows;
  while (select.step())
    rows.push_back(read_row(select));
  return rows;
}

std::vector<int64_t> Store::ids(const Model& model, const Condition& where) {
  auto& select = statement("SELECT id FROM " + model.table() +
                           (where.sql.empty() ? "" : " WHERE " + where.sql) + " ORDER BY id");
  bind_all(select, where.params);
  std::vector<int64_t> ids;
  while (select.step())
    ids.push_back(select.column_int(0));
  return ids;
}

void Store::clear_references(const Model& model, const std::string& field, int64_t id) {
  auto& update = statement("UPDATE " + model.table() + " SET data = json_set(data, '$." + field +
                           "', json('null')) WHERE " + field_sql(field) + " = ?");
  update.bind(1, id);
  update.step();
}

int64_t Store::change_stamp() {
  if (role_ == Role::owner) return sqlite3_total_changes64(db_.handle());
  auto& version = statement("PRAGMA data_version");
  version.step();
  const int64_t seen = version.column_int(0);
  version.reset();
  return seen;
}

void Store::trim_cache() {
  if (statements_.size() >= kMaxCachedStatements) statements_.clear();
}

void Store::clear_all() {
  statements_.clear();
  common::Transaction transaction(db_);
  for (const Model& model : Registry::instance().models()) {
    db_.exec("DELETE FROM " + model.table());
  }
  db_.exec("DELETE FROM sqlite_sequence");
  transaction.commit();
}

}  // namespace pbx::netbox
