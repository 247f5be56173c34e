#include "proxmox/journal.hpp"

#include <boost/json.hpp>

namespace pbx::proxmox {

void RequestJournal::record(JournalEntry entry) {
  std::lock_guard lock(mutex_);
  entries_.push_back(std::move(entry));
  while (entries_.size() > capacity_)
    entries_.pop_front();
}

std::vector<JournalEntry> RequestJournal::last(size_t limit) const {
  std::lock_guard lock(mutex_);
  const size_t count = std::min(limit, entries_.size());
  return {entries_.end() - static_cast<std::ptrdiff_t>(count), entries_.end()};
}

void RequestJournal::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

size_t RequestJournal::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
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
