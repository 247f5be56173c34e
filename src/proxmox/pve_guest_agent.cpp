// What a running guest reports about itself: the QEMU guest agent (/nodes/{node}/qemu/{vmid}/
// agent/*) and a container's interfaces (/nodes/{node}/lxc/{vmid}/interfaces), from the state's
// NICs and OS type.

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "common/text.hpp"
#include "proxmox/handler_support.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;

struct Address {
  std::string ip;
  int prefix = 0;
  bool v6 = false;
};

Address parse_cidr(const std::string& cidr) {
  const size_t slash = cidr.find('/');
  Address out;
  out.ip = cidr.substr(0, slash);
  out.v6 = out.ip.find(':') != std::string::npos;
  out.prefix =
      slash == std::string::npos
          ? (out.v6 ? 128 : 32)
          : common::parse_number<int>(cidr.substr(slash + 1), common::kLeadingNumber).value_or(0);
  return out;
}

json::object agent_address(const Address& address) {
  return json::object{{"ip-address", address.ip},
                      {"ip-address-type", address.v6 ? "ipv6" : "ipv4"},
                      {"prefix", address.prefix}};
}

// Proxmox's checks, in its order: the agent configured, the VM running, the agent answering.
Checked check_agent(const GuestState& guest) {
  if (!guest.spec.agent)
    return common::Failure{ApiResult::error(500, "No QEMU guest agent configured")};
  if (!guest.running()) {
    return common::Failure{
        ApiResult::error(500, fmt::format("VM {} is not running", guest.spec.vmid))};
  }
  if (guest.spec.status == "paused")
    return common::Failure{ApiResult::error(500, "QEMU guest agent is not running")};
  return {};
}

json::object loopback() {
  return json::object{{"name", "lo"},
                      {"hardware-address", "00:00:00:00:00:00"},
                      {"ip-addresses", json::array{agent_address({"127.0.0.1", 8, false}),
                                                   agent_address({"::1", 128, true})}}};
}

bool is_windows(std::string_view os_type) {
  return os_type.starts_with("win") || os_type == "wxp" || os_type == "w2k" || os_type == "w2k3" ||
         os_type == "w2k8";
}

ApiResult network_get_interfaces(const GuestState& guest) {
  const bool windows = is_windows(guest.spec.os_type);
  json::array interfaces;
  if (!windows) interfaces.push_back(loopback());
  int index = 0;
  for (const auto& nic : guest.spec.nics) {
    json::array addresses;
    for (const auto& cidr : nic.ip_addresses)
      addresses.push_back(agent_address(parse_cidr(cidr)));
    const int64_t vmid = guest.spec.vmid;
    // Linux names virtio NICs by PCI slot (ens18, ens19, ...); Windows "Ethernet", "Ethernet 2".
    const std::string name = windows
                                 ? (index == 0 ? "Ethernet" : fmt::format("Ethernet {}", index + 1))
                                 : fmt::format("ens{}", 18 + index);
    ++index;
    interfaces.push_back(json::object{{"name", name},
                                      {"hardware-address", common::to_lower(nic.mac)},
                                      {"ip-addresses", std::move(addresses)},
                                      {"statistics", json::object{{"rx-bytes", vmid * 4096},
                                                                  {"tx-bytes", vmid * 1024},
                                                                  {"rx-packets", vmid * 8},
                                                                  {"tx-packets", vmid * 4},
                                                                  {"rx-errs", 0},
                                                                  {"tx-errs", 0},
                                                                  {"rx-dropped", 0},
                                                                  {"tx-dropped", 0}}}});
  }
  return ApiResult::ok(json::object{{"result", std::move(interfaces)}});
}

// What `guest-get-osinfo` reports for the guest's OS type.
json::object os_info(const GuestScenario& guest) {
  if (is_windows(guest.os_type)) {
    const bool eleven = guest.os_type == "win11";
    return json::object{{"id", "mswindows"},
                        {"name", "Microsoft Windows"},
                        {"pretty-name", eleven ? "Windows 11 Pro" : "Windows 10 Pro"},
                        {"version", eleven ? "Microsoft Windows 11" : "Microsoft Windows 10"},
                        {"version-id", eleven ? "11" : "10"},
                        {"variant", "client"},
                        {"variant-id", "client"},
                        {"kernel-release", eleven ? "22631" : "19045"},
                        {"kernel-version", "10.0"},
                        {"machine", "x86_64"}};
  }
  return json::object{{"id", "debian"},
                      {"name", "Debian GNU/Linux"},
                      {"pretty-name", "Debian GNU/Linux 12 (bookworm)"},
                      {"version", "12 (bookworm)"},
                      {"version-id", "12"},
                      {"kernel-release", "6.1.0-28-amd64"},
                      {"kernel-version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)"},
                      {"machine", "x86_64"}};
}

// A running container's interfaces as `ip addr` inside it shows them.
json::array container_interfaces(const GuestState& guest) {
  json::array out;
  json::object lo{{"name", "lo"},
                  {"hwaddr", "00:00:00:00:00:00"},
                  {"hardware-address", "00:00:00:00:00:00"},
                  {"inet", "127.0.0.1/8"},
                  {"inet6", "::1/128"},
                  {"ip-addresses", json::array{agent_address({"127.0.0.1", 8, false}),
                                               agent_address({"::1", 128, true})}}};
  out.push_back(std::move(lo));
  for (const auto& nic : guest.spec.nics) {
    const std::string mac = common::to_lower(nic.mac);
    json::object entry{{"name", nic.name}, {"hwaddr", mac}, {"hardware-address", mac}};
    json::array addresses;
    for (const auto& cidr : nic.ip_addresses) {
      const Address address = parse_cidr(cidr);
      const char* key = address.v6 ? "inet6" : "inet";
      if (!entry.contains(key)) entry[key] = cidr;
      addresses.push_back(agent_address(address));
    }
    entry["ip-addresses"] = std::move(addresses);
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

void add_guest_agent_handlers(HandlerTable& table) {
  table.add(Verb::get, "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = find_guest(state, call, "qemu");
              if (!lookup) return lookup.error();
              auto* guest = *lookup;
              if (auto checked = check_agent(*guest); !checked) return checked.error();
              return network_get_interfaces(*guest);
            }));

  table.add(Verb::get, "/nodes/{node}/qemu/{vmid}/agent/get-osinfo",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = find_guest(state, call, "qemu");
              if (!lookup) return lookup.error();
              auto* guest = *lookup;
              if (auto checked = check_agent(*guest); !checked) return checked.error();
              return ApiResult::ok(json::object{{"result", os_info(guest->spec)}});
            }));

  table.add(Verb::get, "/nodes/{node}/lxc/{vmid}/interfaces",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = find_guest(state, call, "lxc");
              if (!lookup) return lookup.error();
              auto* guest = *lookup;
              if (!guest->running()) {
                return ApiResult::error(500, fmt::format("CT {} not running", guest->spec.vmid));
              }
              return ApiResult::ok(container_interfaces(*guest));
            }));
}

}  // namespace pbx::proxmox
