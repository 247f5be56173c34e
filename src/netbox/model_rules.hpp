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
  // Adds NetBox's message for `field`; true, for rules that stop at their first error as a
  // Django clean() that raises does.
  bool fail(const std::string& field, std::string message) {
    errors[field].push_back(std::move(message));
    return true;
  }
};

// The stored object the foreign key `field` of the object being cleaned names; nothing when the
// key is unset.
std::optional<boost::json::object> related_object(CleanContext& clean, std::string_view field);

// Whether the stored IP address `ip` is assigned to an interface (of `interface_model`) whose
// `parent_field` is `parent`; with no parent yet (an object being created), to any such interface.
bool ip_on_interface_of(RequestContext& context, const boost::json::object& ip,
                        std::string_view interface_model, std::string_view parent_field,
                        std::optional<int64_t> parent);

// NetBox's BaseInterface.clean (4.2+): a primary MAC address must be assigned to this interface.
// True when it added the error (NetBox's clean() stops at the first).
bool check_primary_mac_address(CleanContext& clean);

// An interface's parent, bridge or LAG (`field`) must not be the interface itself and must sit
// on the same device or VM (`parent_field`, called `parent_noun` in NetBox's message). True when
// it added the error.
bool check_interface_relation(CleanContext& clean, const std::string& field,
                              const std::string& self_message, const std::string& label,
                              const std::string& parent_field, const std::string& parent_noun);

// An untagged VLAN needs an 802.1Q mode (NetBox drops it on save otherwise) and must be global or
// at the site of the interface's device or VM (`parent_field`). True when it added the error.
bool check_untagged_vlan(CleanContext& clean, const std::string& parent_field,
                         const std::string& parent_noun);

// The model's clean(), then the shared rules (a generic relation must name an existing object).
void check_model_rules(CleanContext& clean);

}  // namespace pbx::netbox
