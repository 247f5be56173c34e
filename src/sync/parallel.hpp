#pragma once
// Runs fn(i) for i in [0, count) on at most `width` threads. Exceptions from fn are the
// caller's to catch inside fn; one escaping is rethrown here after every worker has stopped.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace pbx::sync {

template <typename Fn>
void parallel_for(size_t count, size_t width, Fn&& fn) {
  if (count == 0) return;
  const size_t workers = std::max<size_t>(1, std::min(width, count));
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next.store(count);
      }
    }
  };
  if (workers == 1) {
    work();
  } else {
    std::vector<std::jthread> threads;
    threads.reserve(workers);
    for (size_t t = 0; t < workers; ++t)
      threads.emplace_back(work);
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace pbx::sync
