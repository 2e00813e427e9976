// The explore search. Run k of shard I of N uses seed S + I + k*N; its seed draws the fault kinds it
// uses (swarm testing), its schedule (RapidCheck) and the simulation's own randomness. Every run is a
// forked child, J at a time. After the search, the first violating run of each property is shrunk along
// RapidCheck's shrink tree (J candidates at a time, keeping the first in tree order that still violates
// the same property), written as a scenario, and re-run from the file before it is reported.
#include "explore/search.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "checks/checkers.h"
#include "explore/coverage.h"
#include "explore/schedule.h"
#include "models/kafka_cluster.h"
#include "reports/replay_file.h"
#include "reports/result_json.h"
#include "scenario/scenario.h"
#include "sim/random.h"
#include "sim/runner.h"
#include "sim/world.h"

namespace kafkasim::explore {

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

constexpr int kExitPass = 0, kExitFound = 1, kExitBadInput = 2, kExitSimulatorFailure = 3;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// ---- the base scenario -------------------------------------------------------------------------------

struct Base {
  std::string label;       // the file, or "built-in default"
  YAML::Node doc;          // the base without events and expect; design set
  Scenario scenario;       // parsed with the chosen design
  ScheduleContext ctx;
  std::set<std::string> expected;  // BASE's expected violations: not counted as found
};

std::string emit(const YAML::Node& doc) {
  YAML::Emitter e;
  e << doc;
  return e.c_str();
}

// A runnable scenario: the base, this run's seed, and the generated events.
std::string scenario_text(const Base& base, std::uint64_t seed, const std::vector<std::string>& event_lines,
                          const std::vector<std::string>& comments = {}, const std::string& name = "",
                          const std::string& summary = "") {
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

struct RunResult {
  bool failed = false;
  std::string failure;
  std::vector<std::string> properties;  // violated, not expected by the base, in checker order
  std::vector<std::string> details;     // the first violation's detail of each property
  Coverage coverage;
  std::uint64_t digest = 0;
};

std::string child_body(const Scenario& scenario) {
  models::KafkaCluster model;
  sim::World world(scenario, model);
  sim::RunOutcome outcome = world.run();
  json p;
  p["failure"] = outcome.failure;
  json violations = json::array();
  if (outcome.failure.empty())
    for (const auto& v : checks::check_history(scenario, world.history()))
      violations.push_back({v.property, fmt::format("{}{}", v.partition.empty() ? "" : v.partition + ": ", v.detail)});
  p["violations"] = violations;
  p["coverage"] = coverage_of(world.history());
  p["digest"] = world.history().digest();
  return p.dump();
}

double wall_limit_s(const Scenario& s) { return static_cast<double>(s.config.integer("sim.max.wall.ms")) / 1000.0 + 10.0; }

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
    for (const auto& [k, v] : p["coverage"].items()) r.coverage[k] = v.get<std::int64_t>();
    r.digest = p["digest"].get<std::uint64_t>();
  } catch (const std::exception& e) {
    r.failed = true;
    r.failure = fmt::format("the simulator sent back a result that could not be read ({})", e.what());
  }
  return r;
}

// A prepared run: its text, and the parsed scenario (or why the text did not parse: a generator bug).
struct Prepared {
  std::string text;
  std::size_t events = 0;
  std::optional<Scenario> scenario;
  std::string parse_error;
};

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

// Runs the scenarios, up to `jobs` at a time; results in the same order.
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

std::vector<RunResult> run_batch(const std::vector<const Prepared*>& runs, int jobs, const std::set<std::string>& expected,
                                 const std::string& out_dir, std::vector<std::string>* stderr_files = nullptr) {
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
        pool.start(next, [p] { return child_body(*p->scenario); }, wall_limit_s(*p->scenario), stderr_file(out_dir, next));
      }
      ++next;
    }
    if (pool.running() == 0) continue;
    auto [tag, child] = pool.wait_one();
    out[tag] = read_outcome(child, expected);
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

// ---- progress ----------------------------------------------------------------------------------------

class Progress {
 public:
  Progress(bool live, std::ostream& err) : live_(live), err_(err) {}
  void show(const std::string& line) {
    if (!live_) return;
    const auto now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    err_ << "\r\x1b[2K" << line << std::flush;
  }
  void clear() {
    if (live_) err_ << "\r\x1b[2K" << std::flush;
  }
  // A line that stays (a found violation): printed on a terminal and off it.
  void note(const std::string& line) {
    clear();
    err_ << line << '\n' << std::flush;
  }

