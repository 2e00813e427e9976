// run / check / designs. Scenarios are all parsed before any runs, so a typo in the last file
// is reported before minutes of simulation; each run is a forked child.
#include <cmath>
#include <algorithm>
#include "cli/commands.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "checks/checkers.h"
#include "models/kafka_cluster.h"
#include "reports/html_report.h"
#include "reports/output_files.h"
#include "reports/replay_file.h"
#include "reports/result_json.h"
#include "sim/cost.h"
#include "sim/runner.h"
#include "sim/scheduler.h"
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
  world.set_record_messages(options.record_messages);
  if (options.progress)
    world.set_progress([](const sim::Progress& p) {
      std::fprintf(stderr, "\r\x1b[2K  running: %.1f s simulated (%s phase), %.0f events/s, %lld MiB, %.0f s wall",
                   to_seconds(p.simulated), p.simulated < p.fault_phase_end ? "fault" : "settle",
                   p.wall_s > 0 ? static_cast<double>(p.events) / p.wall_s : 0.0, static_cast<long long>(p.peak_mib),
                   p.wall_s);
      std::fflush(stderr);
    });
  world.set_pace_warning([progress = options.progress](const std::string& warning) {
    std::fprintf(stderr, "%skafkasim: %s\n", progress ? "\r\x1b[2K" : "", warning.c_str());
    std::fflush(stderr);
  });
  sim::RunOutcome outcome = world.run();
  if (options.progress && outcome.stats.wall_s >= 3.0) std::fprintf(stderr, "\r\x1b[2K"), std::fflush(stderr);
  nlohmann::ordered_json payload;
  std::vector<checks::Violation> violations;
  checks::LossStats losses;
  if (outcome.failure.empty()) {
    violations = checks::check_history(scenario, world.history());
    losses = checks::loss_stats(world.history());
    // Each violation goes into the history at its own time, so the narrative tells it where it happened.
    for (const auto& v : violations) {
      std::vector<std::int64_t> brokers(v.brokers.begin(), v.brokers.end());
      std::vector<sim::Field> fields = {{"property", v.property}, {"brokers", brokers}, {"detail", v.detail}};
      if (!v.partition.empty()) fields.push_back({"partition", v.partition});
      world.history().insert_at(v.time, "violation", std::move(fields));
    }
  }
  if (!options.history_path.empty()) {
    if (const std::string why = reports::write_file(options.history_path, world.history().to_jsonl()); !why.empty())
      payload["output_error"] = fmt::format("--history: {}", why);
  }
  payload["failure"] = outcome.failure;
  payload["result"] = reports::result_json(scenario, violations, outcome.stats, options.history_path, losses,
                                           checks::producer_accounts(world.history()));
  if (scenario.design.kraft()) {
    const checks::QuorumStats q = checks::quorum_stats(world.history());
    payload["result"]["stats"]["quorum_leader_changes"] = q.leader_changes;
    payload["result"]["stats"]["stale_metadata_s"] = std::round(q.stale_metadata_s * 1000.0) / 1000.0;
  }
  if (scenario.lesson && outcome.failure.empty()) {
    // A lesson: whether its run shows what it says to look for (the first time each occurs).
    nlohmann::ordered_json lesson = {{"step", scenario.lesson->step}, {"look_for", nlohmann::ordered_json::array()},
                                     {"questions", nlohmann::ordered_json::array()}};
    for (const auto& look : scenario.lesson->look_for) {
      nlohmann::ordered_json item = {{"text", look.text}, {"event", look.match.event}, {"seen_at", nullptr}};
      nlohmann::ordered_json fields = nlohmann::ordered_json::object();
      for (const auto& [key, value] : look.match.fields)
        fields[key] = std::visit([](const auto& x) { return sim::value_text(sim::Value(x)); }, value);
      item["fields"] = fields;
      for (const auto& e : world.history().events())
        if (sim::trigger_matches(look.match, e)) {
          item["seen_at"] = to_seconds(e.t);
          break;
        }
      lesson["look_for"].push_back(item);
    }
    for (const auto& q : scenario.lesson->questions) {
      nlohmann::ordered_json item = {{"ask", q.ask}, {"answer", q.answer}};
      if (q.try_design) item["try_design"] = *q.try_design;
      if (!q.try_config.empty()) {
        item["try_config"] = nlohmann::ordered_json::object();
        for (const auto& [k, v] : q.try_config) item["try_config"][k] = v;
      }
      lesson["questions"].push_back(item);
    }
    payload["result"]["lesson"] = lesson;
  }
  payload["digest"] = world.history().digest();
  nlohmann::ordered_json lines = nlohmann::ordered_json::array();
  for (const auto& l : reports::narrate_all(world.history(), options.explain))
    lines.push_back({l.t, l.text, static_cast<int>(l.tone), l.event});
  payload["narrative"] = lines;
  return payload.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

