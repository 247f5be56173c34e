#include "api/secrets.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include "common/files.hpp"
#include "common/text.hpp"

namespace pbx::api {

void ensure_sodium() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = sodium_init() >= 0; });
  if (!ok) throw SecretError("libsodium failed to initialise");
}

std::string to_hex(const unsigned char* data, size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), data, size);
  hex.pop_back();
  return hex;
}

namespace {

bool decode_exact(std::string_view text, SecretKey& key) {
  size_t length = 0;
  if (text.size() == 64 &&
      sodium_hex2bin(key.data(), key.size(), text.data(), text.size(), nullptr, &length, nullptr) ==
          0 &&
      length == key.size()) {
    return true;
  }
  for (const int variant : {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_URLSAFE,
                            sodium_base64_VARIANT_URLSAFE_NO_PADDING}) {
    std::array<unsigned char, 48> buffer{};
    if (sodium_base642bin(buffer.data(), buffer.size(), text.data(), text.size(), nullptr, &length,
                          nullptr, variant) == 0 &&
        length == key.size()) {
      std::copy_n(buffer.begin(), key.size(), key.begin());
      return true;
    }
  }
  return false;
}

}  // namespace

SecretKey key_from_text(std::string_view raw) {
  ensure_sodium();
  const std::string text(common::trim(raw));
  if (text.empty()) throw SecretError("empty encryption key");
  SecretKey key{};
  if (decode_exact(text, key)) return key;
  crypto_generichash(key.data(), key.size(), reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  return key;
}

SecretKey load_or_create_key(std::string_view env_value, const std::filesystem::path& key_file) {
  ensure_sodium();
  if (!common::trim(env_value).empty()) return key_from_text(env_value);
  if (!key_file.parent_path().empty()) std::filesystem::create_directories(key_file.parent_path());
  // O_EXCL: two processes starting together agree on one key instead of overwriting.
  const int fd = ::open(key_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    SecretKey key{};
    randombytes_buf(key.data(), key.size());
    const std::string hex = to_hex(key.data(), key.size()) + "\n";
    const bool written = ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size());
    ::close(fd);
    if (!written) throw SecretError("cannot write key file " + key_file.string());
    return key;
  }
  std::ifstream in(key_file);
  std::stringstream content;
  content << in.rdbuf();
  if (!in && content.str().empty()) throw SecretError("cannot read key file " + key_file.string());
  return key_from_text(content.str());
}

SecretBox::SecretBox(const SecretKey& key) : key_(key) {
  ensure_sodium();
}

std::string SecretBox::seal(std::string_view plaintext) const {
  std::vector<unsigned char> box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                                 plaintext.size());
  unsigned char* nonce = box.data();
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(box.data() + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        nonce, key_.data());
  std::string encoded(sodium_base64_encoded_len(box.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), box.data(), box.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  encoded.resize(std::strlen(encoded.c_str()));
  return "sb1:" + encoded;
}

std::string SecretBox::open(std::string_view sealed) const {
  if (!sealed.starts_with("sb1:")) throw SecretError("not a sealed secret");
  sealed.remove_prefix(4);
  std::vector<unsigned char> box(sealed.size());
  size_t length = 0;
  if (sodium_base642bin(box.data(), box.size(), sealed.data(), sealed.size(), nullptr, &length,
                        nullptr, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      length < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    throw SecretError("sealed secret is malformed");
  }
  std::string plaintext(length - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plaintext.data()),
                                 box.data() + crypto_secretbox_NONCEBYTES,
                                 length - crypto_secretbox_NONCEBYTES, box.data(),
                                 key_.data()) != 0) {
    throw SecretError("secret cannot be decrypted with this key");
  }
  return plaintext;
}

std::string mask_secret(std::string_view secret) {
  if (secret.empty()) return {};
  if (secret.size() < 12) return "****";
  return "****" + std::string(secret.substr(secret.size() - 4));
}

namespace {

// Splits on commas and line ends; drops empty pieces and surrounding whitespace.
std::vector<std::string> split_secrets(std::string_view text) {
  return common::split_list(text, ",\n", common::kWhitespace);
}

}  // namespace

std::vector<std::string> resolve_secrets(const SecretSources& sources) {
  if (!sources.values.empty() && !sources.file.empty()) {
    throw std::invalid_argument(std::string(sources.flag) + " and " +
                                std::string(sources.file_flag) + " both given; use one");
  }
  std::vector<std::string> secrets;
  if (!sources.values.empty()) {
    for (const auto& value : sources.values)
      secrets.emplace_back(common::trim(value));
  } else if (!sources.file.empty()) {
    std::string content;
    try {
      content = common::read_file(sources.file);
    } catch (const common::FileError& error) {
      throw std::invalid_argument(std::string(sources.file_flag) + ": " + error.what());
    }
    secrets = split_secrets(content);
    if (secrets.empty()) {
      throw std::invalid_argument(std::string(sources.file_flag) + ": " + sources.file +
                                  " holds no secret");
    }
  } else if (const char* env = sources.env ? std::getenv(sources.env) : nullptr; env != nullptr) {
    secrets = split_secrets(env);
  }
  for (const auto& secret : secrets) {
    if (secret.empty() || has_control_character(secret)) {
      throw std::invalid_argument(std::string(sources.flag) +
                                  ": a secret is empty or holds control characters");
    }
  }
  return secrets;
}

bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

bool readable_by_others(const std::filesystem::path& file) {
  struct stat info {};
  return ::stat(file.c_str(), &info) == 0 && (info.st_mode & (S_IRGRP | S_IROTH)) != 0;
}

}  // namespace pbx::api
