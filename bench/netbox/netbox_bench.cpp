// netbox-emulator throughput over HTTP with our keep-alive http::Client: bulk-create VMs in
// lists, then read them all back in pages, as a sync's initial load does. Prints one JSON line.
// Then (--paging-vms, 0 to skip) "list 50k rows: offset pages vs keyset": the same rows listed
// by limit/offset and by id__gt (what the sync sends), filtered by cluster and by tag, with the
// total and the slowest page of each; a second JSON line.

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

struct PagingRun {
  double seconds = 0;
  double slowest_page = 0;
  int pages = 0;
  int64_t rows = 0;
};

// Lists `query` (filters only) to the end in pages of `page`, by offset or by id__gt.
PagingRun list_all(pbx::http::Client& client, const pbx::http::Headers& headers,
                   const std::string& query, int page, bool keyset) {
  PagingRun run;
  const auto start = Clock::now();
  int64_t last_id = 0;
  for (int64_t offset = 0;; offset += page) {
    const std::string position =
        keyset ? "&id__gt=" + std::to_string(last_id) : "&offset=" + std::to_string(offset);
    const auto page_start = Clock::now();
    const auto body =
        expect(client.get(query + "&ordering=id&limit=" + std::to_string(page) + position, headers),
               200, "list");
    run.slowest_page = std::max(run.slowest_page, seconds_since(page_start));
    ++run.pages;
    const auto& results = body.at("results").as_array();
    run.rows += static_cast<int64_t>(results.size());
    if (!results.empty()) last_id = results.back().at("id").as_int64();
    if (!body.at("next").is_string() || results.empty()) break;
  }
  run.seconds = seconds_since(start);
  return run;
}

json::object describe(const PagingRun& run) {
  return {{"seconds", run.seconds},
          {"slowest_page_seconds", run.slowest_page},
          {"pages", run.pages},
          {"rows", run.rows}};
}

// Creates `total` VMs in a new cluster, all carrying a new tag, and lists them both ways.
json::value paging_case(pbx::http::Client& client, const pbx::http::Headers& headers,
                        const std::string& url, const std::string& run, int total, int batch,
                        int page) {
  const std::string name = "paging-" + run;
  const auto type = expect(client.send_json(Verb::post, url + "/api/virtualization/cluster-types/",
                                            json::value{{"name", name}, {"slug", name}}, headers),
                           201, "cluster type");
  const auto cluster =
      expect(client.send_json(Verb::post, url + "/api/virtualization/clusters/",
                              json::value{{"name", name}, {"type", type.at("id")}}, headers),
             201, "cluster");
  const auto tag = expect(client.send_json(Verb::post, url + "/api/extras/tags/",
                                           json::value{{"name", name}, {"slug", name}}, headers),
                          201, "tag");
  for (int done = 0; done < total; done += batch) {
    json::array vms;
    for (int i = done; i < std::min(total, done + batch); ++i) {
      vms.push_back({{"name", name + "-" + std::to_string(i)},
                     {"cluster", cluster.at("id")},
                     {"status", "active"},
                     {"tags", json::array{tag.at("id")}}});
    }
    expect(
        client.send_json(Verb::post, url + "/api/virtualization/virtual-machines/", vms, headers),
        201, "bulk create");
  }
  json::object figures{{"rows", total}, {"page", page}};
  const std::string base = url + "/api/virtualization/virtual-machines/?";
  const std::pair<const char*, std::string> filters[] = {
      {"cluster_id", "cluster_id=" + std::to_string(cluster.at("id").as_int64())},
      {"tag", "tag=" + name}};
  for (const auto& [label, filter] : filters) {
    const PagingRun offset = list_all(client, headers, base + filter, page, false);
    const PagingRun keyset = list_all(client, headers, base + filter, page, true);
    if (offset.rows != total || keyset.rows != total) {
      throw std::runtime_error(std::string(label) + ": listed " + std::to_string(offset.rows) +
                               " by offset, " + std::to_string(keyset.rows) + " by keyset");
    }
    figures[label] = json::object{{"offset", describe(offset)}, {"keyset", describe(keyset)}};
  }
  return json::object{{"list_offset_vs_keyset", std::move(figures)}};
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
  int paging_vms = 50'000;
  app.add_option("--paging-vms", paging_vms,
                 "rows of the offset-vs-keyset listing case (0: skip it)")
      ->capture_default_str();
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
    if (paging_vms > 0) {
      std::cout << json::serialize(paging_case(client, headers, url, run, paging_vms, batch, page))
                << "\n";
    }
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "netbox_bench: " << error.what() << "\n";
    return 1;
  }
}
