#include "e2e/results.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <stdexcept>

#include "common/files.hpp"

namespace pbx::e2e {
namespace {

const std::vector<VerificationRow> kRows{
    {"stack readiness (NetBox API, proxbox-api, mock /openapi.json)",
     Pass::mock_http,
     {"StackReadiness"}},
    {"mock / names the loaded service", Pass::mock_http, {"ProxmoxMockHealth"}},
    {"register-key + netbox/endpoint + netbox/status", Pass::mock_http, {"ProxboxConnection"}},
    {"custom-fields bootstrap", Pass::mock_http, {"CustomFieldBootstrap"}},
    {"devices sync (Proxmox nodes -> NetBox devices)", Pass::mock_http, {"DevicesSync"}},
    {"VM sync (QEMU + LXC -> NetBox virtual machines)", Pass::mock_http, {"VmSync"}},
    {"backups sync", Pass::mock_http, {"BackupsSync"}},
    {"every plugin stage's objects (full update, unchanged re-run, one changed IP, gone backup)",
     Pass::mock_http,
     {"PluginObjectsSync", "FullEstateSync"}},
    {"in-process mock_backend pass", Pass::mock_backend, {"MockBackend"}},
};

Outcome parse_outcome(std::string_view text) {
  if (const auto outcome = common::parse_enum<Outcome>(text)) return *outcome;
  throw std::runtime_error(fmt::format("unknown outcome '{}'", text));
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string escaped;
  for (const char c : text) {
    switch (c) {
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '&':
        escaped += "&amp;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          escaped += ' ';
        } else {
          escaped += c;
        }
    }
  }
  return escaped;
}

namespace {

std::string first_line(std::string_view text) {
  // gtest messages start with "file:line\n"; the reason is what follows.
  if (const auto newline = text.find('\n');
      newline != std::string_view::npos &&
      text.substr(0, newline).find(".cpp:") != std::string_view::npos) {
    text.remove_prefix(newline + 1);
  }
  return std::string(text.substr(0, text.find('\n')));
}

bool in_row(const VerificationRow& row, const TestResult& result) {
  for (const auto suite : row.suites) {
    if (result.suite.rfind(suite, 0) == 0) return true;
  }
  return false;
}

}  // namespace

void write_results(const std::filesystem::path& file, const std::vector<TestResult>& results) {
  boost::json::array tests;
  for (const auto& result : results) {
    tests.push_back({{"suite", result.suite},
                     {"name", result.name},
                     {"outcome", to_string(result.outcome)},
                     {"message", result.message},
                     {"seconds", result.seconds}});
  }
  common::write_file(file,
                     boost::json::serialize(boost::json::object{{"tests", std::move(tests)}}));
}

std::vector<TestResult> read_results(const std::filesystem::path& file) {
  const std::string content = common::read_file(file);
  std::vector<TestResult> results;
  try {
    const auto document = boost::json::parse(content);
    for (const auto& entry : document.at("tests").as_array()) {
      const auto& object = entry.as_object();
      TestResult result;
      result.suite = std::string(object.at("suite").as_string());
      result.name = std::string(object.at("name").as_string());
      result.outcome = parse_outcome(object.at("outcome").as_string());
      result.message = std::string(object.at("message").as_string());
      result.seconds = object.at("seconds").to_number<double>();
      results.push_back(std::move(result));
    }
  } catch (const std::exception& error) {
    throw std::runtime_error(
        fmt::format("malformed results file {}: {}", file.string(), error.what()));
  }
  return results;
}

std::span<const VerificationRow> verification_rows() {
  return kRows;
}

std::vector<RowResult> verify_cell(const PassOutcome& mock_http, const PassOutcome& mock_backend) {
  std::vector<RowResult> rows;
  for (const auto& row : kRows) {
    const auto& pass = row.pass == Pass::mock_http ? mock_http : mock_backend;
    RowResult result{std::string(row.check)};
    if (!pass.results) {
      result.outcome = pass.skipped ? Outcome::skip : Outcome::fail;
      result.detail = pass.not_run_reason;
      rows.push_back(std::move(result));
      continue;
    }
    size_t passed = 0, skipped = 0;
    std::vector<std::string> failures;
    std::string skip_reason;
    for (const auto& test : *pass.results) {
      if (!in_row(row, test)) continue;
      switch (test.outcome) {
        case Outcome::pass:
          ++passed;
          break;
        case Outcome::skip:
          ++skipped;
          if (skip_reason.empty()) skip_reason = first_line(test.message);
          break;
        case Outcome::fail:
          failures.push_back(
              fmt::format("{}.{}: {}", test.suite, test.name, first_line(test.message)));
          break;
      }
    }
    if (!failures.empty()) {
      result.outcome = Outcome::fail;
      result.detail = fmt::format("{}", fmt::join(failures, "; "));
    } else if (passed > 0) {
      result.outcome = Outcome::pass;
      result.detail = skipped > 0 ? fmt::format("{} passed, {} skipped", passed, skipped)
                                  : fmt::format("{} passed", passed);
    } else if (skipped > 0) {
      result.outcome = Outcome::skip;
      result.detail = skip_reason;
    } else {
      result.outcome = Outcome::fail;
      result.detail = "no test ran for this check";
    }
    rows.push_back(std::move(result));
  }
  return rows;
}

bool all_passed_or_skipped(const std::vector<RowResult>& rows) {
  for (const auto& row : rows) {
    if (row.outcome == Outcome::fail) return false;
  }
  return true;
}

std::string format_verification_table(const Cell& cell, const std::vector<RowResult>& rows) {
  size_t width = 5;
  for (const auto& row : rows)
    width = std::max(width, row.check.size());
  std::string table = fmt::format("cell {} (transport {}: {})\n", cell.id(), cell.transport,
                                  transport_bundle(cell.transport).description);
  table += fmt::format("| {:<{}} | result |\n", "check", width);
  table += fmt::format("|-{:-<{}}-|--------|\n", "", width);
  for (const auto& row : rows) {
    std::string result(to_string(row.outcome));
    if (row.outcome != Outcome::pass && !row.detail.empty())
      result += fmt::format(" ({})", row.detail);
    table += fmt::format("| {:<{}} | {} |\n", row.check, width, result);
  }
  return table;
}

std::string to_junit_xml(const Cell& cell, const PassOutcome& mock_http,
                         const PassOutcome& mock_backend) {
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += fmt::format("<testsuites name=\"{}\">\n", xml_escape(cell.id()));
  for (const auto& [label, pass] :
       {std::pair{"mock_http", &mock_http}, std::pair{"mock_backend", &mock_backend}}) {
    const auto suite_name = fmt::format("{}.{}", cell.id(), label);
    if (!pass->results) {
      xml += fmt::format("  <testsuite name=\"{}\" tests=\"1\" failures=\"{}\" skipped=\"{}\">\n",
                         suite_name, pass->skipped ? 0 : 1, pass->skipped ? 1 : 0);
      xml += fmt::format("    <testcase classname=\"{}\" name=\"pass\">\n", suite_name);
      xml += fmt::format("      <{} message=\"{}\"/>\n", pass->skipped ? "skipped" : "failure",
                         xml_escape(pass->not_run_reason));
      xml += "    </testcase>\n  </testsuite>\n";
      continue;
    }
    size_t failures = 0, skipped = 0;
    for (const auto& test : *pass->results) {
      failures += test.outcome == Outcome::fail;
      skipped += test.outcome == Outcome::skip;
    }
    xml += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n",
                       suite_name, pass->results->size(), failures, skipped);
    for (const auto& test : *pass->results) {
      xml += fmt::format("    <testcase classname=\"{}.{}\" name=\"{}\" time=\"{:.3f}\"",
                         suite_name, xml_escape(test.suite), xml_escape(test.name), test.seconds);
      if (test.outcome == Outcome::pass) {
        xml += "/>\n";
        continue;
      }
      xml += fmt::format(">\n      <{} message=\"{}\">{}</{}>\n    </testcase>\n",
                         test.outcome == Outcome::skip ? "skipped" : "failure",
                         xml_escape(first_line(test.message)), xml_escape(test.message),
                         test.outcome == Outcome::skip ? "skipped" : "failure");
    }
    xml += "  </testsuite>\n";
  }
  xml += "</testsuites>\n";
  return xml;
}

}  // namespace pbx::e2e
