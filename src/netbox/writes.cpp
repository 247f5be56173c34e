#include "netbox/writes.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>

#include "common/result.hpp"
#include "common/text.hpp"
#include "netbox/coercion.hpp"
#include "netbox/custom_fields.hpp"
#include "netbox/errors.hpp"
#include "netbox/field_kinds.hpp"
#include "netbox/model_rules.hpp"
#include "netbox/reads.hpp"
#include "netbox/rendering.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox {
namespace {

namespace json = boost::json;
using http::Response;
using http::Status;

// The model's own fields of this version from `body` into `out`: required fields on a full
// write, defaults on create, null only where allowed, each value coerced by its kind.
void apply_fields(RequestContext& context, const Model& model, const json::object& body,
                  bool creating, bool partial, json::object& out, Errors& errors) {
  for (const Field& field : model.fields) {
    if (!is_written(field) || !field_in_version(field, context.options.version)) continue;
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
    auto stored = behaviour(field.kind).coerce(context, field, *value);
    if (stored) {
      out[field.name] = std::move(*stored);
    } else {
      errors[field.name].push_back(stored.error());
    }
  }
}

// `tags` replaces the set; 4.6's add_tags / remove_tags adjust it.
void apply_tags(RequestContext& context, const json::object& body, bool creating, json::object& out,
                Errors& errors) {
  if (const json::value* tags = body.if_contains("tags")) {
    json::array ids;
    if (!tags->is_null()) {
      auto coerced = coerce_tags(context, *tags);
      if (coerced) {
        ids = std::move(*coerced);
      } else {
        errors["tags"].push_back(coerced.error());
      }
    }
    out["tags"] = std::move(ids);
  } else if (creating) {
    out["tags"] = json::array{};
  }
  if (!context.at_least("4.6")) return;
  for (const std::string_view key : {"add_tags", "remove_tags"}) {
    const json::value* change = body.if_contains(key);
    if (!change) continue;
    auto ids = coerce_tags(context, *change);
    if (!ids) {
      errors["tags"].push_back(ids.error());
      continue;
    }
    json::array& current = out["tags"].as_array();
    for (const json::value& tag : *ids) {
      auto found = std::find(current.begin(), current.end(), tag);
      if (key == "add_tags" && found == current.end()) current.push_back(tag);
      if (key == "remove_tags" && found != current.end()) current.erase(found);
    }
  }
}

// Validates one written object and stores it. Returns the id, or fills `errors_out`.
// `stored_out`, when given, receives the stored representation (saves re-reading it).
std::optional<int64_t> write_object(RequestContext& context, const Model& model,
                                    const json::value& input, std::optional<int64_t> id,
                                    bool partial, json::object& errors_out,
                                    json::object* stored_out = nullptr) {
  Errors errors;
  if (!input.is_object()) {
    errors["non_field_errors"].push_back("Invalid data. Expected a dictionary, but got " +
                                         python_type(input) + ".");
    errors_out = to_json(errors);
    return std::nullopt;
  }
  const json::object& body = input.get_object();
  check_unknown_fields(context, model, body, errors);
  json::object out;
  std::optional<json::object> before;
  if (id) {
    before = context.store.get(model, *id);
    out = *before;
  }
  const bool creating = !id;
  apply_fields(context, model, body, creating, partial, out, errors);
  if (model.tags) apply_tags(context, body, creating, out, errors);
  if (model.custom_fields && errors.empty()) {
    validate_custom_fields(context, model, body.if_contains("custom_fields"), creating, out,
                           errors);
  }
  if (errors.empty()) {
    CleanContext clean{context, model, out, id, errors};
    check_model_rules(clean);
  }
  if (errors.empty()) check_unique(context, model, out, id, errors);
  if (!errors.empty()) {
    errors_out = to_json(errors);
    return std::nullopt;
  }
  const std::string now = now_iso8601();
  out["last_updated"] = now;
  if (creating) {
    out["created"] = now;
    id = context.store.insert(model, out);
  } else {
    context.store.update(model, *id, out);
  }
  if (model.after_write) model.after_write(context, *id, before ? &*before : nullptr, &out);
  if (stored_out) *stored_out = std::move(out);
  return id;
}

// The request's data as DRF reads it with NetBox's parsers: an empty body is {} whatever its
// type; JSON (`application/json`, any parameters) is parsed; multipart forms, which NetBox
// also parses, are not emulated; anything else (or no Content-Type) is DRF's 415.
common::Result<json::value, Response> parse_body(const http::Request& request) {
  if (request.body.empty()) return json::value(json::object{});
  const std::string content_type(request.header(http::Field::content_type));
  const std::string media_type = common::to_lower(
      common::trim(std::string_view(content_type).substr(0, content_type.find(';'))));
  if (media_type == "multipart/form-data") {
    return common::Failure{
        detail(Status::unsupported_media_type,
               "netbox-emulator does not emulate multipart/form-data request bodies.")};
  }
  if (media_type != "application/json") {
    return common::Failure{detail(Status::unsupported_media_type,
                                  "Unsupported media type \"" + content_type + "\" in request.")};
  }
  boost::system::error_code code;
  json::value body = json::parse(request.body, code);
  if (code) {
    return common::Failure{detail(Status::bad_request, "JSON parse error - " + code.message())};
  }
  return body;
}

// Bulk update and delete take a JSON list; anything else is DRF's non_field_errors answer.
common::Result<json::value, Response> parse_list_body(const http::Request& request) {
  auto body = parse_body(request);
  if (body && !body->is_array()) {
    return common::Failure{Response::json(
        Status::bad_request,
        json::object{{"non_field_errors", json::array{"Expected a list of items but got type \"" +
                                                      python_type(*body) + "\"."}}})};
  }
  return body;
}

// 4.6: If-Match guards against lost updates (412 when the object changed since it was read).
common::Result<void, Response> check_if_match(RequestContext& context, const Model& model,
                                              int64_t id, const http::Request& request) {
  const std::string_view wanted = request.header(http::Field::if_match);
  if (!context.at_least("4.6") || wanted.empty() || wanted == "*") return {};
  const auto data = context.store.get(model, id);
  if (data && etag(*data) == wanted) return {};
  return common::Failure{
      detail(Status::precondition_failed,
             "The object has been modified since it was retrieved (If-Match mismatch).")};
}

// NetBox renders a created object as saved, without the list's annotations (counts), and an
// update with the serializer that validated it, until 4.5.2 read both back through the
// annotated queryset with a fresh serializer (netbox#21263).
bool created_annotated(const RequestContext& context) {
  return context.at_least("4.5");
}

Response create_bulk(RequestContext& context, const Model& model, const json::array& items) {
  common::Transaction transaction(context.store.database());
  std::vector<StoredObject> written;
  json::array errors;
  bool failed = false;
  for (const json::value& item : items) {
    json::object item_errors;
    StoredObject object;
    const auto id =
        write_object(context, model, item, std::nullopt, false, item_errors, &object.data);
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
  context.nested.clear();
  context.annotated = created_annotated(context);
  for (const StoredObject& object : written) {
    created.push_back(render(context, model, object.id, object.data, nullptr, nullptr));
  }
  return Response::json(Status::created, created);
}

// An item's `id` in a bulk update (an integer or a numeric string).
std::optional<int64_t> item_id(const json::value& item) {
  const json::value* id = item.is_object() ? item.get_object().if_contains("id") : nullptr;
  if (id && id->is_int64()) return id->get_int64();
  if (id && id->is_string()) return parse_integer(id->get_string());
  return std::nullopt;
}

// Deletes with NetBox's on_delete semantics; fails with the 409 answer when something protects
// the object (the caller's transaction then rolls everything back).
common::Result<void, Response> remove_object(RequestContext& context, const Model& model,
                                             int64_t id);

// Objects that protect `id` from deletion, as NetBox lists them ("name (id)").
std::vector<std::string> protecting_objects(RequestContext& context, const Model& model,
                                            int64_t id) {
  std::vector<std::string> blockers;
  for (const auto& [ref_model, ref_field] : Registry::instance().references_to(model.key)) {
    if (ref_field->on_delete != OnDelete::Protect) continue;
    Condition where;
    where.add(field_sql(ref_field->name) + " = ?", {id});
    for (const StoredObject& row : context.store.select(*ref_model, where, "id", -1, 0)) {
      blockers.push_back(display(*ref_model, row.id, row.data) + " (" + std::to_string(row.id) +
                         ")");
    }
  }
  return blockers;
}

// Generic relations to the deleted object: what is assigned to it goes with it, scopes are
// cleared.
common::Result<void, Response> release_generic_relations(RequestContext& context,
                                                         const Model& model, int64_t id) {
  for (const Model& other : Registry::instance().models()) {
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
      for (const StoredObject& row : context.store.select(other, where, "id", -1, 0)) {
        if (field.name == "assigned_object" || field.on_delete == OnDelete::Cascade) {
          if (auto removed = remove_object(context, other, row.id); !removed) return removed;
        } else {
          json::object data = row.data;
          data[field.related] = nullptr;
          data[field.via] = nullptr;
          context.store.update(other, row.id, data);
        }
      }
    }
  }
  return {};
}

common::Result<void, Response> remove_object(RequestContext& context, const Model& model,
                                             int64_t id) {
  const std::vector<std::string> blockers = protecting_objects(context, model, id);
  if (!blockers.empty()) {
    std::string message = "Unable to delete object. " + std::to_string(blockers.size()) +
                          " dependent objects were found: ";
    for (size_t i = 0; i < blockers.size(); ++i)
      message += (i ? ", " : "") + blockers[i];
    return common::Failure{detail(Status::conflict, message)};
  }
  for (const auto& [ref_model, ref_field] : Registry::instance().references_to(model.key)) {
    Condition where;
    where.add(field_sql(ref_field->name) + " = ?", {id});
    if (ref_field->on_delete == OnDelete::Cascade) {
      for (const int64_t dependant : context.store.ids(*ref_model, where)) {
        if (ref_model == &model && dependant == id) continue;
        if (auto removed = remove_object(context, *ref_model, dependant); !removed) return removed;
      }
    } else if (ref_field->on_delete == OnDelete::SetNull) {
      context.store.clear_references(*ref_model, ref_field->name, id);
    }
  }
  if (auto released = release_generic_relations(context, model, id); !released) return released;
  const auto before = context.store.get(model, id);
  context.store.remove(model, id);
  if (before && model.after_write) model.after_write(context, id, &*before, nullptr);
  return {};
}

}  // namespace

