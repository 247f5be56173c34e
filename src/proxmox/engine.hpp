#pragma once
// One Proxmox API endpoint (one cluster, or one PBS server) with its own state: the whole
// surface of proxmox-mock behind a single `handle()`. The program serves it over sockets and
// tests drive it in-process (the E2E `mock_backend` path), so both see identical behaviour.
//
// /api2/json request flow: faults → auth → schema lookup (404 unknown, 501 pdm) → parameter
// validation (400 {"data":null,"errors":{...}}) → hand-written handler, else a sample generated
// from the operation's `returns` schema → {"data": ...}; every request lands in the journal.
// Thread-safe: reads run in parallel under a shared lock, writes exclusively.

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/message.hpp"
#include "proxmox/api_schema.hpp"
#include "proxmox/scenario.hpp"

namespace pbx::proxmox {

struct EngineOptions {
  Service service = Service::pve;
  // The schema to serve. `schema` wins (shared between the engines of a multi-cluster run);
  // else `schema_file`; else ApiSchema::default_file(service) (none for pdm: a stub service).
  std::shared_ptr<const ApiSchema> schema;
  std::filesystem::path schema_file;
  // The state to start from (and return to on POST /mock/reset); default_cluster() when empty.
  std::optional<ClusterScenario> cluster;
  // Users, tokens, realms, groups, roles, ACL; without users: default_users().
  AccessConfig access;
  uint64_t seed = 1;
  bool auth = true;
  // How long a task (UPID) stays "running" before it stops with exitstatus OK.
  std::chrono::milliseconds task_duration{100};
};

// The built-in starting state when no scenario is given: the shipped "minimal" scenario.
ClusterScenario default_cluster(Service service);

class Engine {
 public:
  // Throws std::runtime_error when the schema cannot be loaded.
  explicit Engine(EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Never throws for bad input: every problem is an answer in Proxmox's shape.
  http::Response handle(http::Request& request);
  // For http::Server / Router plumbing.
  http::Handler as_handler();

  Service service() const;
  std::string cluster_name() const;
  const ApiSchema* schema() const;  // null for pdm
  // Replaces the state (as POST /mock/scenario does); an `access` without users keeps the
  // endpoint's accounts and permissions. Throws std::invalid_argument.
  void load(const ClusterScenario& cluster, AccessConfig access = {});
  // The current state as a one-cluster Scenario (as GET /mock/state returns it).
  Scenario export_state() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pbx::proxmox
