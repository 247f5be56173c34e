#pragma once
// A picture of a matrix run: one self-contained HTML page (inline style and script, no external
// asset, opens from a file:// URL) written beside the JUnit files. The cells form a grid per
// Proxmox service, transport bundles down, NetBox version × mode across, each coloured by its
// result; a click (or the cell id as the URL's #fragment) shows its verification table and
// timing. Rows that were skipped are listed with their reasons, grouped by reason.

#include <filesystem>
#include <string>
#include <string_view>

#include "e2e/runner.hpp"

namespace pbx::e2e {

// "pass", "fail" or "skip" (every row skipped): the cell's colour in the report.
std::string_view cell_verdict(const CellRunResult& cell);

std::string matrix_report_html(const MatrixRunResult& result);

// Writes <output_dir>/matrix-report.html (atomically) and returns its path.
std::filesystem::path write_matrix_report(const MatrixRunResult& result,
                                          const std::filesystem::path& output_dir);

}  // namespace pbx::e2e
