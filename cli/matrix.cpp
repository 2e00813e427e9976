// `kafkasim matrix FILE... --designs D1,D2,...`: the "which version breaks where" view. Every scenario
// runs under every design, J forked children at a time; the table's cells are the violated properties.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "reports/html_report.h"
#include "reports/output_files.h"
#include "reports/result_json.h"
#include "sim/cost.h"

namespace kafkasim::cli {

int command_matrix(const MatrixCommand& cmd, std::ostream& out, std::ostream& err) {
  if (cmd.jobs < 1) {
    err << fmt::format("kafkasim matrix: --jobs {}: must be at least 1\n", cmd.jobs);
    return kExitBadInput;
  }
  if (cmd.designs.empty()) {
    err << "kafkasim matrix: --designs: name at least one design (e.g. --designs kafka-0.10,kafka-0.11,latest)\n";
    return kExitBadInput;
  }
  std::vector<Design> designs;
  for (const auto& text : cmd.designs) {
    std::string error;
    auto d = parse_design_flag(text, error);
    if (!d) {
      err << fmt::format("kafkasim matrix: --designs: {}: {}\n", text, error);
      return kExitBadInput;
    }
    designs.push_back(*d);
  }
  bool ok = true;
  auto scenarios = parse_all(cmd.files, err, ok);
  if (!ok) return kExitBadInput;
  std::vector<std::string> problems;
  if (!cmd.json_out.empty() && cmd.json_out != "-")
    if (auto why = reports::check_output_file(cmd.json_out, "--json"); !why.empty()) problems.push_back(why);
  if (!cmd.report_dir.empty())
    if (auto why = reports::check_output_dir(cmd.report_dir, "--report"); !why.empty()) problems.push_back(why);
  if (!problems.empty()) {
    for (const auto& p : problems) err << "kafkasim matrix: " << p << '\n';
    return kExitBadInput;
  }

  // One run per cell, J at a time.
  struct Cell {
    Scenario scenario;
    RunReport report;
  };
  std::vector<Cell> cells;
  for (const auto& s : scenarios)
    for (const auto& d : designs) {
      Cell c{s, {}};
      c.scenario.apply_design(d);
      c.report.not_applicable = control_plane_mismatch(c.scenario);
      if (cmd.seed) c.scenario.seed = *cmd.seed;
      cells.push_back(std::move(c));
    }
  for (const auto& c : cells)
    if (const std::string why = c.report.not_applicable.empty() ? sim::refuse_by_estimate(c.scenario) : "";
        !why.empty()) {
      err << why << '\n';
      return kExitBadInput;
    }
  std::vector<RunOptions> cell_options(cells.size());
  auto cell_dir = [&](std::size_t index) {
    return fmt::format("{}/{}", reports::path_component(scenarios[index / designs.size()].name),
                       reports::path_component(designs[index % designs.size()].label()));
  };
  std::vector<std::string> output_errors;
  // Each cell's folder is made before its child runs: the child writes the history there itself.
  if (!cmd.report_dir.empty())
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (!cells[i].report.not_applicable.empty()) continue;
      const std::string dir = cmd.report_dir + "/" + cell_dir(i);
      if (const std::string why = reports::check_output_dir(dir, "--report"); !why.empty())
        output_errors.push_back(why);
      else
        cell_options[i].history_path = dir + "/history.jsonl";
    }
  sim::ChildPool pool;
  std::size_t next = 0, done = 0;
  const bool live = ::isatty(STDERR_FILENO) != 0;
  while (next < cells.size() || pool.running() > 0) {
    while (next < cells.size() && static_cast<int>(pool.running()) < cmd.jobs) {
      if (!cells[next].report.not_applicable.empty()) {
        ++next;
        ++done;
        continue;
      }
      const Scenario* s = &cells[next].scenario;
      const RunOptions* o = &cell_options[next];
      pool.start(next, [s, o] { return child_body(*s, *o); }, wall_limit_s(*s));
      ++next;
    }
    if (pool.running() == 0) break;
    auto [tag, child] = pool.wait_one();
    cells[tag].report = read_child(child, cells[tag].scenario, cell_options[tag]);
    if (!cells[tag].report.output_error.empty())
      output_errors.push_back(fmt::format("{}: {}", cell_dir(tag), cells[tag].report.output_error));
    if (!cmd.report_dir.empty() && cells[tag].report.failure.empty() && !cell_options[tag].history_path.empty() &&
        cells[tag].report.output_error.empty())
      if (const std::string why = reports::write_html_report(cmd.report_dir + "/" + cell_dir(tag), cells[tag].scenario,
                                                             cells[tag].report.result, cells[tag].report.lines);
          !why.empty())
        output_errors.push_back(why);
    ++done;
    if (live) err << fmt::format("\r\x1b[2Kmatrix: {}/{} runs", done, cells.size()) << std::flush;
  }
  if (live) err << "\r\x1b[2K" << std::flush;

