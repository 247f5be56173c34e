#pragma once
// The rule that keeps a failed Proxmox read from deleting NetBox data: an object is an orphan
// only when the read that would have listed it succeeded in this run (per endpoint, node,
// storage and guest). Objects whose read failed are "unknown": kept as NetBox holds them.
// Endpoints that failed entirely never reach the engine's diff (their clusters are not loaded);
// these functions cover the reads that fail inside an endpoint that answered.

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sync/diff.hpp"
#include "sync/mapping.hpp"

namespace pbx::sync {

// Keys (vm_key) of the guests Proxmox listed that have no desired virtual machine: their
// configuration could not be read or the mapping refused them. Their virtual machines are
// neither updated nor deleted.
std::set<std::string> guests_without_desired_vm(const std::vector<EndpointSnapshot>& endpoints,
                                                const std::vector<DesiredObject>& vms);

// Ids of the NetBox backups (as read, with `virtual_machine` and `storage`) whose listing did
// not succeed in this run: their storage's listing failed on some node, a node that may hold
// the storage could not be listed, or their virtual machine's cluster is not one this run read.
// `vm_clusters`: NetBox virtual machine id → cluster name.
std::set<int64_t> backups_not_listed(const std::vector<EndpointSnapshot>& endpoints,
                                     const std::vector<boost::json::object>& current_backups,
                                     const std::map<int64_t, std::string>& vm_clusters);

}  // namespace pbx::sync
