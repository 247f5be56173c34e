#pragma once
// The NetBox REST API emulator: one engine over http::Request/Response, so it runs behind
// http::Server (apps/netbox-emulator) or in-process in tests. Every model of the registry
// (netbox/model.hpp) is served generically: lists with NetBox's paging and filters, single and
// bulk writes in one transaction each, validation with NetBox's error shapes, auth per version.

#include <memory>
#include <string>
#include <vector>

#include "http/message.hpp"

namespace pbx::netbox {

// The token accepted when none is configured (a NetBox v1 token: 40 hex characters).
inline constexpr const char* kDefaultToken = "0123456789abcdef0123456789abcdef01234567";

struct EmulatorOptions {
  std::string database = ":memory:";  // SQLite file or ":memory:"
  std::string version = "4.6";        // API version (major.minor) the emulator behaves as
  std::string full_version = "4.6.5";
  // v1 tokens (40 hex) and, from 4.5, v2 tokens "nbt_<key>.<secret>". Empty: kDefaultToken.
  std::vector<std::string> tokens;
  // Off (NetBox's behaviour, DRF's default): body fields the model does not have are ignored.
  // On (--strict-fields, the E2E suite): they are 400 {"<field>": ["Unknown field."]}, so a
  // client's typo or a field of another NetBox version cannot pass unnoticed. Writable NetBox
  // fields the emulator does not model are refused either way: ignoring them would lose data.
  bool strict_fields = false;
};

class Emulator {
 public:
  explicit Emulator(EmulatorOptions options);
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Thread-safe: requests are serialised (one SQLite connection).
  http::Response handle(http::Request& request);
  // A handler for http::Server; the emulator must outlive it.
  http::Handler handler();

  const EmulatorOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pbx::netbox
