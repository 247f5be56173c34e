// NetBox dcim's places: regions and site groups (trees of sites), locations (trees inside a
// site) and racks (in a site, optionally in one of its locations), with NetBox's rules from
// dcim/models/sites.py and racks.py (NestedGroupModel's tree, its constraints and messages).

#include "netbox/model_rules.hpp"
#include "netbox/models/declare.hpp"
#include "netbox/rendering.hpp"
#include "netbox/store.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox::models {

namespace {

// Levels deeper than any real tree: a corrupt parent chain ends the walk instead of looping.
constexpr int kMaxTreeDepth = 1000;

std::vector<Choice> place_status() {
  return {{"planned", "Planned"},
          {"staging", "Staging"},
          {"active", "Active"},
          {"decommissioning", "Decommissioning"},
          {"retired", "Retired"}};
}

// NetBox's message for `field`; true, as a clean() that raises stops there.
bool fail(CleanContext& clean, const std::string& field, std::string message) {
  clean.errors[field].push_back(std::move(message));
  return true;
}

// Whether `node` is `self` or below it: walks up from `node` through the stored parents.
bool is_self_or_descendant(CleanContext& clean, int64_t node, int64_t self) {
  for (int step = 0; node && step < kMaxTreeDepth; ++step) {
    if (node == self) return true;
    const auto row = clean.request.store.get(clean.model, node);
    node = row ? int_field(*row, "parent") : 0;
  }
  return false;
}

// MPTT keeps every descendant's level in step when a subtree moves; so does this, inside the
// request's transaction (a write that fails later rolls it back with everything else).
void relevel_descendants(CleanContext& clean, int64_t root, int64_t root_depth) {
  std::vector<std::pair<int64_t, int64_t>> pending{{root, root_depth}};
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    Condition children;
    children.add(field_sql("parent") + " = ?", {node});
    for (StoredObject& child : clean.request.store.select(clean.model, children, "id", -1, 0)) {
      child.data["_depth"] = depth + 1;
      clean.request.store.update(clean.model, child.id, child.data);
      pending.emplace_back(child.id, depth + 1);
    }
  }
}

// NestedGroupModel.clean: no object may be its own ancestor; `_depth` (MPTT's level) follows
// the parent. True when it added NetBox's error.
bool clean_tree(CleanContext& clean) {
  const int64_t parent = int_field(clean.data, "parent");
  if (parent && clean.id && is_self_or_descendant(clean, parent, *clean.id)) {
    return fail(clean, "parent",
                "Cannot assign self or child " + clean.model.verbose + " as parent.");
  }
  int64_t depth = 0;
  if (parent) {
    const auto row = clean.request.store.get(clean.model, parent);
    depth = row ? int_field(*row, "_depth") + 1 : 0;
  }
  const bool moved = clean.id && int_field(clean.data, "_depth") != depth;
  clean.data["_depth"] = depth;
  if (moved) relevel_descendants(clean, *clean.id, depth);
  return false;
}

void clean_nested_group(CleanContext& clean) {
  clean_tree(clean);
}

// Location.clean: a parent location is in the same site.
void clean_location(CleanContext& clean) {
  if (clean_tree(clean)) return;
  const int64_t parent = int_field(clean.data, "parent");
  if (!parent) return;
  const auto row = clean.request.store.get(clean.model, parent);
  const int64_t site = int_field(clean.data, "site");
  if (!row || int_field(*row, "site") == site) return;
  fail(clean, "__all__",
       "Parent location (" + display(clean.model, parent, *row) +
           ") must belong to the same site (" + display_of(clean.request, "dcim.site", site) +
           ").");
}

// Rack.clean: its location is in its site; outer dimensions and a maximum weight need a unit.
void clean_rack(CleanContext& clean) {
  const json::object& data = clean.data;
  if (const int64_t location = int_field(data, "location")) {
    const Model& locations = *Registry::instance().by_key("dcim.location");
    const auto row = clean.request.store.get(locations, location);
    const int64_t site = int_field(data, "site");
    if (row && int_field(*row, "site") != site) {
      fail(clean, "location",
           "Assigned location must belong to parent site (" +
               display_of(clean.request, "dcim.site", site) + ").");
      return;
    }
  }
  auto set = [&](const char* name) {
    const json::value* value = data.if_contains(name);
    return value && !value->is_null() && !(value->is_string() && value->get_string().empty());
  };
  if ((set("outer_width") || set("outer_depth")) && !set("outer_unit")) {
    fail(clean, "__all__", "Must specify a unit when setting an outer width/depth");
  } else if (int_field(data, "max_weight") && !set("weight_unit")) {
    fail(clean, "__all__", "Must specify a unit when setting a maximum weight");
  }
}

json::value stored_depth(const json::object& data) {
  return int_field(data, "_depth");
}

// NestedGroupModel's constraints: names and slugs unique among siblings, and among the roots.
std::vector<UniqueRule> tree_uniqueness(const std::string& class_name, const std::string& verbose,
                                        const std::vector<std::string>& scope,
                                        const std::string& root_message_scope) {
  std::vector<UniqueRule> rules;
  std::string labels;
  for (const std::string& field : scope)
    labels += title_case(field) + ", ";
  for (const std::string field : {"name", "slug"}) {
    std::vector<std::string> with_parent = scope;
    with_parent.push_back("parent");
    with_parent.push_back(field);
    std::vector<std::string> at_root = scope;
    at_root.push_back(field);
    rules.push_back({with_parent,
                     false,
                     {},
                     "__all__",
                     class_name + " with this " + labels + "Parent and " + title_case(field) +
                         " already exists.",
                     "",
                     ""});
    rules.push_back({at_root,
                     false,
                     {"parent"},
                     "__all__",
                     root_message_scope.empty()
                         ? "A top-level " + verbose + " with this " + field + " already exists."
                         : "A " + verbose + " with this " + field + " already exists" +
                               root_message_scope + ".",
                     "",
                     ""});
  }
  return rules;
}