double wall_limit_s(const Scenario& scenario) {
  return static_cast<double>(scenario.config.integer("sim.max.wall.ms")) / 1000.0 + 10.0;
}

RunReport run_scenario(const Scenario& scenario, const RunOptions& options) {
  sim::ChildOutcome child = sim::run_in_child([&] { return child_body(scenario, options); }, wall_limit_s(scenario),
                                              memory_limit_mib(scenario));
  return read_child(child, scenario, options);
}

std::int64_t memory_limit_mib(const Scenario& scenario) {
  // The child checks its own size as it runs; the parent kills one that grows past the bound with room to
  // spare (an allocation burst between two of the child's own checks).
  return scenario.config.integer("sim.max.memory.mb") + 256;
}

RunReport read_child(const sim::ChildOutcome& child, const Scenario& scenario, const RunOptions& options) {
  RunReport report;
  if (child.completed) {
    try {
      auto payload = nlohmann::ordered_json::parse(child.payload);
      report.failure = payload["failure"].get<std::string>();
      report.output_error = payload.value("output_error", "");
      report.result = payload["result"];
      report.history_digest = payload["digest"].get<std::uint64_t>();
      for (const auto& l : payload["narrative"])
        report.lines.push_back({l[0].get<Micros>(), l[1].get<std::string>(), static_cast<reports::Tone>(l[2].get<int>()),
                                l.size() > 3 ? l[3].get<std::int64_t>() : -1});
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
      report.save_error = fmt::format("could not save the scenario for replay ({}); replay it with: kafkasim run {} --seed {} "
                                      "--design '{}'",
                                      e.what(), scenario.file, scenario.seed, scenario.design.label());
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
  for (const auto& s : scenarios) {
    const sim::CostEstimate cost = sim::estimate_cost(s);
    out << fmt::format("{}: ok ({}, {} event{}, design {}; a run costs roughly {:.2g} simulator events and {:.0f} MiB)\n",
                       s.file, s.name, s.events.size(), s.events.size() == 1 ? "" : "s", s.design.label(), cost.events,
                       cost.memory_mib);
    if (const std::string why = sim::refuse_by_estimate(s); !why.empty()) {
      err << why << '\n';
      ok = false;
    }
  }
  return ok ? kExitPass : kExitBadInput;
}

void print_failure(std::ostream& err, const Scenario& s, const RunReport& r) {
  err << fmt::format("{}: simulator failure: {}\n", s.file, r.failure);
  if (!r.saved_replay.empty()) err << fmt::format("{}: the scenario is saved for replay as {}\n", s.file, r.saved_replay);
  else err << fmt::format("{}: {}\n", s.file, r.save_error);
}

int command_run(const RunCommand& cmd, std::ostream& out, std::ostream& err) {
  std::optional<Design> design;
  if (cmd.design) {
    std::string error;
    design = parse_design_flag(*cmd.design, error);
    if (!design) {
      err << "kafkasim run: --design: " << error << '\n';
      return kExitBadInput;
    }
  }
  bool ok = true;
  auto scenarios = parse_all(cmd.files, err, ok);
  if (!ok) return kExitBadInput;
  bool too_large = false;
  for (auto& s : scenarios) {
    if (design) s.apply_design(*design);
    if (cmd.seed) s.seed = *cmd.seed;
    if (const std::string why = control_plane_mismatch(s); !why.empty()) {
      err << fmt::format("{}: {}\n", s.file, why);
      return kExitBadInput;
    }
    if (const std::string why = sim::refuse_by_estimate(s); !why.empty()) {
      err << why << '\n';
      too_large = true;
    }
  }
  if (too_large) return kExitBadInput;
  // Where every output goes, checked before anything runs.
  const bool json_to_stdout = cmd.json_out == "-";
  const bool one = scenarios.size() == 1;
  std::vector<std::string> history_paths(scenarios.size()), report_dirs(scenarios.size());
  std::vector<std::string> problems;
  if (!cmd.json_out.empty() && !json_to_stdout)
    if (auto why = reports::check_output_file(cmd.json_out, "--json"); !why.empty()) problems.push_back(why);
  const bool history_is_file = one && cmd.history_dir.ends_with(".jsonl");
  if (!cmd.history_dir.empty()) {
    auto why = history_is_file ? reports::check_output_file(cmd.history_dir, "--history")
                               : reports::check_output_dir(cmd.history_dir, "--history");
    if (!why.empty()) problems.push_back(why);
  }
  if (!cmd.report_dir.empty())
    if (auto why = reports::check_output_dir(cmd.report_dir, "--report"); !why.empty()) problems.push_back(why);
  std::set<std::string> taken;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const Scenario& s = scenarios[i];
    std::string stem = fmt::format("{}-seed{}", s.name, s.seed);
    for (int k = 2; taken.count(stem); ++k) stem = fmt::format("{}-seed{}-{}", s.name, s.seed, k);
    taken.insert(stem);
    if (!cmd.history_dir.empty()) history_paths[i] = history_is_file ? cmd.history_dir : fmt::format("{}/{}.jsonl", cmd.history_dir, stem);
    if (!cmd.report_dir.empty()) {
      report_dirs[i] = one ? cmd.report_dir : fmt::format("{}/{}", cmd.report_dir, stem);
      if (!one)
        if (auto why = reports::check_output_dir(report_dirs[i], "--report"); !why.empty()) problems.push_back(why);
      if (history_paths[i].empty()) history_paths[i] = report_dirs[i] + "/history.jsonl";
    }
  }
  if (!problems.empty()) {
    for (const auto& p : problems) err << "kafkasim run: " << p << '\n';
    return kExitBadInput;
  }

  // With the JSON on standard output, the narrative goes to standard error.
  std::ostream& human = json_to_stdout ? err : out;
  const bool colour = use_colour(json_to_stdout ? STDERR_FILENO : STDOUT_FILENO);
  std::vector<std::string> json_lines;
  bool any_fail = false, any_failure = false;
  std::vector<std::string> output_errors;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    Scenario& s = scenarios[i];
    RunOptions options;
    options.explain = cmd.explain;
    options.history_path = history_paths[i];
    options.progress = ::isatty(STDERR_FILENO) != 0;
    const std::string& report_dir = report_dirs[i];
    options.record_messages = !report_dir.empty();  // the report's message diagram
    human << fmt::format("{}{}{} ({}, seed {}, design {})\n", colour ? "\x1b[1m" : "", s.name, colour ? "\x1b[0m" : "",
                         s.file, s.seed, s.design.label());
    human << "  " << s.summary << "\n";
    human.flush();
    RunReport r = run_scenario(s, options);
    for (const auto& line : r.lines) human << "  " << reports::format_line(line, colour) << '\n';
    if (!r.failure.empty()) {
      any_failure = true;
      print_failure(err, s, r);
      human << fmt::format("  verdict: SIMULATOR FAILURE\n\n");
      continue;
    }
    if (!r.output_error.empty()) output_errors.push_back(fmt::format("{}: {}", s.file, r.output_error));
    const auto& res = r.result;
    if (!report_dir.empty() && r.output_error.empty()) {
      std::error_code ec;
      if (options.history_path != report_dir + "/history.jsonl")
        std::filesystem::copy_file(options.history_path, report_dir + "/history.jsonl",
                                   std::filesystem::copy_options::overwrite_existing, ec);
      std::string why = ec ? fmt::format("--report: cannot copy the history into {}: {}", report_dir, ec.message())
                           : reports::write_html_report(report_dir, s, res, r.lines);
      if (!why.empty()) output_errors.push_back(fmt::format("{}: {}", s.file, why));
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
    const bool by_design = std::any_of(s.expected_by_design.begin(), s.expected_by_design.end(),
                                       [&](const DesignExpectation& e) { return e.design.same_as(s.design); });
    if (by_design) expected += fmt::format(" for {}", s.design.label());
    human << fmt::format("  verdict: {}{}{}  ({}; {})\n", colour ? (pass ? "\x1b[1;32m" : "\x1b[1;31m") : "",
                         pass ? "PASS" : "FAIL", colour ? "\x1b[0m" : "", violated, expected);
    human << fmt::format("  {:.3f} s simulated in {:.3f} s wall, {} events, {} messages; checked: {}\n",
                         st["simulated_s"].get<double>(), st["wall_s"].get<double>(), st["events"].get<std::int64_t>(),
                         st["messages"].get<std::int64_t>(), fmt::join(res["checked"].get<std::vector<std::string>>(), ", "));
    if (res.contains("lesson")) {
      std::vector<std::string> missing;
      for (const auto& l : res["lesson"]["look_for"])
        if (l["seen_at"].is_null()) missing.push_back(l["text"].get<std::string>());
      const std::size_t total = res["lesson"]["look_for"].size();
      human << fmt::format("  lesson, step {}: {} of {} things to look for happen{}\n", res["lesson"]["step"].get<int>(),
                           total - missing.size(), total, missing.empty() ? "" : fmt::format(" (not: {})", fmt::join(missing, "; ")));
    }
    if (!report_dir.empty() && output_errors.empty()) human << fmt::format("  report: {}/index.html\n", report_dir);
    human << '\n';
    json_lines.push_back(res.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  }
  // JSON Lines: one result object per line (for one run, the file is that one object).
  if (!cmd.json_out.empty()) {
    std::string text;
    for (const auto& l : json_lines) text += l + '\n';
    if (json_to_stdout) {
      out << text << std::flush;
    } else if (auto why = reports::write_file(cmd.json_out, text); !why.empty()) {
      output_errors.push_back("--json: " + why);
    }
  }
  for (const auto& e : output_errors) err << "kafkasim run: output error: " << e << '\n';
  if (any_failure) return kExitSimulatorFailure;
  if (!output_errors.empty()) return reports::kExitOutputError;
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
