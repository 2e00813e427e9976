// run / check / designs. Scenarios are all parsed before any runs, so a typo in the last file
// is reported before minutes of simulation; each run is a forked child.
#include <algorithm>
#include "cli/commands.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "checks/checkers.h"
#include "models/kafka_cluster.h"
#include "reports/html_report.h"
#include "reports/replay_file.h"
#include "reports/result_json.h"
#include "sim/runner.h"
#include "sim/world.h"

namespace kafkasim::cli {

bool use_colour(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string(term) == "dumb") return false;
  return ::isatty(fd) != 0;
}

// What the child sends back: the result, the narrative, the digest, or the failure.
std::string child_body(const Scenario& scenario, const RunOptions& options) {
  models::KafkaCluster model;
  sim::World world(scenario, model);
  sim::RunOutcome outcome = world.run();
  nlohmann::ordered_json payload;
  std::vector<checks::Violation> violations;
  checks::LossStats losses;
  if (outcome.failure.empty()) {
    violations = checks::check_history(scenario, world.history());
    losses = checks::loss_stats(world.history());
    for (const auto& v : violations) {
      std::vector<std::int64_t> brokers(v.brokers.begin(), v.brokers.end());
      std::vector<sim::Field> fields = {{"property", v.property}, {"brokers", brokers}, {"detail", v.detail}};
      if (!v.partition.empty()) fields.push_back({"partition", v.partition});
      world.history().record(outcome.stats.simulated, "violation", std::move(fields));
    }
  }
  if (!options.history_path.empty()) {
    std::filesystem::path p(options.history_path);
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
    std::ofstream out(options.history_path);
    world.history().write_jsonl(out);
  }
  payload["failure"] = outcome.failure;
  payload["result"] = reports::result_json(scenario, violations, outcome.stats, options.history_path, losses);
  payload["digest"] = world.history().digest();
  nlohmann::ordered_json lines = nlohmann::ordered_json::array();
  for (const auto& l : reports::narrate_all(world.history(), options.explain))
    lines.push_back({l.t, l.text, static_cast<int>(l.tone)});
  payload["narrative"] = lines;
  return payload.dump();
}

double wall_limit_s(const Scenario& scenario) {
  return static_cast<double>(scenario.config.integer("sim.max.wall.ms")) / 1000.0 + 10.0;
}

RunReport run_scenario(const Scenario& scenario, const RunOptions& options) {
  sim::ChildOutcome child = sim::run_in_child([&] { return child_body(scenario, options); }, wall_limit_s(scenario));
  return read_child(child, scenario, options);
}

RunReport read_child(const sim::ChildOutcome& child, const Scenario& scenario, const RunOptions& options) {
  RunReport report;
  if (child.completed) {
    try {
      auto payload = nlohmann::ordered_json::parse(child.payload);
      report.failure = payload["failure"].get<std::string>();
      report.result = payload["result"];
      report.history_digest = payload["digest"].get<std::uint64_t>();
      for (const auto& l : payload["narrative"])
        report.lines.push_back({l[0].get<Micros>(), l[1].get<std::string>(), static_cast<reports::Tone>(l[2].get<int>())});
    } catch (const std::exception& e) {
      report.failure = fmt::format("the simulator sent back a result that could not be read ({})", e.what());
    }
  } else {
    report.failure = child.describe();
  }
  if (!report.failure.empty()) {
    std::vector<std::string> comments = {
        fmt::format("kafkasim: saved for replay after a simulator failure: {}", report.failure),
        fmt::format("original file: {}", scenario.file),
        fmt::format("replay: kafkasim run <this file>")};
    try {
      report.saved_replay = reports::save_replay(scenario, options.failures_dir, comments);
    } catch (const std::exception& e) {
      report.saved_replay = fmt::format("(could not save: {})", e.what());
    }
  }
  return report;
}

std::vector<Scenario> parse_all(const std::vector<std::string>& files, std::ostream& err, bool& ok) {
  std::vector<Scenario> out;
  ok = true;
  for (const auto& f : files) {
    try {
      out.push_back(parse_scenario_file(f));
    } catch (const InputError& e) {
      err << e.what() << '\n';
      ok = false;
    }
  }
  return out;
}

int command_check(const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  bool ok = true;
  auto scenarios = parse_all(files, err, ok);
  for (const auto& s : scenarios)
    out << fmt::format("{}: ok ({}, {} event{}, design {})\n", s.file, s.name, s.events.size(),
                       s.events.size() == 1 ? "" : "s", s.design.label());
  return ok ? kExitPass : kExitBadInput;
}