Model nested_group(std::string key, std::string path, std::string class_name, std::string verbose,
                   const std::string& site_field) {
  Model m =
      organisational(std::move(key), std::move(path), std::move(class_name), std::move(verbose));
  m.fields.insert(m.fields.begin() + 2, fk("parent", m.key, OnDelete::Cascade).null());
  // IntegerField(default=0): 0 where the list's annotation is absent (nested, created).
  m.fields.push_back(models::count("site_count", "dcim.site", site_field).def(0));
  m.fields.push_back(count("prefix_count", "ipam.prefix", "scope_id"));
  m.fields.push_back(derived("_depth", stored_depth));
  m.fields.push_back(comments().from("4.3"));
  m.brief = {"id", "url", "display", "name", "slug", "description", "site_count", "_depth"};
  m.unique = tree_uniqueness(m.class_name, m.verbose, {}, "");
  m.clean = clean_nested_group;
  return m;
}

Model region_model() {
  return nested_group("dcim.region", "dcim/regions", "Region", "region", "region");
}

Model sitegroup_model() {
  return nested_group("dcim.sitegroup", "dcim/site-groups", "SiteGroup", "site group", "group");
}

Model location_model() {
  Model m = organisational("dcim.location", "dcim/locations", "Location", "location");
  m.fields = {
      name_field(100),
      slug(),
      fk("site", "dcim.site", OnDelete::Cascade).req(),
      fk("parent", "dcim.location", OnDelete::Cascade).null(),
      choice("status", place_status()).def("active"),
      fk("tenant", "tenancy.tenant", OnDelete::Protect).null(),
      str("facility", 50),
      description(),
      comments().from("4.3"),
      count("rack_count", "dcim.rack", "location").def(0),  // as site_count above
      constant("device_count", 0),                          // a device's location is not emulated
      count("prefix_count", "ipam.prefix", "scope_id"),
      derived("_depth", stored_depth),
  };
  m.brief = {"id", "url", "display", "name", "slug", "description", "rack_count", "_depth"};
  m.unique = tree_uniqueness("Location", "location", {"site"}, " within the specified site");
  m.clean = clean_location;
  return m;
}

Model rack_model() {
  Model m = base("dcim.rack", "dcim/racks", "Rack", "rack");
  m.fields = {
      name_field(100),
      str("facility_id", 50).null(),
      fk("site", "dcim.site", OnDelete::Protect).req(),
      fk("location", "dcim.location").null(),
      fk("tenant", "tenancy.tenant", OnDelete::Protect).null(),
      choice("status", {{"reserved", "Reserved"},
                        {"available", "Available"},
                        {"planned", "Planned"},
                        {"active", "Active"},
                        {"deprecated", "Deprecated"}})
          .def("active"),
      str("serial", 50),
      str("asset_tag", 50).null(),
      choice("form_factor", {{"2-post-frame", "2-post frame"},
                             {"4-post-frame", "4-post frame"},
                             {"4-post-cabinet", "4-post cabinet"},
                             {"wall-frame", "Wall-mounted frame"},
                             {"wall-frame-vertical", "Wall-mounted frame (vertical)"},
                             {"wall-cabinet", "Wall-mounted cabinet"},
                             {"wall-cabinet-vertical", "Wall-mounted cabinet (vertical)"}})
          .null(),
      integer("u_height").between("1", "100").def(42),
      integer("starting_unit").between("1", "32767").def(1),
      number("weight").decimal(8, 2).null(),
      positive_integer("max_weight").null(),
      choice("weight_unit",
             {{"kg", "Kilograms"}, {"g", "Grams"}, {"lb", "Pounds"}, {"oz", "Ounces"}})
          .null(),
      boolean("desc_units", false),
      positive_small_integer("outer_width").null(),
      positive_small_integer("outer_depth").null(),
      choice("outer_unit", {{"mm", "Millimeters"}, {"in", "Inches"}}).null(),
      positive_small_integer("mounting_depth").null(),
      choice("airflow", {{"front-to-rear", "Front to rear"}, {"rear-to-front", "Rear to front"}})
          .null(),
      description(),
      comments(),
      constant("device_count", 0).annotation(),  // a device's rack is not emulated
      constant("powerfeed_count", 0).annotation(),
  };
  m.brief = {"id", "url", "display", "name", "description", "device_count"};
  m.unique = {
      {{"location", "tenant", "name"},
       false,
       {},
       "__all__",
       "Rack with this Location, Tenant and Name already exists.",
       "",
       ""},
      {{"location", "name"},
       false,
       {"tenant"},
       "__all__",
       "Rack with this Location and Name already exists.",
       "",
       ""},
      {{"location", "tenant", "facility_id"},
       false,
       {},
       "__all__",
       "Rack with this Location, Tenant and Facility ID already exists.",
       "",
       ""},
      {{"location", "facility_id"},
       false,
       {"tenant"},
       "__all__",
       "Rack with this Location and Facility ID already exists.",
       "",
       ""},
      {{"asset_tag"}, false, {}, "asset_tag", "rack with this asset tag already exists.", "", ""},
  };
  m.search = {"name", "facility_id", "serial", "asset_tag", "description"};
  m.clean = clean_rack;
  m.not_emulated = {"rack_type", "role", "width"};
  return m;
}

}  // namespace

void declare_dcim_locations(std::vector<Model>& models) {
  models.push_back(region_model());
  models.push_back(sitegroup_model());
  models.push_back(location_model());
  models.push_back(rack_model());
}

}  // namespace pbx::netbox::models
