#include "proxmox/journal.hpp"

#include <malloc.h>

#include <boost/json.hpp>

namespace pbx::proxmox {

size_t RequestJournal::entry_bytes(const JournalEntry& entry) {
  return sizeof(JournalEntry) + entry.method.size() + entry.path.size() + entry.query.size() +
         entry.user.size();
}

void RequestJournal::record(JournalEntry entry) {
  if (entry_bytes(entry) > max_bytes_) {
    const size_t excess = entry_bytes(entry) - max_bytes_;
    entry.query.resize(entry.query.size() > excess ? entry.query.size() - excess : 0);
    entry.query.shrink_to_fit();
  }
  const size_t added = entry_bytes(entry);
  std::lock_guard lock(mutex_);
  while (!entries_.empty() && (entries_.size() >= capacity_ || bytes_ + added > max_bytes_)) {
    bytes_ -= entry_bytes(entries_.front());
    entries_.pop_front();
  }
  if (capacity_ == 0 || added > max_bytes_) return;  // a path alone beyond the bound
  entries_.push_back(std::move(entry));
  bytes_ += added;
}

std::vector<JournalEntry> RequestJournal::last(size_t limit) const {
  std::lock_guard lock(mutex_);
  const size_t count = std::min(limit, entries_.size());
  return {entries_.end() - static_cast<std::ptrdiff_t>(count), entries_.end()};
}

void RequestJournal::clear() {
  {
    std::lock_guard lock(mutex_);
    std::deque<JournalEntry>().swap(entries_);  // clear() would keep the deque's blocks
    bytes_ = 0;
  }
  // Freed strings stay in malloc's arenas otherwise, and RSS would not go down.
  malloc_trim(0);
}

size_t RequestJournal::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

size_t RequestJournal::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

boost::json::value RequestJournal::to_json(const std::vector<JournalEntry>& entries) {
  boost::json::array out;
  out.reserve(entries.size());
  for (const auto& entry : entries) {
    out.push_back(boost::json::object{{"method", entry.method},
                                      {"path", entry.path},
                                      {"query", entry.query},
                                      {"status", entry.status},
                                      {"microseconds", entry.microseconds},
                                      {"time_ms", entry.time_ms},
                                      {"user", entry.user}});
  }
  return out;
}

}  // namespace pbx::proxmox
