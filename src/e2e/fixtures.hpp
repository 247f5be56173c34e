#pragma once
// The E2E fixture layer: the one place that decides "PVE-shaped state, or a labelled empty shell
// for a service stub (pbs, pdm)?". Tests ask for a fixture; what changes between services is
// which tests run, never the fixture surface. Every builder returns the scenario it built; the
// loaders put it into a running mock (admin API) or hand it to an in-process engine.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxmox/scenario.hpp"

namespace pbx::http {
class Client;
}
namespace pbx::proxmox {
class Engine;
}

namespace pbx::e2e {

// `explicit_service` if given, else $PROXMOX_SERVICE (trimmed, lower-cased), else pve.
// Throws std::invalid_argument listing pve, pbs, pdm for anything else.
proxmox::Service resolve_proxmox_service(std::optional<std::string_view> explicit_service = {});

// A cluster labelled with `service` and holding no nodes, guests, storages or backups.
proxmox::Scenario empty_cluster(std::string name, proxmox::Service service);

// pve: one node, one QEMU VM (guest agent on, one NIC with an address) and one LXC container,
// storages `local` and `backup`. Other services: empty_cluster(prefix + "-cluster").
proxmox::Scenario create_minimal_cluster(std::string_view prefix,
                                         proxmox::Service service = proxmox::Service::pve);

// pve: two clusters ("<prefix>-a": 2 nodes, 3 guests; "<prefix>-b": 3 nodes, 4 guests).
// Other services: a single empty shell.
proxmox::Scenario create_multi_cluster(std::string_view prefix,
                                       proxmox::Service service = proxmox::Service::pve);

// The `index`-th (from 0) daily backup of `guest` on the shared storage `backup`, taken
// `index` days after `first_time`: vma.zst for QEMU, tar.zst for LXC, verified, its notes and
// size derived from the guest, so its volid is stable.
proxmox::BackupScenario daily_backup(const proxmox::GuestScenario& guest, int index,
                                     int64_t first_time);

// pve: the minimal cluster plus `backups_per_guest` backup volumes per guest on storage
// `backup`. Other services: the empty shell, so backups_of() is empty.
proxmox::Scenario create_cluster_with_backups(std::string_view prefix,
                                              proxmox::Service service = proxmox::Service::pve,
                                              int backups_per_guest = 2);

// pve: any topology. Node names in `nodes_spec` and the `node` of each guest in `vms_spec` are
// suffixes: both become "<prefix>-<name>"; guest names get the same prefix. Storages `local` and
// `backup` are added. Throws std::invalid_argument when a guest names an unknown node.
// Other services: empty_cluster(name).
proxmox::Scenario create_custom_cluster(std::string name,
                                        const std::vector<proxmox::NodeScenario>& nodes_spec,
                                        const std::vector<proxmox::GuestScenario>& vms_spec,
                                        std::string_view prefix,
                                        proxmox::Service service = proxmox::Service::pve);

// Every backup of every cluster of `scenario`.
std::vector<proxmox::BackupScenario> backups_of(const proxmox::Scenario& scenario);
// Number of guests of a given type ("qemu", "lxc"; empty: all) over all clusters.
size_t count_guests(const proxmox::Scenario& scenario, std::string_view type = {});
size_t count_nodes(const proxmox::Scenario& scenario);

// One cluster of `scenario` as the single-cluster Scenario a mock endpoint serves.
proxmox::Scenario single_cluster(const proxmox::Scenario& scenario, size_t cluster_index);

// POSTs cluster `cluster_index` of `scenario` to `<mock_url>/mock/scenario`, replacing the
// mock's state. Throws std::runtime_error with the mock's answer when it is refused, and
// http::TransportError when the mock cannot be reached.
void load_into_mock(http::Client& client, std::string_view mock_url,
                    const proxmox::Scenario& scenario, size_t cluster_index = 0);

// Replaces the state of an in-process engine with cluster `cluster_index` of `scenario`
// (the mock_backend path). Throws std::invalid_argument when the engine refuses it.
void load_into_engine(proxmox::Engine& engine, const proxmox::Scenario& scenario,
                      size_t cluster_index = 0);
// One in-process engine per cluster of `scenario`, each serving exactly that cluster.
std::vector<std::unique_ptr<proxmox::Engine>> make_engines(const proxmox::Scenario& scenario);

}  // namespace pbx::e2e
