// The shared parts of an explore run (explore/runs.h): the scenario text, the forked child, batches.
#include "explore/runs.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checks/checkers.h"
#include "cli/commands.h"
#include "explore/classes.h"
#include "explore/systematic.h"
#include "models/kafka_cluster.h"
#include "reports/output_files.h"
#include "sim/world.h"

namespace kafkasim::explore {

using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

// ---- the base scenario -------------------------------------------------------------------------------

namespace {
std::string emit(const YAML::Node& doc) {
  YAML::Emitter e;
  e << doc;
  return e.c_str();
}
}  // namespace

// A runnable scenario: the base, this run's seed, and the generated events.
std::string scenario_text(const Base& base, std::uint64_t seed, const std::vector<std::string>& event_lines,
                          const std::vector<std::string>& comments, const std::string& name, const std::string& summary) {
  YAML::Node doc = YAML::Clone(base.doc);
  doc["seed"] = seed;
  if (!name.empty()) doc["name"] = name;
  if (!summary.empty()) doc["summary"] = summary;
  std::string text;
  for (const auto& c : comments) text += "# " + c + "\n";
  text += emit(doc) + "\n";
  if (event_lines.empty()) {
    text += "events: []\n";
  } else {
    text += "events:\n";
    for (const auto& l : event_lines) text += l + "\n";
  }
  text += "expect: {violations: []}\n";
  return text;
}

// ---- one run in a child ------------------------------------------------------------------------------

std::string child_body(const Scenario& scenario, bool probe, bool digest) {
  models::KafkaCluster model;
  sim::World world(scenario, model);
  sim::RunOutcome outcome = world.run();
  json p;
  p["failure"] = outcome.failure;
  json violations = json::array();
  std::vector<std::string> classes;
  json moments = json::object();
  Coverage coverage = coverage_of(world.history());
  if (outcome.failure.empty()) {
    const auto found = checks::check_history(scenario, world.history());
    for (const auto& v : found)
      violations.push_back({v.property, fmt::format("{}{}", v.partition.empty() ? "" : v.partition + ": ", v.detail)});
    Analysis a = analyse(scenario, world.history(), found);
    classes = std::move(a.classes);
    coverage.insert(a.marks.begin(), a.marks.end());
    for (const auto& [mark, m] : a.moments) moments[mark] = moment_json(m);
  }
  p["violations"] = violations;
  p["classes"] = classes;
  p["coverage"] = coverage;
  p["moments"] = moments;
  p["digest"] = digest ? world.history().digest() : 0;
  if (probe) p["probe"] = systematic_probe(scenario, world.history());
  return p.dump();
}

using cli::wall_limit_s;

RunResult read_outcome(const sim::ChildOutcome& child, const std::set<std::string>& expected) {
  RunResult r;
  if (!child.completed) {
    r.failed = true;
    r.failure = child.describe();
    return r;
  }
  try {
    auto p = json::parse(child.payload);
    r.failure = p["failure"].get<std::string>();
    r.failed = !r.failure.empty();
    for (const auto& v : p["violations"]) {
      const std::string property = v[0].get<std::string>();
      if (expected.count(property) || std::find(r.properties.begin(), r.properties.end(), property) != r.properties.end())
        continue;
      r.properties.push_back(property);
      r.details.push_back(v[1].get<std::string>());
    }
    for (const auto& c : p["classes"]) r.classes.push_back(c.get<std::string>());
    for (const auto& [k, v] : p["coverage"].items()) r.coverage[k] = v.get<std::int64_t>();
    for (const auto& [mark, m] : p["moments"].items())
      if (auto moment = moment_of(m)) r.moments[mark] = std::move(*moment);
    r.digest = p["digest"].get<std::uint64_t>();
    if (p.contains("probe")) r.probe = p["probe"];
  } catch (const std::exception& e) {
    r.failed = true;
    r.failure = fmt::format("the simulator sent back a result that could not be read ({})", e.what());
  }
  return r;
}

Prepared prepare(const Base& base, std::uint64_t seed, const Schedule& schedule, const std::vector<std::string>& kinds) {
  Prepared p;
  const auto lines = event_lines(schedule, base.ctx, kinds);
  p.events = lines.size();
  p.text = scenario_text(base, seed, lines);
  try {
    p.scenario = parse_scenario_text(p.text, fmt::format("explore-seed{}.yaml", seed));
  } catch (const InputError& e) {
    p.parse_error = fmt::format("a generated schedule did not parse (a bug in explore's generators): {}", e.what());
  }
  return p;
}

// Where a child's standard error goes; kept (renamed next to the saved scenario) only when the run failed.
std::string stderr_file(const std::string& out_dir, std::uint64_t tag) { return fmt::format("{}/.child-{}.stderr", out_dir, tag); }

// Keeps a failed child's standard error beside its saved scenario; drops the others'.
std::string keep_stderr(const std::string& from, const std::string& scenario_file, bool failed) {
  std::error_code ec;
  if (!failed || std::filesystem::file_size(from, ec) == 0 || ec) {
    std::filesystem::remove(from, ec);
    return "";
  }
  const std::string to = scenario_file.substr(0, scenario_file.size() - 5) + ".stderr.txt";
  std::filesystem::rename(from, to, ec);
  return ec ? "" : to;
}

// The first SIGINT or SIGTERM explore received (0: none); a second one ends the process at once.
volatile std::sig_atomic_t g_signal = 0;  // declared in explore/runs.h

// Runs the scenarios, up to `jobs` at a time; results in the same order. Returns early (with `*interrupted`
// set and the children killed) when a signal arrives.
std::vector<RunResult> run_batch(const std::vector<const Prepared*>& runs, int jobs, const std::set<std::string>& expected,
                                 const std::string& out_dir, std::vector<std::string>* stderr_files,
                                 bool* interrupted, bool probe) {
  std::vector<RunResult> out(runs.size());
  sim::ChildPool pool;
  std::size_t next = 0;
  while (next < runs.size() || pool.running() > 0) {
    while (next < runs.size() && static_cast<int>(pool.running()) < jobs) {
      const Prepared* p = runs[next];
      if (!p->scenario) {
        out[next].failed = true;
        out[next].failure = p->parse_error;
      } else {
        pool.start(next, [p, probe] { return child_body(*p->scenario, probe); }, wall_limit_s(*p->scenario), stderr_file(out_dir, next),
                   cli::memory_limit_mib(*p->scenario));
      }
      ++next;
    }
    if (pool.running() == 0) continue;
    auto done = pool.wait_one_or_stop(&g_signal);
    if (!done) {
      pool.kill_all();
      for (std::size_t i = 0; i < runs.size(); ++i) keep_stderr(stderr_file(out_dir, i), "", false);
      if (interrupted) *interrupted = true;
      return out;
    }
    out[done->first] = read_outcome(done->second, expected);
  }
  if (stderr_files) stderr_files->clear();
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (!out[i].failed) {
      keep_stderr(stderr_file(out_dir, i), "", false);
      if (stderr_files) stderr_files->push_back("");
    } else if (stderr_files) {
      stderr_files->push_back(stderr_file(out_dir, i));
    }
  }
  return out;
}

