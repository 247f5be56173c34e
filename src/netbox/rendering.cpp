#include "netbox/rendering.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>

#include "netbox/custom_fields.hpp"
#include "netbox/field_kinds.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox {
namespace {

namespace json = boost::json;

std::string choice_label(const Field& field, std::string_view value) {
  for (const Choice& choice : field.choices) {
    if (choice.value == value) return choice.label;
  }
  return "";
}

// "virtual_machine_id" pairs with "virtual_machine_type" in generic relations.
std::string type_field_for(const std::string& id_field) {
  return id_field.substr(0, id_field.size() - 3) + "_type";
}

// A Total's SQL sum at `column`: null when no row had a value (Django's Sum()), else a number
// of the summed field's kind.
json::value total_value(const Model& related, const Field& total, common::Statement& query,
                        int column) {
  if (query.is_null(column)) return nullptr;
  const Field* summed = related.field(total.summed);
  if (summed && summed->kind == FieldKind::Number) return query.column_double(column);
  return query.column_int(column);
}

// Rows a Count field counts, before narrowing to one owner: generic relations also match
// the owner's content type.
Condition count_scope(const Model& model, const Field& field) {
  Condition where;
  const Model& related = *Registry::instance().by_key(field.related);
  if (field.via.size() > 3 && field.via.ends_with("_id") &&
      related.field(type_field_for(field.via))) {
    where.add(field_sql(type_field_for(field.via)) + " = ?", {model.key});
  }
  return where;
}

bool is_annotation(const Field& field, std::string_view version) {
  return field.annotated &&
         (field.counter_from.empty() || compare_versions(version, field.counter_from) < 0);
}

// An object's tags as NetBox's NestedTagSerializer renders them: not the tag's brief form
// (no description, but display_url).
json::value render_tags(RequestContext& context, const json::object& data) {
  static const std::vector<std::string> kNestedTag = {"id",   "url",  "display_url", "display",
                                                      "name", "slug", "color"};
  json::array tags;
  const Model& tag_model = *Registry::instance().by_key("extras.tag");
  if (const json::value* ids = data.if_contains("tags"); ids && ids->is_array()) {
    for (const json::value& tag_id : ids->get_array()) {
      const int64_t id = tag_id.to_number<int64_t>();
      if (const auto tag = context.store.get(tag_model, id)) {
        tags.push_back(render(context, tag_model, id, *tag, &kNestedTag, nullptr));
      }
    }
  }
  return tags;
}

json::value render_custom_fields(RequestContext& context, const Model& model,
                                 const json::object& data) {
  json::object values;
  const json::value* stored = data.if_contains("custom_fields");
  for (const json::object* definition : custom_fields_for(context, model)) {
    const std::string cf_name(definition->at("name").as_string());
    const json::value* value =
        stored && stored->is_object() ? stored->get_object().if_contains(cf_name) : nullptr;
    values[cf_name] = value ? render_custom_field_value(context, *definition, *value) : nullptr;
  }
  return values;
}

// One attribute: the model's fields through their kind, plus what every model has.
json::value render_attribute(RequestContext& context, const Model& model, int64_t id,
                             const json::object& data, const std::string& name) {
  if (name == "id") return id;
  if (name == "url") return json::string(object_url(context, model, id));
  if (name == "display_url") {
    return json::string(context.base + "/" + model.path + "/" + std::to_string(id) + "/");
  }
  if (name == "display") return json::string(display(model, id, data));
  if (name == "created" || name == "last_updated") {
    const json::value* value = data.if_contains(name);
    return value ? *value : json::value(nullptr);
  }
  if (name == "tags") return render_tags(context, data);
  if (name == "custom_fields") return render_custom_fields(context, model, data);
  const Field* field = model.field(name);
  if (!field) return nullptr;
  return behaviour(field->kind).render(context, model, *field, id, data);
}

// Prefetches one Total field for the page's ids (`placeholders` "?,?,...").
void prefetch_total(RequestContext& context, const Field& field, const std::string& placeholders,
                    const std::vector<common::SqlValue>& ids,
                    const std::vector<StoredObject>& rows) {
  const Model& related = *Registry::instance().by_key(field.related);
  auto& query = context.store.statement(
      "SELECT " + field_sql(field.via) + ", sum(" + field_sql(field.summed) + ") FROM " +
      related.table() + " WHERE " + field_sql(field.via) + " IN (" + placeholders + ") GROUP BY 1");
  int index = 1;
  for (const auto& value : ids)
    query.bind(index++, value);
  for (const StoredObject& row : rows)
    context.totals[{&field, row.id}] = nullptr;
  while (query.step()) {
    context.totals[{&field, query.column_int(0)}] = total_value(related, field, query, 1);
  }
  query.reset();
}

void prefetch_count(RequestContext& context, const Model& model, const Field& field,
                    const std::string& placeholders, const std::vector<common::SqlValue>& ids,
                    const std::vector<StoredObject>& rows) {
  const Model& related = *Registry::instance().by_key(field.related);
  Condition where = count_scope(model, field);
  where.add(field_sql(field.via) + " IN (" + placeholders + ")", ids);
  auto& query = context.store.statement("SELECT " + field_sql(field.via) + ", count(*) FROM " +
                                        related.table() + " WHERE " + where.sql + " GROUP BY 1");
  int index = 1;
  for (const auto& value : where.params)
    query.bind(index++, value);
  for (const StoredObject& row : rows)
    context.counts[{&field, row.id}] = 0;
  while (query.step())
    context.counts[{&field, query.column_int(0)}] = query.column_int(1);
  query.reset();
}

}  // namespace

