#include "proxmox/sample_coverage.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

namespace pbx::proxmox {
namespace {

bool is_write(http::Verb method) {
  return method == http::Verb::post || method == http::Verb::put || method == http::Verb::delete_ ||
         method == http::Verb::patch;
}

std::string_view parent_of(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string_view::npos ? std::string_view("/")
                                                       : path.substr(0, slash);
}

}  // namespace

std::vector<std::string> sample_only_operations(const ApiSchema& schema,
                                                const BoundHandlers& handlers) {
  // Paths that have a write, and the parents of those paths (so a child's write marks them).
  std::set<std::string, std::less<>> written, parents_of_written;
  for (const auto& operation : schema.operations()) {
    if (!is_write(operation.method)) continue;
    written.insert(operation.path);
    parents_of_written.emplace(parent_of(operation.path));
  }
  std::vector<std::string> out;
  for (const auto& operation : schema.operations()) {
    if (handlers.find(operation) != nullptr) continue;
    // The engine answers the login itself (it needs the Authenticator, not the state).
    if (operation.method == http::Verb::post && operation.path == "/access/ticket") continue;
    const bool related_write = is_write(operation.method) || written.contains(operation.path) ||
                               written.contains(parent_of(operation.path)) ||
                               parents_of_written.contains(operation.path);
    if (related_write) out.push_back(to_string(OperationKey{operation.method, operation.path}));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace pbx::proxmox
