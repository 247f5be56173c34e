#pragma once
// NetBox listings of the stages to come, started before their stage needs them: the stages after
// the virtual machines (snapshots, task history, disks, VM interfaces, MACs, addresses, backups)
// each list one kind and then diff and write it, one after another, so each listing's round trips
// (its first page and its id probe are sequential before its id ranges go concurrently) used to
// wait for the previous stage's diff and writes. Only listings no earlier stage writes into may
// be planned (each kind is written by its own stage alone), so a listing taken early is the one
// its stage would have made.
//
// Memory stays bounded: at most `ahead` planned listings are listed or held at once (each with
// NetBoxClient's own pages in flight); the next one starts when a stage takes one.

#include <boost/json/object.hpp>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/message.hpp"

namespace pbx::sync {

struct PlannedListing {
  std::string path;
  http::Params filters;
};

class ListingPrefetch {
 public:
  using List = std::function<std::vector<boost::json::object>(const std::string& path,
                                                              const http::Params& filters)>;
  // `list` is called on the prefetch's threads (NetBoxClient::list is safe to call concurrently).
  ListingPrefetch(List list, size_t ahead);
  // Waits for the listings still running; what no stage took is dropped.
  ~ListingPrefetch();
  ListingPrefetch(const ListingPrefetch&) = delete;
  ListingPrefetch& operator=(const ListingPrefetch&) = delete;

  // The listings the next stages will take, in the order they take them; replaces any plan.
  void plan(std::vector<PlannedListing> listings);
  // The objects of `path` with `filters`: the planned listing (waited for; its failure rethrown
  // here) when one was planned with exactly these, otherwise listed now on this thread.
  std::vector<boost::json::object> take(const std::string& path, const http::Params& filters);
  // How many takes a planned listing served (for tests and the debug log).
  size_t served() const;

 private:
  struct Slot {
    std::string key;
    PlannedListing listing;
    enum class State { waiting, running, done, taken } state = State::waiting;
    std::vector<boost::json::object> objects;
    std::exception_ptr failure;
  };
  void start_more();  // with mutex_ held
  void run(size_t index);

  List list_;
  size_t ahead_;
  mutable std::mutex mutex_;
  std::condition_variable done_;
  std::vector<Slot> slots_;
  std::vector<std::jthread> threads_;
  size_t served_ = 0;
};

// The key of a listing: its path and its filters in order.
std::string listing_key(const std::string& path, const http::Params& filters);

}  // namespace pbx::sync
