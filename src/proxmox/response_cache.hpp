#pragma once
// The mock's cache of hot list bodies (10,000 guests: a 3 MB /cluster/resources answer built
// once per state version and second, not once per request). Keyed by the normalised request —
// the decoded path and the validated parameters, sorted — so URLs that ask the same thing
// (parameter order, percent-encoding) share one entry and a client cannot grow the cache with
// distinct spellings; bounded by bytes, least recently used first out. Thread-safe.

#include <boost/json/object.hpp>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pbx::proxmox {

class ResponseCache {
 public:
  static constexpr size_t kDefaultMaxBytes = size_t{32} << 20;

  explicit ResponseCache(size_t max_bytes = kDefaultMaxBytes);

  // `path` is the decoded request path, `params` what validation accepted (decoded and typed).
  static std::string key_for(std::string_view path, const boost::json::object& params);

  // The body stored for `key` at this state version and second, if any.
  std::optional<std::string> find(const std::string& key, uint64_t version, int64_t second);
  // Stores (or replaces) the body; a body larger than the whole bound is not kept.
  void store(const std::string& key, uint64_t version, int64_t second, std::string body);
  void clear();

  struct Stats {
    size_t entries = 0;
    size_t bytes = 0;  // keys and bodies
    size_t max_bytes = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    std::string key;
    uint64_t version = 0;
    int64_t second = 0;  // uptimes change every second
    std::string body;
    size_t bytes() const { return key.size() + body.size(); }
  };
  using Order = std::list<Entry>;  // most recently used first

  void erase(Order::iterator entry);

  const size_t max_bytes_;
  mutable std::mutex mutex_;
  Order order_;
  std::unordered_map<std::string_view, Order::iterator> index_;  // views into order_'s keys
  size_t bytes_ = 0;
};

}  // namespace pbx::proxmox
