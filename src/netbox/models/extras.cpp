// NetBox extras app: tags, custom fields and their choice sets.

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <map>

#include "netbox/custom_fields.hpp"
#include "netbox/model_rules.hpp"
#include "netbox/models/declare.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox::models {
namespace {

// --- rules (NetBox's CustomField.clean and CustomFieldChoiceSet.clean) ------------------------

json::value custom_field_data_type_of(const json::object& data) {
  const json::value* type = data.if_contains("type");
  return json::string(
      custom_field_data_type(type && type->is_string() ? type->get_string() : "text"));
}

json::value choices_count(const json::object& data) {
  const json::value* extra = data.if_contains("extra_choices");
  return static_cast<int64_t>(extra && extra->is_array() ? extra->get_array().size() : 0);
}

void clean_custom_field(CleanContext& clean) {
  const json::object& data = clean.data;
  const json::value* name = data.if_contains("name");
  if (name && name->is_string()) {
    const std::string text(name->get_string());
    const bool valid = std::all_of(text.begin(), text.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
    if (!valid) {
      clean.errors["name"].push_back("Only alphanumeric characters and underscores are allowed.");
    } else if (text.find("__") != std::string::npos) {
      clean.errors["name"].push_back("Double underscores are not permitted in custom field names.");
    }
  }
  const json::value* type = data.if_contains("type");
  const json::value* related = data.if_contains("related_object_type");
  const bool object_type = type && type->is_string() &&
                           (type->get_string() == "object" || type->get_string() == "multiobject");
  if (object_type &&
      (!related || !related->is_string() || !Registry::instance().by_key(related->get_string()))) {
    clean.errors["related_object_type"].push_back("Object fields must define an object type.");
  }
  const bool selection = type && type->is_string() &&
                         (type->get_string() == "select" || type->get_string() == "multiselect");
  const bool has_choice_set = int_field(data, "choice_set") != 0;
  if (selection && !has_choice_set) {
    clean.errors["choice_set"].push_back("Selection fields must specify a set of choices.");
  } else if (!selection && has_choice_set) {
    clean.errors["choice_set"].push_back("Choices may be set only on selection fields.");
  }
}

// An object type as NetBox names it in messages: "Virtualization > Virtual Machine".
std::string object_type_label(const Model& model) {
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

// Whether any `holder` object holds `choice` in custom field `field` (a select or multiselect).
bool choice_held(RequestContext& context, const Model& holder, const json::object& field,
                 const std::string& choice) {
  const std::string name(field.at("name").as_string());
  Condition where;
  if (field.at("type").as_string() == "multiselect") {
    where.add(
        "EXISTS (SELECT 1 FROM json_each(data, '$.custom_fields." + name + "') WHERE value = ?)",
        {choice});
  } else {
    where.add(field_sql("custom_fields." + name) + " = ?", {choice});
  }
  return context.store.count(holder, where) > 0;
}

// NetBox refuses to drop a choice from a set while objects still hold it in a custom field
// that uses the set.
void check_removed_choices(CleanContext& clean) {
  const int64_t set_id = *clean.id;
  const auto before = clean.request.store.get(clean.model, set_id);
  if (!before) return;
  const std::set<std::string> kept = choice_values(clean.data);
  std::vector<std::string> removed;
  for (const std::string& value : choice_values(*before)) {
    if (!kept.count(value)) removed.push_back(value);
  }
  if (removed.empty()) return;
  for (const StoredObject& field : custom_field_rows(clean.request)) {
    if (int_field(field.data, "choice_set") != set_id) continue;
    const json::value* types = field.data.if_contains("object_types");
    if (!types || !types->is_array()) continue;
    for (const json::value& type : types->get_array()) {
      const Model* holder =
          type.is_string() ? Registry::instance().by_key(type.get_string()) : nullptr;
      if (!holder) continue;
      for (const std::string& choice : removed) {
        if (choice_held(clean.request, *holder, field.data, choice)) {
          clean.errors["__all__"].push_back("Cannot remove choice " + choice + " as there are " +
                                            object_type_label(*holder) +
                                            " objects which reference it.");
          return;
        }
      }
    }
  }
}

// One [value, label] pair of extra_choices (DRF's nested ListField, min and max 2, of
// CharField(max_length=100); numbers become their text).
void check_choice_pair(json::value& pair, Errors& errors) {
  if (!pair.is_array()) {
    errors["extra_choices"].push_back("Expected a list of items but got type \"" +
                                      python_type(pair) + "\".");
  } else if (pair.get_array().size() < 2) {
    errors["extra_choices"].push_back("Ensure this field has at least 2 elements.");
  } else if (pair.get_array().size() > 2) {
    errors["extra_choices"].push_back("Ensure this field has no more than 2 elements.");
  } else {
    for (json::value& item : pair.get_array()) {
      if (item.is_number()) item = json::serialize(item);
      if (!item.is_string()) {
        errors["extra_choices"].push_back("Not a valid string.");
      } else if (utf8_length(item.get_string()) > 100) {
        errors["extra_choices"].push_back("Ensure this field has no more than 100 characters.");
      }
    }
  }
}

// A set needs base or extra choices; order_alphabetically sorts the pairs by value on save;
// a choice objects still hold cannot be removed.
void clean_choice_set(CleanContext& clean) {
  json::value& extra = clean.data["extra_choices"];
  if (!extra.is_array()) {
    clean.errors["extra_choices"].push_back("Expected a list of items but got type \"" +
                                            python_type(extra) + "\".");
    return;
  }
  for (json::value& pair : extra.get_array())
    check_choice_pair(pair, clean.errors);
  if (!clean.errors.empty()) return;
  const json::value* base = clean.data.if_contains("base_choices");
  const bool has_base = base && base->is_string() && !base->get_string().empty();
  if (!has_base && extra.get_array().empty()) {
    clean.errors["__all__"].push_back("Must define base or extra choices.");
  }
  const json::value* alphabetical = clean.data.if_contains("order_alphabetically");
  if (alphabetical && alphabetical->is_bool() && alphabetical->get_bool()) {
    json::array& pairs = extra.get_array();
    std::stable_sort(pairs.begin(), pairs.end(), [](const json::value& a, const json::value& b) {
      return a.get_array()[0].get_string() < b.get_array()[0].get_string();
    });
  }
  if (clean.id && clean.errors.empty()) check_removed_choices(clean);
}

Model tag_model() {
  Model m = organisational("extras.tag", "extras/tags", "Tag", "tag");
  m.fields.push_back(str("color", 6).def("9e9e9e"));
  m.fields.push_back(make("object_types", FieldKind::StringList).def(json::array{}));
  m.fields.push_back(constant("tagged_items", 0).annotation());
  m.fields.push_back(positive_small_integer("weight").def(1000).from("4.3"));
  m.brief = {"id", "url", "display", "name", "slug", "color", "description"};
  m.tags = false;
  m.custom_fields = false;
  return m;
}

Model customfieldchoiceset_model() {
  // NetBox >= 4.0: select and multiselect custom fields take their choices from a set.
  Model m = base("extras.customfieldchoiceset", "extras/custom-field-choice-sets",
                 "CustomFieldChoiceSet", "custom field choice set");
  m.fields = {
      name_field(100),
      description(),
      choice("base_choices", {{"IATA", "IATA (Airport codes)"},
                              {"ISO_3166", "ISO 3166 (Country codes)"},
                              {"UN_LOCODE", "UN/LOCODE (Location codes)"}})
          .null(),
      make("extra_choices", FieldKind::Json).req(),
      boolean("order_alphabetically", false),
      derived("choices_count", choices_count),
  };
  m.brief = {"id", "url", "display", "name", "description", "choices_count"};
  m.unique = {unique_field("custom field choice set", "name")};
  m.clean = clean_choice_set;
  m.tags = false;
  m.custom_fields = false;
  return m;
}

Model customfield_model() {
  Model m = base("extras.customfield", "extras/custom-fields", "CustomField", "custom field");
  Field name = name_field(50);
  m.fields = {
      make("object_types", FieldKind::StringList).req(),
      choice("type", {{"text", "Text"},
                      {"longtext", "Text (long)"},
                      {"integer", "Integer"},
                      {"decimal", "Decimal"},
                      {"boolean", "Boolean (true/false)"},
                      {"date", "Date"},
                      {"datetime", "Date & time"},
                      {"url", "URL"},
                      {"json", "JSON"},
                      {"select", "Selection"},
                      {"multiselect", "Multiple selection"},
                      {"object", "Object"},
                      {"multiobject", "Multiple objects"}})
          .def("text"),
      str("related_object_type").null(),
      derived("data_type", custom_field_data_type_of),
      name,
      str("label", 50),
      str("group_name", 50),
      description(),
      boolean("required", false),
      boolean("unique", false),
      positive_small_integer("search_weight").def(1000),
      choice("filter_logic", {{"disabled", "Disabled"}, {"loose", "Loose"}, {"exact", "Exact"}})
          .def("loose"),
      choice("ui_visible", {{"always", "Always"}, {"if-set", "If set"}, {"hidden", "Hidden"}})
          .def("always"),
      choice("ui_editable", {{"yes", "Yes"}, {"no", "No"}, {"hidden", "Hidden"}}).def("yes"),
      boolean("is_cloneable", false),
      make("default", FieldKind::Json).null(),
      make("related_object_filter", FieldKind::Json).null(),
      make("validation_schema", FieldKind::Json).null().from("4.6"),
      fk("choice_set", "extras.customfieldchoiceset", OnDelete::Protect).null(),
      positive_small_integer("weight").def(100),
      integer("validation_minimum").null(),
      integer("validation_maximum").null(),
      str("validation_regex", 500),
      comments(),
  };
  m.brief = {"id", "url", "display", "name", "description"};
  m.unique = {unique_field("custom field", "name")};
  m.clean = clean_custom_field;
  m.tags = false;
  m.custom_fields = false;
  return m;
}

// NetBox's JournalEntry: a note with a kind on any object that has the journaling feature
// (allow_journaling lists them). The author (`created_by`) is the requesting user, the only user
// the emulator has (id 1, as /api/authentication-check/ answers).
void clean_journal_entry(CleanContext& clean) {
  const json::value* author = clean.data.if_contains("created_by");
  if (author && author->is_int64() && author->get_int64() != 1) {
    clean.fail("created_by", "Invalid pk \"" + std::to_string(author->get_int64()) +
                                 "\" - object does not exist.");
  }
}

Model journalentry_model() {
  Model m = base("extras.journalentry", "extras/journal-entries", "JournalEntry", "journal entry");
  m.fields = {
      make("assigned_object_type", FieldKind::ContentType).req(),  // types: allow_journaling
      make("assigned_object_id", FieldKind::GenericId).req(),
      generic_object("assigned_object", "assigned_object_type", "assigned_object_id"),
      integer("created_by").def(1).null(),
      choice(
          "kind",
          {{"info", "Info"}, {"success", "Success"}, {"warning", "Warning"}, {"danger", "Danger"}})
          .def("info"),
      str("comments").req(),
  };
  m.brief = {"id", "url", "display", "created"};
  m.display = "{created}";
  m.search = {"comments"};
  m.ordering = "-created";
  m.clean = clean_journal_entry;
  return m;
}

}  // namespace

void declare_extras(std::vector<Model>& models) {
  models.push_back(tag_model());
  models.push_back(customfieldchoiceset_model());
  models.push_back(customfield_model());
  models.push_back(journalentry_model());
}

void allow_journaling(std::vector<Model>& all) {
  auto journal = std::find_if(all.begin(), all.end(), [](const Model& model) {
    return model.key == "extras.journalentry";
  });
  if (journal == all.end()) return;
  Field& type =
      *std::find_if(journal->fields.begin(), journal->fields.end(),
                    [](const Field& field) { return field.name == "assigned_object_type"; });
  type.allowed_types.clear();
  for (const Model& model : all) {
    if (!model.key.starts_with("extras.") && !model.key.starts_with("users.")) {
      type.allowed_types.push_back(model.key);
    }
  }
}

}  // namespace pbx::netbox::models
