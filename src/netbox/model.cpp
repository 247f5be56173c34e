#include "netbox/model.hpp"

#include <algorithm>

#include "common/text.hpp"
#include "netbox/models/declare.hpp"

namespace pbx::netbox {
namespace {

std::vector<Model> declare_models() {
  std::vector<Model> all;
  models::declare_tenancy(all);
  models::declare_extras(all);
  models::declare_dcim(all);
  models::declare_dcim_locations(all);
  models::declare_virtualization(all);
  models::declare_ipam(all);
  models::declare_ipam_services(all);
  models::declare_plugin_proxbox(all);
  models::declare_users(all);
  // NetBox 4.5 gave most models an optional owner (object ownership). The plugin's models are
  // not among them, and for tags it is not established.
  for (Model& model : all) {
    if (model.key.starts_with("netbox_proxbox.") || model.key == "extras.tag" ||
        model.key == "extras.journalentry" || model.key == "users.owner") {
      continue;
    }
    model.fields.push_back(
        models::fk("owner", "users.owner", OnDelete::Protect).null().from("4.5"));
  }
  models::allow_journaling(all);
  return all;
}

}  // namespace

std::string Model::table() const {
  std::string table = "nb_" + key;
  std::replace(table.begin(), table.end(), '.', '_');
  return table;
}

std::string Model::app() const {
  return path.substr(0, path.find('/'));
}

const Field* Model::field(std::string_view name) const {
  for (const Field& candidate : fields) {
    if (candidate.name == name) return &candidate;
  }
  return nullptr;
}

Registry::Registry() : models_(declare_models()) {}

const Registry& Registry::instance() {
  static const Registry registry;
  return registry;
}

const Model* Registry::by_key(std::string_view key) const {
  for (const Model& model : models_) {
    if (model.key == key) return &model;
  }
  return nullptr;
}

const Model* Registry::by_path(std::string_view path) const {
  for (const Model& model : models_) {
    if (model.path == path) return &model;
  }
  return nullptr;
}

std::vector<std::pair<const Model*, const Field*>> Registry::references_to(
    std::string_view key) const {
  std::vector<std::pair<const Model*, const Field*>> references;
  for (const Model& model : models_) {
    for (const Field& field : model.fields) {
      if (field.kind == FieldKind::ForeignKey && field.related == key) {
        references.emplace_back(&model, &field);
      }
    }
  }
  return references;
}

int compare_versions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    auto take = [](std::string_view& text) {
      const size_t dot = text.find('.');
      const int number =
          common::parse_number<int>(text.substr(0, dot), {.trailing_text = true}).value_or(0);
      text = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
      return number;
    };
    const int left = take(a);
    const int right = take(b);
    if (left != right) return left < right ? -1 : 1;
  }
  return 0;
}

bool field_in_version(const Field& field, std::string_view version) {
  return (field.since.empty() || compare_versions(version, field.since) >= 0) &&
         (field.until.empty() || compare_versions(version, field.until) < 0);
}

bool rule_in_version(const UniqueRule& rule, std::string_view version) {
  return (rule.since.empty() || compare_versions(version, rule.since) >= 0) &&
         (rule.until.empty() || compare_versions(version, rule.until) < 0);
}

}  // namespace pbx::netbox
