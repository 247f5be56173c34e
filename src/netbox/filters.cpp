#include "netbox/filters.hpp"

#include <boost/json/value.hpp>
#include <map>
#include <set>

#include "common/text.hpp"
#include "netbox/custom_fields.hpp"
#include "netbox/errors.hpp"
#include "netbox/field_kinds.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox {
namespace {

namespace json = boost::json;
using Refused = common::Failure<std::string>;  // NetBox's message for a value that cannot match

// Paging, selection and ordering parameters; never filters.
const std::set<std::string> kReservedParams = {"limit", "offset",   "brief", "fields",
                                               "omit",  "ordering", "start", "format"};

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

std::string like_pattern(std::string_view value, bool prefix_wild, bool suffix_wild) {
  std::string pattern = prefix_wild ? "%" : "";
  for (const char c : value) {
    if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
    pattern.push_back(c);
  }
  if (suffix_wild) pattern.push_back('%');
  return pattern;
}

// `__empty=true|false`: null or blank.
Filtered apply_empty(Condition& where, const std::string& expression, const std::string& value) {
  const auto flag = parse_boolean(value);
  if (!flag) return Refused{"Enter a valid boolean."};
  const std::string empty = "(" + expression + " IS NULL OR " + expression + " = '')";
  where.add(*flag ? empty : "NOT " + empty);
  return {};
}

// The case-insensitive text lookups: ic/nic (contains), ie/nie (equals), isw/nisw, iew/niew.
void apply_text_lookup(Condition& where, const std::string& expression, const std::string& op,
                       const std::vector<std::string>& values) {
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
  where.add(negated ? expression + " IS NULL OR NOT (" + clause + ")" : clause, std::move(params));
}

// One filter value as a bound parameter of `type`, or NetBox's message when it is not one.
common::Result<common::SqlValue, std::string> typed_param(ValueType type,
                                                          const std::string& value) {
  switch (type) {
    case ValueType::Integer: {
      // Beyond int64 a value matches what its limit matches (nothing, or every row for
      // __lt/__n), as Django compares an out-of-range integer instead of failing.
      const auto number = parse_integer_clamped(value);
      if (!number) return Refused{"Enter a whole number."};
      return common::SqlValue(*number);
    }
    case ValueType::Number: {
      const auto number = parse_number(value);
      if (!number) return Refused{"Enter a number."};
      return common::SqlValue(*number);
    }
    case ValueType::Boolean: {
      const auto flag = parse_boolean(value);
      if (!flag) {
        return Refused{"Select a valid choice. " + value + " is not one of the available choices."};
      }
      return common::SqlValue(static_cast<int64_t>(*flag ? 1 : 0));
    }
    case ValueType::Text:
      break;
  }
  return common::SqlValue(value);
}

// Adds `expression <lookup> values` to `where`; NetBox's message for a bad value.
Filtered apply_lookup(Condition& where, const std::string& expression, ValueType type,
                      const std::string& op, const std::vector<std::string>& values) {
  if (op == "empty") return apply_empty(where, expression, values.front());
  static const std::set<std::string> kTextOps = {"ic",  "nic",  "isw", "nisw",
                                                 "iew", "niew", "ie",  "nie"};
  if (kTextOps.count(op)) {
    apply_text_lookup(where, expression, op, values);
    return {};
  }
  std::vector<common::SqlValue> params;
  bool has_null = false;
  for (const std::string& value : values) {
    if (value == "null" && type != ValueType::Text) {
      has_null = true;
      continue;
    }
    auto param = typed_param(type, value);
    if (!param) return Refused{param.error()};
    params.push_back(std::move(*param));
  }
  if (op == "gte" || op == "gt" || op == "lte" || op == "lt") {
    const std::string symbol = op == "gte" ? ">=" : op == "gt" ? ">" : op == "lte" ? "<=" : "<";
    std::string clause;
    for (size_t i = 0; i < params.size(); ++i) {
      clause += (i ? " OR " : "") + expression + " " + symbol + " ?";
    }
    if (!clause.empty()) where.add(clause, std::move(params));
    return {};
  }
  std::string in_list;
  for (size_t i = 0; i < params.size(); ++i)
    in_list += i ? ",?" : "?";
  std::string matches;
  if (!params.empty()) matches = expression + " IN (" + in_list + ")";
  if (has_null) matches += (matches.empty() ? "" : " OR ") + expression + " IS NULL";
  if (matches.empty()) return {};
  if (op == "n") {
    // Django's exclude(): rows whose value is null are kept unless null itself is excluded.
    where.add(has_null ? "NOT (" + matches + ")" : expression + " IS NULL OR NOT (" + matches + ")",
              std::move(params));
  } else {
    where.add(matches, std::move(params));
  }
  return {};
}

// Slugs (or names) of `related` → their ids as filter values ("null" kept; none → "0", which
// matches nothing); NetBox's message for a value that names no object.
common::Result<std::vector<std::string>, std::string> resolve_filter_values(
    RequestContext& context, const Model& related, const std::vector<std::string>& values) {
  const std::string key = related.field("slug") ? "slug" : related.field("name") ? "name" : "id";
  std::vector<std::string> ids;
  bool has_null = false;
  for (const std::string& value : values) {
    if (value == "null") {
      has_null = true;
      continue;
    }
    Condition where;
    where.add(field_sql(key) + " = ?", {value});
    const auto found = context.store.ids(related, where);
    if (found.empty()) {
      return Refused{"Select a valid choice. " + value + " is not one of the available choices."};
    }
    for (const int64_t id : found)
      ids.push_back(std::to_string(id));
  }
  if (has_null) ids.push_back("null");
  if (ids.empty()) ids.push_back("0");
  return ids;
}

Filtered filter_search(const Model& model, const std::vector<std::string>& values,
                       Condition& where) {
  if (values.front().empty() || model.search.empty()) return {};
  std::string clause;
  std::vector<common::SqlValue> params;
  for (const std::string& field : model.search) {
    clause += (clause.empty() ? "" : " OR ") + field_sql(field) + " LIKE ? ESCAPE '\\'";
    params.emplace_back(like_pattern(common::trim(values.front()), true, true));
  }
  where.add(clause, std::move(params));
  return {};
}

// `tag=<slug>` / `tag_id=<id>`, each value required (ANDed); `__n` excludes.
Filtered filter_tags(RequestContext& context, const Model& model, const Lookup& lookup,
                     const std::vector<std::string>& values, Condition& where) {
  const Model& tag_model = *Registry::instance().by_key("extras.tag");
  for (const std::string& value : values) {
    std::optional<int64_t> tag_id;
    if (lookup.base == "tag_id") {
      tag_id = parse_integer(value);
    } else {
      Condition by_slug;
      by_slug.add(field_sql("slug") + " = ?", {value});
      const auto ids = context.store.ids(tag_model, by_slug);
      if (!ids.empty()) tag_id = ids.front();
    }
    if (!tag_id) {
      return Refused{"Select a valid choice. " + value + " is not one of the available choices."};
    }
    const std::string tagged = tagged_sql(model);
    where.add(lookup.op == "n" ? "NOT " + tagged : tagged, {*tag_id});
  }
  return {};
}

// `cf_<name>`: typed by the custom field; text fields with loose filter logic match contains.
Filtered filter_custom_field(RequestContext& context, const Model& model, const Lookup& lookup,
                             const std::vector<std::string>& values, Condition& where) {
  const std::string cf_name = lookup.base.substr(3);
  for (const json::object* definition : custom_fields_for(context, model)) {
    if (definition->at("name").as_string() != cf_name) continue;
    const std::string type(definition->at("type").as_string());
    const json::value* logic = definition->if_contains("filter_logic");
    const bool loose = !logic || !logic->is_string() || logic->get_string() == "loose";
    ValueType value_type = ValueType::Text;
    if (type == "integer" || type == "object") value_type = ValueType::Integer;
    if (type == "decimal") value_type = ValueType::Number;
    if (type == "boolean") value_type = ValueType::Boolean;
    const bool textual = type == "text" || type == "longtext" || type == "url";
    std::string op = lookup.op;
    if (op.empty() && textual && loose) op = "ic";
    return apply_lookup(where, field_sql("custom_fields." + cf_name), value_type, op, values);
  }
  return {};
}

// Clusters and prefixes (4.2+) keep `site`/`site_id` filters through their scope.
Filtered filter_scope_site(RequestContext& context, const Lookup& lookup,
                           const std::vector<std::string>& values, Condition& where) {
  std::vector<std::string> ids = values;
  if (lookup.base == "site") {
    auto resolved =
        resolve_filter_values(context, *Registry::instance().by_key("dcim.site"), values);
    if (!resolved) return Refused{resolved.error()};
    ids = std::move(*resolved);
  }
  where.add(field_sql("scope_type") + " = 'dcim.site'");
  return apply_lookup(where, field_sql("scope_id"), ValueType::Integer, lookup.op, ids);
}

// NetBox's TreeNode filters: a region or site group matches itself and every descendant; sites
// filter by their own `region`/`group`, objects with a site through the site's.
struct TreeFilter {
  const char* param;       // on objects with a site: "region", "site_group"
  const char* tree_model;  // "dcim.region"
  const char* site_field;  // the site's field, and the site's own parameter: "region", "group"
};
constexpr TreeFilter kTreeFilters[] = {{"region", "dcim.region", "region"},
                                       {"site_group", "dcim.sitegroup", "group"}};

const TreeFilter* tree_filter_for(const RequestContext& context, const Model& model,
                                  const std::string& base) {
  const std::string name = base.ends_with("_id") ? base.substr(0, base.size() - 3) : base;
  const Field* site = model.field("site");
  const bool has_site = site && site->kind == FieldKind::ForeignKey &&
                        field_in_version(*site, context.options.version);
  for (const TreeFilter& tree : kTreeFilters) {
    if (model.key == "dcim.site" ? name == tree.site_field : (has_site && name == tree.param)) {
      return &tree;
    }
  }
  return nullptr;
}

// The given tree nodes and all below them, as filter values ("null" kept; none → "0").
std::vector<std::string> with_descendants(RequestContext& context, const Model& tree,
                                          const std::vector<std::string>& roots) {
  std::vector<std::string> all;
  std::vector<int64_t> pending;
  for (const std::string& root : roots) {
    if (const auto id = parse_integer(root)) {
      pending.push_back(*id);
    } else {
      all.push_back(root);
    }
  }
  std::set<int64_t> seen;
  while (!pending.empty()) {
    const int64_t node = pending.back();
    pending.pop_back();
    if (!seen.insert(node).second) continue;
    all.push_back(std::to_string(node));
    Condition children;
    children.add(field_sql("parent") + " = ?", {node});
    for (const int64_t child : context.store.ids(tree, children))
      pending.push_back(child);
  }
  if (all.empty()) all.push_back("0");
  return all;
}

Filtered filter_tree(RequestContext& context, const Model& model, const TreeFilter& via,
                     const Lookup& lookup, const std::vector<std::string>& values,
                     Condition& where) {
  const Registry& registry = Registry::instance();
  const Model& tree = *registry.by_key(via.tree_model);
  std::vector<std::string> roots = values;
  if (!lookup.base.ends_with("_id")) {
    auto resolved = resolve_filter_values(context, tree, values);
    if (!resolved) return Refused{resolved.error()};
    roots = std::move(*resolved);
  }
  const std::vector<std::string> nodes = with_descendants(context, tree, roots);
  if (model.key == "dcim.site") {
    return apply_lookup(where, field_sql(via.site_field), ValueType::Integer, lookup.op, nodes);
  }
  Condition in_tree;
  if (auto done = apply_lookup(in_tree, field_sql(via.site_field), ValueType::Integer, "", nodes);
      !done) {
    return done;
  }
  std::vector<std::string> sites;
  for (const int64_t site : context.store.ids(*registry.by_key("dcim.site"), in_tree))
    sites.push_back(std::to_string(site));
  if (sites.empty()) sites.push_back("0");
  return apply_lookup(where, field_sql("site"), ValueType::Integer, lookup.op, sites);
}

// Services from 4.3 keep `device[_id]`/`virtual_machine[_id]` filters through their parent.
Filtered filter_parent_object(RequestContext& context, const Lookup& lookup,
                              const std::vector<std::string>& values, Condition& where) {
  const bool by_id = lookup.base.ends_with("_id");
  const std::string name = by_id ? lookup.base.substr(0, lookup.base.size() - 3) : lookup.base;
  const std::string key = name == "device" ? "dcim.device" : "virtualization.virtualmachine";
  std::vector<std::string> ids = values;
  if (!by_id) {
    auto resolved = resolve_filter_values(context, *Registry::instance().by_key(key), values);
    if (!resolved) return Refused{resolved.error()};
    ids = std::move(*resolved);
  }
  where.add(field_sql("parent_object_type") + " = ?", {key});
  return apply_lookup(where, field_sql("parent_object_id"), ValueType::Integer, lookup.op, ids);
}

bool names_generic_parent(const RequestContext& context, const Model& model,
                          const std::string& base) {
  const Field* parent_type = model.field("parent_object_type");
  return parent_type && field_in_version(*parent_type, context.options.version) &&
         (base == "device" || base == "device_id" || base == "virtual_machine" ||
          base == "virtual_machine_id");
}

// Objects assigned to interfaces (IP and MAC addresses) filter by the interface and by its
// parent virtual machine or device.
struct Assignment {
  const char* param;
  const char* interface_type;
  const char* parent_field;  // "" when the parameter names the interface itself
  const char* parent_model;
};
constexpr Assignment kAssignments[] = {
    {"interface", "dcim.interface", "", ""},
    {"vminterface", "virtualization.vminterface", "", ""},
    {"device", "dcim.interface", "device", "dcim.device"},
    {"virtual_machine", "virtualization.vminterface", "virtual_machine",
     "virtualization.virtualmachine"},
};

const Assignment* assignment_for(const std::string& base) {
  for (const Assignment& assignment : kAssignments) {
    const std::string name = assignment.param;
    if (base == name + "_id" || (base == name && *assignment.parent_field)) return &assignment;
  }
  return nullptr;
}

Filtered filter_assignment(RequestContext& context, const Assignment& via, const Lookup& lookup,
                           const std::vector<std::string>& values, Condition& where) {
  const Registry& registry = Registry::instance();
  std::vector<std::string> ids = values;
  if (lookup.base == via.param) {
    auto resolved = resolve_filter_values(context, *registry.by_key(via.parent_model), values);
    if (!resolved) return Refused{resolved.error()};
    ids = std::move(*resolved);
  }
  where.add(field_sql("assigned_object_type") + " = ?", {std::string(via.interface_type)});
  if (!*via.parent_field) {
    return apply_lookup(where, field_sql("assigned_object_id"), ValueType::Integer, lookup.op, ids);
  }
  const Model& interfaces = *registry.by_key(via.interface_type);
  Condition parents;
  auto done = apply_lookup(parents, field_sql(via.parent_field), ValueType::Integer, "", ids);
  if (done) {
    where.add(field_sql("assigned_object_id") + " IN (SELECT id FROM " + interfaces.table() +
                  " WHERE " + parents.sql + ")",
              parents.params);
  }
  return done;
}

// Before 4.4 (4.2.9 checked, netbox#17559) an interface assignment's `assigned_object_type`
// (IP and MAC addresses) is Django's default filter of the foreign key to ContentType: it takes
// the content type's numeric id and refuses anything else, `dcim.interface` included, with the
// form's message (`__n` likewise). The emulator numbers no content types, so every value is one
// NetBox would not find either; an empty value filters nothing.
Filtered filter_content_type_id(const std::vector<std::string>& values) {
  for (const std::string& value : values) {
    if (!value.empty()) {
      return Refused{"Select a valid choice. That choice is not one of the available choices."};
    }
  }
  return {};
}

// One filter parameter (all its values); NetBox's message when a value cannot match.
Filtered filter_parameter(RequestContext& context, const Model& model, const std::string& param,
                          const std::vector<std::string>& values, Condition& where) {
  const Lookup lookup = split_lookup(param);
  const std::string& base = lookup.base;
  if (param == "q") return filter_search(model, values, where);
  if ((base == "tag" || base == "tag_id") && model.tags) {
    return filter_tags(context, model, lookup, values, where);
  }
  if (base.starts_with("cf_") && model.custom_fields) {
    return filter_custom_field(context, model, lookup, values, where);
  }
  if ((base == "site" || base == "site_id") && !model.field("site") && model.field("scope_type")) {
    return filter_scope_site(context, lookup, values, where);
  }
  if (const TreeFilter* tree = tree_filter_for(context, model, base)) {
    return filter_tree(context, model, *tree, lookup, values, where);
  }
  if (names_generic_parent(context, model, base)) {
    return filter_parent_object(context, lookup, values, where);
  }
  if (model.field("assigned_object_type")) {
    // Journal entries (and the rest) had a ContentTypeFilter in 4.2 already.
    const bool interface_assignment =
        model.key == "ipam.ipaddress" || model.key == "dcim.macaddress";
    if (interface_assignment && base == "assigned_object_type" &&
        (lookup.op.empty() || lookup.op == "n") && !context.at_least("4.4")) {
      return filter_content_type_id(values);
    }
    if (const Assignment* via = assignment_for(base)) {
      return filter_assignment(context, *via, lookup, values, where);
    }
  }
  if (base == "id") return apply_lookup(where, "id", ValueType::Integer, lookup.op, values);
  // Foreign keys: `<field>_id` by id, `<field>` by slug (or name).
  if (base.size() > 3 && base.ends_with("_id")) {
    const Field* field = model.field(base.substr(0, base.size() - 3));
    if (field && field->kind == FieldKind::ForeignKey) {
      return apply_lookup(where, field_sql(field->name), ValueType::Integer, lookup.op, values);
    }
  }
  const Field* field = model.field(base);
  if (!field || !field_in_version(*field, context.options.version)) return {};
  const FilterFn filter = behaviour(field->kind).filter;
  if (!filter) return {};
  return filter(context, *field, lookup.op, values, where);
}

}  // namespace

