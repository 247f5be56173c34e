// /nodes/{node}/qemu/{vmid}/agent: what the QEMU guest agent inside a running guest reports.

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "proxmox/handler_support.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {

using Verb = http::Verb;
namespace json = boost::json;

void add_guest_agent_handlers(HandlerTable& table) {
  table.add(Verb::get, "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              auto [guest, problem] = find_guest(state, call, "qemu");
              if (problem) return *problem;
              if (!guest->spec.agent || guest->spec.status != "running") {
                return ApiResult::error(500, "QEMU guest agent is not running");
              }
              json::array interfaces;
              interfaces.push_back(json::object{
                  {"name", "lo"},
                  {"hardware-address", "00:00:00:00:00:00"},
                  {"ip-addresses",
                   json::array{
                       json::object{
                           {"ip-address", "127.0.0.1"}, {"ip-address-type", "ipv4"}, {"prefix", 8}},
                       json::object{
                           {"ip-address", "::1"}, {"ip-address-type", "ipv6"}, {"prefix", 128}}}}});
              int index = 0;
              for (const auto& nic : guest->spec.nics) {
                json::array addresses;
                for (const auto& cidr : nic.ip_addresses) {
                  const size_t slash = cidr.find('/');
                  const std::string address = cidr.substr(0, slash);
                  const int prefix =
                      slash == std::string::npos ? 32 : std::atoi(cidr.c_str() + slash + 1);
                  addresses.push_back(json::object{
                      {"ip-address", address},
                      {"ip-address-type", address.find(':') == std::string::npos ? "ipv4" : "ipv6"},
                      {"prefix", prefix}});
                }
                std::string mac = nic.mac;
                for (auto& c : mac)
                  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                interfaces.push_back(
                    json::object{{"name", fmt::format("ens{}", 18 + index++)},
                                 {"hardware-address", mac},
                                 {"ip-addresses", std::move(addresses)},
                                 {"statistics", json::object{{"rx-bytes", guest->spec.vmid * 4096},
                                                             {"tx-bytes", guest->spec.vmid * 1024},
                                                             {"rx-packets", guest->spec.vmid * 8},
                                                             {"tx-packets", guest->spec.vmid * 4},
                                                             {"rx-errs", 0},
                                                             {"tx-errs", 0},
                                                             {"rx-dropped", 0},
                                                             {"tx-dropped", 0}}}});
              }
              return ApiResult::ok(json::object{{"result", std::move(interfaces)}});
            }));
}

}  // namespace pbx::proxmox
