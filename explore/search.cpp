// The explore search. Run k of shard I of N uses seed S + I + k*N; its seed draws the fault kinds it
// uses (swarm testing), its schedule (RapidCheck) and the simulation's own randomness. Every run is a
// forked child, J at a time. After the search, the first violating run of each property is shrunk along
// RapidCheck's shrink tree (J candidates at a time, keeping the first in tree order that still violates
// the same property), written as a scenario, and re-run from the file before it is reported.
#include "explore/search.h"

#include <signal.h>
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
#include "cli/commands.h"
#include "explore/classes.h"
#include "explore/coverage.h"
#include "explore/guide.h"
#include "explore/runs.h"
#include "explore/systematic.h"
#include "explore/schedule.h"
#include "models/kafka_cluster.h"
#include "reports/output_files.h"
#include "reports/replay_file.h"
#include "reports/result_json.h"
#include "scenario/limits.h"
#include "scenario/suggest.h"
#include "scenario/scenario.h"
#include "sim/cost.h"
#include "sim/random.h"
#include "sim/runner.h"
#include "sim/world.h"

namespace kafkasim::explore {

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

constexpr int kExitPass = 0, kExitFound = 1, kExitBadInput = 2, kExitSimulatorFailure = 3;

using cli::wall_limit_s;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// ---- shrinking ---------------------------------------------------------------------------------------

struct ShrinkOutcome {
  Schedule schedule;
  int candidate_runs = 0;    // candidates tried, counted as one job would try them (the result's own bound)
  bool bounded = false;      // stopped by max_shrink_runs, not by a local minimum
  bool interrupted = false;  // stopped by a signal; `schedule` is the smallest found so far (it still violates)
};

// Walks RapidCheck's shrink tree: of each node's shrinks, the first in tree order that still violates
// `property` (and still shows `keep_class`, when one is given) becomes the next node. J candidates run at once, but only those up to the first that
// violates count and matter, so the result (and where --max-shrink-runs stops it) is the same for any J.
ShrinkOutcome shrink(const Base& base, std::uint64_t seed, rc::Shrinkable<Schedule> start, const std::vector<std::string>& kinds,
                     const std::string& property, const std::string& keep_class, const ExploreOptions& options,
                     Progress& progress, std::vector<json>& failures, const std::string& out_dir, const std::string& label) {
  rc::Shrinkable<Schedule> current = std::move(start);
  ShrinkOutcome result;
  const std::size_t before = current.value().size();
  const auto t0 = Clock::now();
  std::int64_t launched = 0;  // candidates actually run (J at a time), for the time estimate only
  while (true) {
    rc::Seq<rc::Shrinkable<Schedule>> candidates = current.shrinks();
    bool improved = false;
    while (!improved) {
      const int room = options.max_shrink_runs - result.candidate_runs;
      if (room <= 0) {
        result.bounded = true;
        break;
      }
      std::vector<rc::Shrinkable<Schedule>> batch;
      while (static_cast<int>(batch.size()) < std::min(options.jobs, room)) {
        auto next = candidates.next();
        if (!next) break;
        batch.push_back(*next);
      }
      if (batch.empty()) break;
      std::vector<Prepared> prepared;
      for (const auto& c : batch) prepared.push_back(prepare(base, seed, c.value(), kinds));
      std::vector<const Prepared*> ptrs;
      for (const auto& p : prepared) ptrs.push_back(&p);
      std::vector<std::string> stderr_files;
      bool stopped = false;
      auto results = run_batch(ptrs, options.jobs, base.expected, out_dir, &stderr_files, &stopped);
      launched += static_cast<std::int64_t>(batch.size());
      if (stopped) {
        result.interrupted = true;
        break;
      }
      for (std::size_t i = 0; i < batch.size(); ++i) {
        ++result.candidate_runs;
        if (results[i].failed) {
          const std::string file = fmt::format("{}/simulator-failure-{}-shrink{}.yaml", out_dir, seed, result.candidate_runs);
          keep_stderr(stderr_files[i], file, true);
          reports::write_file(file, "# kafkasim explore: simulator failure while shrinking: " + results[i].failure + "\n" +
                                        prepared[i].text);
          failures.push_back(json{{"seed", seed}, {"file", std::filesystem::path(file).filename().string()}, {"reason", results[i].failure}});
          progress.note(fmt::format("simulator failure while shrinking seed {}: {} (saved as {})", seed, results[i].failure, file));
          continue;
        }
        const auto& classes = results[i].classes;
        if (std::find(results[i].properties.begin(), results[i].properties.end(), property) != results[i].properties.end() &&
            (keep_class.empty() || std::find(classes.begin(), classes.end(), keep_class) != classes.end())) {
          current = batch[i];
          improved = true;
          // The candidates after it in this batch ran only because J ran at once: they count for nothing.
          for (std::size_t j = i + 1; j < batch.size(); ++j) keep_stderr(stderr_files[j], "", false);
          break;
        }
      }
      const double per_candidate_s = seconds_since(t0) / static_cast<double>(std::max<std::int64_t>(launched, 1)) *
                                     static_cast<double>(std::min<std::int64_t>(launched, options.jobs));
      const double left_s = per_candidate_s * (options.max_shrink_runs - result.candidate_runs) / options.jobs;
      progress.show(fmt::format("shrinking {} (seed {}{}): {} -> {} events, {}/{} candidate runs, at most about {:.0f} s left",
                                property, seed, label, before, current.value().size(), result.candidate_runs,
                                options.max_shrink_runs, left_s));
    }
    if (!improved || result.interrupted) break;
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

// A violating run: what it broke, and the counterexample files written for it.
struct Found {
  std::int64_t k = 0;
  std::uint64_t seed = 0;
  std::vector<std::string> properties;
  std::vector<std::string> details;
  std::vector<std::string> classes;          // the bug classes its (unshrunk) history shows
  Candidate candidate;                       // its schedule and fault kinds, and where they came from
  std::size_t events = 0;
  std::map<std::string, json> files;         // property -> {file, events_after_shrink, shrunk}
  std::map<std::string, std::string> why_not;  // property -> why no file was written for it
  std::optional<json> carried;               // a run of an earlier invocation (--resume): its entry as it was
};

json found_entry(const Found& f) {
  if (f.carried) return *f.carried;
  json v;
  const std::string& first = f.properties.front();
  v["property"] = first;
  v["properties"] = f.properties;
  v["seed"] = f.seed;
  const auto w = f.files.find(first);
  v["file"] = w != f.files.end() ? w->second["file"] : json(nullptr);
  json files = json::object();
  for (const auto& [p, file] : f.files) files[p] = file["file"];
  v["files"] = files;
  v["events_before_shrink"] = f.events;
  v["events_after_shrink"] = w != f.files.end() ? w->second["events_after_shrink"] : json(nullptr);
  v["detail"] = f.details.front();
  v["classes"] = f.classes;
  if (w != f.files.end() && w->second.contains("class")) v["class_after_shrink"] = w->second["class"];
  if (!f.candidate.fresh)
    v["schedule"] = fmt::format("a mutation of run {}'s: {}", f.candidate.parent, f.candidate.mutations);
  json details = json::object();
  for (std::size_t i = 0; i < f.properties.size(); ++i) details[f.properties[i]] = f.details[i];
  v["details"] = details;
  if (!f.why_not.empty()) {
    json why = json::object();
    for (const auto& [p, reason] : f.why_not) why[p] = reason;
    v["why_no_file"] = why;
  }
  return v;
}

// The files an earlier search in `dir` wrote (its summary lists them), for --force.
void remove_earlier_search(const std::string& dir, const json& summary) {
  std::error_code ec;
  auto drop = [&](const json& name) {
    if (!name.is_string()) return;
    const std::string file = (std::filesystem::path(dir) / name.get<std::string>()).string();
    std::filesystem::remove(file, ec);
    std::filesystem::remove(file.substr(0, file.size() - 5) + ".stderr.txt", ec);
  };
  for (const auto& v : summary.value("violations", json::array())) {
    drop(v.value("file", json()));
    const json files = v.value("files", json::object());  // items() must not outlive what it iterates
    for (const auto& [p, f] : files.items()) drop(f);
  }
  for (const auto& f : summary.value("simulator_failures", json::array())) drop(f.value("file", json()));
  std::filesystem::remove(std::filesystem::path(dir) / "summary.json", ec);
}

}  // namespace

ClassifiedRun classify_run(const Scenario& scenario) {
  Prepared p;
  p.scenario = scenario;
  const std::string dir = std::filesystem::temp_directory_path().string();
  auto r = run_batch({&p}, 1, {}, dir);
  ClassifiedRun out;
  out.failure = r[0].failure;
  out.properties = r[0].properties;
  out.classes = r[0].classes;
  out.moments = r[0].moments;
  for (const auto& [k, n] : r[0].coverage)
    if (n > 0) out.marks.push_back(k);
  return out;
}

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
  auto bad = [&](const std::string& message) {
    err << "kafkasim explore: " << message << '\n';
    return kExitBadInput;
  };
  // ---- flags
  if (options.jobs < 1 || options.jobs > 256) return bad(fmt::format("--jobs {}: from 1 to 256", options.jobs));
  if (options.runs && (*options.runs < 1 || *options.runs > 1000000000))
    return bad(fmt::format("--runs {}: from 1 to 1000000000", *options.runs));
  if (options.time_s && !(*options.time_s > 0)) return bad("--time: must be more than 0");
  if (!(options.check_determinism_percent >= 0 && options.check_determinism_percent <= 100))
    return bad(fmt::format("--check-determinism {}: a percentage from 0 to 100", options.check_determinism_percent));
  if (options.max_events < 1 || options.max_events > 200) return bad(fmt::format("--max-events {}: from 1 to 200", options.max_events));
  if (options.max_shrink_runs < 0 || options.max_shrink_runs > 1000000)
    return bad(fmt::format("--max-shrink-runs {}: from 0 to 1000000", options.max_shrink_runs));
  if (options.shard_count < 1 || options.shard_index < 0 || options.shard_index >= options.shard_count)
    return bad(fmt::format("--shard {}/{}: the index must be from 0 to N-1", options.shard_index, options.shard_count));
  if (options.seed > limits::kMaxSeed) return bad(fmt::format("--seed {}: at most {} (2^63-1)", options.seed, limits::kMaxSeed));
  if (options.strategy != "guided" && options.strategy != "random")
    return bad(fmt::format("--strategy {}: guided (the default: a corpus of schedules that reached rare coverage, "
                           "mutated) or random (every run a fresh draw from its seed)",
                           options.strategy));
  if (options.until_class && !find_bug_class(*options.until_class)) {
    std::vector<std::string_view> names;
    for (const auto& c : all_bug_classes()) names.push_back(c.name);
    return bad(fmt::format("--until-class: unknown bug class '{}'{} (known: {})", *options.until_class,
                           did_you_mean(*options.until_class, names), join_names(names)));
  }
  if (options.resume && options.force) return bad("--resume and --force: give one (continue the search in --out, or replace it)");
  std::vector<std::string> faults;
  for (const auto& f : options.faults) {
    if (!is_fault_kind(f)) {
      std::vector<std::string_view> known(all_fault_kinds().begin(), all_fault_kinds().end());
      return bad(fmt::format("--faults: unknown fault kind '{}'{} (known: {})", f, did_you_mean(f, known), join_names(known)));
    }
    if (std::find(faults.begin(), faults.end(), f) == faults.end()) faults.push_back(f);
  }
  if (faults.empty())
    for (auto f : all_fault_kinds()) faults.emplace_back(f);
  if (options.shrink_only)
    for (const auto& p : *options.shrink_only)
      if (!is_property(p)) {
        std::vector<std::string_view> names;
        for (const auto& q : all_properties()) names.push_back(q.name);
        return bad(fmt::format("--shrink: unknown property '{}'{}", p, did_you_mean(p, names)));
      }
  if (options.systematic) {
    if (options.systematic_depth < 1 || options.systematic_depth > 8)
      return bad(fmt::format("--depth {}: from 1 to 8 placed faults", options.systematic_depth));
    if (options.resume) return bad("--systematic and --resume: a systematic search starts from its root each time");
    if (options.shard_count > 1) return bad("--systematic and --shard: a systematic search is not sharded (its runs depend on each other)");
    if (options.check_determinism_percent > 0)
      return bad("--systematic and --check-determinism: the systematic search prunes by state, which needs determinism; check it with a random search");
  }
  if (!options.runs && !options.time_s && !options.systematic) options.runs = 100;
  // Every seed of the search must be one a scenario file can hold.
  auto seed_of = [&](std::int64_t k) {
    return options.seed + static_cast<std::uint64_t>(options.shard_index) +
           static_cast<std::uint64_t>(k) * static_cast<std::uint64_t>(options.shard_count);
  };
  auto seed_fits = [&](std::int64_t k) {
    const __int128 seed = static_cast<__int128>(options.seed) + options.shard_index + static_cast<__int128>(k) * options.shard_count;
    return seed <= static_cast<__int128>(limits::kMaxSeed);
  };

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
      if (!d) return bad("--design: " + error);
      design = *d;
    }
    base.doc["design"] = reports::design_yaml(design);
    // The base's control plane follows the design: a KRaft design runs 3 controllers where the base names
    // none, a ZooKeeper-mode design its ZooKeeper server.
    if (base.doc["cluster"].IsMap()) {
      if (design.kraft()) {
        base.doc["cluster"].remove("zookeeper");
        if (!base.doc["cluster"]["controllers"]) base.doc["cluster"]["controllers"] = 3;
      } else {
        base.doc["cluster"].remove("controllers");
      }
    }
    base.doc.remove("events");
    base.doc.remove("expect");
    const auto& expected = parsed.expected_for(design);
    base.expected.insert(expected.begin(), expected.end());
    base.scenario = parse_scenario_text(scenario_text(base, parsed.seed, {}), base.label);
    if (const std::string why = sim::refuse_by_estimate(base.scenario); !why.empty()) {
      err << why << '\n';
      return kExitBadInput;
    }
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
  if (base.scenario.design.kraft()) {
    // KRaft has no ZooKeeper sessions to expire: the broker's session is its heartbeats, which pause,
    // isolate, cut and drop (type BrokerHeartbeat) already stop.
    auto it = std::find(faults.begin(), faults.end(), "expire-session");
    if (it != faults.end() && !options.faults.empty())
      return bad(fmt::format("--faults expire-session: {} is a KRaft design, with no ZooKeeper sessions; a pause or an "
                             "isolation longer than broker.session.timeout.ms fences a broker instead",
                             base.scenario.design.label()));
    if (it != faults.end()) faults.erase(it);
  }
  const std::string shard_text = fmt::format("{}/{}", options.shard_index, options.shard_count);
  if (options.validate_only) return kExitPass;  // `kafkasim sweep` checks its explore flags here