Response create_objects(RequestContext& context, const Model& model, const http::Request& request) {
  auto body = parse_body(request);
  if (!body) return body.error();
  if (body->is_array()) return create_bulk(context, model, body->get_array());
  common::Transaction transaction(context.store.database());
  json::object errors;
  const auto id = write_object(context, model, *body, std::nullopt, false, errors);
  if (!id) return Response::json(Status::bad_request, errors);
  transaction.commit();
  context.annotated = created_annotated(context);
  return Response::json(Status::created, render_stored(context, model, *id));
}

Response update_object(RequestContext& context, const Model& model, const http::Request& request,
                       bool partial) {
  const auto id = path_id(request);
  if (!id || !context.store.exists(model, *id)) return not_found(model);
  if (auto matched = check_if_match(context, model, *id, request); !matched) return matched.error();
  auto body = parse_body(request);
  if (!body) return body.error();
  common::Transaction transaction(context.store.database());
  json::object errors;
  if (!write_object(context, model, *body, id, partial, errors)) {
    return Response::json(Status::bad_request, errors);
  }
  transaction.commit();
  context.partial = partial && !created_annotated(context);
  return with_etag(context, Response::json(render_stored(context, model, *id)), model, *id);
}

Response update_objects(RequestContext& context, const Model& model, const http::Request& request,
                        bool partial) {
  auto body = parse_list_body(request);
  if (!body) return body.error();
  common::Transaction transaction(context.store.database());
  std::vector<int64_t> ids;
  json::array errors;
  bool failed = false;
  for (const json::value& item : body->get_array()) {
    json::object item_errors;
    const auto id = item_id(item);
    if (!id) {
      item_errors["id"] = json::array{"This field is required."};
      failed = true;
    } else if (context.store.exists(model, *id)) {
      if (write_object(context, model, item, id, partial, item_errors)) {
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
  context.nested.clear();
  context.partial = partial && !created_annotated(context);
  for (const int64_t id : ids) {
    updated.push_back(render(context, model, id, *context.store.get(model, id), nullptr, nullptr));
  }
  return Response::json(updated);
}

Response delete_object(RequestContext& context, const Model& model, const http::Request& request) {
  const auto id = path_id(request);
  if (!id || !context.store.exists(model, *id)) return not_found(model);
  if (auto matched = check_if_match(context, model, *id, request); !matched) return matched.error();
  common::Transaction transaction(context.store.database());
  if (auto removed = remove_object(context, model, *id); !removed) return removed.error();
  transaction.commit();
  return Response::empty(Status::no_content);
}

Response delete_objects(RequestContext& context, const Model& model, const http::Request& request) {
  auto body = parse_list_body(request);
  if (!body) return body.error();
  common::Transaction transaction(context.store.database());
  json::array errors;
  bool failed = false;
  std::vector<int64_t> ids;
  for (const json::value& item : body->get_array()) {
    const json::value* id_value = item.is_object() ? item.get_object().if_contains("id") : nullptr;
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
    if (!context.store.exists(model, id)) continue;
    if (auto removed = remove_object(context, model, id); !removed) return removed.error();
  }
  transaction.commit();
  return Response::empty(Status::no_content);
}

}  // namespace pbx::netbox
