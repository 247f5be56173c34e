#include "sync/read_coverage.hpp"

#include "sync/json_util.hpp"

namespace pbx::sync {

std::set<std::string> guests_without_desired_vm(const std::vector<EndpointSnapshot>& endpoints,
                                                const std::vector<DesiredObject>& vms) {
  std::set<std::string> desired;
  for (const auto& vm : vms)
    desired.insert(vm.key);
  std::set<std::string> keys;
  for (const auto& endpoint : endpoints) {
    for (const auto& guest : endpoint.snapshot.guests) {
      std::string key = vm_key(endpoint.snapshot.cluster_name, guest.type, guest.vmid);
      if (!desired.count(key)) keys.insert(std::move(key));
    }
  }
  return keys;
}

std::set<int64_t> backups_not_listed(const std::vector<EndpointSnapshot>& endpoints,
                                     const std::vector<boost::json::object>& current_backups,
                                     const std::map<int64_t, std::string>& vm_clusters) {
  std::map<std::string, const BackupCoverage*> coverage_of;
  for (const auto& endpoint : endpoints)
    coverage_of[endpoint.snapshot.cluster_name] = &endpoint.snapshot.backup_coverage;
  std::set<int64_t> ids;
  for (const auto& backup : current_backups) {
    const auto cluster = vm_clusters.find(nested_id(backup, "virtual_machine"));
    const auto coverage =
        cluster == vm_clusters.end() ? coverage_of.end() : coverage_of.find(cluster->second);
    std::string storage = json_string(field(backup, "storage"));
    if (storage.empty()) storage = nested_name(backup, "storage");
    if (coverage == coverage_of.end() || storage.empty() || !coverage->second->complete(storage)) {
      ids.insert(json_int(field(backup, "id")));
    }
  }
  return ids;
}

}  // namespace pbx::sync