  // ---- the output folder: writable, and not holding another search unless told what to do with it
  if (const std::string why = reports::check_output_dir(options.out_dir, "--out"); !why.empty()) return bad(why);
  const std::string summary_path = options.out_dir + "/summary.json";
  std::optional<json> earlier;
  if (std::filesystem::exists(summary_path)) {
    try {
      std::ifstream f(summary_path);
      earlier = json::parse(f);
      if (!earlier->is_object()) throw std::runtime_error("not an object");
    } catch (const std::exception& e) {
      if (!options.force)
        return bad(fmt::format("--out {} holds a summary.json that cannot be read ({}); give --force to replace it",
                               options.out_dir, e.what()));
      earlier = json::object();
    }
  }
  std::int64_t first_k = 0;
  if (earlier && options.force) {
    remove_earlier_search(options.out_dir, *earlier);
    earlier.reset();
  } else if (earlier && !options.resume) {
    return bad(fmt::format("--out {} holds an earlier search ({} runs on design {}); give --resume to continue it, --force "
                           "to replace it, or another --out",
                           options.out_dir, earlier->value("runs", json(0)).dump(),
                           earlier->value("design", json::object()).value("preset", "?")));
  } else if (!earlier && options.resume) {
    return bad(fmt::format("--resume: --out {} holds no summary.json to continue", options.out_dir));
  }
  if (earlier) {
    // --resume: the same sweep, continued from the run after its last.
    const json here = {{"design", reports::design_json(base.scenario.design)}, {"faults", faults}, {"seed", options.seed},
                       {"shard", shard_text}, {"base", base.label}};
    if (earlier->value("strategy", std::string("random")) != options.strategy)
      return bad(fmt::format("--resume: the search in {} has strategy {}, not {}: give --strategy {}", options.out_dir,
                             earlier->value("strategy", std::string("random")), options.strategy,
                             earlier->value("strategy", std::string("random"))));
    for (const auto& [key, value] : here.items())
      if (earlier->value(key, json()) != value)
        return bad(fmt::format("--resume: the search in {} has {} {}, not {}: give the same design, base, faults, seed and "
                               "shard, or another --out",
                               options.out_dir, key, earlier->value(key, json()).dump(), value.dump()));
    if (!(*earlier)["runs"].is_number_integer() || (*earlier)["runs"].get<std::int64_t>() < 0)
      return bad(fmt::format("--resume: {} has no run count to continue from", summary_path));
    first_k = (*earlier)["runs"].get<std::int64_t>();
  }
  if (options.runs && !seed_fits(first_k + *options.runs - 1))
    return bad(fmt::format("--seed {} with {} runs of shard {}: the last run's seed would pass {} (2^63-1), the largest a "
                           "scenario file may hold",
                           options.seed, *options.runs, shard_text, limits::kMaxSeed));

