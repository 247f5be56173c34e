#include "api/keys.hpp"

#include <sodium.h>

#include <ctime>
#include <stdexcept>

#include "api/secrets.hpp"
#include "common/clock.hpp"

namespace pbx::api {

namespace {}  // namespace

KeyStore::KeyStore(common::Database& database, std::mutex& database_mutex, PwhashLimits limits)
    : database_(database), database_mutex_(database_mutex), limits_(limits) {
  ensure_sodium();
  randombytes_buf(cache_key_.data(), cache_key_.size());
  std::lock_guard lock(database_mutex_);
  database_.exec(
      "CREATE TABLE IF NOT EXISTS api_keys (id INTEGER PRIMARY KEY, label TEXT NOT NULL DEFAULT '',"
      " hash TEXT NOT NULL, created_at TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS key_registration (id INTEGER PRIMARY KEY CHECK (id = 1),"
      " registered_at TEXT NOT NULL);");
}

std::string KeyStore::hash(const std::string& api_key) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, api_key.data(), api_key.size(), limits_.opslimit, limits_.memlimit) !=
      0) {
    throw std::runtime_error("crypto_pwhash_str ran out of memory");
  }
  return out;
}

std::string KeyStore::cache_digest(const std::string& api_key) const {
  unsigned char digest[32];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(api_key.data()),
                     api_key.size(), cache_key_.data(), cache_key_.size());
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

int64_t KeyStore::insert(const std::string& api_key, const std::string& label) {
  auto statement =
      database_.prepare("INSERT INTO api_keys (label, hash, created_at) VALUES (?, ?, ?)");
  statement.bind(1, label).bind(2, hash(api_key)).bind(3, common::utc_now_iso8601());
  statement.step();
  return database_.last_insert_id();
}

RegisterResult KeyStore::register_first(const std::string& api_key, const std::string& label) {
  if (api_key.size() < kMinimumKeyLength) return RegisterResult::too_short;
  std::lock_guard lock(database_mutex_);
  common::Transaction transaction(database_);
  {
    // The CHECK (id = 1) primary key makes this row the once-per-database latch, even across
    // processes sharing the file.
    auto latch = database_.prepare("INSERT OR IGNORE INTO key_registration VALUES (1, ?)");
    latch.bind(1, common::utc_now_iso8601());
    latch.step();
    if (database_.changes() == 0) return RegisterResult::already_registered;
  }
  insert(api_key, label);
  transaction.commit();
  return RegisterResult::registered;
}

int64_t KeyStore::add(const std::string& api_key, const std::string& label) {
  if (api_key.size() < kMinimumKeyLength) {
    throw std::invalid_argument("API key must be at least 32 characters.");
  }
  std::lock_guard lock(database_mutex_);
  return insert(api_key, label);
}

bool KeyStore::remove(int64_t id) {
  bool removed = false;
  {
    std::lock_guard lock(database_mutex_);
    auto statement = database_.prepare("DELETE FROM api_keys WHERE id = ?");
    statement.bind(1, id);
    statement.step();
    removed = database_.changes() > 0;
  }
  std::lock_guard lock(cache_mutex_);
  std::erase_if(verified_, [id](const auto& entry) { return entry.second == id; });
  return removed;
}

std::vector<ApiKeyInfo> KeyStore::list() {
  std::lock_guard lock(database_mutex_);
  auto statement = database_.prepare("SELECT id, label, created_at FROM api_keys ORDER BY id");
  std::vector<ApiKeyInfo> keys;
  while (statement.step()) {
    keys.push_back({statement.column_int(0), statement.column_text(1), statement.column_text(2)});
  }
  return keys;
}

bool KeyStore::any() {
  std::lock_guard lock(database_mutex_);
  auto statement = database_.prepare("SELECT 1 FROM api_keys LIMIT 1");
  return statement.step();
}

std::optional<int64_t> KeyStore::verify(const std::string& api_key) {
  if (api_key.empty()) return std::nullopt;
  const std::string digest = cache_digest(api_key);
  {
    std::lock_guard lock(cache_mutex_);
    if (const auto found = verified_.find(digest); found != verified_.end()) return found->second;
  }
  std::vector<std::pair<int64_t, std::string>> hashes;
  {
    std::lock_guard lock(database_mutex_);
    auto statement = database_.prepare("SELECT id, hash FROM api_keys");
    while (statement.step())
      hashes.emplace_back(statement.column_int(0), statement.column_text(1));
  }
  for (const auto& [id, stored] : hashes) {
    if (crypto_pwhash_str_verify(stored.c_str(), api_key.data(), api_key.size()) == 0) {
      std::lock_guard lock(cache_mutex_);
      verified_[digest] = id;
      return id;
    }
  }
  return std::nullopt;
}

FailureLimiter::FailureLimiter(unsigned max_failures, std::chrono::seconds lockout, Clock clock)
    : max_failures_(max_failures), lockout_(lockout), clock_(std::move(clock)) {}

std::chrono::steady_clock::time_point FailureLimiter::now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

bool FailureLimiter::locked(const std::string& client) {
  return retry_after(client) > 0;
}

int64_t FailureLimiter::retry_after(const std::string& client) {
  std::lock_guard lock(mutex_);
  const auto found = clients_.find(client);
  if (found == clients_.end()) return 0;
  const auto current = now();
  if (found->second.failures < max_failures_) return 0;
  if (current >= found->second.locked_until) {
    clients_.erase(found);  // the lockout is over: a fresh start
    return 0;
  }
  return std::chrono::ceil<std::chrono::seconds>(found->second.locked_until - current).count();
}

void FailureLimiter::record_failure(const std::string& client) {
  std::lock_guard lock(mutex_);
  State& state = clients_[client];
  if (++state.failures >= max_failures_) state.locked_until = now() + lockout_;
}

void FailureLimiter::record_success(const std::string& client) {
  std::lock_guard lock(mutex_);
  clients_.erase(client);
}

}  // namespace pbx::api
