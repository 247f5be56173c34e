#include "e2e/matrix_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "common/files.hpp"

namespace pbx::e2e {
namespace {

// Axis values in the order they first appear in the run (the matrix's own order).
template <typename Value, typename Of>
std::vector<Value> axis(const MatrixRunResult& result, Of of) {
  std::vector<Value> values;
  for (const auto& cell : result.cells) {
    auto value = of(cell.cell);
    if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
  }
  return values;
}

std::string seconds(std::chrono::milliseconds duration) {
  return fmt::format("{:.1f} s", duration.count() / 1000.0);
}

constexpr std::string_view kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.2em 0 .4em}
table{border-collapse:collapse}th,td{padding:.25em .5em;text-align:left;vertical-align:top}
.grid th{font-weight:600;font-size:.85em;color:#555}
.grid td{padding:2px}
.cell{min-width:6.5em;padding:.25em .5em;border:1px solid #0002;border-radius:4px;
cursor:pointer;font:inherit;font-size:.8em}
.swatch{display:inline-block;padding:.1em .6em;margin-right:.4em;border-radius:3px}
.pass{background:#5cb85c;color:#fff}.fail{background:#d9534f;color:#fff}
.skip{background:#c8c8c8;color:#333}.pass.partial{background:#9fd49f;color:#222}
.grid th small{display:block;font-weight:400;max-width:18em}
.cell.selected{outline:3px solid #236}
.detail{border:1px solid #ccc;border-radius:4px;padding:.6em 1em;margin-top:1em;max-width:70em}
.detail table td,.detail table th{border-bottom:1px solid #eee}
.outcome-pass{color:#2a7a2a}.outcome-fail{color:#b52b27;font-weight:600}.outcome-skip{color:#777}
pre{white-space:pre-wrap;margin:0}
)";

// Shows the detail of the cell clicked (or named by the URL's #fragment), hides the others.
constexpr std::string_view kScript = R"(
(function () {
  var cells = document.querySelectorAll('button.cell');
  function show(id) {
    var found = false;
    document.querySelectorAll('section.detail').forEach(function (detail) {
      detail.hidden = detail.id !== 'detail-' + id;
      found = found || !detail.hidden;
    });
    cells.forEach(function (cell) {
      cell.classList.toggle('selected', cell.dataset.cell === id);
    });
    return found;
  }
  cells.forEach(function (cell) {
    cell.addEventListener('click', function () {
      if (show(cell.dataset.cell)) history.replaceState(null, '', '#' + cell.dataset.cell);
    });
  });
  if (location.hash.length > 1) show(decodeURIComponent(location.hash.slice(1)));
  document.body.dataset.cells = String(cells.length);
})();
)";

std::string grid(const MatrixRunResult& result) {
  const auto services = axis<std::string>(result, [](const Cell& c) { return c.proxmox_service; });
  const auto transports = axis<int>(result, [](const Cell& c) { return c.transport; });
  const auto versions = axis<std::string>(result, [](const Cell& c) { return c.netbox_version; });
  const auto modes = axis<Mode>(result, [](const Cell& c) { return c.mode; });
  std::map<std::string, const CellRunResult*> by_id;
  for (const auto& cell : result.cells)
    by_id[cell.cell.id()] = &cell;

  std::string html;
  for (const auto& service : services) {
    html += fmt::format("<h2>{}</h2>\n<table class=\"grid\"><tr><th>transport</th>",
                        xml_escape(service));
    for (const auto& version : versions) {
      for (const auto mode : modes)
        html += fmt::format("<th>NetBox {}<br>{}</th>", xml_escape(version), to_string(mode));
    }
    html += "</tr>\n";
    for (const int transport : transports) {
      html += fmt::format("<tr><th>{}<small>{}</small></th>", transport,
                          xml_escape(transport_bundle(transport).description));
      for (const auto& version : versions) {
        for (const auto mode : modes) {
          const Cell key{transport, mode, version, service};
          const auto found = by_id.find(key.id());
          if (found == by_id.end()) {
            html += "<td></td>";  // not in this run (filtered out)
            continue;
          }
          const CellRunResult& cell = *found->second;
          const auto verdict = cell_verdict(cell);
          const bool partial = verdict == "pass" &&
                               std::any_of(cell.rows.begin(), cell.rows.end(),
                                           [](auto& row) { return row.outcome == Outcome::skip; });
          html += fmt::format(
              "<td><button class=\"cell {}{}\" data-cell=\"{}\" title=\"{}: {}\">{}<br>{}</button>"
              "</td>",
              verdict, partial ? " partial" : "", xml_escape(key.id()), xml_escape(key.id()),
              verdict, verdict, seconds(cell.duration));
        }
      }
      html += "</tr>\n";
    }
    html += "</table>\n";
  }
  return html;
}

std::string detail(const CellRunResult& cell) {
  const std::string id = cell.cell.id();
  std::string html = fmt::format(
      "<section class=\"detail\" id=\"detail-{}\" hidden><h2>{} — {}</h2>\n"
      "<p>transport {} ({}), NetBox {}, {} mode, {}: {} in {}, stack up in {}{}</p>\n",
      xml_escape(id), xml_escape(id), cell_verdict(cell), cell.cell.transport,
      xml_escape(transport_bundle(cell.cell.transport).description),
      xml_escape(cell.cell.netbox_version), to_string(cell.cell.mode),
      xml_escape(cell.cell.proxmox_service), cell_verdict(cell), seconds(cell.duration),
      seconds(cell.startup),
      cell.junit_file.empty() ? "" : "; JUnit: " + xml_escape(cell.junit_file.filename().string()));
  if (!cell.error.empty()) {
    html += "<div class=\"outcome-fail\">error: <pre>" + xml_escape(cell.error) + "</pre></div>\n";
  }
  html += "<table><tr><th>check</th><th>result</th><th>detail</th></tr>\n";
  for (const auto& row : cell.rows) {
    html +=
        fmt::format("<tr><td>{}</td><td class=\"outcome-{}\">{}</td><td><pre>{}</pre></td></tr>\n",
                    xml_escape(row.check), to_string(row.outcome), to_string(row.outcome),
                    xml_escape(row.detail));
  }
  return html + "</table></section>\n";
}

// Every skipped row, grouped by its reason: "why is this not tested" at one glance.
std::string skipped_rows(const MatrixRunResult& result) {
  std::map<std::string, std::vector<std::string>> by_reason;
  for (const auto& cell : result.cells) {
    for (const auto& row : cell.rows) {
      if (row.outcome == Outcome::skip) {
        by_reason[row.detail.empty() ? "(no reason given)" : row.detail].push_back(
            cell.cell.id() + ": " + row.check);
      }
    }
  }
  if (by_reason.empty()) return "<h2>Skipped rows</h2><p>none</p>\n";
  std::string html =
      "<h2>Skipped rows</h2>\n<table class=\"skipped\"><tr><th>reason</th>"
      "<th>rows</th></tr>\n";
  for (const auto& [reason, rows] : by_reason) {
    html += "<tr><td><pre>" + xml_escape(reason) + "</pre></td><td>" +
            fmt::format("{} row{}: ", rows.size(), rows.size() == 1 ? "" : "s");
    for (size_t i = 0; i < rows.size(); ++i)
      html += (i ? ", " : "") + xml_escape(rows[i]);
    html += "</td></tr>\n";
  }
  return html + "</table>\n";
}

}  // namespace

std::string_view cell_verdict(const CellRunResult& cell) {
  if (!cell.passed) return "fail";
  const bool all_skipped =
      !cell.rows.empty() && std::all_of(cell.rows.begin(), cell.rows.end(),
                                        [](auto& row) { return row.outcome == Outcome::skip; });
  return all_skipped ? "skip" : "pass";
}

std::string matrix_report_html(const MatrixRunResult& result) {
  std::map<std::string_view, size_t> counts;
  for (const auto& cell : result.cells)
    ++counts[cell_verdict(cell)];
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>proxbox E2E matrix</title><style>";
  html += kStyle;
  html += "</style></head>\n<body>\n<h1>proxbox E2E matrix</h1>\n";
  html += fmt::format(
      "<p>{} cells: {} passed, {} failed, {} skipped; wall time {}. Click a cell for its "
      "verification table and timing.</p>\n",
      result.cells.size(), counts["pass"], counts["fail"], counts["skip"],
      seconds(result.wall_time));
  html +=
      "<p><span class=\"swatch pass\">pass</span><span class=\"swatch pass partial\">"
      "pass, some rows skipped</span><span class=\"swatch fail\">fail</span><span "
      "class=\"swatch skip\">every row skipped</span></p>\n";
  html += grid(result);
  for (const auto& cell : result.cells)
    html += detail(cell);
  html += skipped_rows(result);
  html += "<script>";
  html += kScript;
  html += "</script>\n</body></html>\n";
  return html;
}

std::filesystem::path write_matrix_report(const MatrixRunResult& result,
                                          const std::filesystem::path& output_dir) {
  const auto path = output_dir / "matrix-report.html";
  std::filesystem::create_directories(output_dir);
  common::write_file_atomically(path, matrix_report_html(result));
  return path;
}

}  // namespace pbx::e2e