  if (options.systematic) return run_systematic(base, options, faults, out, err);

  out << fmt::format("explore {} (design {}, faults {}, seed {}, shard {}, {}, {} job{}{})\n", base.label,
                     base.scenario.design.label(), fmt::join(faults, ","), options.seed, shard_text,
                     options.runs ? fmt::format("{} runs", *options.runs) : fmt::format("{:g} s", *options.time_s),
                     options.jobs, options.jobs == 1 ? "" : "s",
                     earlier ? fmt::format(", resuming after run {}", first_k) : "");
  out.flush();

  // ---- the search
  SignalScope signals;
  const bool live = options.progress.value_or(::isatty(STDERR_FILENO) != 0);
  Progress progress(live, err);
  const auto t0 = Clock::now();
  auto rechecked = [&](std::uint64_t seed) {
    if (options.check_determinism_percent <= 0) return false;
    return static_cast<double>(sim::derive_seed(seed, "explore.determinism") % 10000) < options.check_determinism_percent * 100;
  };

  std::map<std::int64_t, Found> found;  // by run index: the order one unsharded run would see them in
  std::vector<json> failures;
  Coverage coverage, coverage_runs;
  std::int64_t determinism_checked = 0;
  std::set<std::string> written_before;  // properties an earlier invocation already wrote a counterexample of
  if (earlier) {
    for (const auto& v : earlier->value("violations", json::array())) {
      Found f;
      f.seed = v.value("seed", std::uint64_t{0});
      f.k = static_cast<std::int64_t>((f.seed - options.seed - static_cast<std::uint64_t>(options.shard_index)) /
                                      static_cast<std::uint64_t>(options.shard_count));
      for (const auto& p : v.value("properties", json::array({v.value("property", "")}))) f.properties.push_back(p.get<std::string>());
      f.details.assign(f.properties.size(), v.value("detail", ""));
      f.carried = v;
      if (v.value("file", json()).is_string()) written_before.insert(v.value("property", ""));
      const json files = v.value("files", json::object());  // items() must not outlive what it iterates
      for (const auto& [p, file] : files.items())
        if (file.is_string()) written_before.insert(p);
      found[f.k] = std::move(f);
    }
    for (const auto& fl : earlier->value("simulator_failures", json::array())) failures.push_back(fl);
    const json earlier_coverage = earlier->value("coverage", json::object());
    const json earlier_coverage_runs = earlier->value("coverage_runs", json::object());
    for (const auto& [k, v] : earlier_coverage.items()) coverage[k] += v.get<std::int64_t>();
    for (const auto& [k, v] : earlier_coverage_runs.items()) coverage_runs[k] += v.get<std::int64_t>();
    determinism_checked = earlier->value("determinism_checked", std::int64_t{0});
  }
  struct InFlight {
    Prepared prepared;
    Candidate candidate;
    int pending = 0;                       // children still running for this run (2 when rechecked)
    std::optional<std::uint64_t> digest;   // the first child's, for the determinism check
  };
  std::map<std::int64_t, InFlight> in_flight;
  // The guided search: run k's schedule is made once runs up to k - kLag are folded into the corpus.
  Guide guide(base.ctx, faults, options.strategy == "guided");
  if (earlier && earlier->contains("corpus")) guide.from_json((*earlier)["corpus"]);
  guide.resume_at(first_k);
  std::optional<std::int64_t> class_run;  // --until-class: the first run (by index) that showed it
  double class_wall_s = 0;
  std::int64_t launched = first_k, completed = first_k;
  std::string stopped_early;  // why the search stopped launching before its budget
  sim::ChildPool pool;