FieldOrder field_order_for(const std::vector<const Model*>& models, std::string_view version) {
  FieldOrder order;
  for (const Model* model : models) {
    std::vector<std::string>& names = order[model];
    names = {"id", "url", "display_url", "display"};
    for (const Field& field : model->fields) {
      if (field_in_version(field, version)) names.push_back(field.name);
    }
    if (model->tags) names.push_back("tags");
    if (model->custom_fields) names.push_back("custom_fields");
    names.push_back("created");
    names.push_back("last_updated");
  }
  return order;
}

std::string object_url(const RequestContext& context, const Model& model, int64_t id) {
  return context.base + "/api/" + model.path + "/" + std::to_string(id) + "/";
}

std::string display(const Model& model, int64_t id, const json::object& data) {
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

std::string display_of(RequestContext& context, std::string_view key, int64_t id) {
  const Model& model = *Registry::instance().by_key(key);
  const auto data = context.store.get(model, id);
  return data ? display(model, id, *data) : std::to_string(id);
}

json::value nested(RequestContext& context, const Model& model, int64_t id) {
  const auto key = std::make_pair(&model, id);
  if (auto found = context.nested.find(key); found != context.nested.end()) {
    return found->second;
  }
  const auto data = context.store.get(model, id);
  json::value rendered = nullptr;
  if (data) {
    ++context.nesting;
    rendered = render(context, model, id, *data, &model.brief, nullptr);
    --context.nesting;
  }
  context.nested.emplace(key, rendered);
  return rendered;
}

json::object render(RequestContext& context, const Model& model, int64_t id,
                    const json::object& data, const std::vector<std::string>* only,
                    const std::set<std::string>* omit) {
  json::object out;
  const std::vector<std::string>& names = only ? *only : context.field_order.at(&model);
  const bool annotated = context.annotated && context.nesting == 0;
  for (const std::string& name : names) {
    if (omit && omit->count(name)) continue;
    if (const Field* field = model.field(name)) {
      // A brief form or fields= may name a field of another version.
      if (only && !field_in_version(*field, context.options.version)) continue;
      if (!annotated && is_annotation(*field, context.options.version)) {
        // A Constant's default_value is its value, not a serializer default.
        if (field->kind != FieldKind::Constant && field->default_value && !context.partial &&
            (field->default_from.empty() ||
             compare_versions(context.options.version, field->default_from) >= 0)) {
          out[name] = *field->default_value;
        }
        continue;
      }
    }
    out[name] = render_attribute(context, model, id, data, name);
  }
  return out;
}

json::value render_stored(RequestContext& context, const Model& model, int64_t id) {
  context.nested.clear();
  const auto data = context.store.get(model, id);
  if (!data) return nullptr;
  return render(context, model, id, *data, nullptr, nullptr);
}

void prefetch_counts(RequestContext& context, const Model& model,
                     const std::vector<StoredObject>& rows, const std::vector<std::string>* only) {
  if (rows.empty()) return;
  auto rendered = [only](const Field& field) {
    return !only || std::find(only->begin(), only->end(), field.name) != only->end();
  };
  std::string placeholders;
  std::vector<common::SqlValue> ids;
  for (const StoredObject& row : rows) {
    placeholders += placeholders.empty() ? "?" : ",?";
    ids.emplace_back(row.id);
  }
  for (const Field& field : model.fields) {
    if (!rendered(field)) continue;
    if (field.kind == FieldKind::Total && field_in_version(field, context.options.version)) {
      prefetch_total(context, field, placeholders, ids, rows);
    } else if (field.kind == FieldKind::Count) {
      prefetch_count(context, model, field, placeholders, ids, rows);
    }
  }
}

json::value render_value(RequestContext&, const Model&, const Field& field, int64_t,
                         const json::object& data) {
  if (const json::value* value = data.if_contains(field.name)) return *value;
  if (field.default_value) return *field.default_value;
  return nullptr;
}

json::value render_text(RequestContext&, const Model&, const Field& field, int64_t,
                        const json::object& data) {
  if (const json::value* value = data.if_contains(field.name)) return *value;
  return field.nullable ? json::value(nullptr) : json::value("");
}

json::value render_choice(RequestContext&, const Model&, const Field& field, int64_t,
                          const json::object& data) {
  const json::value* value = data.if_contains(field.name);
  if (!value || !value->is_string() || value->get_string().empty()) return nullptr;
  const std::string raw(value->get_string());
  return json::object{{"value", raw}, {"label", choice_label(field, raw)}};
}

json::value render_foreign_key(RequestContext& context, const Model&, const Field& field, int64_t,
                               const json::object& data) {
  const json::value* value = data.if_contains(field.name);
  if (!value || !value->is_int64()) return nullptr;
  return nested(context, *Registry::instance().by_key(field.related), value->get_int64());
}

json::value render_generic_object(RequestContext& context, const Model&, const Field& field,
                                  int64_t, const json::object& data) {
  const json::value* type = data.if_contains(field.related);
  const json::value* target = data.if_contains(field.via);
  if (!type || !type->is_string() || !target || !target->is_int64()) return nullptr;
  const Model* related = Registry::instance().by_key(type->get_string());
  return related ? nested(context, *related, target->get_int64()) : json::value(nullptr);
}

json::value render_count(RequestContext& context, const Model& model, const Field& field,
                         int64_t id, const json::object&) {
  if (auto cached = context.counts.find({&field, id}); cached != context.counts.end()) {
    return cached->second;
  }
  const Model& related = *Registry::instance().by_key(field.related);
  Condition where = count_scope(model, field);
  where.add(field_sql(field.via) + " = ?", {id});
  return context.store.count(related, where);
}

json::value render_total(RequestContext& context, const Model&, const Field& field, int64_t id,
                         const json::object&) {
  if (auto cached = context.totals.find({&field, id}); cached != context.totals.end()) {
    return cached->second;
  }
  const Model& related = *Registry::instance().by_key(field.related);
  auto& query =
      context.store.statement("SELECT sum(" + field_sql(field.summed) + ") FROM " +
                              related.table() + " WHERE " + field_sql(field.via) + " = ?");
  query.bind(1, id);
  query.step();
  json::value sum = total_value(related, field, query, 0);
  query.reset();
  return sum;
}

json::value render_constant(RequestContext& context, const Model&, const Field& field, int64_t id,
                            const json::object& data) {
  if (field.compute) return field.compute(context, id, data);
  if (field.derive) return field.derive(data);
  return field.default_value ? *field.default_value : json::value(nullptr);
}

json::value render_through(RequestContext& context, const Model& model, const Field& field, int64_t,
                           const json::object& data) {
  const int64_t target = int_field(data, field.related);
  const Field* relation = model.field(field.related);
  if (!target || !relation) return nullptr;
  const auto related = context.store.get(*Registry::instance().by_key(relation->related), target);
  const json::value* value = related ? related->if_contains(field.via) : nullptr;
  return value ? *value : json::value(nullptr);
}

json::value render_ip_family(RequestContext&, const Model&, const Field& field, int64_t,
                             const json::object& data) {
  const json::value* address = data.if_contains(field.via);
  const int family = address && address->is_string() ? ip_family(address->get_string()) : 0;
  if (!family) return nullptr;
  return json::object{{"value", family}, {"label", family == 4 ? "IPv4" : "IPv6"}};
}

}  // namespace pbx::netbox