common::Result<Condition, http::Response> build_filter(RequestContext& context, const Model& model,
                                                       const http::Request& request) {
  std::map<std::string, std::vector<std::string>> grouped;
  std::vector<std::string> order;
  for (const auto& [name, value] : request.query) {
    if (kReservedParams.count(name)) continue;
    if (!grouped.count(name)) order.push_back(name);
    grouped[name].push_back(value);
  }
  Condition where;
  Errors errors;
  for (const std::string& param : order) {
    if (auto done = filter_parameter(context, model, param, grouped[param], where); !done) {
      errors[param].push_back(done.error());
    }
  }
  if (!errors.empty()) return common::Failure{bad_request(errors)};
  return where;
}

std::string order_clause(const Model& model, const http::Request& request) {
  std::string ordering = model.ordering;
  if (auto requested = request.query_value("ordering"); requested && !requested->empty()) {
    ordering = std::string(*requested);
  }
  std::string clause;
  size_t start = 0;
  while (start <= ordering.size()) {
    const size_t comma = ordering.find(',', start);
    std::string term(common::trim(ordering.substr(start, comma - start)));
    start = comma == std::string::npos ? ordering.size() + 1 : comma + 1;
    const bool descending = !term.empty() && term.front() == '-';
    if (descending) term.erase(0, 1);
    const Field* field = model.field(term);
    const bool sortable = term == "id" || term == "created" || term == "last_updated" ||
                          (field && behaviour(field->kind).sortable);
    if (!sortable) continue;
    clause += (clause.empty() ? "" : ", ") + field_sql(term) + (descending ? " DESC" : "");
  }
  return clause.empty() ? "id" : clause + ", id";
}