 private:
  bool live_;
  std::ostream& err_;
  Clock::time_point last_{};
};

// ---- shrinking ---------------------------------------------------------------------------------------

struct ShrinkOutcome {
  Schedule schedule;
  int candidate_runs = 0;
  bool bounded = false;  // stopped by max_shrink_runs, not by a local minimum
};

ShrinkOutcome shrink(const Base& base, std::uint64_t seed, const std::vector<std::string>& kinds, const std::string& property,
                     const ExploreOptions& options, Progress& progress, std::vector<json>& failures, const std::string& out_dir) {
  rc::Shrinkable<Schedule> current = draw_schedule(base.ctx, seed);
  ShrinkOutcome result;
  const std::size_t before = current.value().size();
  while (true) {
    rc::Seq<rc::Shrinkable<Schedule>> candidates = current.shrinks();
    bool improved = false;
    while (!improved) {
      if (result.candidate_runs >= options.max_shrink_runs) {
        result.bounded = true;
        break;
      }
      std::vector<rc::Shrinkable<Schedule>> batch;
      std::vector<Prepared> prepared;
      while (static_cast<int>(batch.size()) < options.jobs) {
        auto next = candidates.next();
        if (!next) break;
        batch.push_back(*next);
      }
      if (batch.empty()) break;
      for (const auto& c : batch) prepared.push_back(prepare(base, seed, c.value(), kinds));
      std::vector<const Prepared*> ptrs;
      for (const auto& p : prepared) ptrs.push_back(&p);
      std::vector<std::string> stderr_files;
      auto results = run_batch(ptrs, options.jobs, base.expected, out_dir, &stderr_files);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (results[i].failed) {
          const std::string file =
              fmt::format("{}/simulator-failure-{}-shrink{}.yaml", out_dir, seed, result.candidate_runs + static_cast<int>(i));
          keep_stderr(stderr_files[i], file, true);
          std::ofstream(file) << "# kafkasim explore: simulator failure while shrinking: " << results[i].failure << "\n" << prepared[i].text;
          failures.push_back(json{{"seed", seed}, {"file", std::filesystem::path(file).filename().string()}, {"reason", results[i].failure}});
          progress.note(fmt::format("simulator failure while shrinking seed {}: {} (saved as {})", seed, results[i].failure, file));
          continue;
        }
        if (std::find(results[i].properties.begin(), results[i].properties.end(), property) != results[i].properties.end()) {
          current = batch[i];
          improved = true;
          break;
        }
      }
      result.candidate_runs += static_cast<int>(batch.size());
      progress.show(fmt::format("shrinking {} (seed {}): {} -> {} events, {} candidate runs", property, seed, before,
                                current.value().size(), result.candidate_runs));
    }
    if (!improved) break;
  }
  result.schedule = current.value();
  return result;
}

// ---- flags -------------------------------------------------------------------------------------------

bool is_fault_kind(const std::string& k) {
  for (auto f : all_fault_kinds())
    if (f == k) return true;
  return false;
}


}  // namespace

const std::string& default_base_text() {
  static const std::string text =
      "name: explore-default\n"
      "summary: \"explore's built-in base: 3 brokers, topic t with 3 partitions (RF 3, min.insync.replicas 2), an "
      "acks=all producer at 20/s and a consumer, 20 s of faults\"\n"
      "duration: 20s\n"
      "design: latest\n"
      "cluster: {brokers: 3}\n"
      "config: {min.insync.replicas: 2}\n"
      "topics: [{name: t, partitions: 3, replication.factor: 3}]\n"
      "producers: [{id: p1, topic: t, acks: all, rate: 20/s}]\n"
      "consumers: [{id: c1, topic: t}]\n"
      "events: []\n";
  return text;
}

bool parse_shard(const std::string& text, int& index, int& count, std::string& error) {
  const auto slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    std::size_t used = 0;
    index = std::stoi(text.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("index");
    const std::string n = text.substr(slash + 1);
    count = std::stoi(n, &used);
    if (used != n.size()) throw std::invalid_argument("count");
  } catch (const std::exception&) {
    error = fmt::format("'{}' is not I/N (shard I of N, counting from 0, e.g. 0/4)", text);
    return false;
  }
  if (count < 1 || index < 0 || index >= count) {
    error = fmt::format("'{}': the shard index must be from 0 to N-1 and N at least 1 (e.g. 0/4 .. 3/4)", text);
    return false;
  }
  return true;
}

