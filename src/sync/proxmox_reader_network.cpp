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

}  // namespace pbx::sync
