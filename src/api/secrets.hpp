#pragma once
// Secrets at rest: libsodium secretbox (XSalsa20-Poly1305) under a 32-byte key that comes from
// PROXBOX_ENCRYPTION_KEY or from a key file created (0600) beside the database on first start.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pbx::api {

using SecretKey = std::array<unsigned char, 32>;

class SecretError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Calls sodium_init() once; throws when libsodium cannot start.
void ensure_sodium();

// 64 hex digits or base64 of 32 bytes are used as they are; any other text is a passphrase
// hashed (BLAKE2b) into a key.
SecretKey key_from_text(std::string_view text);
// The key to use: `env_value` when non-empty, else the file at `key_file` (created with a fresh
// random key, mode 0600, when missing).
SecretKey load_or_create_key(std::string_view env_value, const std::filesystem::path& key_file);

class SecretBox {
 public:
  explicit SecretBox(const SecretKey& key);
  // "sb1:" + base64(nonce || ciphertext).
  std::string seal(std::string_view plaintext) const;
  // Throws SecretError on a foreign format or when the key does not open it.
  std::string open(std::string_view sealed) const;

 private:
  SecretKey key_;
};

// "****" plus the last 4 characters of long secrets: enough to recognise, never enough to use.
std::string mask_secret(std::string_view secret);

std::string to_hex(const unsigned char* data, size_t size);

}  // namespace pbx::api
