#pragma once
// The E2E matrix: transport bundles × modes × NetBox versions × Proxmox services, as the CI
// `strategy.matrix` consumes it. Pure data and JSON; nothing here starts a process.

#include <boost/json/object.hpp>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/enum_names.hpp"
#include "netbox/versions.hpp"

namespace pbx::e2e {

// How one server is reached by its clients.
enum class Exposure { plain_http, nginx_tls, native_tls };
std::string_view to_string(Exposure exposure);

struct TransportBundle {
  int id = 0;
  Exposure netbox = Exposure::plain_http;
  Exposure proxbox = Exposure::plain_http;
  bool ipv6 = false;  // every server binds [::1] instead of 127.0.0.1
  std::string_view description;

  std::string_view loopback_host() const { return ipv6 ? "::1" : "127.0.0.1"; }
};

// The seven bundles of the spec, in its order (ids 1..7).
std::span<const TransportBundle> transport_bundles();
// Throws std::invalid_argument naming the valid ids.
const TransportBundle& transport_bundle(int id);

enum class Mode { dev, release };
BOOST_DESCRIBE_ENUM(Mode, dev, release)
inline std::string_view to_string(Mode mode) {
  return common::enum_name(mode);
}
// Any case, blanks around; throws std::invalid_argument naming the valid modes.
Mode parse_mode(std::string_view text);

enum class Event { push, release };
BOOST_DESCRIBE_ENUM(Event, push, release)
// GitHub's event names: "push", "pull_request", "workflow_dispatch" → push; "release".
Event parse_event(std::string_view text);

// dev on push/PR, [dev, release] on release; an explicit list overrides both.
std::vector<Mode> modes_for(Event event, const std::vector<Mode>& requested = {});

inline constexpr std::string_view kProxmoxServices[] = {"pve", "pbs", "pdm"};

// The certified versions, oldest first (data/netbox-versions.json); read with
// netbox::load_versions, the same reader the emulator uses.
using NetBoxVersion = netbox::NetboxVersion;

// A real NetBox on the NetBox axis: "real-<release line>" (scripts/netbox-real serves it).
inline constexpr std::string_view kRealNetBoxPrefix = "real-";

// "real-4.4" → "4.4"; nullopt for an emulator version ("4.6"). Throws std::invalid_argument for
// "real-" followed by no release line.
std::optional<std::string> real_netbox_release(std::string_view netbox_axis_value);

// The real versions `--real-netbox` adds, oldest first: one per vendored release tree.
std::vector<std::string> real_netbox_versions();

// The NetBox axis: every certified version (the emulator behaves as each), then the real ones
// when `with_real_netbox`.
std::vector<std::string> netbox_axis(const std::vector<NetBoxVersion>& versions,
                                     bool with_real_netbox);

struct Cell {
  int transport = 6;
  Mode mode = Mode::dev;
  std::string netbox_version;
  std::string proxmox_service = "pve";

  // "t6-dev-nb4.6-pve": stable, file-name safe.
  std::string id() const;
  boost::json::object to_json() const;
  bool operator==(const Cell&) const = default;
};

// Every bundle × mode × netbox_axis(versions, with_real_netbox) × service.
std::vector<Cell> build_matrix(const std::vector<Mode>& modes,
                               const std::vector<NetBoxVersion>& versions,
                               bool with_real_netbox = false);
// {"include":[{"transport":1,"mode":"dev","netbox_version":"4.6","proxmox_service":"pve"},...]}
boost::json::object to_ci_matrix(const std::vector<Cell>& cells);

// "transport=1,service=pbs,netbox=4.6,mode=dev"; repeated keys OR together
// ("transport=1,transport=4"), different keys AND. Throws std::invalid_argument on unknown keys.
class CellFilter {
 public:
  static CellFilter parse(std::string_view text);
  bool matches(const Cell& cell) const;

 private:
  std::map<std::string, std::vector<std::string>> allowed_;
};

}  // namespace pbx::e2e
