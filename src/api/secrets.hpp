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
#include <vector>

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

// Where a command-line program may take a secret from. A value on the command line is readable
// by every local user in /proc/PID/cmdline, so the environment (`env`) and a file (`file`, one
// secret per line, surrounding whitespace ignored) are offered too.
struct SecretSources {
  std::string_view flag;            // "--netbox-token", for messages
  std::string_view file_flag;       // "--netbox-token-file"
  const char* env = nullptr;        // "PROXBOX_NETBOX_TOKEN"
  std::vector<std::string> values;  // from `flag` (repeatable)
  std::string file;                 // from `file_flag`
};

// The secrets from the one source given: the flag, else the file, else the environment variable
// (several in one variable separated by commas or newlines). Empty when none is given. Throws
// std::invalid_argument naming the flags when the flag and the file are both given, or the file
// cannot be read or holds nothing. Control characters inside a secret are refused (a CR/LF
// would end up in an HTTP header).
std::vector<std::string> resolve_secrets(const SecretSources& sources);
// A C0 control character or DEL: never valid in a secret, a name or an address (a CR/LF would
// end up splitting an HTTP header or a log line).
bool has_control_character(std::string_view text);

// A file given for a secret is readable by group or others: worth a warning, not a refusal.
bool readable_by_others(const std::filesystem::path& file);

}  // namespace pbx::api
