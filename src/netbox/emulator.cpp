#include "netbox/emulator.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <variant>

#include "http/router.hpp"
#include "netbox/model.hpp"
#include "netbox/store.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox {
namespace {

namespace json = boost::json;
using http::Request;
using http::Response;
using http::Status;
using http::Verb;

// Field-keyed messages in NetBox's 400 shape: {"name": ["..."], "__all__": ["..."]}.
using Errors = std::map<std::string, std::vector<std::string>>;

json::object to_json(const Errors& errors) {
  json::object out;
  for (const auto& [key, messages] : errors) {
    json::array list;
    for (const auto& message : messages)
      list.emplace_back(message);
    out[key] = std::move(list);
  }
  return out;
}

Response detail(Status status, std::string_view message) {
  return Response::json(status, json::object{{"detail", message}});
}

Response not_found(const Model& model) {
  return detail(Status::not_found, "No " + model.class_name + " matches the given query.");
}

constexpr int64_t kDefaultPageSize = 50;
constexpr int64_t kMaxPageSize = 1000;

const std::set<std::string> kReservedParams = {"limit", "offset",   "brief", "fields",
                                               "omit",  "ordering", "start", "format"};

// "virtual_machine_id" pairs with "virtual_machine_type" in generic relations.
std::string type_field_for(const std::string& id_field) {
  return id_field.substr(0, id_field.size() - 3) + "_type";
}

struct Lookup {
  std::string base;
  std::string op;  // "" = exact
};

Lookup split_lookup(const std::string& name) {
  static const std::set<std::string> kOps = {"n",   "ic",   "nic", "ie", "nie", "isw", "nisw",
                                             "iew", "niew", "gte", "gt", "lte", "lt",  "empty"};
  const size_t at = name.rfind("__");
  if (at != std::string::npos && kOps.count(name.substr(at + 2))) {
    return {name.substr(0, at), name.substr(at + 2)};
  }
  return {name, ""};
}

enum class ValueType { Integer, Number, Boolean, Text };

ValueType value_type(FieldKind kind) {
  switch (kind) {
    case FieldKind::Integer:
    case FieldKind::ForeignKey:
    case FieldKind::GenericId:
      return ValueType::Integer;
    case FieldKind::Number:
      return ValueType::Number;
    case FieldKind::Boolean:
      return ValueType::Boolean;
    default:
      return ValueType::Text;
  }
}

std::string like_pattern(std::string_view value, bool prefix_wild, bool suffix_wild) {
  std::string pattern = prefix_wild ? "%" : "";
  for (const char c : value) {
    if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
    pattern.push_back(c);
  }
  if (suffix_wild) pattern.push_back('%');
  return pattern;
}

// Adds `expression <lookup> values` to `where`; returns an error message for a bad value.
std::optional<std::string> apply_lookup(Condition& where, const std::string& expression,
                                        ValueType type, const std::string& op,
                                        const std::vector<std::string>& values) {
  if (op == "empty") {
    const auto flag = parse_boolean(values.front());
    if (!flag) return "Enter a valid boolean.";
    const std::string empty = "(" + expression + " IS NULL OR " + expression + " = '')";
    where.add(*flag ? empty : "NOT " + empty);
    return std::nullopt;
  }
  const bool text_op = op == "ic" || op == "nic" || op == "isw" || op == "nisw" || op == "iew" ||
                       op == "niew" || op == "ie" || op == "nie";
  if (text_op) {
    std::string clause;
    std::vector<common::SqlValue> params;
    for (const std::string& value : values) {
      if (!clause.empty()) clause += " OR ";
      if (op == "ie" || op == "nie") {
        clause += "lower(" + expression + ") = lower(?)";
        params.emplace_back(value);
      } else {
        clause += expression + " LIKE ? ESCAPE '\\'";
        const bool starts = op == "isw" || op == "nisw";
        const bool ends = op == "iew" || op == "niew";
        params.emplace_back(like_pattern(value, !starts, !ends));
      }
    }
    const bool negated = op.front() == 'n';
    where.add(negated ? expression + " IS NULL OR NOT (" + clause + ")" : clause,
              std::move(params));
    return std::nullopt;
  }
  std::vector<common::SqlValue> params;
  bool has_null = false;
  for (const std::string& value : values) {
    if (value == "null" && type != ValueType::Text) {
      has_null = true;
      continue;
    }
    switch (type) {
      case ValueType::Integer: {
        const auto number = parse_integer(value);
        if (!number) return "Enter a whole number.";
        params.emplace_back(*number);
        break;
      }
      case ValueType::Number: {
        const auto number = parse_number(value);
        if (!number) return "Enter a number.";
        params.emplace_back(*number);
        break;
      }
      case ValueType::Boolean: {
        const auto flag = parse_boolean(value);
        if (!flag)
          return "Select a valid choice. " + value + " is not one of the available choices.";
        params.emplace_back(static_cast<int64_t>(*flag ? 1 : 0));
        break;
      }
      case ValueType::Text:
        params.emplace_back(value);
        break;
    }
  }
  if (op == "gte" || op == "gt" || op == "lte" || op == "lt") {
    const std::string symbol = op == "gte" ? ">=" : op == "gt" ? ">" : op == "lte" ? "<=" : "<";
    std::string clause;
    for (size_t i = 0; i < params.size(); ++i) {
      clause += (i ? " OR " : "") + expression + " " + symbol + " ?";
    }
    if (!clause.empty()) where.add(clause, std::move(params));
    return std::nullopt;
  }
  std::string in_list;
  for (size_t i = 0; i < params.size(); ++i)
    in_list += i ? ",?" : "?";
  std::string matches;
  if (!params.empty()) matches = expression + " IN (" + in_list + ")";
  if (has_null) matches += (matches.empty() ? "" : " OR ") + expression + " IS NULL";
  if (matches.empty()) return std::nullopt;
  if (op == "n") {
    // Django's exclude(): rows whose value is null are kept unless null itself is excluded.
    where.add(has_null ? "NOT (" + matches + ")" : expression + " IS NULL OR NOT (" + matches + ")",
              std::move(params));
  } else {
    where.add(matches, std::move(params));
  }
  return std::nullopt;
}

std::string choice_label(const Field& field, std::string_view value) {
  for (const Choice& choice : field.choices) {
    if (choice.value == value) return choice.label;
  }
  return "";
}

std::string custom_field_data_type(std::string_view type) {
  if (type == "integer") return "integer";
  if (type == "decimal") return "decimal";
  if (type == "boolean") return "boolean";
  if (type == "json" || type == "object") return "object";
  if (type == "multiselect" || type == "multiobject") return "array";
  return "string";
}

}  // namespace

struct Emulator::Impl {
  // Per-request state: the base URL for links and caches that keep rendering free of N+1 reads.
  struct Context {
    std::string base;  // "https://netbox.example"
    std::map<std::pair<const Model*, int64_t>, json::value> nested;
    std::optional<std::vector<StoredObject>> custom_fields;
    std::map<int64_t, int64_t> cluster_sites;  // cluster id → scoped site id (0: none)
    std::map<std::pair<const Field*, int64_t>, int64_t> counts;      // prefetched per list page
    std::map<std::pair<const Field*, int64_t>, json::value> totals;  // likewise
  };

  EmulatorOptions options;
  Store store;
  http::Router router;
  std::mutex mutex;
  std::map<std::string, int64_t> request_counts;
  int64_t write_count = 0;
  std::vector<std::string> v1_tokens;
  std::vector<std::string> v2_tokens;
  Context* context = nullptr;  // the request being served (requests are serialised)
  std::map<const Model*, std::vector<std::string>> field_names;  // full rendering order

  explicit Impl(EmulatorOptions emulator_options)
      : options(std::move(emulator_options)), store(options.database) {
    if (options.tokens.empty()) options.tokens.push_back(kDefaultToken);
    for (const std::string& token : options.tokens) {
      (token.rfind("nbt_", 0) == 0 ? v2_tokens : v1_tokens).push_back(token);
    }
    register_routes();
  }

  bool at_least(std::string_view version) const {
    return compare_versions(options.version, version) >= 0;
  }

  std::vector<const Model*> served_models() const {
    std::vector<const Model*> models;
    for (const Model& model : Registry::instance().models()) {
      if (model.since.empty() || at_least(model.since)) models.push_back(&model);
    }
    return models;
  }

  // ---- auth ------------------------------------------------------------------------------

  std::optional<Response> authenticate(const Request& request) const {
    const std::string_view header = request.header(http::Field::authorization);
    const size_t space = header.find(' ');
    const std::string_view keyword = header.substr(0, space);
    const std::string value =
        space == std::string_view::npos ? std::string{} : trim(header.substr(space + 1));
    const bool keyword_ok = keyword == "Token" || (keyword == "Bearer" && at_least("4.5"));
    if (header.empty() || !keyword_ok || value.empty()) {
      return detail(Status::forbidden, "Authentication credentials were not provided.");
    }
    const bool v2 = value.rfind("nbt_", 0) == 0;
    if (!at_least("4.5")) {
      if (std::find(v1_tokens.begin(), v1_tokens.end(), value) != v1_tokens.end()) {
        return std::nullopt;
      }
      return detail(Status::forbidden, "Invalid token");
    }
    if (v2) {
      const bool well_formed = value.find('.') != std::string::npos;
      if (well_formed && std::find(v2_tokens.begin(), v2_tokens.end(), value) != v2_tokens.end()) {
        return std::nullopt;
      }
      return detail(Status::forbidden, "Invalid v2 token");
    }
    if (std::find(v1_tokens.begin(), v1_tokens.end(), value) != v1_tokens.end()) {
      return std::nullopt;
    }
    return detail(Status::forbidden, "Invalid v1 token");
  }

  http::Handler guarded(std::function<Response(Request&)> handler) {
    return [this, handler = std::move(handler)](Request& request) {
      if (auto denied = authenticate(request)) return *denied;
      return handler(request);
    };
  }

  // ---- routes ----------------------------------------------------------------------------

