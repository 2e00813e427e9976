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
void write_html_report(const std::string& dir, const Scenario& scenario, const nlohmann::ordered_json& result,
                       const std::vector<NarrativeLine>& narrative);

// JSON made safe to sit inside a <script> element: '<', '>', '&' and the JS line separators escaped.
std::string json_for_script(const nlohmann::ordered_json& value);

}  // namespace kafkasim::reports
