// NetBox extras app: tags, custom fields and their choice sets.

#include "netbox/models/declare.hpp"

namespace pbx::netbox::models {

void declare_extras(std::vector<Model>& models) {
  {
    Model m = organisational("extras.tag", "extras/tags", "Tag", "tag");
    m.fields.push_back(str("color", 6).def("9e9e9e"));
    m.fields.push_back(make("object_types", FieldKind::StringList).def(json::array{}));
    m.fields.push_back(constant("tagged_items", 0));
    m.fields.push_back(integer("weight").def(1000).from("4.3"));
    m.brief = {"id", "url", "display_url", "display", "name", "slug", "color", "description"};
    m.tags = false;
    m.custom_fields = false;
    models.push_back(std::move(m));
  }
  {
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
        constant("choices_count", 0),
    };
    m.brief = {"id", "url", "display", "name", "description", "choices_count"};
    m.unique = {unique_field("custom field choice set", "name")};
    m.tags = false;
    m.custom_fields = false;
    models.push_back(std::move(m));
  }
  {
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
        constant("data_type", "string"),
        name,
        str("label", 50),
        str("group_name", 50),
        description(),
        boolean("required", false),
        boolean("unique", false),
        integer("search_weight").def(1000),
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
        integer("weight").def(100),
        integer("validation_minimum").null(),
        integer("validation_maximum").null(),
        str("validation_regex", 500),
        comments(),
    };
    m.brief = {"id", "url", "display", "name", "description"};
    m.unique = {unique_field("custom field", "name")};
    m.tags = false;
    m.custom_fields = false;
    models.push_back(std::move(m));
  }
}

}  // namespace pbx::netbox::models
