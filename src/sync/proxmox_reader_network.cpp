#include "sync/proxmox_reader_network.hpp"

#include <mutex>

#include "http/message.hpp"
#include "sync/parallel.hpp"

namespace pbx::sync {

void read_node_networks(const ProxmoxGet& get, size_t max_in_flight, const std::stop_token& stop,
                        ProxmoxSnapshot& snapshot) {
  std::mutex mutex;
  parallel_for(snapshot.nodes.size(), std::max<size_t>(1, max_in_flight), [&](size_t i) {
    ProxmoxNode& node = snapshot.nodes[i];
    if (stop.stop_requested() || !node.online) return;
    const std::string path = "/nodes/" + http::percent_encode(node.name) + "/network";
    try {
      node.network = parse_node_network(get(path));
    } catch (const std::exception& error) {
      std::lock_guard lock(mutex);
      snapshot.warnings.push_back("network of node " + node.name + ": " + error.what());
    }
  });
}

void read_sdn(const ProxmoxGet& get, size_t max_in_flight, const std::stop_token& stop,
              ProxmoxSnapshot& snapshot) {
  if (stop.stop_requested()) return;
  try {
    SdnConfig config = parse_sdn(get("/cluster/sdn/zones"), get("/cluster/sdn/vnets"));
    std::vector<boost::json::value> subnets(config.vnets.size());
    parallel_for(config.vnets.size(), std::max<size_t>(1, max_in_flight), [&](size_t i) {
      if (stop.stop_requested()) return;
      subnets[i] =
          get("/cluster/sdn/vnets/" + http::percent_encode(config.vnets[i].name) + "/subnets");
    });
    if (stop.stop_requested()) return;
    for (size_t i = 0; i < subnets.size(); ++i)
      add_sdn_subnets(config, config.vnets[i].name, subnets[i]);
    snapshot.sdn = std::move(config);
  } catch (const std::exception& error) {
    snapshot.warnings.push_back(std::string("SDN: ") + error.what());
  }
}

}  // namespace pbx::sync
