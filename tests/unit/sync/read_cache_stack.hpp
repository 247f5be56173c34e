#pragma once
// The guest read cache's test stack: the real proxmox-mock Engine and netbox-emulator in this
// process (inprocess_stack.hpp), every Proxmox request of a run recorded, and a read cache on an
// injected clock. Shared by guest_read_cache_test.cpp and guest_read_cache_snapshots_test.cpp.

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "inprocess_stack.hpp"
#include "sync/guest_read_cache.hpp"

namespace pbx::sync::testing {

inline proxmox::ClusterScenario read_cache_cluster() {
  proxmox::GenerateOptions options;
  options.clusters = 1;
  options.nodes = 2;
  options.guests = 12;
  options.snapshots_per_guest = 1;  // every guest has a snapshot list worth caching
  options.prefix = "rcache";
  return proxmox::generate_scenario(options).clusters.front();
}

// The stack, its Proxmox requests recorded, and a read cache on an injected clock.
class ReadCacheStack : public ::testing::Test, public testing::InProcessStack {
 protected:
  ReadCacheStack()
      : InProcessStack(read_cache_cluster(), netbox::EmulatorOptions{.strict_fields = true},
                       "rcache"),
        handler_(mock.as_handler()),
        counted_(std::make_shared<InProcessTransport>([this](http::Request& request) {
          {
            std::lock_guard lock(mutex_);
            targets_.push_back(request.target);
          }
          http::Response response = handler_(request);
          if (only_vmid_ && request.target.find("/cluster/resources") != std::string::npos)
            narrow_resources(response, *only_vmid_);
          return response;
        })) {}

  // What a single-guest sync's narrowed connection answers: /cluster/resources with one guest.
  static void narrow_resources(http::Response& response, int vmid) {
    boost::json::value answer = boost::json::parse(response.body);
    boost::json::array kept;
    for (const auto& entry : answer.at("data").as_array()) {
      if (entry.as_object().if_contains("vmid") && entry.at("vmid").to_number<int>() == vmid)
        kept.push_back(entry);
    }
    answer.as_object()["data"] = std::move(kept);
    response.body = boost::json::serialize(answer);
  }

  std::shared_ptr<GuestReadCache> new_cache() {
    return std::make_shared<GuestReadCache>(
        GuestReadCacheOptions{std::chrono::seconds(600), [this] { return now_; }});
  }

  SyncSummary run(bool full_read = false) {
    SyncOptions options;
    options.scope = scope_;
    options.delete_orphans = delete_orphans_;
    options.listings_ahead = listings_ahead_;
    options.reader.read_cache = cache_;
    options.reader.full_read = full_read;
    if (only_vmid_) {
      options.reader.listing_narrowed = true;
      options.reader.fresh_vmids.insert(*only_vmid_);
      options.delete_orphans = false;
    }
    {
      std::lock_guard lock(mutex_);
      targets_.clear();
    }
    ProxmoxSource counted = source();
    counted.transport = counted_;
    auto summary = SyncEngine(netbox, {counted}, options).run();
    EXPECT_TRUE(summary.ok() || !expect_ok_) << (summary.errors.empty() ? "" : summary.errors[0]);
    return summary;
  }

  // The vmids whose /config or agent the last run requested.
  std::multiset<int> guests_requested() {
    return vmids_requested(
        [](const std::string& rest) { return rest == "config" || rest.starts_with("agent/"); });
  }
  // The vmids whose snapshot list the last run requested.
  std::multiset<int> snapshot_lists_requested() {
    return vmids_requested([](const std::string& rest) { return rest == "snapshot"; });
  }

  std::string netbox_state() {
    std::string state;
    for (const char* path :
         {"/virtualization/virtual-machines/", "/virtualization/interfaces/",
          "/virtualization/virtual-disks/", "/ipam/ip-addresses/", "/dcim/mac-addresses/"}) {
      for (const auto& object : list(path))
        state += boost::json::serialize(object) + "\n";
    }
    return state;
  }

  const proxmox::GuestScenario& guest_of_type(const std::string& type) {
    for (const auto& guest : scenario.guests) {
      if (guest.type == type) return guest;
    }
    throw std::runtime_error("no " + type + " guest in the scenario");
  }
  std::string config_path(const proxmox::GuestScenario& guest) {
    return "/nodes/" + guest.node + "/" + guest.type + "/" + std::to_string(guest.vmid) + "/config";
  }
  boost::json::object vm_named(const std::string& name) {
    const auto found = list("/virtualization/virtual-machines/", {{"name", name}});
    return found.size() == 1 ? found.front() : boost::json::object{};
  }

  // Replaces the hwaddr= of the container's net0 (invisible to /cluster/resources).
  void change_container_mac(const proxmox::GuestScenario& guest, const std::string& mac) {
    const auto config = proxmox(http::Verb::get, config_path(guest)).at("data").as_object();
    const std::string net0(config.at("net0").as_string());
    std::string changed;
    size_t start = 0;
    while (start <= net0.size()) {
      size_t comma = net0.find(',', start);
      if (comma == std::string::npos) comma = net0.size();
      std::string item = net0.substr(start, comma - start);
      if (item.starts_with("hwaddr=")) item = "hwaddr=" + mac;
      changed += (changed.empty() ? "" : ",") + item;
      start = comma + 1;
    }
    ASSERT_NE(changed, net0);
    proxmox(http::Verb::put, config_path(guest), {{"net0", changed}});
  }

  int64_t now_ = 1'000'000;
  SyncScope scope_ = SyncScope::full;
  bool delete_orphans_ = false;
  size_t listings_ahead_ = SyncOptions{}.listings_ahead;
  std::optional<int> only_vmid_;  // a single-guest sync's narrowed /cluster/resources
  std::shared_ptr<GuestReadCache> cache_ = new_cache();
  bool expect_ok_ = true;

 private:
  // The vmids of the last run's requests below .../{qemu|lxc}/{vmid}/ whose rest `wanted` takes.
  std::multiset<int> vmids_requested(const std::function<bool(const std::string&)>& wanted) {
    std::lock_guard lock(mutex_);
    std::multiset<int> vmids;
    for (const auto& target : targets_) {
      for (const std::string type : {"/qemu/", "/lxc/"}) {
        const size_t at = target.find(type);
        if (at == std::string::npos) continue;
        const size_t start = at + type.size();
        const size_t slash = target.find('/', start);
        if (slash == std::string::npos) continue;
        if (wanted(target.substr(slash + 1)))
          vmids.insert(std::stoi(target.substr(start, slash - start)));
      }
    }
    return vmids;
  }

  http::Handler handler_;
  std::mutex mutex_;
  std::vector<std::string> targets_;
  std::shared_ptr<Transport> counted_;
};

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("pbx-read-cache-" + std::to_string(::getpid()) + "-" +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDir() {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace pbx::sync::testing
