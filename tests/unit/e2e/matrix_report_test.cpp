// The matrix's HTML report: its content, and the page as a real browser (Debian's chromium,
// headless) renders it: it loads without a console message, shows one grid cell per matrix
// cell, and the cell named in the URL's #fragment gets its detail shown, as a click does.

#include "e2e/matrix_report.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>

#include "common/files.hpp"
#include "common/process.hpp"

namespace pbx::e2e {
namespace {

namespace fs = std::filesystem;

CellRunResult cell_result(int transport, std::string version, std::string service,
                          std::vector<RowResult> rows, bool passed) {
  CellRunResult result;
  result.cell = Cell{transport, Mode::dev, std::move(version), std::move(service)};
  result.rows = std::move(rows);
  result.passed = passed;
  result.duration = std::chrono::milliseconds(4200);
  result.startup = std::chrono::milliseconds(350);
  result.junit_file = "/out/" + result.cell.id() + ".junit.xml";
  return result;
}

// pve passes (one row skipped), pbs's every row skipped, pdm fails with a message to escape;
// transport 4 has no pdm cell (filtered out: an empty slot, not a cell).
MatrixRunResult sample_run() {
  MatrixRunResult run;
  for (const int transport : {1, 4}) {
    for (const std::string version : {"4.2", "4.6"}) {
      run.cells.push_back(
          cell_result(transport, version, "pve",
                      {{"Devices sync", Outcome::pass, ""},
                       {"mock_backend pass", Outcome::skip, "not requested (--skip-mock-backend)"}},
                      true));
      run.cells.push_back(cell_result(transport, version, "pbs",
                                      {{"Devices sync", Outcome::skip,
                                        "PVE suite: pbs serves no"
                                        " guests"}},
                                      true));
      if (transport == 1) {
        run.cells.push_back(cell_result(
            transport, version, "pdm",
            {{"Devices sync", Outcome::fail, "expected <3> & got \"2\" </script>"}}, false));
      }
    }
  }
  run.wall_time = std::chrono::milliseconds(76500);
  return run;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t found = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++found;
  return found;
}

TEST(MatrixReport, OneButtonPerCellColouredByVerdictWithEscapedDetails) {
  const auto run = sample_run();
  const std::string html = matrix_report_html(run);
  EXPECT_EQ(count(html, "<button class=\"cell "), run.cells.size());
  EXPECT_EQ(count(html, "<section class=\"detail\""), run.cells.size());
  EXPECT_EQ(count(html, "<button class=\"cell pass partial\""), 4u);
  EXPECT_EQ(count(html, "<button class=\"cell skip\""), 4u);
  EXPECT_EQ(count(html, "<button class=\"cell fail\""), 2u);
  EXPECT_NE(html.find("10 cells: 4 passed, 2 failed, 4 skipped; wall time 76.5 s"),
            std::string::npos);
  // Self-contained: nothing fetched from elsewhere.
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("://"), std::string::npos);
  // The failure's text is escaped, so it cannot end the page's script.
  EXPECT_NE(html.find("expected &lt;3&gt; &amp; got &quot;2&quot; &lt;/script&gt;"),
            std::string::npos);
  EXPECT_EQ(count(html, "</script>"), 1u);
  // Skipped rows grouped by reason.
  EXPECT_NE(html.find("not requested (--skip-mock-backend)</pre></td><td>4 rows: "),
            std::string::npos);
  EXPECT_NE(html.find("PVE suite: pbs serves no guests</pre></td><td>4 rows: "), std::string::npos);
}

TEST(MatrixReport, WrittenBesideTheJUnitFiles) {
  const fs::path dir = fs::temp_directory_path() / ("matrix-report-" + std::to_string(::getpid()));
  const auto path = write_matrix_report(sample_run(), dir);
  EXPECT_EQ(path, dir / "matrix-report.html");
  EXPECT_EQ(common::read_file(path), matrix_report_html(sample_run()));
  fs::remove_all(dir);
}

struct Rendered {
  std::string dom;
  std::vector<std::string> console;  // every console message the page produced
};

// The page as headless chromium renders it (scripts run, then the DOM is dumped).
Rendered render(const fs::path& page, const std::string& fragment, const fs::path& dir) {
  const common::ProcessOptions options{
      .argv = {"chromium", "--headless", "--no-sandbox", "--disable-gpu",
               "--user-data-dir=" + (dir / "profile").string(), "--enable-logging=stderr", "--v=0",
               "--dump-dom", "file://" + page.string() + fragment},
      .stdout_file = dir / "dom.html",
      .stderr_file = dir / "chromium.log"};
  const auto result = common::run_command(options, std::chrono::seconds(120));
  EXPECT_EQ(result.exit_code, 0) << common::read_file(dir / "chromium.log");
  Rendered rendered{result.output, {}};
  const std::regex console_line(R"(:CONSOLE[^\]]*\] (.*))");
  const std::string log = common::read_file(dir / "chromium.log");
  for (std::sregex_iterator it(log.begin(), log.end(), console_line), end; it != end; ++it)
    rendered.console.push_back((*it)[1]);
  return rendered;
}

std::optional<fs::path> chromium() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (fs::exists(candidate)) return candidate;
  }
  return std::nullopt;
}

class MatrixReportInChromium : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!chromium()) {
      GTEST_SKIP() << "chromium is not installed (scripts/setup installs Debian's chromium); "
                      "the report was not checked in a browser";
    }
    dir_ = fs::temp_directory_path() / ("matrix-report-browser-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_);
  }
  fs::path dir_;
};

TEST_F(MatrixReportInChromium, LoadsWithoutConsoleMessagesAndShowsOneCellPerMatrixCell) {
  const auto run = sample_run();
  const auto page = write_matrix_report(run, dir_);
  const std::string failing = run.cells[2].cell.id();  // t1-dev-nb4.2-pdm
  const auto rendered = render(page, "#" + failing, dir_);
  for (const auto& message : rendered.console)
    ADD_FAILURE() << "console: " << message;
  // The page's own script counted the cells it wired up.
  EXPECT_NE(rendered.dom.find("data-cells=\"" + std::to_string(run.cells.size()) + "\""),
            std::string::npos)
      << rendered.dom.substr(0, 2000);
  EXPECT_EQ(count(rendered.dom, "<button class=\"cell "), run.cells.size());
  // The cell named by the fragment is selected and its detail shown; the others stay hidden.
  EXPECT_NE(rendered.dom.find("data-cell=\"" + failing + "\""), std::string::npos);
  EXPECT_NE(rendered.dom.find("<section class=\"detail\" id=\"detail-" + failing + "\">"),
            std::string::npos);
  EXPECT_EQ(count(rendered.dom, "<section class=\"detail\" id=\"detail-"), run.cells.size());
  EXPECT_EQ(count(rendered.dom, "\" hidden=\"\">"), run.cells.size() - 1);
  EXPECT_EQ(count(rendered.dom, " selected\""), 1u);
}

// The check above can fail: a page with a script error is caught.
TEST_F(MatrixReportInChromium, AScriptErrorIsSeen) {
  const fs::path page = dir_ / "broken.html";
  common::write_file(page, "<!DOCTYPE html><html><body><script>notDefined();</script></body>");
  const auto rendered = render(page, "", dir_);
  ASSERT_EQ(rendered.console.size(), 1u);
  EXPECT_NE(rendered.console[0].find("notDefined"), std::string::npos);
}

}  // namespace
}  // namespace pbx::e2e
