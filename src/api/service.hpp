#pragma once
// proxbox-api: the HTTP service (keys, NetBox/Proxmox endpoints, custom fields, sync routes
// with SSE twins, OpenAPI). Handlers answer bad input as FastAPI does ({"detail": ...}) and
// never throw across the handler boundary. Sync routes block: run them on handler threads.

#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <string>

#include "api/keys.hpp"
#include "api/secrets.hpp"
#include "http/message.hpp"
#include "sync/engine.hpp"
#include "sync/transport.hpp"

namespace pbx::api {

struct RemoteTarget {
  std::string base_url;
  bool verify_tls = true;
  int timeout_seconds = 30;
};
// Builds the transport to one NetBox or Proxmox endpoint; tests hand in in-process ones.
using TransportFactory = std::function<std::shared_ptr<sync::Transport>(const RemoteTarget&)>;

// Real sockets through http::Client, trusting `ca_file` in addition to the system store.
TransportFactory http_transport_factory(std::string ca_file);

struct ServiceOptions {
  std::string database_path = ":memory:";
  SecretKey encryption_key{};
  TransportFactory transport_factory;
  PwhashLimits pwhash;
  FailureLimiter::Clock clock;  // for tests of the lockout
  KeyGuardOptions key_guard;    // failure limits, trusted proxies
  sync::ReaderOptions reader;
  sync::RunLimits sync_limits;  // every sync's deadline and the process shutdown
  // Guests unchanged since an earlier sync are not read again (sync/guest_read_cache.hpp); the
  // cache lives in the database. `?full_read=true` on a sync route reads every guest. Off by
  // default: an edit /cluster/resources does not show (a NIC, an address) would reach NetBox up
  // to the max age late, where a user pressing "Sync all" expects it at once.
  bool use_read_cache = false;
  sync::GuestReadCacheOptions read_cache;
};

class Service {
 public:
  explicit Service(ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  http::Response handle(http::Request& request);
  http::Handler as_handler();
  // The OpenAPI 3.1 document of every route (served at /openapi.json).
  boost::json::object openapi() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pbx::api
