#include "sync/listing_prefetch.hpp"

#include <algorithm>

namespace pbx::sync {
namespace json = boost::json;

std::string listing_key(const std::string& path, const http::Params& filters) {
  return path + "?" + http::encode_form(filters);
}

ListingPrefetch::ListingPrefetch(List list, size_t ahead)
    : list_(std::move(list)), ahead_(std::max<size_t>(1, ahead)) {}

ListingPrefetch::~ListingPrefetch() {
  std::vector<std::jthread> threads;
  {
    std::lock_guard lock(mutex_);
    threads = std::move(threads_);
  }
  threads.clear();  // joins: the listings use this object until they end
}

void ListingPrefetch::plan(std::vector<PlannedListing> listings) {
  std::lock_guard lock(mutex_);
  for (auto& listing : listings) {
    Slot slot;
    slot.key = listing_key(listing.path, listing.filters);
    slot.listing = std::move(listing);
    slots_.push_back(std::move(slot));
  }
  start_more();
}

void ListingPrefetch::start_more() {
  size_t held = 0;
  for (const auto& slot : slots_) {
    if (slot.state == Slot::State::running || slot.state == Slot::State::done) ++held;
  }
  for (size_t i = 0; i < slots_.size() && held < ahead_; ++i) {
    if (slots_[i].state != Slot::State::waiting) continue;
    slots_[i].state = Slot::State::running;
    ++held;
    threads_.emplace_back([this, i] { run(i); });
  }
}

void ListingPrefetch::run(size_t index) {
  PlannedListing listing;
  {
    std::lock_guard lock(mutex_);
    listing = slots_[index].listing;
  }
  std::vector<json::object> objects;
  std::exception_ptr failure;
  try {
    objects = list_(listing.path, listing.filters);
  } catch (...) {
    failure = std::current_exception();
  }
  {
    std::lock_guard lock(mutex_);
    slots_[index].objects = std::move(objects);
    slots_[index].failure = failure;
    slots_[index].state = Slot::State::done;
  }
  done_.notify_all();
}

std::vector<json::object> ListingPrefetch::take(const std::string& path,
                                                const http::Params& filters) {
  const std::string key = listing_key(path, filters);
  std::unique_lock lock(mutex_);
  const auto found = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& slot) {
    return slot.key == key && slot.state != Slot::State::taken;
  });
  if (found == slots_.end() || found->state == Slot::State::waiting) {
    // Not planned, or not started yet: listed here, now (a stage that came early).
    if (found != slots_.end()) found->state = Slot::State::taken;
    lock.unlock();
    return list_(path, filters);
  }
  const size_t index = static_cast<size_t>(found - slots_.begin());
  done_.wait(lock, [&] { return slots_[index].state == Slot::State::done; });
  Slot& slot = slots_[index];
  slot.state = Slot::State::taken;
  ++served_;
  std::vector<json::object> objects = std::move(slot.objects);
  slot.objects = {};
  const std::exception_ptr failure = slot.failure;
  start_more();
  lock.unlock();
  if (failure) std::rethrow_exception(failure);
  return objects;
}

size_t ListingPrefetch::served() const {
  std::lock_guard lock(mutex_);
  return served_;
}

}  // namespace pbx::sync