Replayed replay_file(const std::string& file, const std::string& text, const Base& base, const std::string& out_dir) {
  Replayed out;
  try {
    Prepared replay;
    replay.text = text;
    replay.scenario = parse_scenario_file(file);
    out.result = run_batch({&replay}, 1, base.expected, out_dir, nullptr, &out.stopped)[0];
  } catch (const InputError& e) {
    out.parse_error = fmt::format("the written file does not parse: {}", e.what());
  }
  return out;
}

void put_coverage(json& summary, Coverage& times, Coverage& runs, const std::vector<std::string>& faults, bool kraft,
                  bool groups) {
  for (const auto& key : coverage_keys(faults, kraft, groups)) {
    times[key] += 0;
    runs[key] += 0;
  }
  summary["coverage"] = times;
  summary["coverage_runs"] = runs;
}

int finish_search(std::ostream& out, std::ostream& err, const std::string& summary_path, const std::string& summary_error,
                  std::int64_t runs, bool simulator_failures, std::optional<bool> class_found, bool found) {
  if (!summary_error.empty()) {
    err << "kafkasim explore: output error: " << summary_error << '\n';
    return reports::kExitOutputError;
  }
  out << fmt::format("summary: {}\n", summary_path);
  if (g_signal) {
    err << fmt::format("kafkasim explore: interrupted ({}): {} runs done; the summary and every counterexample are written\n",
                       g_signal == SIGTERM ? "SIGTERM" : "SIGINT", runs);
    return g_signal == SIGTERM ? 143 : 130;
  }
  if (simulator_failures) return 3;
  if (class_found) return *class_found ? 1 : 0;
  return found ? 1 : 0;
}

// ---- signals and progress --------------------------------------------------------------------------

SignalScope::SignalScope() {
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = [](int sig) {
    if (g_signal != 0) ::_exit(128 + sig);  // a second signal: at once (children die with their parent)
    g_signal = sig;
  };
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);
}

SignalScope::~SignalScope() {
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
}

void Progress::show(const std::string& line) {
  if (!live_) return;
  const auto now = Clock::now();
  if (now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  err_ << "\r\x1b[2K" << line << std::flush;
}

void Progress::clear() {
  if (live_) err_ << "\r\x1b[2K" << std::flush;
}

void Progress::note(const std::string& line) {
  clear();
  err_ << line << '\n' << std::flush;
}

}  // namespace kafkasim::explore
