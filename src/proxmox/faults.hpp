#pragma once
// Fault injection for the mock: rules chosen by method and path (glob, or an RE2 regex: linear
// time, so a client's pattern cannot hang or crash the mock) add latency
// (fixed, uniform or lognormal), answer with an error status at a given rate, reset the
// connection or truncate the body. Random choices come from one seeded generator, so a run
// with the same seed and request order repeats its faults. Thread-safe.

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace pbx::proxmox {

struct FaultDecision {
  std::chrono::microseconds delay{0};
  std::optional<unsigned> error_status;
  std::string error_message;
  bool reset = false;     // answer http::Delivery::reset_connection
  bool truncate = false;  // answer http::Delivery::truncate_body (half the body, then close)
};

class FaultInjector {
 public:
  explicit FaultInjector(uint64_t seed);
  ~FaultInjector();

  // Parses and adds a rule; returns its id. Throws std::invalid_argument naming the bad field.
  // {"method":"GET","path":"/api2/json/nodes*" | "path_regex":"^/api2/.*/qemu$",
  //  "latency":{"kind":"fixed","ms":50} | {"kind":"uniform","min_ms":5,"max_ms":50}
  //           | {"kind":"lognormal","median_ms":20,"sigma":0.5},
  //  "error":{"status":503,"rate":0.5,"message":"..."}, "reset_rate":0.1, "truncate_rate":0.1}
  int add(const boost::json::value& rule);
  bool remove(int id);
  void clear();
  boost::json::value list() const;
  bool empty() const;

  // Every matching rule contributes: delays add up, the first error/reset/truncate drawn wins.
  FaultDecision decide(http::Verb method, std::string_view path);

 private:
  struct Rule;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Rule>> rules_;
  int next_id_ = 1;
  std::mt19937_64 random_;
};

// Shell-style glob: '*' any run of characters, '?' one character.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace pbx::proxmox