  // The table: rows scenarios, columns designs. A cell lists what broke; where that is not what the
  // scenario expects of that design (expect, expect.designs), it says what was expected.
  auto cell_text = [](const RunReport& r) -> std::string {
    if (!r.not_applicable.empty())
      return r.not_applicable.find("needs ZooKeeper") != std::string::npos ? "n/a (needs ZooKeeper)" : "n/a (needs KRaft)";
    if (!r.failure.empty()) return "SIMULATOR FAILURE";
    std::vector<std::string> found;
    for (const auto& v : r.result["violations"]) {
      const std::string p = v["property"].get<std::string>();
      if (std::find(found.begin(), found.end(), p) == found.end()) found.push_back(p);
    }
    std::string text = found.empty() ? "ok" : fmt::format("{}", fmt::join(found, ", "));
    if (r.result["verdict"] != "pass") {
      const auto expected = r.result["expected"].get<std::vector<std::string>>();
      text = fmt::format("FAIL {} (expected {})", text, expected.empty() ? "none" : fmt::format("{}", fmt::join(expected, ", ")));
    }
    return text;
  };
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"scenario"};
  for (const auto& d : designs) header.push_back(d.label());
  rows.push_back(header);
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    std::vector<std::string> row = {scenarios[i].name};
    for (std::size_t j = 0; j < designs.size(); ++j) row.push_back(cell_text(cells[i * designs.size() + j].report));
    rows.push_back(row);
  }
  std::vector<std::size_t> width(header.size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (std::size_t c = 0; c < rows[r].size(); ++c)
      line += fmt::format("{:<{}}{}", rows[r][c], width[c], c + 1 < rows[r].size() ? "  " : "");
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
    if (r == 0) {
      std::string rule;
      for (std::size_t c = 0; c < width.size(); ++c) rule += std::string(width[c], '-') + (c + 1 < width.size() ? "  " : "");
      out << rule << '\n';
    }
  }

  bool any_fail = false, any_failure = false;
  nlohmann::ordered_json json;
  json["designs"] = nlohmann::ordered_json::array();
  for (const auto& d : designs) json["designs"].push_back(reports::design_json(d));
  json["rows"] = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    nlohmann::ordered_json row;
    row["scenario"] = scenarios[i].name;
    row["file"] = scenarios[i].file;
    row["cells"] = nlohmann::ordered_json::array();
    for (std::size_t j = 0; j < designs.size(); ++j) {
      const RunReport& r = cells[i * designs.size() + j].report;
      nlohmann::ordered_json cell;
      cell["design"] = designs[j].label();
      if (!r.not_applicable.empty()) {
        cell["not_applicable"] = r.not_applicable;
      } else if (!r.failure.empty()) {
        any_failure = true;
        err << fmt::format("{} under {}: simulator failure: {} ({})\n", scenarios[i].file, designs[j].label(), r.failure,
                           r.saved_replay.empty() ? r.save_error : "saved as " + r.saved_replay);
        cell["failure"] = r.failure;
        cell["saved"] = r.saved_replay.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.saved_replay);
      } else {
        any_fail = any_fail || r.result["verdict"] != "pass";
        cell["verdict"] = r.result["verdict"];
        std::vector<std::string> found;
        for (const auto& v : r.result["violations"]) {
          const std::string p = v["property"].get<std::string>();
          if (std::find(found.begin(), found.end(), p) == found.end()) found.push_back(p);
        }
        cell["violated"] = found;
        cell["result"] = r.result;
      }
      row["cells"].push_back(cell);
    }
    json["rows"].push_back(row);
  }
  if (!cmd.report_dir.empty()) {
    std::vector<std::string> design_names, scenario_names;
    for (const auto& d : designs) design_names.push_back(d.label());
    for (const auto& s : scenarios) scenario_names.push_back(s.name);
    std::vector<std::vector<reports::MatrixCell>> table(scenarios.size());
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const RunReport& r = cells[i].report;
      const std::string text = cell_text(r);
      const bool ran = r.not_applicable.empty();
      table[i / designs.size()].push_back(
          reports::MatrixCell{text, ran && r.failure.empty() ? cell_dir(i) + "/index.html" : "",
                              ran && (!r.failure.empty() || r.result["verdict"] != "pass")});
    }
    if (const std::string why = reports::write_matrix_report(cmd.report_dir, design_names, scenario_names, table); !why.empty())
      output_errors.push_back(why);
    else
      out << fmt::format("report: {}/index.html\n", cmd.report_dir);
  }
  if (!cmd.json_out.empty()) {
    const std::string text = json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    if (cmd.json_out == "-") out << text;
    else if (const std::string why = reports::write_file(cmd.json_out, text); !why.empty()) output_errors.push_back("--json: " + why);
  }
  for (const auto& e : output_errors) err << "kafkasim matrix: output error: " << e << '\n';
  if (any_failure) return kExitSimulatorFailure;
  if (!output_errors.empty()) return reports::kExitOutputError;
  return any_fail ? kExitFail : kExitPass;
}

}  // namespace kafkasim::cli
