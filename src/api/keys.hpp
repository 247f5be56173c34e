#pragma once
// API keys and who may try them.
//
// Keys are stored as crypto_pwhash strings (Argon2id). Each also has a key id derived from the
// key (keyed BLAKE2b, 64 bits, under a random secret kept in the database), so a presented key
// looks up its one stored hash: at most one Argon2 check per request, and a wrong key costs a
// hash and an indexed lookup, not one Argon2 per stored key. The id is derived rather than a
// literal prefix because keys are chosen by their users (the netbox-proxbox plugin sends its
// own). Keys stored before the id existed are checked one by one until each has been used once,
// which records its id. A verified key is remembered (keyed digest, memory only) so later
// requests with it need no Argon2 at all.
//
// KeyGuard decides per request: failures are limited per client address and per key id with a
// decaying bucket (N failures, then one more per window/N), Argon2 work globally; a locked-out
// address keeps a valid key's access; X-Forwarded-For counts only from trusted proxies.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/sqlite.hpp"
#include "http/message.hpp"

namespace pbx::api {

struct PwhashLimits {
  unsigned long long opslimit = 2;  // crypto_pwhash_OPSLIMIT_INTERACTIVE
  size_t memlimit = 1 << 20;        // 1 MiB: keys are long random strings, not passwords
};

struct ApiKeyInfo {
  int64_t id = 0;
  std::string label;
  std::string created_at;          // "2026-01-01T00:00:00Z"
  int64_t created_at_seconds = 0;  // the same instant as Unix seconds (the plugin reads these)
};

// Why a key was not stored: an answer to the client (README error policy), not an error.
enum class KeyNotStored { too_short, already_registered, already_stored };

class KeyStore {
 public:
  static constexpr size_t kMinimumKeyLength = 32;

  KeyStore(common::Database& database, std::mutex& database_mutex, PwhashLimits limits = {});

  // Atomic and once per database: the second call answers already_registered.
  common::Result<void, KeyNotStored> register_first(const std::string& api_key,
                                                    const std::string& label);
  // Adds a key; its id, or too_short / already_stored.
  common::Result<int64_t, KeyNotStored> add(const std::string& api_key, const std::string& label);
  bool remove(int64_t id);
  std::vector<ApiKeyInfo> list();
  // The id of the stored key `api_key` matches, if any (cached(), else every candidate checked).
  std::optional<int64_t> verify(const std::string& api_key);
  bool any();

  // The id of a key verified earlier by this process; costs no Argon2.
  std::optional<int64_t> cached(const std::string& api_key);
  struct Candidate {
    int64_t id = 0;
    std::string hash;
    bool legacy = false;  // stored before key ids: matched by trying it
  };
  // The stored key whose key id the presented key has (at most one); when none, the keys that
  // have no key id yet.
  std::vector<Candidate> candidates(const std::string& api_key);
  // One Argon2 check; on success the key is cached and a legacy row gets its key id.
  bool check(const std::string& api_key, const Candidate& candidate);
  // Argon2 checks made so far (for tests and logs).
  uint64_t argon2_checks() const { return argon2_checks_.load(); }

 private:
  std::string hash(const std::string& api_key) const;
  std::string cache_digest(const std::string& api_key) const;
  std::string key_id(const std::string& api_key) const;
  common::Result<int64_t, KeyNotStored> insert(const std::string& api_key,
                                               const std::string& label);
  void migrate_schema();

  common::Database& database_;
  std::mutex& database_mutex_;
  PwhashLimits limits_;
  std::array<unsigned char, 32> cache_key_{};
  std::array<unsigned char, 32> id_key_{};  // from the database: ids survive restarts
  std::mutex cache_mutex_;
  std::map<std::string, int64_t> verified_;  // digest → key id
  std::atomic<uint64_t> argon2_checks_{0};
};

// A decaying bucket per name: each recorded event fills it by one and it drains continuously at
// `max_events` per `window`; a name whose bucket holds `max_events` must wait until one more fits.
// So after N failures a client may try again once per window/N, never locked out for good.
// Tracks at most `max_names` names (empty buckets are dropped first, then the fullest kept).
class FailureLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  FailureLimiter(unsigned max_failures = 5, std::chrono::seconds window = std::chrono::minutes(5),
                 Clock clock = {}, size_t max_names = 100'000);

  bool locked(const std::string& name);
  void record_failure(const std::string& name);
  void record_success(const std::string& name);
  // Seconds until `name` may try again (0 when it may now).
  int64_t retry_after(const std::string& name);

 private:
  struct Bucket {
    double level = 0;
    std::chrono::steady_clock::time_point updated{};
  };
  std::chrono::steady_clock::time_point now() const;
  double drained(Bucket& bucket, std::chrono::steady_clock::time_point current) const;
  void prune(std::chrono::steady_clock::time_point current);

  double max_failures_;
  double drain_per_second_;
  Clock clock_;
  size_t max_names_;
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
};

// An IPv4 or IPv6 address in text (what --trusted-proxy accepts).
bool is_ip_address(std::string_view text);

struct KeyGuardOptions {
  unsigned address_failures = 5;  // per client address, then one more per window/5
  std::chrono::seconds address_window = std::chrono::minutes(5);
  unsigned key_failures = 5;  // per key id
  std::chrono::seconds key_window = std::chrono::minutes(5);
  unsigned argon2_checks = 16;  // across all clients, then 8 a second
  std::chrono::seconds argon2_window{2};
  // Peers whose X-Forwarded-For is believed (exact IPv4/IPv6 addresses, e.g. the local nginx).
  std::vector<std::string> trusted_proxies;
};

// Why a request is refused: the HTTP status, the `detail` and, for 429, the seconds to wait.
struct KeyRefusal {
  http::Status status = http::Status::unauthorized;
  std::string detail;
  int64_t retry_after = 0;
};

class KeyGuard {
 public:
  KeyGuard(KeyStore& keys, KeyGuardOptions options = {}, FailureLimiter::Clock clock = {});

  // Done when the request's X-Proxbox-API-Key is a stored key; else why it is refused.
  common::Result<void, KeyRefusal> admit(const http::Request& request);
  // The peer, or, when the peer is a trusted proxy, the last X-Forwarded-For hop before the
  // trusted ones ("in-process" for requests that did not come over a socket).
  std::string client_address(const http::Request& request) const;

 private:
  bool trusted(std::string_view address) const;

  KeyStore& keys_;
  std::set<std::string> trusted_proxies_;  // normalised
  FailureLimiter addresses_;
  FailureLimiter key_ids_;
  FailureLimiter argon2_;
};

}  // namespace pbx::api
