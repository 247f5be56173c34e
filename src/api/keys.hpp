#pragma once
// API keys: stored as crypto_pwhash strings (Argon2id); a verified key is remembered by a keyed
// BLAKE2b digest so that only the first request with a key pays for the slow hash.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/sqlite.hpp"

namespace pbx::api {

struct PwhashLimits {
  unsigned long long opslimit = 2;  // crypto_pwhash_OPSLIMIT_INTERACTIVE
  size_t memlimit = 1 << 20;        // 1 MiB: keys are long random strings, not passwords
};

struct ApiKeyInfo {
  int64_t id = 0;
  std::string label;
  std::string created_at;
};

enum class RegisterResult { registered, already_registered, too_short };

class KeyStore {
 public:
  static constexpr size_t kMinimumKeyLength = 32;

  KeyStore(common::Database& database, std::mutex& database_mutex, PwhashLimits limits = {});

  // Atomic and once per database: the second call answers already_registered.
  RegisterResult register_first(const std::string& api_key, const std::string& label);
  // Adds a key; returns its id. Throws std::invalid_argument when shorter than the minimum.
  int64_t add(const std::string& api_key, const std::string& label);
  bool remove(int64_t id);
  std::vector<ApiKeyInfo> list();
  // The id of the stored key `api_key` matches, if any.
  std::optional<int64_t> verify(const std::string& api_key);
  bool any();

 private:
  std::string hash(const std::string& api_key) const;
  std::string cache_digest(const std::string& api_key) const;
  int64_t insert(const std::string& api_key, const std::string& label);

  common::Database& database_;
  std::mutex& database_mutex_;
  PwhashLimits limits_;
  std::array<unsigned char, 32> cache_key_{};
  std::mutex cache_mutex_;
  std::map<std::string, int64_t> verified_;  // digest → key id
};

// N failed authentications from one client lock it out for a while.
class FailureLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  FailureLimiter(unsigned max_failures = 5, std::chrono::seconds lockout = std::chrono::minutes(5),
                 Clock clock = {});

  bool locked(const std::string& client);
  void record_failure(const std::string& client);
  void record_success(const std::string& client);
  // Seconds until `client` may try again (0 when not locked).
  int64_t retry_after(const std::string& client);

 private:
  struct State {
    unsigned failures = 0;
    std::chrono::steady_clock::time_point locked_until{};
  };
  std::chrono::steady_clock::time_point now() const;

  unsigned max_failures_;
  std::chrono::seconds lockout_;
  Clock clock_;
  std::mutex mutex_;
  std::map<std::string, State> clients_;
};

}  // namespace pbx::api
