#include "e2e/fixtures.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <stdexcept>

#include "common/text.hpp"
#include "http/client.hpp"
#include "proxmox/engine.hpp"

namespace pbx::e2e {
namespace {

using proxmox::BackupScenario;
using proxmox::ClusterScenario;
using proxmox::GuestScenario;
using proxmox::NicScenario;
using proxmox::NodeScenario;
using proxmox::Scenario;
using proxmox::Service;
using proxmox::StorageScenario;

constexpr int64_t kFirstBackupTime = 1767225600;  // 2026-01-01T00:00:00Z: stable volids

std::vector<StorageScenario> standard_storages() {
  StorageScenario local;
  local.id = "local";
  local.type = "dir";
  local.content = {"images", "rootdir", "iso", "vztmpl"};
  StorageScenario backup;
  backup.id = "backup";
  backup.type = "dir";
  backup.content = {"backup"};
  backup.shared = true;
  return {local, backup};
}

NodeScenario make_node(std::string name, int host_octet) {
  NodeScenario node;
  node.name = std::move(name);
  node.ip = fmt::format("10.0.0.{}", host_octet);
  return node;
}

// One NIC with an address derived from the vmid, in a subnet per guest kind.
NicScenario make_nic(std::string name, int subnet_octet, int vmid) {
  NicScenario nic;
  nic.name = std::move(name);
  nic.ip_addresses = {fmt::format("10.{}.{}.{}/24", subnet_octet, vmid / 250, vmid % 250 + 1)};
  return nic;
}

GuestScenario make_guest(int vmid, std::string type, std::string name, std::string node) {
  GuestScenario guest;
  guest.vmid = vmid;
  guest.type = std::move(type);
  guest.name = std::move(name);
  guest.node = std::move(node);
  return guest;
}

GuestScenario make_qemu(int vmid, std::string name, std::string node) {
  GuestScenario guest = make_guest(vmid, "qemu", std::move(name), std::move(node));
  guest.cores = 2;
  guest.memory_mb = 2048;
  guest.disk_gb = 32;
  guest.onboot = true;
  guest.agent = true;
  guest.os_type = "l26";
  guest.tags = {"e2e"};
  guest.nics = {make_nic("net0", 10, vmid)};
  return guest;
}

GuestScenario make_lxc(int vmid, std::string name, std::string node) {
  GuestScenario guest = make_guest(vmid, "lxc", std::move(name), std::move(node));
  guest.cores = 1;
  guest.memory_mb = 512;
  guest.disk_gb = 8;
  guest.unprivileged = true;
  guest.os_type = "debian";
  guest.nics = {make_nic("eth0", 20, vmid)};
  return guest;
}

ClusterScenario pve_cluster(std::string name) {
  ClusterScenario cluster;
  cluster.name = std::move(name);
  cluster.mode = "cluster";
  cluster.storages = standard_storages();
  return cluster;
}

Scenario labelled(Service service, std::vector<ClusterScenario> clusters) {
  Scenario scenario;
  scenario.service = service;
  scenario.clusters = std::move(clusters);
  return scenario;
}

}  // namespace

Service resolve_proxmox_service(std::optional<std::string_view> explicit_service) {
  if (explicit_service) return proxmox::parse_service(*explicit_service);
  const char* from_env = std::getenv("PROXMOX_SERVICE");
  const std::string_view configured = common::trim(from_env ? from_env : "");
  if (configured.empty()) return Service::pve;
  return proxmox::parse_service(configured);
}

Scenario empty_cluster(std::string name, Service service) {
  ClusterScenario cluster;
  cluster.name = std::move(name);
  cluster.mode = "cluster";
  return labelled(service, {cluster});
}

Scenario create_minimal_cluster(std::string_view prefix, Service service) {
  if (service != Service::pve) return empty_cluster(fmt::format("{}-cluster", prefix), service);
  auto cluster = pve_cluster(fmt::format("{}-cluster", prefix));
  const auto node = fmt::format("{}-pve1", prefix);
  cluster.nodes = {make_node(node, 11)};
  cluster.guests = {make_qemu(100, fmt::format("{}-vm100", prefix), node),
                    make_lxc(101, fmt::format("{}-ct101", prefix), node)};
  return labelled(service, {cluster});
}

Scenario create_multi_cluster(std::string_view prefix, Service service) {
  if (service != Service::pve) return empty_cluster(fmt::format("{}-cluster", prefix), service);
  std::vector<ClusterScenario> clusters;
  int vmid = 200;
  int host_octet = 21;
  const struct {
    std::string_view suffix;
    int nodes;
    int guests;
  } kShapes[] = {{"a", 2, 3}, {"b", 3, 4}};
  for (const auto& shape : kShapes) {
    auto cluster = pve_cluster(fmt::format("{}-{}", prefix, shape.suffix));
    for (int n = 1; n <= shape.nodes; ++n) {
      cluster.nodes.push_back(
          make_node(fmt::format("{}-{}n{}", prefix, shape.suffix, n), host_octet++));
    }
    for (int g = 0; g < shape.guests; ++g, ++vmid) {
      const auto& node = cluster.nodes[g % cluster.nodes.size()].name;
      cluster.guests.push_back(g % 2 == 0
                                   ? make_qemu(vmid, fmt::format("{}-vm{}", prefix, vmid), node)
                                   : make_lxc(vmid, fmt::format("{}-ct{}", prefix, vmid), node));
    }
    clusters.push_back(std::move(cluster));
  }
  return labelled(service, std::move(clusters));
}

BackupScenario daily_backup(const GuestScenario& guest, int index, int64_t first_time) {
  BackupScenario backup;
  backup.storage = "backup";
  backup.node = guest.node;
  backup.vmid = guest.vmid;
  backup.format = guest.type == "qemu" ? "vma.zst" : "tar.zst";
  backup.size = (int64_t{1} << 30) + guest.vmid * 4096 + index;
  backup.ctime = first_time + index * 86400;
  backup.notes = fmt::format("{} backup {}", guest.name, index + 1);
  backup.verification = "ok";
  return backup;
}

Scenario create_cluster_with_backups(std::string_view prefix, Service service,
                                     int backups_per_guest) {
  auto scenario = create_minimal_cluster(prefix, service);
  if (service != Service::pve) return scenario;
  auto& cluster = scenario.clusters.front();
  for (const auto& guest : cluster.guests) {
    for (int i = 0; i < backups_per_guest; ++i)
      cluster.backups.push_back(daily_backup(guest, i, kFirstBackupTime));
  }
  return scenario;
}

Scenario create_custom_cluster(std::string name, const std::vector<NodeScenario>& nodes_spec,
                               const std::vector<GuestScenario>& vms_spec, std::string_view prefix,
                               Service service) {
  if (service != Service::pve) return empty_cluster(std::move(name), service);
  auto cluster = pve_cluster(std::move(name));
  std::set<std::string> node_suffixes;
  for (const auto& spec : nodes_spec) {
    auto node = spec;
    node.name = fmt::format("{}-{}", prefix, spec.name);
    node_suffixes.insert(spec.name);
    cluster.nodes.push_back(std::move(node));
  }
  for (const auto& spec : vms_spec) {
    if (!node_suffixes.contains(spec.node)) {
      throw std::invalid_argument(
          fmt::format("custom cluster: guest {} is on unknown node '{}'", spec.vmid, spec.node));
    }
    auto guest = spec;
    guest.node = fmt::format("{}-{}", prefix, spec.node);
    guest.name = fmt::format("{}-{}", prefix, spec.name);
    cluster.guests.push_back(std::move(guest));
  }
  return labelled(service, {cluster});
}

std::vector<BackupScenario> backups_of(const Scenario& scenario) {
  std::vector<BackupScenario> backups;
  for (const auto& cluster : scenario.clusters) {
    backups.insert(backups.end(), cluster.backups.begin(), cluster.backups.end());
  }
  return backups;
}

size_t count_guests(const Scenario& scenario, std::string_view type) {
  size_t count = 0;
  for (const auto& cluster : scenario.clusters) {
    count += std::count_if(cluster.guests.begin(), cluster.guests.end(),
                           [&](const GuestScenario& g) { return type.empty() || g.type == type; });
  }
  return count;
}

size_t count_nodes(const Scenario& scenario) {
  size_t count = 0;
  for (const auto& cluster : scenario.clusters)
    count += cluster.nodes.size();
  return count;
}

Scenario single_cluster(const Scenario& scenario, size_t cluster_index) {
  if (cluster_index >= scenario.clusters.size()) {
    throw std::out_of_range(fmt::format("scenario has {} clusters, asked for #{}",
                                        scenario.clusters.size(), cluster_index));
  }
  auto single = scenario;
  single.clusters = {scenario.clusters[cluster_index]};
  return single;
}

void load_into_mock(http::Client& client, std::string_view mock_url, const Scenario& scenario,
                    size_t cluster_index) {
  std::string base(mock_url);
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  const auto response = client.send_json(http::Verb::post, base + "/mock/scenario",
                                         single_cluster(scenario, cluster_index).to_json());
  if (!response.ok()) {
    throw std::runtime_error(fmt::format("mock at {} refused the scenario: HTTP {} {}", base,
                                         response.status, response.body));
  }
}

void load_into_engine(proxmox::Engine& engine, const Scenario& scenario, size_t cluster_index) {
  const auto single = single_cluster(scenario, cluster_index);
  engine.load(single.clusters.front(), proxmox::AccessConfig::of(single));
}

std::vector<std::unique_ptr<proxmox::Engine>> make_engines(const Scenario& scenario) {
  std::vector<std::unique_ptr<proxmox::Engine>> engines;
  for (const auto& cluster : scenario.clusters) {
    proxmox::EngineOptions options;
    options.service = scenario.service;
    options.cluster = cluster;
    options.access = proxmox::AccessConfig::of(scenario);
    engines.push_back(std::make_unique<proxmox::Engine>(std::move(options)));
  }
  return engines;
}

}  // namespace pbx::e2e
