// NetBox users app (4.5+): owners.

#include "netbox/models/declare.hpp"

namespace pbx::netbox::models {

namespace {

Model owner_model() {
  Model m = base("users.owner", "users/owners", "Owner", "owner");
  m.fields = {name_field(100), description()};
  m.brief = {"id", "url", "display", "name", "description"};
  m.unique = {unique_field("owner", "name")};
  m.not_emulated = {"group", "user_groups", "users"};
  m.tags = false;
  m.custom_fields = false;
  m.since = "4.5";
  return m;
}

}  // namespace

void declare_users(std::vector<Model>& models) {
  models.push_back(owner_model());
}

}  // namespace pbx::netbox::models