int command_run(const RunCommand& cmd, std::ostream& out, std::ostream& err) {
  std::optional<Design> design;
  if (cmd.design) {
    std::string error;
    design = parse_design_flag(*cmd.design, error);
    if (!design) {
      err << "kafkasim: --design: " << error << '\n';
      return kExitBadInput;
    }
  }
  bool ok = true;
  auto scenarios = parse_all(cmd.files, err, ok);
  if (!ok) return kExitBadInput;

  const bool colour = use_colour(STDOUT_FILENO);
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  bool any_fail = false, any_failure = false;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    Scenario& s = scenarios[i];
    if (design) s.apply_design(*design);
    if (cmd.seed) s.seed = *cmd.seed;
    if (s.design.get("metadata") == "kraft") {
      err << fmt::format("{}: design metadata=kraft is not modelled yet (version 1 models ZooKeeper mode)\n", s.file);
      return kExitBadInput;
    }
    RunOptions options;
    options.explain = cmd.explain;
    if (!cmd.history_dir.empty())
      options.history_path = scenarios.size() == 1 && cmd.history_dir.ends_with(".jsonl")
                                 ? cmd.history_dir
                                 : fmt::format("{}/{}-seed{}.jsonl", cmd.history_dir, s.name, s.seed);
    std::string report_dir;
    if (!cmd.report_dir.empty()) {
      report_dir = scenarios.size() == 1 ? cmd.report_dir : fmt::format("{}/{}-seed{}", cmd.report_dir, s.name, s.seed);
      if (options.history_path.empty()) options.history_path = report_dir + "/history.jsonl";
    }
    out << fmt::format("{}{}{} ({}, seed {}, design {})\n", colour ? "\x1b[1m" : "", s.name, colour ? "\x1b[0m" : "",
                       s.file, s.seed, s.design.label());
    out << "  " << s.summary << "\n";
    out.flush();
    RunReport r = run_scenario(s, options);
    for (const auto& line : r.lines) out << "  " << reports::format_line(line, colour) << '\n';
    if (!r.failure.empty()) {
      any_failure = true;
      err << fmt::format("{}: simulator failure: {}\n", s.file, r.failure);
      err << fmt::format("{}: the scenario is saved for replay as {}\n", s.file, r.saved_replay);
      out << fmt::format("  verdict: SIMULATOR FAILURE\n\n");
      continue;
    }
    const auto& res = r.result;
    if (!report_dir.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(report_dir, ec);
      if (options.history_path != report_dir + "/history.jsonl")
        std::filesystem::copy_file(options.history_path, report_dir + "/history.jsonl",
                                   std::filesystem::copy_options::overwrite_existing, ec);
      reports::write_html_report(report_dir, s, res, r.lines);
    }
    std::vector<std::string> found;
    for (const auto& v : res["violations"]) {
      const std::string property = v["property"].get<std::string>();
      if (std::find(found.begin(), found.end(), property) == found.end()) found.push_back(property);
    }
    const bool pass = res["verdict"] == "pass";
    any_fail = any_fail || !pass;
    const auto& st = res["stats"];
    std::string violated = found.empty() ? "no violation" : fmt::format("violated: {}", fmt::join(found, ", "));
    std::string expected = res["expected"].empty()
                               ? "expected none"
                               : fmt::format("expected: {}", fmt::join(res["expected"].get<std::vector<std::string>>(), ", "));
    out << fmt::format("  verdict: {}{}{}  ({}; {})\n", colour ? (pass ? "\x1b[1;32m" : "\x1b[1;31m") : "",
                       pass ? "PASS" : "FAIL", colour ? "\x1b[0m" : "", violated, expected);
    out << fmt::format("  {:.3f} s simulated in {:.3f} s wall, {} events, {} messages; checked: {}\n",
                       st["simulated_s"].get<double>(), st["wall_s"].get<double>(), st["events"].get<std::int64_t>(),
                       st["messages"].get<std::int64_t>(), fmt::join(res["checked"].get<std::vector<std::string>>(), ", "));
    if (!report_dir.empty()) out << fmt::format("  report: {}/index.html\n", report_dir);
    out << '\n';
    results.push_back(res);
  }
  if (!cmd.json_out.empty()) {
    std::ofstream f(cmd.json_out);
    if (!f) {
      err << fmt::format("kafkasim: --json: cannot write {}\n", cmd.json_out);
      return kExitBadInput;
    }
    f << (results.size() == 1 && scenarios.size() == 1 ? results[0] : results).dump(2) << '\n';
  }
  if (any_failure) return kExitSimulatorFailure;
  return any_fail ? kExitFail : kExitPass;
}

int command_designs(std::ostream& out) {
  out << "Presets (design: NAME, or design: {base: NAME, switch: value}):\n";
  for (const auto& p : all_presets()) {
    out << fmt::format("  {:<11} {}\n", p.name, p.summary);
    std::vector<std::string> on;
    for (const auto& s : all_switches()) {
      const auto& v = p.switches.at(s.name);
      if (v != s.values.front()) on.push_back(fmt::format("{}={}", s.name, v));
    }
    out << fmt::format("  {:<11}   switches: {}\n", "", on.empty() ? "none (all as before the fixes)" : fmt::format("{}", fmt::join(on, ", ")));
    if (!p.config_defaults.empty()) {
      std::vector<std::string> d;
      for (const auto& [k, v] : p.config_defaults) d.push_back(fmt::format("{}={}", k, v));
      out << fmt::format("  {:<11}   defaults: {}\n", "", fmt::join(d, ", "));
    }
  }
  out << "\nSwitches (values: the old behaviour first):\n";
  for (const auto& s : all_switches()) {
    std::vector<std::string> values(s.values.begin(), s.values.end());
    out << fmt::format("  {:<31} {}\n  {:<31}   {}; {}\n", s.name, fmt::join(values, " | "), "", s.what_changes, s.history);
  }
  return kExitPass;
}

}  // namespace kafkasim::cli