  void register_routes() {
    router.on_not_found([](const Request&) { return detail(Status::not_found, "Not found."); });
    router.on_method_not_allowed([](const Request& request, const std::vector<Verb>&) {
      return detail(Status::method_not_allowed,
                    "Method \"" + std::string(boost::beast::http::to_string(request.method)) +
                        "\" not allowed.");
    });
    router.get("/api/", [this](Request&) { return api_root(); });
    router.get("/api/status/", [this](Request&) { return status(); });
    if (at_least("4.5")) {
      router.get(
          "/api/authentication-check/", guarded([this](Request&) {
            return Response::json(json::object{{"id", 1},
                                               {"url", context->base + "/api/users/users/1/"},
                                               {"display", "admin"},
                                               {"username", "admin"}});
          }));
    }
    router.post("/api/__emulator__/reset/", guarded([this](Request&) {
                  store.clear_all();
                  request_counts.clear();
                  write_count = 0;
                  return Response::json(json::object{{"reset", true}});
                }));
    router.get("/api/__emulator__/stats/", guarded([this](Request&) { return stats(); }));

    std::set<std::string> app_roots;
    for (const Model* model : served_models()) {
      const std::string list = "/api/" + model->path + "/";
      const std::string item = list + "{id}/";
      router.get(list, guarded([this, model](Request& r) { return list_objects(*model, r); }));
      router.post(list, guarded([this, model](Request& r) { return create(*model, r); }));
      router.put(list,
                 guarded([this, model](Request& r) { return update_bulk(*model, r, false); }));
      router.patch(list,
                   guarded([this, model](Request& r) { return update_bulk(*model, r, true); }));
      router.del(list, guarded([this, model](Request& r) { return delete_bulk(*model, r); }));
      router.get(item, guarded([this, model](Request& r) { return get_object(*model, r); }));
      router.put(item, guarded([this, model](Request& r) { return update_one(*model, r, false); }));
      router.patch(item,
                   guarded([this, model](Request& r) { return update_one(*model, r, true); }));
      router.del(item, guarded([this, model](Request& r) { return delete_one(*model, r); }));
      app_roots.insert(model->path.substr(0, model->path.rfind('/')));
    }
    for (const std::string& app : app_roots) {
      router.get("/api/" + app + "/", guarded([this, app](Request&) { return app_root(app); }));
    }
    router.get(
        "/api/plugins/", guarded([this](Request&) {
          return Response::json(json::object{{"proxbox", context->base + "/api/plugins/proxbox/"}});
        }));
  }

  Response api_root() {
    json::object root;
    for (const char* app : {"circuits", "core", "dcim", "extras", "ipam", "plugins", "status",
                            "tenancy", "users", "virtualization", "vpn", "wireless"}) {
      root[app] = context->base + "/api/" + app + "/";
    }
    return Response::json(root);
  }

  Response app_root(const std::string& app) {
    json::object endpoints;
    for (const Model* model : served_models()) {
      if (model->path.substr(0, model->path.rfind('/')) != app) continue;
      const std::string endpoint = model->path.substr(model->path.rfind('/') + 1);
      endpoints[endpoint] = context->base + "/api/" + model->path + "/";
    }
    return Response::json(endpoints);
  }

  Response status() {
    json::object apps{{"django_filters", "24.3"},    {"django_tables2", "2.7.5"},
                      {"drf_spectacular", "0.28.0"}, {"mptt", "0.16.0"},
                      {"rest_framework", "3.15.2"},  {"taggit", "6.1.0"}};
    json::object body;
    body["django-version"] = at_least("4.5") ? "5.2.8" : "5.1.5";
    body[at_least("4.4") ? "installed_apps" : "installed-apps"] = apps;
    body["netbox-version"] = options.full_version;
    if (at_least("4.3")) body["netbox-full-version"] = options.full_version;
    if (at_least("4.4")) body["hostname"] = "netbox-emulator";
    body["plugins"] = json::object{{"netbox_proxbox", "0.0.7"}};
    body["python-version"] = "3.12.3";
    body["rq-workers-running"] = 1;
    return Response::json(body);
  }

  Response stats() {
    json::object counts;
    for (const auto& [key, value] : request_counts)
      counts[key] = value;
    return Response::json(json::object{{"requests", counts}, {"writes", write_count}});
  }

  // ---- rendering -------------------------------------------------------------------------

  std::string object_url(const Model& model, int64_t id) const {
    return context->base + "/api/" + model.path + "/" + std::to_string(id) + "/";
  }

