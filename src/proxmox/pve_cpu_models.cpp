// GET /nodes/{node}/capabilities/qemu/cpu: the CPU models a guest on the node may use — the
// built-in table (cpu_models.cpp) and the cluster's custom models (scenario `cpu_models`,
// "custom-<name>" with the vendor of their reported model), as Proxmox lists them. `arch` is
// accepted but the list is always x86_64's. Proxmox shows custom models only to users with
// Sys.Audit on /nodes; the mock shows them to every user.

#include <boost/json.hpp>

#include "proxmox/cpu_models.hpp"
#include "proxmox/pve_support.hpp"
#include "proxmox/state.hpp"

namespace pbx::proxmox {

void add_cpu_model_handlers(HandlerTable& table) {
  table.add(http::Verb::get, "/nodes/{node}/capabilities/qemu/cpu",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string node = call.text("node");
              if (state.find_node(node) == nullptr) return no_such_node(node);
              boost::json::array out;
              for (const auto& model : state.cpu_models()) {
                out.push_back(boost::json::object{
                    {"custom", 1},
                    {"name", "custom-" + model.name},
                    {"vendor",
                     std::string(builtin_cpu_vendor(model.reported_model).value_or("default"))}});
              }
              for (const auto& model : builtin_cpu_models()) {
                out.push_back(boost::json::object{{"custom", 0},
                                                  {"name", std::string(model.name)},
                                                  {"vendor", std::string(model.vendor)}});
              }
              return ApiResult::ok(std::move(out));
            }));
}

}  // namespace pbx::proxmox
