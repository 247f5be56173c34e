#pragma once
// The last N requests an engine answered (method, path, status, duration), for assertions in
// tests: GET /mock/requests. Bounded ring buffer; thread-safe.

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
  explicit RequestJournal(size_t capacity = 10'000) : capacity_(capacity) {}

  void record(JournalEntry entry);
  // The newest `limit` entries, oldest first.
  std::vector<JournalEntry> last(size_t limit) const;
  void clear();
  size_t size() const;

  static boost::json::value to_json(const std::vector<JournalEntry>& entries);

 private:
  size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<JournalEntry> entries_;
};

}  // namespace pbx::proxmox
