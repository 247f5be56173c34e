#include "api/keys.hpp"

#include <sodium.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cmath>
#include <ctime>
#include <stdexcept>

#include "api/secrets.hpp"
#include "common/clock.hpp"

namespace pbx::api {

namespace {

constexpr size_t kKeyIdBytes = 8;  // 64 bits: no two stored keys share one in practice

// One spelling per address ("::ffff:10.0.0.1" is 10.0.0.1), so a trusted proxy matches however
// the socket layer prints it; text that is not an address stays as it is.
std::string normalised_address(std::string_view text) {
  boost::system::error_code error;
  auto address = boost::asio::ip::make_address(std::string(text), error);
  if (error) return std::string(text);
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

}  // namespace

bool is_ip_address(std::string_view text) {
  boost::system::error_code error;
  boost::asio::ip::make_address(std::string(text), error);
  return !error;
}

KeyStore::KeyStore(common::Database& database, std::mutex& database_mutex, PwhashLimits limits)
    : database_(database), database_mutex_(database_mutex), limits_(limits) {
  ensure_sodium();
  randombytes_buf(cache_key_.data(), cache_key_.size());
  std::lock_guard lock(database_mutex_);
  database_.exec(
      "CREATE TABLE IF NOT EXISTS api_keys (id INTEGER PRIMARY KEY, label TEXT NOT NULL DEFAULT '',"
      " hash TEXT NOT NULL, created_at TEXT NOT NULL, key_id TEXT);"
      "CREATE TABLE IF NOT EXISTS key_registration (id INTEGER PRIMARY KEY CHECK (id = 1),"
      " registered_at TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS api_key_id_secret (id INTEGER PRIMARY KEY CHECK (id = 1),"
      " secret TEXT NOT NULL);");
  migrate_schema();
}

// Databases from before key ids: add the column (rows keep NULL until their key is used) and
// the secret the ids are derived with. Nothing is lost: old keys keep working.
void KeyStore::migrate_schema() {
  common::Transaction transaction(database_);
  bool has_key_id = false;
  auto columns = database_.prepare("PRAGMA table_info(api_keys)");
  while (columns.step())
    has_key_id = has_key_id || columns.column_text(1) == "key_id";
  if (!has_key_id) database_.exec("ALTER TABLE api_keys ADD COLUMN key_id TEXT");
  database_.exec("CREATE INDEX IF NOT EXISTS api_keys_by_key_id ON api_keys (key_id)");
  auto secret = database_.prepare("SELECT secret FROM api_key_id_secret WHERE id = 1");
  if (secret.step()) {
    const std::string hex = secret.column_text(0);
    size_t length = 0;
    if (sodium_hex2bin(id_key_.data(), id_key_.size(), hex.data(), hex.size(), nullptr, &length,
                       nullptr) != 0 ||
        length != id_key_.size()) {
      throw std::runtime_error("api_key_id_secret in the database is damaged");
    }
  } else {
    randombytes_buf(id_key_.data(), id_key_.size());
    auto insert = database_.prepare("INSERT INTO api_key_id_secret VALUES (1, ?)");
    insert.bind(1, to_hex(id_key_.data(), id_key_.size()));
    insert.step();
  }
  transaction.commit();
}

std::string KeyStore::key_id(const std::string& api_key) const {
  unsigned char digest[kKeyIdBytes];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(api_key.data()),
                     api_key.size(), id_key_.data(), id_key_.size());
  return to_hex(digest, sizeof digest);
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

common::Result<int64_t, KeyNotStored> KeyStore::insert(const std::string& api_key,
                                                       const std::string& label) {
  const std::string id = key_id(api_key);
  auto taken = database_.prepare("SELECT 1 FROM api_keys WHERE key_id = ?");
  taken.bind(1, id);
  if (taken.step()) return common::Failure{KeyNotStored::already_stored};
  auto statement = database_.prepare(
      "INSERT INTO api_keys (label, hash, created_at, key_id) VALUES (?, ?, ?, ?)");
  statement.bind(1, label).bind(2, hash(api_key)).bind(3, common::utc_now_iso8601()).bind(4, id);
  statement.step();
  return database_.last_insert_id();
}

common::Result<void, KeyNotStored> KeyStore::register_first(const std::string& api_key,
                                                            const std::string& label) {
  if (api_key.size() < kMinimumKeyLength) return common::Failure{KeyNotStored::too_short};
  std::lock_guard lock(database_mutex_);
  common::Transaction transaction(database_);
  {
    // The CHECK (id = 1) primary key makes this row the once-per-database latch, even across
    // processes sharing the file.
    auto latch = database_.prepare("INSERT OR IGNORE INTO key_registration VALUES (1, ?)");
    latch.bind(1, common::utc_now_iso8601());
    latch.step();
    if (database_.changes() == 0) return common::Failure{KeyNotStored::already_registered};
  }
  if (auto inserted = insert(api_key, label); !inserted) return common::Failure{inserted.error()};
  transaction.commit();
  return {};
}

common::Result<int64_t, KeyNotStored> KeyStore::add(const std::string& api_key,
                                                    const std::string& label) {
  if (api_key.size() < kMinimumKeyLength) return common::Failure{KeyNotStored::too_short};
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
  auto statement = database_.prepare(
      "SELECT id, label, created_at, CAST(strftime('%s', created_at) AS INTEGER) FROM api_keys"
      " ORDER BY id");
  std::vector<ApiKeyInfo> keys;
  while (statement.step()) {
    keys.push_back({statement.column_int(0), statement.column_text(1), statement.column_text(2),
                    statement.column_int(3)});
  }
  return keys;
}

bool KeyStore::any() {
  std::lock_guard lock(database_mutex_);
  auto statement = database_.prepare("SELECT 1 FROM api_keys LIMIT 1");
  return statement.step();
}

std::optional<int64_t> KeyStore::cached(const std::string& api_key) {
  if (api_key.empty()) return std::nullopt;
  const std::string digest = cache_digest(api_key);
  std::lock_guard lock(cache_mutex_);
  if (const auto found = verified_.find(digest); found != verified_.end()) return found->second;
  return std::nullopt;
}

std::vector<KeyStore::Candidate> KeyStore::candidates(const std::string& api_key) {
  std::vector<Candidate> found;
  if (api_key.empty()) return found;
  const std::string id = key_id(api_key);
  std::lock_guard lock(database_mutex_);
  auto by_id = database_.prepare("SELECT id, hash FROM api_keys WHERE key_id = ? LIMIT 1");
  by_id.bind(1, id);
  if (by_id.step()) {
    found.push_back({by_id.column_int(0), by_id.column_text(1), false});
    return found;
  }
  auto legacy = database_.prepare("SELECT id, hash FROM api_keys WHERE key_id IS NULL");
  while (legacy.step())
    found.push_back({legacy.column_int(0), legacy.column_text(1), true});
  return found;
}

bool KeyStore::check(const std::string& api_key, const Candidate& candidate) {
  ++argon2_checks_;
  if (crypto_pwhash_str_verify(candidate.hash.c_str(), api_key.data(), api_key.size()) != 0) {
    return false;
  }
  if (candidate.legacy) {
    std::lock_guard lock(database_mutex_);
    auto record = database_.prepare("UPDATE api_keys SET key_id = ? WHERE id = ?");
    record.bind(1, key_id(api_key)).bind(2, candidate.id);
    record.step();
  }
  std::lock_guard lock(cache_mutex_);
  verified_[cache_digest(api_key)] = candidate.id;
  return true;
}

std::optional<int64_t> KeyStore::verify(const std::string& api_key) {
  if (auto id = cached(api_key)) return id;
  for (const auto& candidate : candidates(api_key)) {
    if (check(api_key, candidate)) return candidate.id;
  }
  return std::nullopt;
}

FailureLimiter::FailureLimiter(unsigned max_failures, std::chrono::seconds window, Clock clock,
                               size_t max_names)
    : max_failures_(std::max(1U, max_failures)),
      drain_per_second_(max_failures_ / static_cast<double>(std::max<int64_t>(1, window.count()))),
      clock_(std::move(clock)),
      max_names_(std::max<size_t>(1, max_names)) {}

std::chrono::steady_clock::time_point FailureLimiter::now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

double FailureLimiter::drained(Bucket& bucket,
                               std::chrono::steady_clock::time_point current) const {
  const double seconds = std::chrono::duration<double>(current - bucket.updated).count();
  if (seconds > 0) {
    bucket.level = std::max(0.0, bucket.level - seconds * drain_per_second_);
    bucket.updated = current;
  }
  return bucket.level;
}

bool FailureLimiter::locked(const std::string& name) {
  return retry_after(name) > 0;
}

int64_t FailureLimiter::retry_after(const std::string& name) {
  std::lock_guard lock(mutex_);
  const auto found = buckets_.find(name);
  if (found == buckets_.end()) return 0;
  const double level = drained(found->second, now());
  // One more fits when level + 1 <= max; a tiny epsilon keeps float drift from adding a second.
  const double excess = level + 1 - max_failures_;
  if (excess <= 1e-9) return 0;
  return static_cast<int64_t>(std::ceil(excess / drain_per_second_ - 1e-9));
}

void FailureLimiter::record_failure(const std::string& name) {
  std::lock_guard lock(mutex_);
  const auto current = now();
  if (!buckets_.contains(name) && buckets_.size() >= max_names_) prune(current);
  Bucket& bucket = buckets_[name];
  if (bucket.updated == std::chrono::steady_clock::time_point{}) bucket.updated = current;
  bucket.level = drained(bucket, current) + 1;
}

void FailureLimiter::record_success(const std::string& name) {
  std::lock_guard lock(mutex_);
  buckets_.erase(name);
}

// Rotating source addresses must not grow the map without bound: drop drained buckets, and if
// that is not enough, the emptiest half (the ones closest to being allowed anyway).
void FailureLimiter::prune(std::chrono::steady_clock::time_point current) {
  for (auto it = buckets_.begin(); it != buckets_.end();)
    it = drained(it->second, current) <= 0 ? buckets_.erase(it) : std::next(it);
  if (buckets_.size() < max_names_) return;
  std::vector<double> levels;
  levels.reserve(buckets_.size());
  for (const auto& [name, bucket] : buckets_)
    levels.push_back(bucket.level);
  std::nth_element(levels.begin(), levels.begin() + static_cast<std::ptrdiff_t>(levels.size() / 2),
                   levels.end());
  const double median = levels[levels.size() / 2];
  std::erase_if(buckets_, [&](const auto& entry) { return entry.second.level <= median; });
}

KeyGuard::KeyGuard(KeyStore& keys, KeyGuardOptions options, FailureLimiter::Clock clock)
    : keys_(keys),
      addresses_(options.address_failures, options.address_window, clock),
      key_ids_(options.key_failures, options.key_window, clock),
      argon2_(options.argon2_checks, options.argon2_window, clock) {
  for (const auto& proxy : options.trusted_proxies) {
    if (!is_ip_address(proxy)) {
      throw std::invalid_argument("--trusted-proxy: '" + proxy + "' is not an IP address");
    }
    trusted_proxies_.insert(normalised_address(proxy));
  }
}

bool KeyGuard::trusted(std::string_view address) const {
  return trusted_proxies_.contains(normalised_address(address));
}

std::string KeyGuard::client_address(const http::Request& request) const {
  if (request.remote_address.empty()) return "in-process";
  std::string client = normalised_address(request.remote_address);
  if (!trusted(client)) return client;
  // "client, proxy1, proxy2": walk from the right past our trusted proxies; the first hop we do
  // not trust is the client. Anything unparsable ends the walk at the last trusted hop.
  std::string_view forwarded = request.header("X-Forwarded-For");
  while (!forwarded.empty()) {
    const size_t comma = forwarded.rfind(',');
    std::string_view hop =
        comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1);
    forwarded = comma == std::string_view::npos ? std::string_view{} : forwarded.substr(0, comma);
    while (!hop.empty() && hop.front() == ' ')
      hop.remove_prefix(1);
    while (!hop.empty() && hop.back() == ' ')
      hop.remove_suffix(1);
    if (!is_ip_address(hop)) break;
    client = normalised_address(hop);
    if (!trusted(client)) break;
  }
  return client;
}

common::Result<void, KeyRefusal> KeyGuard::admit(const http::Request& request) {
  const std::string client = client_address(request);
  const auto too_many = [](int64_t wait) {
    return common::Failure{KeyRefusal{http::Status::too_many_requests,
                                      "Too many failed authentication attempts. Try again later.",
                                      std::max<int64_t>(1, wait)}};
  };
  const std::string key(request.header("X-Proxbox-API-Key"));
  if (key.empty()) {
    if (const int64_t wait = addresses_.retry_after(client); wait > 0) return too_many(wait);
    addresses_.record_failure(client);
    return common::Failure{KeyRefusal{http::Status::unauthorized,
                                      "Missing API key. Send it in the X-Proxbox-API-Key header.",
                                      0}};
  }
  // A key verified before needs no Argon2 and is let in whatever its address did.
  if (keys_.cached(key)) return {};
  const std::vector<KeyStore::Candidate> candidates = keys_.candidates(key);
  const bool key_id_known = !candidates.empty() && !candidates.front().legacy;
  // A locked-out address still gets its one check when the key id is a stored key's: only a
  // valid key (or a 64-bit collision) gets there, so a shared address (every client behind one
  // proxy) cannot lock the plugin out.
  if (!key_id_known) {
    if (const int64_t wait = addresses_.retry_after(client); wait > 0) return too_many(wait);
  }
  for (const auto& candidate : candidates) {
    const std::string id_name = std::to_string(candidate.id);
    if (key_id_known) {
      if (const int64_t wait = key_ids_.retry_after(id_name); wait > 0) return too_many(wait);
    }
    if (const int64_t wait = argon2_.retry_after("argon2"); wait > 0) {
      return common::Failure{KeyRefusal{http::Status::too_many_requests,
                                        "Too many API key checks at once. Try again shortly.",
                                        wait}};
    }
    argon2_.record_failure("argon2");  // every Argon2 check counts, good or bad
    if (keys_.check(key, candidate)) {
      addresses_.record_success(client);
      key_ids_.record_success(id_name);
      return {};
    }
    if (key_id_known) key_ids_.record_failure(id_name);
  }
  addresses_.record_failure(client);
  return common::Failure{KeyRefusal{http::Status::unauthorized, "Invalid API key.", 0}};
}

}  // namespace pbx::api
