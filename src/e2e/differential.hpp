#pragma once
// Differential test of the NetBox emulator: one corpus of REST exchanges replayed against the
// emulator and against a real NetBox of the same version, the answers compared after the parts
// that legitimately differ (ids, URLs, timestamps, display strings) are normalised. Differences
// that are understood are listed, each with its reason, in a known-differences file; any other
// difference fails the test.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "http/client.hpp"

namespace pbx::e2e {

struct Exchange {
  std::string name;
  http::Verb method = http::Verb::get;
  std::string path;                        // may hold {saved.id}
  std::optional<boost::json::value> body;  // strings may hold {saved.id}
  std::string save_as;                     // remember the answer's id under this name
  // nullopt: the session's token; "" : no Authorization header; else this token.
  std::optional<std::string> token;
};

// Reads {"exchanges":[{"name","method","path","body","save","token"}]}. Throws
// std::runtime_error naming the file and the exchange on bad input.
std::vector<Exchange> load_corpus(const std::filesystem::path& file);

struct Answer {
  unsigned status = 0;
  boost::json::value body;  // null when the body is empty or not JSON
};

// Replays the corpus in order against one NetBox; ids saved by earlier exchanges are
// substituted into later ones (each NetBox has its own ids).
class Replayer {
 public:
  Replayer(http::Client& client, std::string base_url, std::string token);
  Answer send(const Exchange& exchange);

 private:
  std::string substitute(const std::string& text) const;
  boost::json::value substitute(const boost::json::value& value) const;

  http::Client& client_;
  std::string base_url_;
  std::string token_;
  std::map<std::string, int64_t> saved_ids_;
};

// Ids → 0, `url`/`display_url` → "<url>", `created`/`last_updated` → "<timestamp>",
// `display` → "<display>", `next`/`previous` without scheme and host.
boost::json::value normalise(const boost::json::value& value);

struct Difference {
  std::string exchange;
  std::string where;   // "status", "body", "body.results[0].name", ...
  std::string detail;  // "emulator 400, NetBox 201" / "only in NetBox" / values
};

// The differences between the emulator's answer and NetBox's, both normalised here.
std::vector<Difference> compare_answers(const std::string& exchange, const Answer& emulator,
                                        const Answer& netbox);

struct KnownDifference {
  std::string version;   // "4.2", or "" for every version
  std::string exchange;  // exact name, or "*" for every exchange
  std::string where;     // a prefix of Difference::where ("body.results[*].site" matches any index)
  std::string reason;
};
// Reads {"differences":[{"version"?,"exchange","where","reason"}]}; every entry needs a reason.
std::vector<KnownDifference> load_known_differences(const std::filesystem::path& file);
const KnownDifference* find_known(const std::vector<KnownDifference>& known,
                                  std::string_view version, const Difference& difference);

}  // namespace pbx::e2e