int command_explore(const ExploreOptions& options_in, std::ostream& out, std::ostream& err) {
  ExploreOptions options = options_in;
  // ---- flags
  if (options.jobs < 1) {
    err << fmt::format("kafkasim explore: --jobs {}: must be at least 1\n", options.jobs);
    return kExitBadInput;
  }
  if (options.runs && *options.runs < 1) {
    err << fmt::format("kafkasim explore: --runs {}: must be at least 1\n", *options.runs);
    return kExitBadInput;
  }
  if (options.time_s && *options.time_s <= 0) {
    err << "kafkasim explore: --time: must be more than 0\n";
    return kExitBadInput;
  }
  if (options.check_determinism_percent < 0 || options.check_determinism_percent > 100) {
    err << fmt::format("kafkasim explore: --check-determinism {}: a percentage from 0 to 100\n", options.check_determinism_percent);
    return kExitBadInput;
  }
  if (options.max_events < 1 || options.max_events > 200) {
    err << fmt::format("kafkasim explore: --max-events {}: from 1 to 200\n", options.max_events);
    return kExitBadInput;
  }
  if (options.shard_count < 1 || options.shard_index < 0 || options.shard_index >= options.shard_count) {
    err << fmt::format("kafkasim explore: --shard {}/{}: the index must be from 0 to N-1\n", options.shard_index, options.shard_count);
    return kExitBadInput;
  }
  std::vector<std::string> faults;
  for (const auto& f : options.faults) {
    if (!is_fault_kind(f)) {
      std::vector<std::string> known(all_fault_kinds().begin(), all_fault_kinds().end());
      err << fmt::format("kafkasim explore: --faults: unknown fault kind '{}' (known: {})\n", f, fmt::join(known, ", "));
      return kExitBadInput;
    }
    if (std::find(faults.begin(), faults.end(), f) == faults.end()) faults.push_back(f);
  }
  if (faults.empty())
    for (auto f : all_fault_kinds()) faults.emplace_back(f);
  if (!options.runs && !options.time_s) options.runs = 100;

  // ---- the base
  Base base;
  try {
    Scenario parsed = options.base_file.empty() ? parse_scenario_text(default_base_text(), "built-in default")
                                                : parse_scenario_file(options.base_file);
    base.label = options.base_file.empty() ? "built-in default" : options.base_file;
    base.doc = YAML::Load(options.base_file.empty() ? default_base_text() : parsed.source_text);
    Design design = parsed.design;
    if (options.design) {
      std::string error;
      auto d = parse_design_flag(*options.design, error);
      if (!d) {
        err << "kafkasim explore: --design: " << error << '\n';
        return kExitBadInput;
      }
      design = *d;
    }
    if (design.get("metadata") == "kraft") {
      err << "kafkasim explore: design metadata=kraft is not modelled yet (version 1 models ZooKeeper mode)\n";
      return kExitBadInput;
    }
    base.doc["design"] = reports::design_yaml(design);
    base.doc.remove("events");
    base.doc.remove("expect");
    base.expected.insert(parsed.expected_violations.begin(), parsed.expected_violations.end());
    base.scenario = parse_scenario_text(scenario_text(base, parsed.seed, {}), base.label);
    if (base.scenario.brokers < 1 || base.scenario.topics.empty()) {
      err << fmt::format("{}: explore needs a base with at least one broker and one topic\n", base.label);
      return kExitBadInput;
    }
  } catch (const InputError& e) {
    err << e.what() << '\n';
    return kExitBadInput;
  }
  base.ctx = ScheduleContext::of(base.scenario);
  base.ctx.max_events = options.max_events;
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec || !std::filesystem::is_directory(options.out_dir)) {
    err << fmt::format("kafkasim explore: --out {}: cannot create the folder ({})\n", options.out_dir, ec.message());
    return kExitBadInput;
  }

  const std::string shard_text = fmt::format("{}/{}", options.shard_index, options.shard_count);
  out << fmt::format("explore {} (design {}, faults {}, seed {}, shard {}, {}, {} job{})\n", base.label,
                     base.scenario.design.label(), fmt::join(faults, ","), options.seed, shard_text,
                     options.runs ? fmt::format("{} runs", *options.runs) : fmt::format("{:g} s", *options.time_s),
                     options.jobs, options.jobs == 1 ? "" : "s");
  out.flush();

  // ---- the search
  const bool live = options.progress.value_or(::isatty(STDERR_FILENO) != 0);
  Progress progress(live, err);
  const auto t0 = Clock::now();
  auto seed_of = [&](std::int64_t k) {
    return options.seed + static_cast<std::uint64_t>(options.shard_index) +
           static_cast<std::uint64_t>(k) * static_cast<std::uint64_t>(options.shard_count);
  };
  auto rechecked = [&](std::uint64_t seed) {
    if (options.check_determinism_percent <= 0) return false;
    return static_cast<double>(sim::derive_seed(seed, "explore.determinism") % 10000) < options.check_determinism_percent * 100;
  };

  struct Found {
    std::uint64_t seed;
    std::vector<std::string> properties;
    std::vector<std::string> details;
    std::size_t events;
  };
  std::map<std::int64_t, Found> found;  // by run index: the order one unsharded run would see them in
  std::vector<json> failures;
  Coverage coverage, coverage_runs;
  struct InFlight {
    Prepared prepared;
    int pending = 0;                       // children still running for this run (2 when rechecked)
    std::optional<std::uint64_t> digest;   // the first child's, for the determinism check
  };
  std::map<std::int64_t, InFlight> in_flight;
  std::int64_t launched = 0, completed = 0, determinism_checked = 0;
  sim::ChildPool pool;

  auto save_failure = [&](std::uint64_t seed, const std::string& text, const std::string& reason,
                          const std::string& stderr_from = "") {
    const std::string file = fmt::format("{}/simulator-failure-{}.yaml", options.out_dir, seed);
    if (!stderr_from.empty()) keep_stderr(stderr_from, file, true);
    std::ofstream(file) << fmt::format("# kafkasim explore: simulator failure: {}\n# replay: kafkasim run {}\n", reason, file)
                        << text;
    failures.push_back(json{{"seed", seed}, {"file", std::filesystem::path(file).filename().string()}, {"reason", reason}});
    progress.note(fmt::format("simulator failure at seed {}: {} (saved as {})", seed, reason, file));
  };
  auto may_launch = [&] {
    if (options.runs && launched >= *options.runs) return false;
    if (options.time_s && seconds_since(t0) >= *options.time_s) return false;
    return true;
  };

  while (may_launch() || pool.running() > 0) {
    while (may_launch() && static_cast<int>(pool.running()) < options.jobs) {
      const std::int64_t k = launched++;
      const std::uint64_t seed = seed_of(k);
      Prepared p = prepare(base, seed, draw_schedule(base.ctx, seed).value(), swarm_kinds(faults, seed));
      if (!p.scenario) {
        ++completed;
        save_failure(seed, p.text, p.parse_error);
        continue;
      }
      InFlight& slot = in_flight[k];
      slot.prepared = std::move(p);
      const Scenario* s = &*slot.prepared.scenario;
      slot.pending = rechecked(seed) ? 2 : 1;
      for (int copy = 0; copy < slot.pending; ++copy)
        pool.start(static_cast<std::uint64_t>(k) * 2 + static_cast<std::uint64_t>(copy), [s] { return child_body(*s); },
                   wall_limit_s(*s), stderr_file(options.out_dir, static_cast<std::uint64_t>(k) * 2 + static_cast<std::uint64_t>(copy)));
    }
    if (pool.running() == 0) break;
    auto [tag, child] = pool.wait_one();
    const std::int64_t k = static_cast<std::int64_t>(tag / 2);
    const bool recheck = tag % 2 == 1;
    const std::uint64_t seed = seed_of(k);
    RunResult r = read_outcome(child, base.expected);
    InFlight& slot = in_flight.at(k);
    if (!r.failed) keep_stderr(stderr_file(options.out_dir, tag), "", false);
    if (r.failed) {
      save_failure(seed, slot.prepared.text, recheck ? "(determinism re-run) " + r.failure : r.failure,
                   stderr_file(options.out_dir, tag));
    } else if (rechecked(seed)) {
      if (!slot.digest) {
        slot.digest = r.digest;
      } else {
        ++determinism_checked;
        if (*slot.digest != r.digest)
          save_failure(seed, slot.prepared.text,
                       fmt::format("nondeterminism: two runs of seed {} gave history digests {:016x} and {:016x}", seed,
                                   *slot.digest, r.digest));
      }
    }
    if (!recheck) {
      ++completed;
      for (const auto& [key, n] : r.coverage) {
        coverage[key] += n;
        if (n > 0) ++coverage_runs[key];
      }
      if (!r.properties.empty()) {
        found[k] = Found{seed, r.properties, r.details, slot.prepared.events};
        progress.note(fmt::format("found {} at seed {} ({} events): {}", fmt::join(r.properties, ", "), seed,
                                  slot.prepared.events, r.details.front()));
      }
    }
    if (--slot.pending == 0) in_flight.erase(k);
    const double elapsed = seconds_since(t0);
    const double rate = elapsed > 0 ? static_cast<double>(completed) / elapsed : 0;
    double left_s = options.time_s ? std::max(0.0, *options.time_s - elapsed) : 0.0;
    if (options.runs && rate > 0) {
      const double by_runs = static_cast<double>(*options.runs - completed) / rate;
      left_s = options.time_s ? std::min(left_s, by_runs) : by_runs;
    }
    const std::string done = options.runs ? fmt::format("{}/{} runs, about {:.0f} s left", completed, *options.runs, left_s)
                                          : fmt::format("{} runs, {:.0f} s left", completed, left_s);
    progress.show(fmt::format("explore: {}  {:.1f} runs/s  {} violating  {} simulator failures", done, rate, found.size(),
                              failures.size()));
  }
  progress.clear();
  const double search_wall_s = seconds_since(t0);

  // ---- shrink the first violating run of each property
  std::vector<std::string> properties_seen;
  std::map<std::string, std::int64_t> first_run;
  std::map<std::string, std::int64_t> runs_with;
  for (const auto& [k, f] : found)
    for (const auto& property : f.properties) {
      ++runs_with[property];
      if (!first_run.count(property)) {
        first_run[property] = k;
        properties_seen.push_back(property);
      }
    }
  std::map<std::pair<std::int64_t, std::string>, json> written;  // (run, property) -> its counterexample
  std::vector<std::string> report_lines;
  // A run that violates several properties is shrunk once, for its first; the other properties reuse
  // that schedule when its replay still violates them.
  struct Shrunk {
    ShrinkOutcome outcome;
    std::string for_property;
    std::vector<std::string> replay_properties;
  };
  std::map<std::int64_t, Shrunk> shrunk_runs;
  for (const auto& property : properties_seen) {
    const std::int64_t k = first_run[property];
    const Found& f = found[k];
    const std::uint64_t seed = f.seed;
    const std::string detail = f.details[static_cast<std::size_t>(
        std::find(f.properties.begin(), f.properties.end(), property) - f.properties.begin())];
    const auto kinds = swarm_kinds(faults, seed);
    ShrinkOutcome shrunk{draw_schedule(base.ctx, seed).value(), 0, false};
    std::string shared_with;
    const auto cached = shrunk_runs.find(k);
    if (cached != shrunk_runs.end() && std::count(cached->second.replay_properties.begin(), cached->second.replay_properties.end(), property)) {
      shrunk = cached->second.outcome;
      shared_with = cached->second.for_property;
    } else if (options.shrink) {
      shrunk = shrink(base, seed, kinds, property, options, progress, failures, options.out_dir);
    }
    progress.clear();
    const auto lines = event_lines(shrunk.schedule, base.ctx, kinds);
    const std::string file = fmt::format("{}/{}-{}.yaml", options.out_dir, property, seed);
    std::vector<std::string> comments = {
        fmt::format("Found by kafkasim explore: {} on design {}.", property, base.scenario.design.label()),
        fmt::format("command: {}", options.command_line.empty() ? "kafkasim explore" : options.command_line),
        fmt::format("base: {}; run {} of shard {} (base seed {}) is seed {}; fault kinds drawn for it: {}", base.label, k,
                    shard_text, options.seed, seed, fmt::join(kinds, ", ")),
        shared_with.empty()
            ? fmt::format("events: {} generated, {} after shrinking ({} candidate runs{})", f.events, lines.size(),
                          shrunk.candidate_runs, shrunk.bounded ? ", stopped at --max-shrink-runs" : "")
            : fmt::format("events: {} generated, {} after shrinking (the schedule shrunk for {}, which violates this too)",
                          f.events, lines.size(), shared_with),
        fmt::format("first found as: {}", detail),
        fmt::format("replay: kafkasim run {}   (exits 1: the violation is reproduced; expect is empty)", file)};
    const std::string text =
        scenario_text(base, seed, lines, comments, fmt::format("{}-{}", property, seed),
                      fmt::format("{} found by kafkasim explore on {} (seed {})", property, base.scenario.design.label(), seed));
    std::ofstream(file) << text;
    // The file must replay the violation before it is reported.
    bool reproduced = false;
    std::string why;
    try {
      Prepared replay;
      replay.text = text;
      replay.scenario = parse_scenario_file(file);
      auto r = run_batch({&replay}, 1, base.expected, options.out_dir);
      reproduced = !r[0].failed && std::find(r[0].properties.begin(), r[0].properties.end(), property) != r[0].properties.end();
      if (reproduced && shared_with.empty()) shrunk_runs[k] = Shrunk{shrunk, property, r[0].properties};
      why = r[0].failed ? r[0].failure : fmt::format("the replay violated [{}]", fmt::join(r[0].properties, ", "));
    } catch (const InputError& e) {
      why = fmt::format("the written file does not parse: {}", e.what());
    }
    if (!reproduced) {
      failures.push_back(json{{"seed", seed}, {"file", std::filesystem::path(file).filename().string()},
                              {"reason", fmt::format("the shrunk counterexample did not reproduce {}: {}", property, why)}});
      continue;
    }
    written[{k, property}] = json{{"file", std::filesystem::path(file).filename().string()}, {"events_after_shrink", lines.size()}};
    report_lines.push_back(fmt::format("  {}: {} run{} (first: seed {}); shrunk from {} to {} event{}{}", property,
                                       runs_with[property], runs_with[property] == 1 ? "" : "s", seed, f.events, lines.size(),
                                       lines.size() == 1 ? "" : "s",
                                       shared_with.empty() ? fmt::format(" in {} candidate runs", shrunk.candidate_runs)
                                                           : fmt::format(" (as for {})", shared_with)));
    report_lines.push_back(fmt::format("      {}", detail));
    report_lines.push_back(fmt::format("      replay: kafkasim run {}", file));
  }

  // ---- summary.json
  json summary;
  summary["design"] = reports::design_json(base.scenario.design);
  summary["faults"] = faults;
  summary["seed"] = options.seed;
  summary["shard"] = shard_text;
  summary["runs"] = completed;
  summary["wall_s"] = std::round(seconds_since(t0) * 1000) / 1000;
  summary["base"] = base.label;
  summary["search_wall_s"] = std::round(search_wall_s * 1000) / 1000;
  json violations = json::array();
  for (const auto& [k, f] : found)
    for (std::size_t i = 0; i < f.properties.size(); ++i) {
      const auto w = written.find({k, f.properties[i]});
      json v;
      v["property"] = f.properties[i];
      v["seed"] = f.seed;
      v["file"] = w != written.end() ? w->second["file"] : json(nullptr);
      v["events_before_shrink"] = f.events;
      v["events_after_shrink"] = w != written.end() ? w->second["events_after_shrink"] : json(nullptr);
      v["detail"] = f.details[i];
      violations.push_back(v);
    }
  summary["violations"] = violations;
  summary["simulator_failures"] = failures;
  for (const auto& key : coverage_keys(faults)) {
    coverage[key] += 0;
    coverage_runs[key] += 0;
  }
  summary["coverage"] = coverage;
  summary["coverage_runs"] = coverage_runs;
  summary["determinism_checked"] = determinism_checked;
  const std::string summary_path = options.out_dir + "/summary.json";
  std::ofstream(summary_path) << summary.dump(2) << '\n';

  // ---- what the user reads
  out << fmt::format("{} runs in {:.1f} s ({:.1f} runs/s); {} violating run{}; {} simulator failure{}{}\n", completed,
                     search_wall_s, search_wall_s > 0 ? static_cast<double>(completed) / search_wall_s : 0.0, found.size(),
                     found.size() == 1 ? "" : "s", failures.size(), failures.size() == 1 ? "" : "s",
                     determinism_checked ? fmt::format("; determinism re-checked on {} runs", determinism_checked) : "");
  if (!report_lines.empty()) {
    out << "violations:\n";
    for (const auto& l : report_lines) out << l << '\n';
  }
  for (const auto& f : failures)
    out << fmt::format("simulator failure: seed {}: {} ({}/{})\n", f["seed"].get<std::uint64_t>(), f["reason"].get<std::string>(),
                       options.out_dir, f["file"].get<std::string>());
  out << coverage_table(coverage, coverage_runs, completed);
  out << fmt::format("summary: {}\n", summary_path);
  if (!failures.empty()) return kExitSimulatorFailure;
  return found.empty() ? kExitPass : kExitFound;
}

}  // namespace kafkasim::explore