  std::string display(const Model& model, int64_t id, const json::object& data) const {
    std::string out;
    const std::string& pattern = model.display;
    bool empty = true;
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (pattern[i] != '{') {
        out.push_back(pattern[i]);
        continue;
      }
      const size_t close = pattern.find('}', i);
      const json::value* value = data.if_contains(pattern.substr(i + 1, close - i - 1));
      if (value && value->is_string()) {
        out += value->get_string();
        empty = empty && value->get_string().empty();
      } else if (value && !value->is_null()) {
        out += json::serialize(*value);
        empty = false;
      }
      i = close;
    }
    if (empty && !model.display_fallback.empty()) {
      return model.display_fallback + " (" + std::to_string(id) + ")";
    }
    return out;
  }

  json::value nested(const Model& model, int64_t id) {
    const auto key = std::make_pair(&model, id);
    if (auto found = context->nested.find(key); found != context->nested.end()) {
      return found->second;
    }
    const auto data = store.get(model, id);
    json::value rendered = nullptr;
    if (data) rendered = render(model, id, *data, &model.brief, nullptr);
    context->nested.emplace(key, rendered);
    return rendered;
  }

  const std::vector<StoredObject>& custom_field_rows() {
    if (!context->custom_fields) {
      const Model& model = *Registry::instance().by_key("extras.customfield");
      context->custom_fields = store.select(model, {}, field_sql("name"), -1, 0);
    }
    return *context->custom_fields;
  }

  // Custom fields that apply to `model`, in name order.
  std::vector<const json::object*> custom_fields_for(const Model& model) {
    std::vector<const json::object*> fields;
    for (const StoredObject& row : custom_field_rows()) {
      const json::value* types = row.data.if_contains("object_types");
      if (!types || !types->is_array()) continue;
      for (const json::value& type : types->get_array()) {
        if (type.is_string() && type.get_string() == model.key) {
          fields.push_back(&row.data);
          break;
        }
      }
    }
    return fields;
  }

  json::value render_custom_field_value(const json::object& definition, const json::value& value) {
    const std::string type(definition.at("type").as_string());
    const json::value* related_type = definition.if_contains("related_object_type");
    const Model* related = related_type && related_type->is_string()
                               ? Registry::instance().by_key(related_type->get_string())
                               : nullptr;
    if (related && type == "object" && value.is_int64()) return nested(*related, value.get_int64());
    if (related && type == "multiobject" && value.is_array()) {
      json::array items;
      for (const json::value& id : value.get_array()) {
        if (id.is_int64()) items.push_back(nested(*related, id.get_int64()));
      }
      return items;
    }
    return value;
  }

  json::value render_field(const Model& model, int64_t id, const json::object& data,
                           const std::string& name) {
    if (name == "id") return id;
    if (name == "url") return json::string(object_url(model, id));
    if (name == "display_url") {
      return json::string(context->base + "/" + model.path + "/" + std::to_string(id) + "/");
    }
    if (name == "display") return json::string(display(model, id, data));
    if (name == "created" || name == "last_updated") {
      const json::value* value = data.if_contains(name);
      return value ? *value : json::value(nullptr);
    }
    if (name == "tags") {
      json::array tags;
      const Model& tag_model = *Registry::instance().by_key("extras.tag");
      if (const json::value* ids = data.if_contains("tags"); ids && ids->is_array()) {
        for (const json::value& tag_id : ids->get_array()) {
          json::value tag = nested(tag_model, tag_id.to_number<int64_t>());
          if (!tag.is_null()) tags.push_back(std::move(tag));
        }
      }
      return tags;
    }
    if (name == "custom_fields") {
      json::object values;
      const json::value* stored = data.if_contains("custom_fields");
      for (const json::object* definition : custom_fields_for(model)) {
        const std::string cf_name(definition->at("name").as_string());
        const json::value* value =
            stored && stored->is_object() ? stored->get_object().if_contains(cf_name) : nullptr;
        values[cf_name] = value ? render_custom_field_value(*definition, *value) : nullptr;
      }
      return values;
    }
    const Field* field = model.field(name);
    if (!field) return nullptr;
    const json::value* value = data.if_contains(name);
    switch (field->kind) {
      case FieldKind::Choice: {
        if (!value || !value->is_string() || value->get_string().empty()) return nullptr;
        const std::string raw(value->get_string());
        return json::object{{"value", raw}, {"label", choice_label(*field, raw)}};
      }
      case FieldKind::ForeignKey: {
        if (!value || !value->is_int64()) return nullptr;
        return nested(*Registry::instance().by_key(field->related), value->get_int64());
      }
      case FieldKind::GenericObject: {
        const json::value* type = data.if_contains(field->related);
        const json::value* target = data.if_contains(field->via);
        if (!type || !type->is_string() || !target || !target->is_int64()) return nullptr;
        const Model* related = Registry::instance().by_key(type->get_string());
        return related ? nested(*related, target->get_int64()) : json::value(nullptr);
      }
      case FieldKind::Count: {
        if (auto cached = context->counts.find({field, id}); cached != context->counts.end()) {
          return cached->second;
        }
        const Model& related = *Registry::instance().by_key(field->related);
        Condition where = count_scope(model, *field);
        where.add(field_sql(field->via) + " = ?", {id});
        return store.count(related, where);
      }
      case FieldKind::Total: {
        if (auto cached = context->totals.find({field, id}); cached != context->totals.end()) {
          return cached->second;
        }
        const Model& related = *Registry::instance().by_key(field->related);
        auto& query = store.statement("SELECT sum(" + field_sql(field->summed) + ") FROM " +
                                      related.table() + " WHERE " + field_sql(field->via) + " = ?");
        query.bind(1, id);
        query.step();
        json::value sum = total_value(related, *field, query, 0);
        query.reset();
        return sum;
      }
      case FieldKind::Constant:
        if (model.key == "extras.customfield" && name == "data_type") {
          const json::value* type = data.if_contains("type");
          return json::string(
              custom_field_data_type(type && type->is_string() ? type->get_string() : "text"));
        }
        if (model.key == "extras.customfieldchoiceset" && name == "choices_count") {
          const json::value* extra = data.if_contains("extra_choices");
          return static_cast<int64_t>(extra && extra->is_array() ? extra->get_array().size() : 0);
        }
        return field->default_value ? *field->default_value : json::value(nullptr);
      case FieldKind::IpFamily: {
        const json::value* address = data.if_contains(field->via);
        const int family = address && address->is_string() ? ip_family(address->get_string()) : 0;
        if (!family) return nullptr;
        return json::object{{"value", family}, {"label", family == 4 ? "IPv4" : "IPv6"}};
      }
      case FieldKind::String:
      case FieldKind::Slug:
        if (value) return *value;
        return field->nullable ? json::value(nullptr) : json::value("");
      default:
        if (value) return *value;
        if (field->default_value) return *field->default_value;
        return nullptr;
    }
  }

  // A Total's SQL sum at `column`: null when no row had a value (Django's Sum()), else a number
  // of the summed field's kind.
  static json::value total_value(const Model& related, const Field& total, common::Statement& query,
                                 int column) {
    if (query.is_null(column)) return nullptr;
    const Field* summed = related.field(total.summed);
    if (summed && summed->kind == FieldKind::Number) return query.column_double(column);
    return query.column_int(column);
  }

  // Rows a Count field counts, before narrowing to one owner: generic relations also match
  // the owner's content type.
  static Condition count_scope(const Model& model, const Field& field) {
    Condition where;
    const Model& related = *Registry::instance().by_key(field.related);
    if (field.via.size() > 3 && field.via.ends_with("_id") &&
        related.field(type_field_for(field.via))) {
      where.add(field_sql(type_field_for(field.via)) + " = ?", {model.key});
    }
    return where;
  }

  // Fills the count cache for a page of objects: one GROUP BY per Count field instead of one
  // query per object and field.
  void prefetch_counts(const Model& model, const std::vector<StoredObject>& rows) {
    if (rows.empty()) return;
    std::string placeholders;
    std::vector<common::SqlValue> ids;
    for (const StoredObject& row : rows) {
      placeholders += placeholders.empty() ? "?" : ",?";
      ids.emplace_back(row.id);
    }
    for (const Field& field : model.fields) {
      if (field.kind == FieldKind::Total && field_in_version(field, options.version)) {
        const Model& related = *Registry::instance().by_key(field.related);
        auto& query =
            store.statement("SELECT " + field_sql(field.via) + ", sum(" + field_sql(field.summed) +
                            ") FROM " + related.table() + " WHERE " + field_sql(field.via) +
                            " IN (" + placeholders + ") GROUP BY 1");
        int index = 1;
        for (const auto& value : ids)
          query.bind(index++, value);
        for (const StoredObject& row : rows)
          context->totals[{&field, row.id}] = nullptr;
        while (query.step()) {
          context->totals[{&field, query.column_int(0)}] = total_value(related, field, query, 1);
        }
        query.reset();
        continue;
      }
      if (field.kind != FieldKind::Count) continue;
      const Model& related = *Registry::instance().by_key(field.related);
      Condition where = count_scope(model, field);
      where.add(field_sql(field.via) + " IN (" + placeholders + ")", ids);
      auto& query = store.statement("SELECT " + field_sql(field.via) + ", count(*) FROM " +
                                    related.table() + " WHERE " + where.sql + " GROUP BY 1");
      int index = 1;
      for (const auto& value : where.params)
        query.bind(index++, value);
      for (const StoredObject& row : rows)
        context->counts[{&field, row.id}] = 0;
      while (query.step())
        context->counts[{&field, query.column_int(0)}] = query.column_int(1);
      query.reset();
    }
  }

  const std::vector<std::string>& full_field_names(const Model& model) {
    auto [cached, fresh] = field_names.try_emplace(&model);
    if (!fresh) return cached->second;
    std::vector<std::string>& names = cached->second;
    names = {"id", "url", "display_url", "display"};
    for (const Field& field : model.fields) {
      if (field_in_version(field, options.version)) names.push_back(field.name);
    }
    if (model.tags) names.push_back("tags");
    if (model.custom_fields) names.push_back("custom_fields");
    names.push_back("created");
    names.push_back("last_updated");
    return names;
  }

  // Renders with every field, or only `only` (brief/fields=), minus `omit`.
  json::object render(const Model& model, int64_t id, const json::object& data,
                      const std::vector<std::string>* only, const std::set<std::string>* omit) {
    json::object out;
    const std::vector<std::string>& names = only ? *only : full_field_names(model);
    for (const std::string& name : names) {
      if (omit && omit->count(name)) continue;
      out[name] = render_field(model, id, data, name);
    }
    return out;
  }

  json::value render_stored(const Model& model, int64_t id) {
    context->nested.clear();  // counts and relations may have changed with the write
    const auto data = store.get(model, id);
    if (!data) return nullptr;
    return render(model, id, *data, nullptr, nullptr);
  }

  // ---- lists -----------------------------------------------------------------------------

  std::optional<std::vector<int64_t>> resolve_filter_values(const Model& related,
                                                            const std::vector<std::string>& values,
                                                            const std::string& param,
                                                            Errors& errors, bool& has_null) {
    const std::string key = related.field("slug") ? "slug" : related.field("name") ? "name" : "id";
    std::vector<int64_t> ids;
    for (const std::string& value : values) {
      if (value == "null") {
        has_null = true;
        continue;
      }
      Condition where;
      where.add(field_sql(key) + " = ?", {value});
      const auto found = store.ids(related, where);
      if (found.empty()) {
        errors[param].push_back("Select a valid choice. " + value +
                                " is not one of the available choices.");
        return std::nullopt;
      }
      ids.insert(ids.end(), found.begin(), found.end());
    }
    return ids;
  }

  static std::vector<std::string> id_strings(const std::vector<int64_t>& ids, bool has_null) {
    std::vector<std::string> out;
    for (int64_t id : ids)
      out.push_back(std::to_string(id));
    if (has_null) out.push_back("null");
    if (out.empty()) out.push_back("0");  // matches nothing
    return out;
  }

  // Translates NetBox filter parameters into SQL; unknown parameters are ignored as NetBox
  // does. Returns 400 errors for values that cannot match (unknown slugs, bad numbers).
  std::optional<Response> build_filter(const Model& model, const Request& request,
                                       Condition& where) {
    std::map<std::string, std::vector<std::string>> grouped;
    std::vector<std::string> order;
    for (const auto& [name, value] : request.query) {
      if (kReservedParams.count(name)) continue;
      if (!grouped.count(name)) order.push_back(name);
      grouped[name].push_back(value);
    }
    Errors errors;
    const Registry& registry = Registry::instance();
    for (const std::string& param : order) {
      const std::vector<std::string>& values = grouped[param];
      const Lookup lookup = split_lookup(param);
      const std::string& base = lookup.base;
      std::optional<std::string> problem;
      if (param == "q") {
        if (values.front().empty() || model.search.empty()) continue;
        std::string clause;
        std::vector<common::SqlValue> params;
        for (const std::string& field : model.search) {
          clause += (clause.empty() ? "" : " OR ") + field_sql(field) + " LIKE ? ESCAPE '\\'";
          params.emplace_back(like_pattern(trim(values.front()), true, true));
        }
        where.add(clause, std::move(params));
        continue;
      }
      if ((base == "tag" || base == "tag_id") && model.tags) {
        const Model& tag_model = *registry.by_key("extras.tag");
        for (const std::string& value : values) {
          std::optional<int64_t> tag_id;
          if (base == "tag_id") {
            tag_id = parse_integer(value);
          } else {
            Condition by_slug;
            by_slug.add(field_sql("slug") + " = ?", {value});
            const auto ids = store.ids(tag_model, by_slug);
            if (!ids.empty()) tag_id = ids.front();
          }
          if (!tag_id) {
            errors[param].push_back("Select a valid choice. " + value +
                                    " is not one of the available choices.");
            break;
          }
          const std::string exists =
              "EXISTS (SELECT 1 FROM json_each(data, '$.tags') WHERE value = ?)";
          where.add(lookup.op == "n" ? "NOT " + exists : exists, {*tag_id});
        }
        continue;
      }
      if (base.rfind("cf_", 0) == 0 && model.custom_fields) {
        const std::string cf_name = base.substr(3);
        for (const json::object* definition : custom_fields_for(model)) {
          if (definition->at("name").as_string() != cf_name) continue;
          const std::string type(definition->at("type").as_string());
          const json::value* logic = definition->if_contains("filter_logic");
          const bool loose = !logic || !logic->is_string() || logic->get_string() == "loose";
          const std::string expression = field_sql("custom_fields." + cf_name);
          ValueType vt = ValueType::Text;
          if (type == "integer" || type == "object") vt = ValueType::Integer;
          if (type == "decimal") vt = ValueType::Number;
          if (type == "boolean") vt = ValueType::Boolean;
          const bool textual = type == "text" || type == "longtext" || type == "url";
          std::string op = lookup.op;
          if (op.empty() && textual && loose) op = "ic";
          problem = apply_lookup(where, expression, vt, op, values);
        }
        if (problem) errors[param].push_back(*problem);
        continue;
      }
      // Clusters and prefixes (4.2+) keep `site`/`site_id` filters through their scope.
      if ((base == "site" || base == "site_id") && !model.field("site") &&
          model.field("scope_type")) {
        bool has_null = false;
        std::optional<std::vector<int64_t>> ids;
        if (base == "site") {
          ids =
              resolve_filter_values(*registry.by_key("dcim.site"), values, param, errors, has_null);
          if (!ids) continue;
        }
        where.add(field_sql("scope_type") + " = 'dcim.site'");
        problem = apply_lookup(where, field_sql("scope_id"), ValueType::Integer, lookup.op,
                               ids ? id_strings(*ids, has_null) : values);
        if (problem) errors[param].push_back(*problem);
        continue;
      }
      // Objects assigned to interfaces (IP and MAC addresses) filter by interface and by its
      // parent virtual machine or device.
      if (model.field("assigned_object_type")) {
        struct Via {
          const char* param;
          const char* interface_type;
          const char* parent_field;  // "" when the parameter names the interface itself
          const char* parent_model;
        };
        static const Via kVias[] = {
            {"interface", "dcim.interface", "", ""},
            {"vminterface", "virtualization.vminterface", "", ""},
            {"device", "dcim.interface", "device", "dcim.device"},
            {"virtual_machine", "virtualization.vminterface", "virtual_machine",
             "virtualization.virtualmachine"},
        };
        bool handled = false;
        for (const Via& via : kVias) {
          const std::string name = via.param;
          if (base != name + "_id" && !(base == name && *via.parent_field)) continue;
          handled = true;
          std::vector<std::string> ids = values;
          if (base == name) {
            bool has_null = false;
            const auto resolved = resolve_filter_values(*registry.by_key(via.parent_model), values,
                                                        param, errors, has_null);
            if (!resolved) break;
            ids = id_strings(*resolved, has_null);
          }
          where.add(field_sql("assigned_object_type") + " = ?", {std::string(via.interface_type)});
          if (*via.parent_field) {
            const Model& interfaces = *registry.by_key(via.interface_type);
            Condition parents;
            problem =
                apply_lookup(parents, field_sql(via.parent_field), ValueType::Integer, "", ids);
            if (!problem) {
              where.add(field_sql("assigned_object_id") + " IN (SELECT id FROM " +
                            interfaces.table() + " WHERE " + parents.sql + ")",
                        parents.params);
            }
          } else {
            problem = apply_lookup(where, field_sql("assigned_object_id"), ValueType::Integer,
                                   lookup.op, ids);
          }
          if (problem) errors[param].push_back(*problem);
          break;
        }
        if (handled) continue;
      }
      if (base == "id") {
        problem = apply_lookup(where, "id", ValueType::Integer, lookup.op, values);
        if (problem) errors[param].push_back(*problem);
        continue;
      }
      // Foreign keys: `<field>_id` by id, `<field>` by slug (or name).
      if (base.size() > 3 && base.ends_with("_id")) {
        const Field* field = model.field(base.substr(0, base.size() - 3));
        if (field && field->kind == FieldKind::ForeignKey) {
          problem =
              apply_lookup(where, field_sql(field->name), ValueType::Integer, lookup.op, values);
          if (problem) errors[param].push_back(*problem);
          continue;
        }
      }
      const Field* field = model.field(base);
      if (!field || !field_in_version(*field, options.version)) continue;
      if (field->kind == FieldKind::ForeignKey) {
        bool has_null = false;
        const auto ids = resolve_filter_values(*registry.by_key(field->related), values, param,
                                               errors, has_null);
        if (!ids) continue;
        problem = apply_lookup(where, field_sql(field->name), ValueType::Integer, lookup.op,
                               id_strings(*ids, has_null));
      } else if (field->kind == FieldKind::StringList) {
        for (const std::string& value : values) {
          where.add(
              "EXISTS (SELECT 1 FROM json_each(data, '$." + field->name + "') WHERE value = ?)",
              {value});
        }
      } else if (field->kind == FieldKind::IpFamily) {
        problem = apply_lookup(
            where, "(CASE WHEN instr(" + field_sql(field->via) + ", ':') > 0 THEN 6 ELSE 4 END)",
            ValueType::Integer, lookup.op, values);
      } else if (field->kind == FieldKind::IpInterface && lookup.op.empty()) {
        // `address=192.0.2.1` matches any mask, as NetBox's net_host lookup does.
        std::string clause;
        std::vector<common::SqlValue> params;
        for (const std::string& value : values) {
          const std::string host = value.substr(0, value.find('/'));
          clause += (clause.empty() ? "" : " OR ") + field_sql(field->name) + " LIKE ?";
          params.emplace_back(host + "/%");
        }
        where.add(clause, std::move(params));
      } else if (field->kind != FieldKind::Count && field->kind != FieldKind::Total &&
                 field->kind != FieldKind::Constant && field->kind != FieldKind::GenericObject &&
                 field->kind != FieldKind::Tags && field->kind != FieldKind::CustomFields &&
                 field->kind != FieldKind::Json) {
        problem =
            apply_lookup(where, field_sql(field->name), value_type(field->kind), lookup.op, values);
      }
      if (problem) errors[param].push_back(*problem);
    }
    if (!errors.empty()) return Response::json(Status::bad_request, to_json(errors));
    return std::nullopt;
  }

  std::string order_clause(const Model& model, const Request& request) const {
    std::string ordering = model.ordering;
    if (auto requested = request.query_value("ordering"); requested && !requested->empty()) {
      ordering = std::string(*requested);
    }
    std::string clause;
    size_t start = 0;
    while (start <= ordering.size()) {
      const size_t comma = ordering.find(',', start);
      std::string term = trim(ordering.substr(start, comma - start));
      start = comma == std::string::npos ? ordering.size() + 1 : comma + 1;
      const bool descending = !term.empty() && term.front() == '-';
      if (descending) term.erase(0, 1);
      const Field* field = model.field(term);
      const bool sortable =
          term == "id" || term == "created" || term == "last_updated" ||
          (field && field->kind != FieldKind::Count && field->kind != FieldKind::Total &&
           field->kind != FieldKind::Constant && field->kind != FieldKind::GenericObject &&
           field->kind != FieldKind::IpFamily);
      if (!sortable) continue;
      clause += (clause.empty() ? "" : ", ") + field_sql(term) + (descending ? " DESC" : "");
    }
    return clause.empty() ? "id" : clause + ", id";
  }

  static int64_t parse_limit(const Request& request) {
    const auto text = request.query_value("limit");
    if (!text) return kDefaultPageSize;
    const auto value = parse_integer(*text);
    if (!value || *value < 0) return kDefaultPageSize;
    if (*value == 0 || *value > kMaxPageSize) return kMaxPageSize;
    return *value;
  }

  // The request's URL with `replace` parameters set (in place or appended) and `drop` removed.
  std::string page_url(const Request& request, const http::Params& replace,
                       const std::set<std::string>& drop) const {
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
    return context->base + request.path + (params.empty() ? "" : "?" + http::encode_form(params));
  }

  static std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> items;
    size_t start = 0;
    while (start <= text.size()) {
      const size_t comma = text.find(',', start);
      std::string item = trim(text.substr(start, comma - start));
      if (!item.empty()) items.push_back(std::move(item));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return items;
  }

  Response list_objects(const Model& model, Request& request) {
    Condition where;
    if (auto error = build_filter(model, request, where)) return *error;
    const int64_t limit = parse_limit(request);
    int64_t offset = 0;
    if (auto text = request.query_value("offset")) {
      offset = std::max<int64_t>(0, parse_integer(*text).value_or(0));
    }
    std::optional<std::vector<std::string>> only;
    if (auto brief = request.query_value("brief"); brief && !brief->empty()) {
      only = model.brief;
    } else if (auto fields = request.query_value("fields"); fields && !fields->empty()) {
      only = split_list(*fields);
    }
    std::set<std::string> omit;
    if (at_least("4.6")) {
      if (auto omitted = request.query_value("omit")) {
        for (auto& name : split_list(*omitted))
          omit.insert(name);
      }
    }
    json::object body;
    std::vector<StoredObject> rows;
    if (auto start = request.query_value("start"); start && at_least("4.6")) {
      const auto start_id = parse_integer(*start);
      if (!start_id || *start_id < 0) {
        return Response::json(Status::bad_request,
                              json::object{{"start", json::array{"Invalid start value."}}});
      }
      if (request.query_value("offset") || request.query_value("ordering")) {
        return detail(Status::bad_request,
                      "The start parameter cannot be combined with offset or ordering.");
      }
      where.add("id >= ?", {*start_id});
      rows = store.select(model, where, "id", limit, 0);
      body["count"] = nullptr;
      body["next"] = nullptr;
      if (static_cast<int64_t>(rows.size()) == limit) {
        body["next"] = page_url(
            request,
            {{"start", std::to_string(rows.back().id + 1)}, {"limit", std::to_string(limit)}}, {});
      }
      body["previous"] = nullptr;
    } else {
      const int64_t total = store.count(model, where);
      rows = store.select(model, where, order_clause(model, request), limit, offset);
      body["count"] = total;
      body["next"] = offset + limit < total
                         ? json::value(page_url(request,
                                                {{"limit", std::to_string(limit)},
                                                 {"offset", std::to_string(offset + limit)}},
                                                {}))
                         : json::value(nullptr);
      if (offset <= 0) {
        body["previous"] = nullptr;
      } else if (offset - limit <= 0) {
        body["previous"] = page_url(request, {{"limit", std::to_string(limit)}}, {"offset"});
      } else {
        body["previous"] = page_url(
            request, {{"limit", std::to_string(limit)}, {"offset", std::to_string(offset - limit)}},
            {});
      }
    }
    json::array results;
    results.reserve(rows.size());
    prefetch_counts(model, rows);
    for (const StoredObject& row : rows) {
      results.push_back(
          render(model, row.id, row.data, only ? &*only : nullptr, omit.empty() ? nullptr : &omit));
    }
    body["results"] = std::move(results);
    return Response::json(body);
  }

  static std::optional<int64_t> path_id(const Request& request) {
    return parse_integer(request.path_param("id"));
  }

  Response get_object(const Model& model, Request& request) {
    const auto id = path_id(request);
    const auto data = id ? store.get(model, *id) : std::nullopt;
    if (!data) return not_found(model);
    std::optional<std::vector<std::string>> only;
    if (auto brief = request.query_value("brief"); brief && !brief->empty()) {
      only = model.brief;
    } else if (auto fields = request.query_value("fields"); fields && !fields->empty()) {
      only = split_list(*fields);
    }
    std::set<std::string> omit;
    if (auto omitted = request.query_value("omit"); omitted && at_least("4.6")) {
      for (auto& name : split_list(*omitted))
        omit.insert(name);
    }
    return with_etag(Response::json(render(model, *id, *data, only ? &*only : nullptr,
                                           omit.empty() ? nullptr : &omit)),
                     model, *id);
  }

  // ---- writes ----------------------------------------------------------------------------

  // Resolves a relation written as an id, a numeric string or a dict of attributes.
  std::variant<int64_t, std::string> resolve_related(const Model& related,
                                                     const json::value& value) {
    std::optional<int64_t> id;
    if (value.is_int64()) id = value.get_int64();
    if (value.is_uint64()) id = static_cast<int64_t>(value.get_uint64());
    if (value.is_string()) id = parse_integer(value.get_string());
    if (id) {
      if (store.exists(related, *id)) return *id;
      return "Related object not found using the provided numeric ID: " + std::to_string(*id);
    }
    if (!value.is_object()) {
      return "Related objects must be referenced by numeric ID or by dictionary of attributes. "
             "Received an unrecognized value: " +
             python_repr(value);
    }
    Condition where;
    const Registry& registry = Registry::instance();
    for (const auto& [key_view, attribute] : value.get_object()) {
      const std::string key(key_view);
      const size_t split = key.find("__");
      const Field* field = related.field(key.substr(0, split));
      const bool plain = key == "id" || (field && split == std::string::npos);
      if (plain) {
        json::value match = attribute;
        if (attribute.is_object() && field && field->kind == FieldKind::ForeignKey) {
          // A relation inside the attributes is itself a dict of attributes (NetBox's Brief
          // request shapes nest: device_type → manufacturer).
          auto inner = resolve_related(*registry.by_key(field->related), attribute);
          if (std::holds_alternative<std::string>(inner)) {
            return "Related object not found using the provided attributes: " + python_repr(value);
          }
          match = std::get<int64_t>(inner);
        }
        if (match.is_null()) {
          where.add(field_sql(key) + " IS NULL");
        } else {
          where.add(field_sql(key) + " = ?", {to_sql(match)});
        }
      } else if (field && field->kind == FieldKind::ForeignKey) {
        // "manufacturer__slug": one hop through a relation.
        const Model& hop = *registry.by_key(field->related);
        const std::string hop_field = key.substr(split + 2);
        if (hop_field != "id" && !hop.field(hop_field)) {
          return "Related object not found using the provided attributes: " + python_repr(value);
        }
        where.add(field_sql(field->name) + " IN (SELECT id FROM " + hop.table() + " WHERE " +
                      field_sql(hop_field) + " = ?)",
                  {to_sql(attribute)});
      } else {
        return "Related object not found using the provided attributes: " + python_repr(value);
      }
    }
    const auto ids = store.ids(related, where);
    if (ids.empty()) {
      return "Related object not found using the provided attributes: " + python_repr(value);
    }
    if (ids.size() > 1) {
      return "Multiple objects match the provided attributes: " + python_repr(value);
    }
    return ids.front();
  }

  // Converts one written value to its stored form; returns NetBox's message when invalid.
  std::optional<std::string> coerce(const Field& field, const json::value& input,
                                    json::value& stored) {
    switch (field.kind) {
      case FieldKind::String:
      case FieldKind::Slug: {
        std::string text;
        if (input.is_string()) {
          text = trim(input.get_string());
        } else if (input.is_int64() || input.is_uint64() || input.is_double()) {
          text = json::serialize(input);
        } else {
          return "Not a valid string.";
        }
        if (text.empty() && !field.allow_blank) return "This field may not be blank.";
        if (field.max_length && utf8_length(text) > field.max_length) {
          return "Ensure this field has no more than " + std::to_string(field.max_length) +
                 " characters.";
        }
        if (field.kind == FieldKind::Slug && !is_slug(text)) {
          return "Enter a valid \xE2\x80\x9Cslug\xE2\x80\x9D consisting of letters, numbers, "
                 "underscores or hyphens.";
        }
        stored = text;
        return std::nullopt;
      }
      case FieldKind::Integer:
      case FieldKind::GenericId: {
        std::optional<int64_t> number;
        if (input.is_int64()) number = input.get_int64();
        if (input.is_uint64() && input.get_uint64() <= INT64_MAX) {
          number = static_cast<int64_t>(input.get_uint64());
        }
        if (input.is_double() &&
            input.get_double() == static_cast<double>(static_cast<int64_t>(input.get_double()))) {
          number = static_cast<int64_t>(input.get_double());
        }
        if (input.is_string()) number = parse_integer(trim(input.get_string()));
        if (!number) return "A valid integer is required.";
        stored = *number;
        return std::nullopt;
      }
      case FieldKind::Number: {
        std::optional<double> number;
        if (input.is_int64() || input.is_uint64() || input.is_double()) {
          number = input.to_number<double>();
        }
        if (input.is_string()) number = parse_number(trim(input.get_string()));
        if (!number) return "A valid number is required.";
        stored = *number;
        return std::nullopt;
      }
      case FieldKind::Boolean: {
        std::optional<bool> flag;
        if (input.is_bool()) flag = input.get_bool();
        if (input.is_int64() && (input.get_int64() == 0 || input.get_int64() == 1)) {
          flag = input.get_int64() == 1;
        }
        if (input.is_string()) flag = parse_boolean(input.get_string());
        if (!flag) return "Must be a valid boolean.";
        stored = *flag;
        return std::nullopt;
      }
      case FieldKind::Choice: {
        if (input.is_object() || input.is_array()) {
          return "Value must be passed directly (e.g. \"foo\": 123); do not use a dictionary or "
                 "list.";
        }
        const std::string raw =
            input.is_string() ? std::string(input.get_string()) : json::serialize(input);
        if (raw.empty() && field.nullable) {
          stored = nullptr;
          return std::nullopt;
        }
        for (const Choice& choice : field.choices) {
          if (choice.value == raw) {
            stored = raw;
            return std::nullopt;
          }
        }
        return "\"" + raw + "\" is not a valid choice.";
      }
      case FieldKind::ForeignKey: {
        auto resolved = resolve_related(*Registry::instance().by_key(field.related), input);
        if (auto* message = std::get_if<std::string>(&resolved)) return *message;
        stored = std::get<int64_t>(resolved);
        return std::nullopt;
      }
      case FieldKind::Json:
        stored = input;
        return std::nullopt;
      case FieldKind::StringList: {
        if (!input.is_array()) {
          return "Expected a list of items but got type \"" + python_type(input) + "\".";
        }
        json::array items;
        for (const json::value& item : input.get_array()) {
          if (!item.is_string()) return "Not a valid string.";
          if (!Registry::instance().by_key(item.get_string()) && field.name == "object_types") {
            return "Invalid content type: " + std::string(item.get_string());
          }
          items.push_back(item);
        }
        stored = std::move(items);
        return std::nullopt;
      }
      case FieldKind::DateTime: {
        if (!input.is_string() || !is_iso_datetime(input.get_string())) {
          return "Datetime has wrong format. Use one of these formats instead: "
                 "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";
        }
        stored = input;
        return std::nullopt;
      }
      case FieldKind::ContentType: {
        if (!input.is_string() || input.get_string().find('.') == json::string::npos) {
          return "Invalid value. Specify a content type as '<app_label>.<model_name>'.";
        }
        const std::string type(input.get_string());
        if (std::find(field.allowed_types.begin(), field.allowed_types.end(), type) ==
            field.allowed_types.end()) {
          return "Invalid content type: " + type;
        }
        stored = type;
        return std::nullopt;
      }
      case FieldKind::IpInterface:
      case FieldKind::IpNetwork: {
        if (!input.is_string()) return "Not a valid string.";
        std::string error;
        const auto address =
            normalize_ip(input.get_string(), field.kind == FieldKind::IpNetwork, error);
        if (!address) return error;
        stored = *address;
        return std::nullopt;
      }
      default:
        return std::nullopt;  // read-only kinds never reach here
    }
  }

  void coerce_tags(const json::value& input, json::value& stored, Errors& errors) {
    if (!input.is_array()) {
      errors["tags"].push_back("Expected a list of items but got type \"" + python_type(input) +
                               "\".");
      return;
    }
    const Model& tag_model = *Registry::instance().by_key("extras.tag");
    json::array ids;
    for (const json::value& item : input.get_array()) {
      auto resolved = resolve_related(tag_model, item);
      if (auto* message = std::get_if<std::string>(&resolved)) {
        errors["tags"].push_back(*message);
        return;
      }
      const int64_t id = std::get<int64_t>(resolved);
      if (std::find(ids.begin(), ids.end(), json::value(id)) == ids.end()) ids.push_back(id);
    }
    stored = std::move(ids);
  }

  // Validates custom field data (NetBox's CustomFieldsMixin.clean); messages go to __all__.
  void validate_custom_fields(const Model& model, const json::value* input, bool creating,
                              json::object& out, Errors& errors) {
    json::object values;
    if (const json::value* existing = out.if_contains("custom_fields");
        existing && existing->is_object()) {
      values = existing->get_object();
    }
    const auto definitions = custom_fields_for(model);
    if (creating) {
      for (const json::object* definition : definitions) {
        const std::string name(definition->at("name").as_string());
        const json::value* fallback = definition->if_contains("default");
        if (!values.contains(name)) values[name] = fallback ? *fallback : nullptr;
      }
    }
    if (input) {
      if (!input->is_object()) {
        errors["custom_fields"].push_back(
            "Invalid data format. Custom field data must be passed as a dictionary mapping field "
            "names to their values.");
        return;
      }
      for (const auto& [name, value] : input->get_object())
        values[name] = value;
    }
    for (auto& [name_view, value] : values) {
      const std::string name(name_view);
      const auto definition =
          std::find_if(definitions.begin(), definitions.end(),
                       [&](const json::object* cf) { return cf->at("name").as_string() == name; });
      if (definition == definitions.end()) {
        errors["__all__"].push_back("Unknown field name '" + name + "' in custom field data.");
        continue;
      }
      if (auto problem = custom_field_problem(**definition, value)) {
        errors["__all__"].push_back("Invalid value for custom field '" + name + "': " + *problem);
      }
    }
    for (const json::object* definition : definitions) {
      const json::value* required = definition->if_contains("required");
      const std::string name(definition->at("name").as_string());
      const json::value* value = values.if_contains(name);
      if (required && required->is_bool() && required->get_bool() && (!value || value->is_null())) {
        errors["__all__"].push_back("Missing required custom field '" + name + "'.");
      }
    }
    out["custom_fields"] = std::move(values);
  }

  std::optional<std::string> custom_field_problem(const json::object& definition,
                                                  json::value& value) {
    if (value.is_null()) return std::nullopt;
    const std::string type(definition.at("type").as_string());
    if (type == "text" || type == "longtext" || type == "url") {
      if (!value.is_string()) return "Value must be a string.";
      return std::nullopt;
    }
    if (type == "select" || type == "multiselect") return choice_problem(definition, value);
    if (type == "integer") {
      if (!value.is_int64() && !value.is_uint64()) return "Value must be an integer.";
      const int64_t number = value.to_number<int64_t>();
      const json::value* minimum = definition.if_contains("validation_minimum");
      const json::value* maximum = definition.if_contains("validation_maximum");
      if (minimum && minimum->is_int64() && number < minimum->get_int64()) {
        return "Value must be at least " + std::to_string(minimum->get_int64());
      }
      if (maximum && maximum->is_int64() && number > maximum->get_int64()) {
        return "Value must not exceed " + std::to_string(maximum->get_int64());
      }
      return std::nullopt;
    }
    if (type == "decimal") {
      if (!value.is_number()) return "Value must be a decimal.";
      return std::nullopt;
    }
    if (type == "boolean") {
      if (!value.is_bool()) return "Value must be true or false.";
      return std::nullopt;
    }
    if (type == "date") {
      if (!value.is_string() || !is_iso_date(value.get_string())) {
        return "Date values must be in ISO 8601 format (YYYY-MM-DD).";
      }
      return std::nullopt;
    }
    if (type == "datetime") {
      if (!value.is_string() || !is_iso_datetime(value.get_string())) {
        return "Date and time values must be in ISO 8601 format (YYYY-MM-DD HH:MM:SS).";
      }
      return std::nullopt;
    }
    if (type == "object" || type == "multiobject") {
      const json::value* related_type = definition.if_contains("related_object_type");
      const Model* related = related_type && related_type->is_string()
                                 ? Registry::instance().by_key(related_type->get_string())
                                 : nullptr;
      auto check = [&](json::value& item) -> std::optional<std::string> {
        if (item.is_object() && item.get_object().if_contains("id")) {
          item = json::value(item.get_object().at("id"));
        }
        if (!item.is_int64()) return "Value must be an object ID, not " + python_type(item);
        if (related && !store.exists(*related, item.get_int64())) {
          return "Related object not found using the provided numeric ID: " +
                 std::to_string(item.get_int64());
        }
        return std::nullopt;
      };
      if (type == "object") return check(value);
      if (!value.is_array()) return "Value must be a list of object IDs";
      for (json::value& item : value.get_array()) {
        if (auto problem = check(item)) return problem;
      }
      return std::nullopt;
    }
    return std::nullopt;  // json
  }

  // A select value must be one of its choice set's values, a multiselect value a list of them
  // (NetBox's CustomField.validate, with its messages). Base choices (IATA, ISO 3166,
  // UN/LOCODE) are not loaded, so a set that has them accepts any value besides its extras.
  std::optional<std::string> choice_problem(const json::object& definition,
                                            const json::value& value) {
    const int64_t set_id = int_field(definition, "choice_set");
    const auto set =
        set_id ? store.get(*Registry::instance().by_key("extras.customfieldchoiceset"), set_id)
               : std::nullopt;
    if (!set) return std::nullopt;  // the set is required on select fields; nothing to check
    const json::value* base = set->if_contains("base_choices");
    if (base && base->is_string() && !base->get_string().empty()) return std::nullopt;
    const std::set<std::string> values = choice_values(*set);
    auto valid = [&](const json::value& item) {
      return item.is_string() && values.count(std::string(item.get_string()));
    };
    const std::string set_name(set->at("name").as_string());
    const bool multiple = definition.at("type").as_string() == "multiselect";
    const bool ok = multiple ? value.is_array() && std::all_of(value.get_array().begin(),
                                                               value.get_array().end(), valid)
                             : valid(value);
    if (ok) return std::nullopt;
    // Python formats the value with str(): a string bare, anything else as its repr.
    const std::string shown =
        value.is_string() ? std::string(value.get_string()) : python_repr(value);
    return std::string(multiple ? "Invalid choice(s) (" : "Invalid choice (") + shown +
           ") for choice set " + set_name + ".";
  }

  int64_t int_field(const json::object& data, const std::string& name) const {
    const json::value* value = data.if_contains(name);
    return value && value->is_int64() ? value->get_int64() : 0;
  }

  int64_t disk_total(int64_t vm_id) {
    auto& sum = store.statement("SELECT total(" + field_sql("size") + "), count(*) FROM " +
                                Registry::instance().by_key("virtualization.virtualdisk")->table() +
                                " WHERE " + field_sql("virtual_machine") + " = ?");
    sum.bind(1, vm_id);
    sum.step();
    const int64_t total = sum.column_int(1) ? static_cast<int64_t>(sum.column_double(0)) : -1;
    sum.reset();
    return total;  // -1: the VM has no virtual disks
  }

  // The display text of a stored object, as NetBox's messages name objects.
  std::string display_of(std::string_view key, int64_t id) {
    const Model& model = *Registry::instance().by_key(key);
    const auto data = store.get(model, id);
    return data ? display(model, id, *data) : std::to_string(id);
  }

  // The site a cluster is scoped to, 0 when none.
  int64_t cluster_site(int64_t cluster_id) {
    auto [cached, fresh] = context->cluster_sites.try_emplace(cluster_id, 0);
    if (!fresh) return cached->second;
    const auto cluster =
        store.get(*Registry::instance().by_key("virtualization.cluster"), cluster_id);
    if (!cluster) return 0;
    const json::value* type = cluster->if_contains("scope_type");
    if (!type || !type->is_string() || type->get_string() != "dcim.site") return 0;
    cached->second = int_field(*cluster, "scope_id");
    return cached->second;
  }

  // Model-level validation (Django's Model.clean) for the models that have rules beyond fields.
  void check_model_rules(const Model& model, json::object& out, std::optional<int64_t> id,
                         Errors& errors) {
    if (model.key == "virtualization.virtualmachine") {
      // 4.6 lets a VM run on a standalone host device, without a cluster.
      const bool standalone_hosts = at_least("4.6");
      const Model& devices = *Registry::instance().by_key("dcim.device");
      const int64_t cluster = int_field(out, "cluster");
      const int64_t device = int_field(out, "device");
      const auto host = device ? store.get(devices, device) : std::nullopt;
      const int64_t given_site = int_field(out, "site");  // NetBox's clean() sees this one
      int64_t site = given_site;
      const bool placed = site || cluster || (standalone_hosts && device);
      if (cluster && !site) {
        site = cluster_site(cluster);
        if (site) out["site"] = site;
      }
      if (standalone_hosts && host && !site && !cluster) {
        site = int_field(*host, "site");
        if (site) out["site"] = site;
      }
      if (!placed && standalone_hosts) {
        errors["__all__"].push_back(
            "A virtual machine must be assigned to a site, cluster, or device.");
      } else if (!placed) {
        errors["cluster"].push_back("A virtual machine must be assigned to a site and/or cluster.");
      }
      if (cluster && site) {
        const int64_t scoped = cluster_site(cluster);
        if (scoped && scoped != site) {
          errors["cluster"].push_back(
              "The selected cluster (" + display_of("virtualization.cluster", cluster) +
              ") is not assigned to this site (" + display_of("dcim.site", site) + ").");
        }
      }
      const int64_t host_cluster = host ? int_field(*host, "cluster") : 0;
      const int64_t host_site = host ? int_field(*host, "site") : 0;
      if (standalone_hosts && host_site && given_site && host_site != given_site) {
        errors["site"].push_back("The selected device (" + display_of("dcim.device", device) +
                                 ") is not assigned to this site (" +
                                 display_of("dcim.site", given_site) + ").");
      }
      if (device && !cluster && !standalone_hosts) {
        errors["device"].push_back("Must specify a cluster when assigning a host device.");
      } else if (device && !cluster && host_cluster) {
        errors["cluster"].push_back("Must specify the assigned device's cluster (" +
                                    display_of("virtualization.cluster", host_cluster) +
                                    ") when assigning host device " +
                                    display_of("dcim.device", device) + ".");
      } else if (device && cluster && host_cluster != cluster) {
        errors["device"].push_back("The selected device (" + display_of("dcim.device", device) +
                                   ") is not assigned to this cluster (" +
                                   display_of("virtualization.cluster", cluster) + ").");
      }
      if (id) {
        const int64_t total = disk_total(*id);
        const json::value* disk = out.if_contains("disk");
        if (total > 0 && (!disk || disk->is_null())) {
          out["disk"] = total;
        } else if (total > 0 && disk->is_int64() && disk->get_int64() != total) {
          errors["disk"].push_back("The specified disk size (" + std::to_string(disk->get_int64()) +
                                   ") must match the aggregate size of assigned virtual disks (" +
                                   std::to_string(total) + ").");
        }
      }
    } else if (model.key == "ipam.ipaddress") {
      const json::value* role = out.if_contains("role");
      static const std::set<std::string> kNonUnique = {"anycast", "vip",  "vrrp",
                                                       "hsrp",    "glbp", "carp"};
      const bool unique_role =
          !role || !role->is_string() || !kNonUnique.count(std::string(role->get_string()));
      const json::value* address = out.if_contains("address");
      if (unique_role && address && address->is_string()) {
        const std::string text(address->get_string());
        Condition where;
        where.add(field_sql("address") + " LIKE ?", {text.substr(0, text.find('/')) + "/%"});
        if (id) where.add("id <> ?", {*id});
        const auto duplicates = store.select(model, where, "id", 1, 0);
        if (!duplicates.empty()) {
          errors["address"].push_back(
              "Duplicate IP address found in global table: " +
              std::string(duplicates.front().data.at("address").as_string()));
        }
      }
    } else if (model.key == "extras.customfield") {
      const json::value* name = out.if_contains("name");
      if (name && name->is_string()) {
        const std::string text(name->get_string());
        const bool valid = std::all_of(text.begin(), text.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        });
        if (!valid) {
          errors["name"].push_back("Only alphanumeric characters and underscores are allowed.");
        } else if (text.find("__") != std::string::npos) {
          errors["name"].push_back("Double underscores are not permitted in custom field names.");
        }
      }
      const json::value* type = out.if_contains("type");
      const json::value* related = out.if_contains("related_object_type");
      const bool object_type =
          type && type->is_string() &&
          (type->get_string() == "object" || type->get_string() == "multiobject");
      if (object_type && (!related || !related->is_string() ||
                          !Registry::instance().by_key(related->get_string()))) {
        errors["related_object_type"].push_back("Object fields must define an object type.");
      }
      const bool selection =
          type && type->is_string() &&
          (type->get_string() == "select" || type->get_string() == "multiselect");
      const bool has_choice_set = int_field(out, "choice_set") != 0;
      if (selection && !has_choice_set) {
        errors["choice_set"].push_back("Selection fields must specify a set of choices.");
      } else if (!selection && has_choice_set) {
        errors["choice_set"].push_back("Choices may be set only on selection fields.");
      }
    } else if (model.key == "extras.customfieldchoiceset") {
      check_choice_set(out, errors);
      if (id && errors.empty()) check_removed_choices(*id, out, errors);
    }
    // Generic relations must name an existing object.
    for (const Field& field : model.fields) {
      if (field.kind != FieldKind::GenericObject) continue;
      const json::value* type = out.if_contains(field.related);
      const json::value* target = out.if_contains(field.via);
      const bool set = type && type->is_string() && target && target->is_int64();
      if (!set) continue;
      const Model* related = Registry::instance().by_key(type->get_string());
      if (!related || !store.exists(*related, target->get_int64())) {
        errors[field.via].push_back("Related object not found using the provided numeric ID: " +
                                    std::to_string(target->get_int64()));
      }
    }
  }

  static std::set<std::string> choice_values(const json::object& set) {
    std::set<std::string> values;
    const json::value* extra = set.if_contains("extra_choices");
    if (!extra || !extra->is_array()) return values;
    for (const json::value& pair : extra->get_array()) {
      if (pair.is_array() && !pair.get_array().empty() && pair.get_array()[0].is_string()) {
        values.emplace(pair.get_array()[0].get_string());
      }
    }
    return values;
  }

  // An object type as NetBox names it in messages: "Virtualization > Virtual Machine".
  static std::string object_type_label(const Model& model) {
    static const std::map<std::string, std::string> kAppNames = {
        {"dcim", "DCIM"},       {"ipam", "IPAM"},     {"virtualization", "Virtualization"},
        {"tenancy", "Tenancy"}, {"extras", "Extras"}, {"users", "Users"}};
    const std::string app = model.key.substr(0, model.key.find('.'));
    const auto known = kAppNames.find(app);
    std::string label = (known == kAppNames.end() ? app : known->second) + " > ";
    bool word_start = true;
    for (const char c : model.verbose) {
      label.push_back(word_start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                                 : c);
      word_start = c == ' ';
    }
    return label;
  }

  // NetBox refuses to drop a choice from a set while objects still hold it in a custom field
  // that uses the set (CustomFieldChoiceSet.clean).
  void check_removed_choices(int64_t set_id, const json::object& out, Errors& errors) {
    const auto before =
        store.get(*Registry::instance().by_key("extras.customfieldchoiceset"), set_id);
    if (!before) return;
    const std::set<std::string> kept = choice_values(out);
    std::vector<std::string> removed;
    for (const std::string& value : choice_values(*before)) {
      if (!kept.count(value)) removed.push_back(value);
    }
    if (removed.empty()) return;
    for (const StoredObject& field : custom_field_rows()) {
      if (int_field(field.data, "choice_set") != set_id) continue;
      const std::string name(field.data.at("name").as_string());
      const bool multiple = field.data.at("type").as_string() == "multiselect";
      const json::value* types = field.data.if_contains("object_types");
      if (!types || !types->is_array()) continue;
      for (const json::value& type : types->get_array()) {
        const Model* holder =
            type.is_string() ? Registry::instance().by_key(type.get_string()) : nullptr;
        if (!holder) continue;
        for (const std::string& choice : removed) {
          Condition where;
          if (multiple) {
            where.add("EXISTS (SELECT 1 FROM json_each(data, '$.custom_fields." + name +
                          "') WHERE value = ?)",
                      {choice});
          } else {
            where.add(field_sql("custom_fields." + name) + " = ?", {choice});
          }
          if (store.count(*holder, where) > 0) {
            errors["__all__"].push_back("Cannot remove choice " + choice + " as there are " +
                                        object_type_label(*holder) +
                                        " objects which reference it.");
            return;
          }
        }
      }
    }
  }

  // extra_choices is a list of [value, label] pairs (DRF's nested ListField, min and max 2);
  // a set needs base or extra choices; order_alphabetically sorts the pairs by value on save.
  void check_choice_set(json::object& out, Errors& errors) {
    json::value& extra = out["extra_choices"];
    if (!extra.is_array()) {
      errors["extra_choices"].push_back("Expected a list of items but got type \"" +
                                        python_type(extra) + "\".");
      return;
    }
    for (json::value& pair : extra.get_array()) {
      if (!pair.is_array()) {
        errors["extra_choices"].push_back("Expected a list of items but got type \"" +
                                          python_type(pair) + "\".");
      } else if (pair.get_array().size() < 2) {
        errors["extra_choices"].push_back("Ensure this field has at least 2 elements.");
      } else if (pair.get_array().size() > 2) {
        errors["extra_choices"].push_back("Ensure this field has no more than 2 elements.");
      } else {
        for (json::value& item : pair.get_array()) {
          if (item.is_number()) item = json::serialize(item);  // CharField(max_length=100)
          if (!item.is_string()) {
            errors["extra_choices"].push_back("Not a valid string.");
          } else if (utf8_length(item.get_string()) > 100) {
            errors["extra_choices"].push_back("Ensure this field has no more than 100 characters.");
          }
        }
      }
    }
    if (!errors.empty()) return;
    const json::value* base = out.if_contains("base_choices");
    const bool has_base = base && base->is_string() && !base->get_string().empty();
    if (!has_base && extra.get_array().empty()) {
      errors["__all__"].push_back("Must define base or extra choices.");
    }
    const json::value* alphabetical = out.if_contains("order_alphabetically");
    if (alphabetical && alphabetical->is_bool() && alphabetical->get_bool()) {
      json::array& pairs = extra.get_array();
      std::stable_sort(pairs.begin(), pairs.end(), [](const json::value& a, const json::value& b) {
        return a.get_array()[0].get_string() < b.get_array()[0].get_string();
      });
    }
  }

  void check_unique(const Model& model, const json::object& out, std::optional<int64_t> id,
                    Errors& errors) {
    for (const UniqueRule& rule : model.unique) {
      if (!rule_in_version(rule, options.version)) continue;
      Condition where;
      bool applies = true;
      for (size_t i = 0; i < rule.fields.size() && applies; ++i) {
        const json::value* value = out.if_contains(rule.fields[i]);
        if (!value || value->is_null()) {
          applies = false;
          break;
        }
        const std::string expression = field_sql(rule.fields[i]);
        if (i == 0 && rule.case_insensitive_first) {
          where.add("lower(" + expression + ") = lower(?)", {to_sql(*value)});
        } else {
          where.add(expression + " = ?", {to_sql(*value)});
        }
      }
      for (const std::string& scope : rule.when_null) {
        const json::value* value = out.if_contains(scope);
        applies = applies && (!value || value->is_null());
        where.add(field_sql(scope) + " IS NULL");
      }
      if (!applies) continue;
      if (id) where.add("id <> ?", {*id});
      if (store.count(model, where) > 0) errors[rule.error_key].push_back(rule.message);
    }
  }

  // Refuses body fields the model does not have (unless accept_unknown_fields). Accepted besides
  // the model's own fields, read-only ones included (DRF ignores those, and clients echo them):
  // tags and custom fields, the version's write-only extras, and what NetBox serialises beyond
  // the emulator's rendering.
  void check_unknown_fields(const Model& model, const json::object& body, Errors& errors) const {
    static const std::set<std::string_view> kSerialisedForEveryModel = {
        "id", "url", "display", "display_url", "created", "last_updated"};
    auto listed = [](const std::vector<std::string>& names, std::string_view name) {
      return std::find(names.begin(), names.end(), name) != names.end();
    };
    for (const auto& [key, value] : body) {
      const Field* field = model.field(key);
      const bool known =
          kSerialisedForEveryModel.count(key) ||
          (field && field_in_version(*field, options.version)) || (key == "tags" && model.tags) ||
          (key == "custom_fields" && model.custom_fields) ||
          ((key == "add_tags" || key == "remove_tags") && model.tags && at_least("4.6")) ||
          (key == "changelog_message" && at_least("4.4")) || listed(model.ignored_on_write, key);
      if (known) continue;
      errors[std::string(key)].push_back(listed(model.not_emulated, key)
                                             ? "netbox-emulator does not emulate this NetBox field."
                                             : "Unknown field.");
    }
  }

  // Validates one written object and stores it. Returns the id, or fills `errors`.
  // `stored_out`, when given, receives the stored representation (saves re-reading it).
  std::optional<int64_t> write_object(const Model& model, const json::value& input,
                                      std::optional<int64_t> id, bool partial,
                                      json::object& errors_out,
                                      json::object* stored_out = nullptr) {
    Errors errors;
    if (!input.is_object()) {
      errors["non_field_errors"].push_back("Invalid data. Expected a dictionary, but got " +
                                           python_type(input) + ".");
      errors_out = to_json(errors);
      return std::nullopt;
    }
    const json::object& body = input.get_object();
    if (!options.accept_unknown_fields) check_unknown_fields(model, body, errors);
    json::object out;
    std::optional<json::object> before;
    if (id) {
      before = store.get(model, *id);
      out = *before;
    }
    const bool creating = !id;
    for (const Field& field : model.fields) {
      if (field.read_only || field.kind == FieldKind::Count || field.kind == FieldKind::Constant ||
          field.kind == FieldKind::GenericObject || field.kind == FieldKind::IpFamily ||
          !field_in_version(field, options.version)) {
        continue;
      }
      const json::value* value = body.if_contains(field.name);
      if (!value) {
        if (field.required && !partial) {
          errors[field.name].push_back("This field is required.");
        } else if (creating && field.default_value) {
          out[field.name] = *field.default_value;
        }
        continue;
      }
      if (value->is_null()) {
        if (field.nullable) {
          out[field.name] = nullptr;
        } else {
          errors[field.name].push_back("This field may not be null.");
        }
        continue;
      }
      json::value stored;
      if (auto problem = coerce(field, *value, stored)) {
        errors[field.name].push_back(*problem);
      } else {
        out[field.name] = std::move(stored);
      }
    }
    if (model.tags) {
      if (const json::value* tags = body.if_contains("tags")) {
        json::value stored = json::array{};
        if (!tags->is_null()) coerce_tags(*tags, stored, errors);
        out["tags"] = std::move(stored);
      } else if (creating) {
        out["tags"] = json::array{};
      }
      // 4.6: add_tags / remove_tags adjust the current set without replacing it.
      if (at_least("4.6")) {
        for (const char* key : {"add_tags", "remove_tags"}) {
          const json::value* change = body.if_contains(key);
          if (!change) continue;
          json::value ids;
          coerce_tags(*change, ids, errors);
          if (!ids.is_array()) continue;
          json::array& current = out["tags"].as_array();
          for (const json::value& tag : ids.get_array()) {
            auto found = std::find(current.begin(), current.end(), tag);
            if (std::string_view(key) == "add_tags" && found == current.end()) {
              current.push_back(tag);
            }
            if (std::string_view(key) == "remove_tags" && found != current.end()) {
              current.erase(found);
            }
          }
        }
      }
    }
    if (model.custom_fields && errors.empty()) {
      validate_custom_fields(model, body.if_contains("custom_fields"), creating, out, errors);
    }
    if (errors.empty()) check_model_rules(model, out, id, errors);
    if (errors.empty()) check_unique(model, out, id, errors);
    if (!errors.empty()) {
      errors_out = to_json(errors);
      return std::nullopt;
    }
    const std::string now = now_iso8601();
    out["last_updated"] = now;
    if (creating) {
      out["created"] = now;
      id = store.insert(model, out);
    } else {
      store.update(model, *id, out);
    }
    after_write(model, before ? &*before : nullptr, &out);
    if (stored_out) *stored_out = std::move(out);
    return id;
  }

  // Keeps derived data in step: a VM's `disk` is the sum of its virtual disks.
  void after_write(const Model& model, const json::object* before, const json::object* after) {
    if (model.key != "virtualization.virtualdisk") return;
    std::set<int64_t> vms;
    if (before) vms.insert(int_field(*before, "virtual_machine"));
    if (after) vms.insert(int_field(*after, "virtual_machine"));
    const Model& vm_model = *Registry::instance().by_key("virtualization.virtualmachine");
    for (const int64_t vm : vms) {
      auto data = store.get(vm_model, vm);
      if (!data) continue;
      const int64_t total = disk_total(vm);
      (*data)["disk"] = total < 0 ? json::value(nullptr) : json::value(total);
      store.update(vm_model, vm, *data);
    }
  }

  std::optional<json::value> parse_body(const Request& request, Response& error) {
    boost::system::error_code code;
    json::value body = json::parse(request.body, code);
    if (code) {
      error = detail(Status::bad_request, "JSON parse error - " + code.message());
      return std::nullopt;
    }
    return body;
  }

  // Bulk update and delete take a JSON list; anything else is DRF's non_field_errors answer.
  std::optional<json::value> parse_list_body(const Request& request, Response& error) {
    auto body = parse_body(request, error);
    if (body && !body->is_array()) {
      error = Response::json(
          Status::bad_request,
          json::object{{"non_field_errors", json::array{"Expected a list of items but got type \"" +
                                                        python_type(*body) + "\"."}}});
      return std::nullopt;
    }
    return body;
  }

  Response create(const Model& model, Request& request) {
    Response error;
    auto body = parse_body(request, error);
    if (!body) return error;
    common::Transaction transaction(store.database());
    if (body->is_array()) {
      std::vector<StoredObject> written;
      json::array errors;
      bool failed = false;
      for (const json::value& item : body->get_array()) {
        json::object item_errors;
        StoredObject object;
        const auto id = write_object(model, item, std::nullopt, false, item_errors, &object.data);
        failed = failed || !id;
        if (id) {
          object.id = *id;
          written.push_back(std::move(object));
        }
        errors.push_back(std::move(item_errors));
      }
      if (failed) return Response::json(Status::bad_request, errors);
      transaction.commit();
      json::array created;
      created.reserve(written.size());
      context->nested.clear();
      for (const StoredObject& object : written) {
        created.push_back(render(model, object.id, object.data, nullptr, nullptr));
      }
      return Response::json(Status::created, created);
    }
    json::object errors;
    const auto id = write_object(model, *body, std::nullopt, false, errors);
    if (!id) return Response::json(Status::bad_request, errors);
    transaction.commit();
    return Response::json(Status::created, render_stored(model, *id));
  }

  // 4.6: an object's ETag changes with every write; If-Match guards against lost updates.
  std::string etag(const json::object& data) const {
    const json::value* updated = data.if_contains("last_updated");
    const std::string stamp =
        updated && updated->is_string() ? std::string(updated->get_string()) : "";
    return "\"" + std::to_string(std::hash<std::string>{}(stamp)) + "\"";
  }

  Response with_etag(Response response, const Model& model, int64_t id) {
    if (!at_least("4.6")) return response;
    if (const auto data = store.get(model, id)) response.headers.set("ETag", etag(*data));
    return response;
  }

  std::optional<Response> precondition_failed(const Model& model, int64_t id,
                                              const Request& request) {
    const std::string_view wanted = request.header(http::Field::if_match);
    if (!at_least("4.6") || wanted.empty() || wanted == "*") return std::nullopt;
    const auto data = store.get(model, id);
    if (data && etag(*data) == wanted) return std::nullopt;
    return detail(Status::precondition_failed,
                  "The object has been modified since it was retrieved (If-Match mismatch).");
  }

  Response update_one(const Model& model, Request& request, bool partial) {
    const auto id = path_id(request);
    if (!id || !store.exists(model, *id)) return not_found(model);
    if (auto failed = precondition_failed(model, *id, request)) return *failed;
    Response error;
    auto body = parse_body(request, error);
    if (!body) return error;
    common::Transaction transaction(store.database());
    json::object errors;
    if (!write_object(model, *body, id, partial, errors)) {
      return Response::json(Status::bad_request, errors);
    }
    transaction.commit();
    return with_etag(Response::json(render_stored(model, *id)), model, *id);
  }

  Response update_bulk(const Model& model, Request& request, bool partial) {
    Response error;
    auto body = parse_list_body(request, error);
    if (!body) return error;
    common::Transaction transaction(store.database());
    std::vector<int64_t> ids;
    json::array errors;
    bool failed = false;
    for (const json::value& item : body->get_array()) {
      json::object item_errors;
      const json::value* id_value =
          item.is_object() ? item.get_object().if_contains("id") : nullptr;
      const auto id = id_value && (id_value->is_int64() || id_value->is_string())
                          ? (id_value->is_int64() ? std::optional<int64_t>(id_value->get_int64())
                                                  : parse_integer(id_value->get_string()))
                          : std::nullopt;
      if (!id) {
        item_errors["id"] = json::array{"This field is required."};
        failed = true;
      } else if (store.exists(model, *id)) {
        if (write_object(model, item, id, partial, item_errors)) {
          ids.push_back(*id);
        } else {
          failed = true;
        }
      }
      errors.push_back(std::move(item_errors));
    }
    if (failed) return Response::json(Status::bad_request, errors);
    transaction.commit();
    json::array updated;
    context->nested.clear();
    for (const int64_t id : ids) {
      updated.push_back(render(model, id, *store.get(model, id), nullptr, nullptr));
    }
    return Response::json(updated);
  }

  // Deletes with NetBox's on_delete semantics; returns the 409 answer when something protects
  // the object (the caller's transaction then rolls everything back).
  std::optional<Response> delete_object(const Model& model, int64_t id) {
    const Registry& registry = Registry::instance();
    std::vector<std::string> blockers;
    for (const auto& [ref_model, ref_field] : registry.references_to(model.key)) {
      if (ref_field->on_delete != OnDelete::Protect) continue;
      Condition where;
      where.add(field_sql(ref_field->name) + " = ?", {id});
      for (const StoredObject& row : store.select(*ref_model, where, "id", -1, 0)) {
        blockers.push_back(display(*ref_model, row.id, row.data) + " (" + std::to_string(row.id) +
                           ")");
      }
    }
    if (!blockers.empty()) {
      std::string message = "Unable to delete object. " + std::to_string(blockers.size()) +
                            " dependent objects were found: ";
      for (size_t i = 0; i < blockers.size(); ++i)
        message += (i ? ", " : "") + blockers[i];
      return detail(Status::conflict, message);
    }
    for (const auto& [ref_model, ref_field] : registry.references_to(model.key)) {
      Condition where;
      where.add(field_sql(ref_field->name) + " = ?", {id});
      if (ref_field->on_delete == OnDelete::Cascade) {
        for (const int64_t dependant : store.ids(*ref_model, where)) {
          if (ref_model == &model && dependant == id) continue;
          if (auto blocked = delete_object(*ref_model, dependant)) return blocked;
        }
      } else if (ref_field->on_delete == OnDelete::SetNull) {
        store.clear_references(*ref_model, ref_field->name, id);
      }
    }
    // Generic relations: objects assigned to an interface go with it; scopes are cleared.
    for (const Model& other : registry.models()) {
      for (const Field& field : other.fields) {
        if (field.kind != FieldKind::GenericObject) continue;
        const Field* type = other.field(field.related);
        if (std::find(type->allowed_types.begin(), type->allowed_types.end(), model.key) ==
            type->allowed_types.end()) {
          continue;
        }
        Condition where;
        where.add(field_sql(field.related) + " = ?", {model.key});
        where.add(field_sql(field.via) + " = ?", {id});
        for (const StoredObject& row : store.select(other, where, "id", -1, 0)) {
          if (field.name == "assigned_object") {
            if (auto blocked = delete_object(other, row.id)) return blocked;
          } else {
            json::object data = row.data;
            data[field.related] = nullptr;
            data[field.via] = nullptr;
            store.update(other, row.id, data);
          }
        }
      }
    }
    const auto before = store.get(model, id);
    store.remove(model, id);
    if (before) after_write(model, &*before, nullptr);
    return std::nullopt;
  }

  Response delete_one(const Model& model, Request& request) {
    const auto id = path_id(request);
    if (!id || !store.exists(model, *id)) return not_found(model);
    if (auto failed = precondition_failed(model, *id, request)) return *failed;
    common::Transaction transaction(store.database());
    if (auto blocked = delete_object(model, *id)) return *blocked;
    transaction.commit();
    return Response::empty(Status::no_content);
  }

  Response delete_bulk(const Model& model, Request& request) {
    Response error;
    auto body = parse_list_body(request, error);
    if (!body) return error;
    common::Transaction transaction(store.database());
    json::array errors;
    bool failed = false;
    std::vector<int64_t> ids;
    for (const json::value& item : body->get_array()) {
      const json::value* id_value =
          item.is_object() ? item.get_object().if_contains("id") : nullptr;
      if (!id_value || !id_value->is_int64()) {
        errors.push_back(json::object{{"id", json::array{"This field is required."}}});
        failed = true;
        continue;
      }
      errors.push_back(json::object{});
      ids.push_back(id_value->get_int64());
    }
    if (failed) return Response::json(Status::bad_request, errors);
    for (const int64_t id : ids) {
      if (!store.exists(model, id)) continue;
      if (auto blocked = delete_object(model, id)) return *blocked;
    }
    transaction.commit();
    return Response::empty(Status::no_content);
  }

  // ---- entry -----------------------------------------------------------------------------

  std::string base_url(const Request& request) const {
    std::string proto(request.header("X-Forwarded-Proto"));
    if (proto.empty()) proto = request.secure ? "https" : "http";
    proto = trim(proto.substr(0, proto.find(',')));
    std::string host(request.header("X-Forwarded-Host"));
    if (host.empty()) host = std::string(request.header(http::Field::host));
    host = trim(host.substr(0, host.find(',')));
    if (host.empty()) host = "localhost";
    return proto + "://" + host;
  }

  Response handle(Request& request) {
    std::lock_guard lock(mutex);
    store.trim_cache();
    Context request_context;
    request_context.base = base_url(request);
    context = &request_context;
    http::Params unused;
    const auto match = router.match(request.method, request.path, unused);
    const bool admin = request.path.rfind("/api/__emulator__/", 0) == 0;
    if (!admin) {
      const std::string method(boost::beast::http::to_string(request.method));
      request_counts[method + " " + (match.handler ? match.pattern : request.path)] += 1;
      const bool write = request.method == Verb::post || request.method == Verb::put ||
                         request.method == Verb::patch || request.method == Verb::delete_;
      if (write) ++write_count;
    }
    Response response;
    try {
      response = router.dispatch(request);
    } catch (const std::exception& error) {
      // Never expected: storage failures are bugs, reported in NetBox's shape, not a crash.
      spdlog::error("netbox-emulator: {} {} failed: {}",
                    std::string(boost::beast::http::to_string(request.method)), request.target,
                    error.what());
      response = detail(Status::internal_server_error, error.what());
    }
    context = nullptr;
    response.headers.set("API-Version", options.version);
    return response;
  }
};

Emulator::Emulator(EmulatorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Emulator::~Emulator() = default;

http::Response Emulator::handle(http::Request& request) {
  return impl_->handle(request);
}

http::Handler Emulator::handler() {
  return [this](http::Request& request) { return handle(request); };
}

const EmulatorOptions& Emulator::options() const {
  return impl_->options;
}

}  // namespace pbx::netbox
