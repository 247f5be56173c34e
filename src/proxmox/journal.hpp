#pragma once
// The last requests an engine answered (method, path, status, duration), for assertions in
// tests: GET /mock/requests. Bounded by entries and by bytes (a client sending 15 KB query
// strings must not grow the mock by 150 MB); clear() hands the memory back. Thread-safe.

#include <boost/json/value.hpp>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace pbx::proxmox {

struct JournalEntry {
  std::string method;
  std::string path;  // decoded path, query excluded
  std::string query;
  unsigned status = 0;
  int64_t microseconds = 0;
  int64_t time_ms = 0;  // unix milliseconds when the request arrived
  std::string user;     // authenticated caller, "" when none
};

class RequestJournal {
 public:
  static constexpr size_t kDefaultMaxBytes = size_t{16} << 20;

  explicit RequestJournal(size_t capacity = 10'000, size_t max_bytes = kDefaultMaxBytes)
      : capacity_(capacity), max_bytes_(max_bytes) {}

  // Drops the oldest entries beyond either bound; an entry larger than max_bytes on its own is
  // kept with its query cut to fit.
  void record(JournalEntry entry);
  // The newest `limit` entries, oldest first.
  std::vector<JournalEntry> last(size_t limit) const;
  void clear();
  size_t size() const;
  size_t bytes() const;  // what the entries hold, by the accounting of entry_bytes()
  size_t max_bytes() const { return max_bytes_; }

  static size_t entry_bytes(const JournalEntry& entry);

  static boost::json::value to_json(const std::vector<JournalEntry>& entries);

 private:
  const size_t capacity_;
  const size_t max_bytes_;
  mutable std::mutex mutex_;
  std::deque<JournalEntry> entries_;
  size_t bytes_ = 0;
};

}  // namespace pbx::proxmox
