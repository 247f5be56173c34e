// netbox-emulator throughput over HTTP with our keep-alive http::Client: bulk-create VMs in
// lists, then read them all back in pages, as a sync's initial load does. Prints one JSON line.

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <iostream>
#include <stdexcept>
#include <string>

#include "http/client.hpp"

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using pbx::http::Verb;

namespace {

json::value expect(const pbx::http::ClientResponse& response, unsigned status,
                   const std::string& what) {
  if (response.status != status) {
    throw std::runtime_error(what + ": HTTP " + std::to_string(response.status) + " " +
                             response.body.substr(0, 300));
  }
  return response.json();
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netbox-emulator benchmark"};
  std::string url;
  std::string token = "0123456789abcdef0123456789abcdef01234567";
  int total = 10'000;
  int batch = 500;
  int page = 1'000;
  app.add_option("--url", url, "emulator base URL, e.g. http://127.0.0.1:8000")->required();
  app.add_option("--token", token, "API token")->capture_default_str();
  app.add_option("--vms", total, "virtual machines to create")->capture_default_str();
  app.add_option("--batch", batch, "objects per bulk POST")->capture_default_str();
  app.add_option("--page", page, "objects per listing page")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    pbx::http::Client client;
    pbx::http::Headers headers;
    headers.set(pbx::http::Field::authorization, "Token " + token);
    const std::string run =
        std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1'000'000'000);
    const auto type = expect(
        client.send_json(Verb::post, url + "/api/virtualization/cluster-types/",
                         json::value{{"name", "bench-" + run}, {"slug", "bench-" + run}}, headers),
        201, "cluster type");
    const auto cluster = expect(
        client.send_json(Verb::post, url + "/api/virtualization/clusters/",
                         json::value{{"name", "bench-" + run}, {"type", type.at("id")}}, headers),
        201, "cluster");
    const int64_t cluster_id = cluster.at("id").as_int64();

    const auto create_start = Clock::now();
    for (int done = 0; done < total; done += batch) {
      json::array vms;
      for (int i = done; i < std::min(total, done + batch); ++i) {
        vms.push_back({{"name", "vm-" + std::to_string(i)},
                       {"cluster", cluster_id},
                       {"status", "active"},
                       {"vcpus", 2},
                       {"memory", 2048},
                       {"custom_fields", json::object{}}});
      }
      expect(
          client.send_json(Verb::post, url + "/api/virtualization/virtual-machines/", vms, headers),
          201, "bulk create");
    }
    const double create_seconds = seconds_since(create_start);

    const auto list_start = Clock::now();
    std::string next =
        url + "/api/virtualization/virtual-machines/?cluster_id=" + std::to_string(cluster_id) +
        "&limit=" + std::to_string(page);
    int64_t listed = 0;
    int pages = 0;
    while (!next.empty()) {
      const auto body = expect(client.get(next, headers), 200, "list");
      listed += static_cast<int64_t>(body.at("results").as_array().size());
      ++pages;
      next = body.at("next").is_string() ? std::string(body.at("next").as_string()) : "";
    }
    const double list_seconds = seconds_since(list_start);
    if (listed != total) throw std::runtime_error("listed " + std::to_string(listed));

    std::cout << json::serialize(json::value{{"vms", total},
                                             {"batch", batch},
                                             {"create_seconds", create_seconds},
                                             {"create_objects_per_second", total / create_seconds},
                                             {"list_pages", pages},
                                             {"list_seconds", list_seconds},
                                             {"connections", client.connections_opened()}})
              << "\n";
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "netbox_bench: " << error.what() << "\n";
    return 1;
  }
}