  auto save_failure = [&](std::uint64_t seed, const std::string& text, const std::string& reason,
                          const std::string& stderr_from = "") {
    const std::string file = fmt::format("{}/simulator-failure-{}.yaml", options.out_dir, seed);
    if (!stderr_from.empty()) keep_stderr(stderr_from, file, true);
    const std::string why = reports::write_file(
        file, fmt::format("# kafkasim explore: simulator failure: {}\n# replay: kafkasim run {}\n", reason, file) + text);
    json entry{{"seed", seed}, {"file", why.empty() ? json(std::filesystem::path(file).filename().string()) : json(nullptr)},
               {"reason", reason}};
    if (!why.empty()) entry["why_no_file"] = why;
    failures.push_back(entry);
    progress.note(why.empty() ? fmt::format("simulator failure at seed {}: {} (saved as {})", seed, reason, file)
                              : fmt::format("simulator failure at seed {}: {} (not saved: {})", seed, reason, why));
  };
  auto may_launch = [&] {
    if (g_signal) return false;
    if (options.runs && launched - first_k >= *options.runs) return false;
    if (class_run) return false;
    if (!guide.catch_up(launched)) return false;  // waits for the runs its schedule depends on
    if (options.time_s && seconds_since(t0) >= *options.time_s) return false;
    if (!seed_fits(launched)) {
      stopped_early = fmt::format("the next run's seed would pass {} (2^63-1)", limits::kMaxSeed);
      return false;
    }
    return true;
  };

