#pragma once
// Model-level validation (Django's Model.clean): each model's own rule (Model::clean, declared
// beside the model in netbox/models/<app>.cpp) and the rules every model shares.

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>

#include "netbox/errors.hpp"
#include "netbox/model.hpp"
#include "netbox/request_context.hpp"

namespace pbx::netbox {

// What a model's clean() sees: the object as it will be stored (its fields coerced; the rule
// may complete it, e.g. a VM's site from its cluster), its id when it exists already, and the
// errors to add NetBox's messages to.
struct CleanContext {
  RequestContext& request;
  const Model& model;
  boost::json::object& data;
  std::optional<int64_t> id;
  Errors& errors;

  bool at_least(std::string_view version) const { return request.at_least(version); }
};

// The model's clean(), then the shared rules (a generic relation must name an existing object).
void check_model_rules(CleanContext& clean);

}  // namespace pbx::netbox
