// The HTML report of one run (`kafkasim run --report DIR`): DIR/index.html, a single self-contained page
// (its script, styles and data inline; nothing fetched), beside DIR/history.jsonl and DIR/result.json.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/narrative.h"
#include "scenario/scenario.h"

namespace kafkasim::reports {

// Writes DIR/index.html and DIR/result.json; DIR/history.jsonl must already hold the run's history.
// Returns "" or why a file could not be written.
std::string write_html_report(const std::string& dir, const Scenario& scenario, const nlohmann::ordered_json& result,
                       const std::vector<NarrativeLine>& narrative);

// Text made safe for HTML (element content and quoted attributes).
std::string html_escape(const std::string& text);
// A string made safe as one path component (letters, digits, '.', '-', '_'; the rest '_').
std::string path_component(const std::string& text);
// DIR/index.html: the matrix as a table, each cell linking to that run's report (DIR/<scenario>/<design>/).
struct MatrixCell {
  std::string text;    // "ok", the violated properties, or "SIMULATOR FAILURE"
  std::string link;    // relative path of the run's index.html, or empty
  bool bad = false;    // not the verdict the scenario expects for this design, or a failure
};
std::string write_matrix_report(const std::string& dir, const std::vector<std::string>& designs,
                                const std::vector<std::string>& scenarios, const std::vector<std::vector<MatrixCell>>& cells);

// JSON made safe to sit inside a <script> element: '<', '>', '&' and the JS line separators escaped.
std::string json_for_script(const nlohmann::ordered_json& value);

}  // namespace kafkasim::reports