Filtered filter_text(RequestContext&, const Field& field, const std::string& op,
                     const std::vector<std::string>& values, Condition& where) {
  return apply_lookup(where, field_sql(field.name), ValueType::Text, op, values);
}

Filtered filter_content_type(RequestContext& context, const Field& field, const std::string& op,
                             const std::vector<std::string>& values, Condition& where) {
  if (!op.empty() && op != "n") return {};
  std::vector<std::string> wanted;
  for (const std::string& value : values) {
    if (!context.at_least("4.6")) wanted.clear();  // a CharFilter reads the last value
    if (!value.empty()) wanted.push_back(common::to_lower(value));
  }
  if (wanted.empty()) return {};
  std::string clause;
  std::vector<common::SqlValue> params;
  for (const std::string& value : wanted) {
    clause += (clause.empty() ? "" : " OR ") + field_sql(field.name) + " = ?";
    params.emplace_back(value);  // no '.': matches nothing, as NetBox's qs.none()
  }
  where.add(clause, std::move(params));
  return {};
}

Filtered filter_integer(RequestContext&, const Field& field, const std::string& op,
                        const std::vector<std::string>& values, Condition& where) {
  return apply_lookup(where, field_sql(field.name), ValueType::Integer, op, values);
}

Filtered filter_number(RequestContext&, const Field& field, const std::string& op,
                       const std::vector<std::string>& values, Condition& where) {
  return apply_lookup(where, field_sql(field.name), ValueType::Number, op, values);
}