  while (may_launch() || pool.running() > 0) {
    while (may_launch() && static_cast<int>(pool.running()) < options.jobs) {
      const std::int64_t k = launched++;
      const std::uint64_t seed = seed_of(k);
      Candidate cand = guide.candidate(k, seed);
      Prepared p = prepare(base, seed, cand.schedule, cand.kinds);
      if (!p.scenario) {
        ++completed;
        save_failure(seed, p.text, p.parse_error);
        guide.done(k, cand, {});
        continue;
      }
      InFlight& slot = in_flight[k];
      slot.prepared = std::move(p);
      slot.candidate = std::move(cand);
      const Scenario* s = &*slot.prepared.scenario;
      slot.pending = rechecked(seed) ? 2 : 1;
      for (int copy = 0; copy < slot.pending; ++copy)
        pool.start(static_cast<std::uint64_t>(k) * 2 + static_cast<std::uint64_t>(copy), [s, recheck = slot.pending == 2] { return child_body(*s, false, recheck); },
                   wall_limit_s(*s), stderr_file(options.out_dir, static_cast<std::uint64_t>(k) * 2 + static_cast<std::uint64_t>(copy)),
                   cli::memory_limit_mib(*s));
    }
    if (pool.running() == 0) break;
    auto done = pool.wait_one_or_stop(&g_signal);
    if (!done) break;  // interrupted: the runs in flight are abandoned below
    auto [tag, child] = std::move(*done);
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
        Found f;
        f.k = k;
        f.seed = seed;
        f.properties = r.properties;
        f.details = r.details;
        f.classes = r.classes;
        f.candidate = slot.candidate;
        f.events = slot.prepared.events;
        found[k] = std::move(f);
        progress.note(fmt::format("found {} at seed {} ({} events{}): {}", fmt::join(r.properties, ", "), seed,
                                  slot.prepared.events,
                                  r.classes.empty() ? "" : fmt::format("; class {}", fmt::join(r.classes, ", ")),
                                  r.details.front()));
      }
    }
    if (!recheck && options.until_class &&
        std::count(r.classes.begin(), r.classes.end(), *options.until_class) && (!class_run || k < *class_run)) {
      class_run = k;
      class_wall_s = seconds_since(t0);
    }
    if (!recheck) guide.done(k, slot.candidate, r.failed ? Coverage{} : r.coverage, r.moments);
    if (--slot.pending == 0) in_flight.erase(k);
    const double elapsed = seconds_since(t0);
    const double rate = elapsed > 0 ? static_cast<double>(completed - first_k) / elapsed : 0;
    double left_s = options.time_s ? std::max(0.0, *options.time_s - elapsed) : 0.0;
    if (options.runs && rate > 0) {
      const double by_runs = static_cast<double>(*options.runs - (completed - first_k)) / rate;
      left_s = options.time_s ? std::min(left_s, by_runs) : by_runs;
    }
    const std::string runs_done = options.runs ? fmt::format("{}/{} runs", completed - first_k, *options.runs)
                                               : fmt::format("{} runs", completed - first_k);
    progress.show(fmt::format("explore: {}, about {:.0f} s of search left (then shrinking)  {:.1f} runs/s  {} violating  {} "
                              "simulator failures",
                              runs_done, left_s, rate, found.size(), failures.size()));
  }
  bool interrupted = g_signal != 0;
  if (interrupted) {
    // Runs in flight are abandoned (their seeds are not counted as covered); so are their temporary files.
    pool.kill_all();
    for (const auto& [k, slot] : in_flight)
      for (std::uint64_t copy = 0; copy < 2; ++copy) keep_stderr(stderr_file(options.out_dir, static_cast<std::uint64_t>(k) * 2 + copy), "", false);
    // Only the runs before the first abandoned one count, so the summary covers a contiguous range of seeds.
    if (!in_flight.empty()) completed = std::min(completed, in_flight.begin()->first);
    for (auto it = found.begin(); it != found.end();) it = it->first >= completed ? found.erase(it) : std::next(it);
  }
  progress.clear();
  const double search_wall_s = seconds_since(t0);
  const auto shrink_t0 = Clock::now();

  // ---- shrink the first violating run of each property; write it; replay it from the file
  std::vector<std::string> properties_seen;
  std::map<std::string, std::int64_t> first_run, runs_with;
  for (const auto& [k, f] : found)
    for (const auto& property : f.properties) {
      ++runs_with[property];
      // --until-class: only the class's run is shrunk and written (it is what the search was asked for).
      if (options.until_class && (!class_run || k != *class_run)) continue;
      if (!first_run.count(property) && !written_before.count(property) && !f.carried) {
        first_run[property] = k;
        properties_seen.push_back(property);
      }
    }
  std::vector<std::string> report_lines;
  // A run that violates several properties is shrunk once, for its first; the other properties reuse
  // that schedule when its replay still violates them.
  struct Shrunk {
    ShrinkOutcome outcome;
    std::string for_property;
    std::vector<std::string> replay_properties;
  };
  std::map<std::int64_t, Shrunk> shrunk_runs;
  json until_class_entry;  // --until-class: the run that showed it, shrunk
  for (std::size_t index = 0; index < properties_seen.size(); ++index) {
    const std::string& property = properties_seen[index];
    const std::int64_t k = first_run[property];
    Found& f = found[k];
    const std::uint64_t seed = f.seed;
    const std::string detail = f.details[static_cast<std::size_t>(
        std::find(f.properties.begin(), f.properties.end(), property) - f.properties.begin())];
    const auto& kinds = f.candidate.kinds;
    ShrinkOutcome shrunk{f.candidate.schedule, 0, false, false};
    // A run that shows a bug class is shrunk keeping it, so the counterexample shows the mechanism too.
    const std::string keep_class =
        f.classes.empty() ? ""
        : options.until_class && std::count(f.classes.begin(), f.classes.end(), *options.until_class) ? *options.until_class
                                                                                                        : f.classes.front();
    std::string shared_with, unshrunk_why;
    const bool wanted = options.shrink && (!options.shrink_only || std::count(options.shrink_only->begin(),
                                                                               options.shrink_only->end(), property));
    const auto cached = shrunk_runs.find(k);
    if (cached != shrunk_runs.end() &&
        std::count(cached->second.replay_properties.begin(), cached->second.replay_properties.end(), property)) {
      shrunk = cached->second.outcome;
      shared_with = cached->second.for_property;
    } else if (g_signal) {
      unshrunk_why = "written as found: the search was interrupted before shrinking it";
    } else if (!wanted) {
      unshrunk_why = options.shrink ? "written as found: not among --shrink's properties" : "written as found (--no-shrink)";
    } else {
      shrunk = shrink(base, seed, f.candidate.fresh ? draw_schedule(base.ctx, seed) : shrinkable_of(f.candidate.schedule),
                      kinds, property, keep_class, options, progress, failures, options.out_dir,
                      fmt::format(", {} of {}", index + 1, properties_seen.size()));
      if (shrunk.interrupted) interrupted = true;
    }
    progress.clear();
    const auto lines = event_lines(shrunk.schedule, base.ctx, kinds);
    const std::string file = fmt::format("{}/{}-{}.yaml", options.out_dir, property, seed);
    std::string how = fmt::format("events: {} generated, {} after shrinking ({} candidate runs{})", f.events, lines.size(),
                                  shrunk.candidate_runs,
                                  shrunk.interrupted ? ", interrupted: the smallest found so far"
                                  : shrunk.bounded   ? ", stopped at --max-shrink-runs"
                                                     : "");
    if (!shared_with.empty())
      how = fmt::format("events: {} generated, {} after shrinking (the schedule shrunk for {}, which violates this too)",
                        f.events, lines.size(), shared_with);
    if (!unshrunk_why.empty()) how = fmt::format("events: {} generated, {}", f.events, unshrunk_why);
    std::vector<std::string> comments = {
        fmt::format("Found by kafkasim explore: {} on design {}.", property, base.scenario.design.label()),
        fmt::format("command: {}", options.command_line.empty() ? "kafkasim explore" : options.command_line),
        fmt::format("base: {}; run {} of shard {} (base seed {}) is seed {}; fault kinds drawn for it: {}", base.label, k,
                    shard_text, options.seed, seed, fmt::join(kinds, ", ")),
        how, fmt::format("first found as: {}", detail),
        fmt::format("replay: kafkasim run {}   (exits 1: the violation is reproduced; expect is empty)", file)};
    if (!f.candidate.fresh)
      comments.insert(comments.begin() + 3, fmt::format("schedule: the guided search's mutation of run {}'s ({})",
                                                        f.candidate.parent, f.candidate.mutations));
    if (!f.classes.empty())
      comments.insert(comments.end() - 1, fmt::format("bug class: {}", fmt::join(f.classes, ", ")));
    const std::string text =
        scenario_text(base, seed, lines, comments, fmt::format("{}-{}", property, seed),
                      fmt::format("{} found by kafkasim explore on {} (seed {})", property, base.scenario.design.label(), seed));
    if (const std::string why = reports::write_file(file, text); !why.empty()) {
      f.why_not[property] = why;
      continue;
    }
    // The file must replay the violation before it is reported (unless there is no time left for that).
    bool reproduced = g_signal != 0;
    std::string why;
    std::vector<std::string> replay_classes;
    if (!g_signal) {
      const Replayed replayed = replay_file(file, text, base, options.out_dir);
      const RunResult& r = replayed.result;
      const bool stopped = replayed.stopped;
      if (!replayed.parse_error.empty()) {
        why = replayed.parse_error;
      } else {
        reproduced = stopped || (!r.failed && std::count(r.properties.begin(), r.properties.end(), property));
        if (stopped) interrupted = true;
        replay_classes = r.classes;
        if (reproduced && !stopped && shared_with.empty() && unshrunk_why.empty()) shrunk_runs[k] = Shrunk{shrunk, property, r.properties};
        why = r.failed ? r.failure : fmt::format("the replay violated [{}]", fmt::join(r.properties, ", "));
      }
    }
    if (!reproduced) {
      std::error_code ec;
      std::filesystem::remove(file, ec);
      const std::string reason = fmt::format("the shrunk counterexample did not reproduce {}: {}", property, why);
      failures.push_back(json{{"seed", seed}, {"file", nullptr}, {"reason", reason}});
      f.why_not[property] = reason;
      continue;
    }
    f.files[property] = json{{"file", std::filesystem::path(file).filename().string()}, {"events_after_shrink", lines.size()}};
    const bool class_kept =
        !keep_class.empty() && std::count(replay_classes.begin(), replay_classes.end(), keep_class) > 0;
    if (class_kept) f.files[property]["class"] = keep_class;
    if (class_run && k == *class_run && options.until_class && until_class_entry.is_null()) {
      until_class_entry = json{{"class", *options.until_class},
                               {"run", k},
                               {"seed", seed},
                               {"runs_to_first", k - first_k + 1},
                               {"wall_s_to_first", std::round(class_wall_s * 1000) / 1000},
                               {"events_before_shrink", f.events},
                               {"events_after_shrink", lines.size()},
                               {"property", property},
                               {"file", std::filesystem::path(file).filename().string()},
                               {"class_in_shrunk_history", class_kept},
                               {"schedule", f.candidate.fresh ? "fresh" : fmt::format("a mutation of run {}'s", f.candidate.parent)}};
    }
    report_lines.push_back(fmt::format("  {}: {} run{} (first: seed {}); {}", property, runs_with[property],
                                       runs_with[property] == 1 ? "" : "s", seed,
                                       !unshrunk_why.empty() ? unshrunk_why
                                       : shared_with.empty()
                                           ? fmt::format("shrunk from {} to {} event{} in {} candidate runs{}", f.events,
                                                         lines.size(), lines.size() == 1 ? "" : "s", shrunk.candidate_runs,
                                                         shrunk.interrupted ? " (interrupted)" : "")
                                           : fmt::format("shrunk from {} to {} events (as for {})", f.events, lines.size(),
                                                         shared_with)));
    report_lines.push_back(fmt::format("      {}", detail));
    if (!f.classes.empty())
      report_lines.push_back(fmt::format("      bug class: {}{}", fmt::join(f.classes, ", "),
                                         keep_class.empty() ? ""
                                         : class_kept      ? fmt::format(" ({} still shown by the counterexample)", keep_class)
                                                           : fmt::format(" ({} not shown by the counterexample)", keep_class)));
    report_lines.push_back(fmt::format("      replay: kafkasim run {}", file));
  }
  // Why the other violating runs have no file of their own, and how to get one.
  for (auto& [k, f] : found) {
    if (f.carried) continue;
    for (const auto& property : f.properties) {
      if (f.files.count(property) || f.why_not.count(property)) continue;
      const auto first = first_run.find(property);
      const std::string written =
          first != first_run.end() && found[first->second].files.count(property)
              ? fmt::format("seed {}'s counterexample ({}) is written", found[first->second].seed,
                            found[first->second].files[property]["file"].get<std::string>())
              : "an earlier run of it is written";
      f.why_not[property] =
          f.candidate.fresh
              ? fmt::format("not written: one counterexample per property, and {}; this run replays with: kafkasim explore "
                            "{}--design '{}' --faults {} --seed {} --runs 1 --out DIR",
                            written, options.base_file.empty() ? "" : options.base_file + " ", base.scenario.design.label(),
                            fmt::join(faults, ","), f.seed)
              : fmt::format("not written: one counterexample per property, and {}; this run's schedule was the guided "
                            "search's mutation of run {}'s, so it replays by repeating this search (the same flags), not "
                            "from its seed alone",
                            written, f.candidate.parent);
    }
  }
  const double shrink_wall_s = seconds_since(shrink_t0);

  // ---- summary.json
  json summary;
  summary["design"] = reports::design_json(base.scenario.design);
  summary["faults"] = faults;
  summary["seed"] = options.seed;
  summary["shard"] = shard_text;
  summary["runs"] = completed;
  summary["wall_s"] = std::round(seconds_since(t0) * 1000) / 1000 + (earlier ? earlier->value("wall_s", 0.0) : 0.0);
  summary["base"] = base.label;
  summary["search_wall_s"] = std::round(search_wall_s * 1000) / 1000;
  summary["shrink_wall_s"] = std::round(shrink_wall_s * 1000) / 1000;
  if (interrupted) summary["interrupted"] = g_signal == SIGTERM ? "SIGTERM" : "SIGINT";
  if (!stopped_early.empty()) summary["stopped_early"] = stopped_early;
  json violations = json::array();
  for (const auto& [k, f] : found) violations.push_back(found_entry(f));
  summary["violations"] = violations;
  summary["simulator_failures"] = failures;
  put_coverage(summary, coverage, coverage_runs, faults, base.scenario.design.kraft(), base.scenario.has_groups());
  summary["determinism_checked"] = determinism_checked;
  summary["strategy"] = options.strategy;
  if (options.until_class) {
    summary["until_class"] = until_class_entry.is_null()
                                 ? json{{"class", *options.until_class}, {"run", nullptr}, {"runs_to_first", nullptr}}
                                 : until_class_entry;
  }
  if (options.strategy == "guided") summary["corpus"] = guide.to_json();
  const std::string summary_error = reports::write_file(summary_path, summary.dump(2) + "\n");

  // ---- what the user reads
  const std::int64_t new_runs = completed - first_k;
  out << fmt::format("{} runs in {:.1f} s of search ({:.1f} runs/s), then {:.1f} s shrinking and replaying: {:.1f} s in all; "
                     "{} violating run{}; {} simulator failure{}{}\n",
                     new_runs, search_wall_s, search_wall_s > 0 ? static_cast<double>(new_runs) / search_wall_s : 0.0,
                     shrink_wall_s, seconds_since(t0), found.size(), found.size() == 1 ? "" : "s", failures.size(),
                     failures.size() == 1 ? "" : "s",
                     determinism_checked ? fmt::format("; determinism re-checked on {} runs", determinism_checked) : "");
  if (earlier) out << fmt::format("resumed: {} runs in all, seeds of runs 0..{}\n", completed, completed - 1);
  if (!stopped_early.empty()) out << "stopped before the budget: " << stopped_early << '\n';
  if (options.until_class) {
    if (until_class_entry.is_null())
      out << fmt::format("class {}: not found in {} runs\n", *options.until_class, new_runs);
    else
      out << fmt::format("class {}: first at run {} (seed {}), {} runs and {:.1f} s into the search; {} events, {} after "
                         "shrinking{}\n",
                         *options.until_class, until_class_entry["run"].get<std::int64_t>(),
                         until_class_entry["seed"].get<std::uint64_t>(), until_class_entry["runs_to_first"].get<std::int64_t>(),
                         class_wall_s, until_class_entry["events_before_shrink"].get<std::size_t>(),
                         until_class_entry["events_after_shrink"].get<std::size_t>(),
                         until_class_entry["class_in_shrunk_history"].get<bool>() ? ""
                                                                                   : " (the shrunk history no longer shows it)");
  }
  if (options.strategy == "guided")
    out << fmt::format("guided search: a corpus of {} schedules, {} coverage features seen\n", guide.corpus_size(),
                       guide.features_seen());
  if (!report_lines.empty()) {
    out << "violations:\n";
    for (const auto& l : report_lines) out << l << '\n';
  }
  for (const auto& f : failures)
    out << fmt::format("simulator failure: seed {}: {}{}\n", f["seed"].get<std::uint64_t>(), f["reason"].get<std::string>(),
                       f["file"].is_string() ? fmt::format(" ({}/{})", options.out_dir, f["file"].get<std::string>()) : "");
  out << coverage_table(coverage, coverage_runs, completed);
  return finish_search(out, err, summary_path, summary_error, completed, !failures.empty(),
                       options.until_class ? std::optional<bool>(!until_class_entry.is_null()) : std::nullopt, !found.empty());
}

}  // namespace kafkasim::explore
