#include "proxmox/response_cache.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <vector>

namespace pbx::proxmox {

ResponseCache::ResponseCache(size_t max_bytes) : max_bytes_(max_bytes) {}

std::string ResponseCache::key_for(std::string_view path, const boost::json::object& params) {
  std::vector<std::pair<std::string_view, const boost::json::value*>> sorted;
  sorted.reserve(params.size());
  for (const auto& [name, value] : params)
    sorted.emplace_back(name, &value);
  std::sort(sorted.begin(), sorted.end());
  std::string key(path);
  // A NUL cannot occur in a decoded path the router accepted, so no parameter list can be
  // confused with a path.
  key.push_back('\0');
  for (const auto& [name, value] : sorted) {
    key.append(name);
    key.push_back('=');
    key.append(boost::json::serialize(*value));  // typed and quoted: unambiguous
    key.push_back('&');
  }
  return key;
}

std::optional<std::string> ResponseCache::find(const std::string& key, uint64_t version,
                                               int64_t second) {
  std::lock_guard lock(mutex_);
  const auto hit = index_.find(key);
  if (hit == index_.end()) return std::nullopt;
  const Order::iterator entry = hit->second;
  if (entry->version != version || entry->second != second) return std::nullopt;
  order_.splice(order_.begin(), order_, entry);
  return entry->body;
}

void ResponseCache::store(const std::string& key, uint64_t version, int64_t second,
                          std::string body) {
  std::lock_guard lock(mutex_);
  if (const auto old = index_.find(key); old != index_.end()) erase(old->second);
  Entry entry{key, version, second, std::move(body)};
  if (entry.bytes() > max_bytes_) return;
  while (!order_.empty() && bytes_ + entry.bytes() > max_bytes_)
    erase(std::prev(order_.end()));
  bytes_ += entry.bytes();
  order_.push_front(std::move(entry));
  index_.emplace(order_.front().key, order_.begin());
}

void ResponseCache::erase(Order::iterator entry) {
  bytes_ -= entry->bytes();
  index_.erase(entry->key);
  order_.erase(entry);
}

void ResponseCache::clear() {
  std::lock_guard lock(mutex_);
  index_.clear();
  order_.clear();
  bytes_ = 0;
}

ResponseCache::Stats ResponseCache::stats() const {
  std::lock_guard lock(mutex_);
  return Stats{order_.size(), bytes_, max_bytes_};
}

}  // namespace pbx::proxmox