Filtered filter_boolean(RequestContext&, const Field& field, const std::string& op,
                        const std::vector<std::string>& values, Condition& where) {
  return apply_lookup(where, field_sql(field.name), ValueType::Boolean, op, values);
}

Filtered filter_foreign_key(RequestContext& context, const Field& field, const std::string& op,
                            const std::vector<std::string>& values, Condition& where) {
  const Model& related = *Registry::instance().by_key(field.related);
  auto ids = resolve_filter_values(context, related, values);
  if (!ids) return Refused{ids.error()};
  return apply_lookup(where, field_sql(field.name), ValueType::Integer, op, *ids);
}

Filtered filter_string_list(RequestContext&, const Field& field, const std::string&,
                            const std::vector<std::string>& values, Condition& where) {
  for (const std::string& value : values) {
    where.add("EXISTS (SELECT 1 FROM json_each(data, '$." + field.name + "') WHERE value = ?)",
              {value});
  }
  return {};
}

Filtered filter_ip_family(RequestContext&, const Field& field, const std::string& op,
                          const std::vector<std::string>& values, Condition& where) {
  return apply_lookup(where,
                      "(CASE WHEN instr(" + field_sql(field.via) + ", ':') > 0 THEN 6 ELSE 4 END)",
                      ValueType::Integer, op, values);
}

Filtered filter_mac(RequestContext& context, const Field& field, const std::string& op,
                    const std::vector<std::string>& values, Condition& where) {
  std::vector<std::string> normalised;
  for (const std::string& value : values)
    normalised.push_back(normalize_mac(value).value_or(value));
  return filter_text(context, field, op, normalised, where);
}

Filtered filter_ip_interface(RequestContext& context, const Field& field, const std::string& op,
                             const std::vector<std::string>& values, Condition& where) {
  if (!op.empty()) return filter_text(context, field, op, values, where);
  std::string clause;
  std::vector<common::SqlValue> params;
  for (const std::string& value : values) {
    const std::string host = value.substr(0, value.find('/'));
    clause += (clause.empty() ? "" : " OR ") + field_sql(field.name) + " LIKE ?";
    params.emplace_back(host + "/%");
  }
  where.add(clause, std::move(params));
  return {};
}

}  // namespace pbx::netbox
