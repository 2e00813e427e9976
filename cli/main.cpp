// The `kafkasim` entry point: parses flags with CLI11 and dispatches to the commands. Usage on no
// arguments and on an unknown command, "did you mean" for commands and flags, --help with examples,
// defaults and exit codes; every flag value range-checked (exit 2) before anything runs.
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/serve.h"
#include "explore/search.h"
#include "explore/sweep.h"
#include "scenario/limits.h"
#include "scenario/suggest.h"
#include "scenario/units.h"

namespace {

using namespace kafkasim::cli;

const char* const kExitCodes =
    "Exit codes: 0 every verdict pass (explore: nothing found), 1 some verdict fail (explore: a violation found and\n"
    "written), 2 bad input (FILE:LINE:COL: message on stderr), 3 the simulator failed (the scenario is saved for\n"
    "replay), 4 a result could not be written (disk full, say), 130/143 interrupted (explore: summary written).\n"
    "Designs: a preset, or PRESET,switch=value,...; in lists (matrix --designs), items are separated by ',' or ';'\n"
    "and an item with '=' is a switch of the design before it: kafka-0.10,kafka-2.2,broker-epoch=false,latest.";

// A seed from the command line: a whole number from 0 to 2^63-1, as a file may hold it (a replay file
// must be able to carry the seed it ran with).
bool parse_seed(const std::string& text, std::uint64_t& seed, std::string& error) {
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || text[0] == '-' || ec == std::errc::invalid_argument || ptr != text.data() + text.size()) {
    error = fmt::format("'{}' is not a seed: write a whole number from 0 to {}", text, kafkasim::limits::kMaxSeed);
    return false;
  }
  if (ec == std::errc::result_out_of_range || v > kafkasim::limits::kMaxSeed) {
    error = fmt::format("{} is larger than {}, the largest seed (2^63-1)", text, kafkasim::limits::kMaxSeed);
    return false;
  }
  seed = v;
  return true;
}

// Splits a comma-separated flag value; every item must be non-empty.
bool split_list(const std::string& text, std::vector<std::string>& out, std::string& error) {
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (item.empty()) {
      error = fmt::format("'{}' has an empty item: write names separated by single commas", text);
      return false;
    }
    out.push_back(item);
  }
  if (out.empty()) {
    error = "the list is empty";
    return false;
  }
  return true;
}

// Every long flag of `app` and of the options a subcommand takes, as written on the command line.
std::vector<std::string> flag_names(const CLI::App* app) {
  std::vector<std::string> out;
  for (const CLI::Option* o : app->get_options())
    for (const auto& name : o->get_lnames()) out.push_back("--" + name);
  return out;
}

// A flag the command does not take: the message with the closest one it does take.
std::string unknown_flag(const std::string& command, const std::string& flag, const CLI::App* sub) {
  const std::string name = flag.substr(0, flag.find('='));
  const auto names = flag_names(sub);
  std::vector<std::string_view> known(names.begin(), names.end());
  return fmt::format("kafkasim {}: unknown flag '{}'{}\n(kafkasim {} --help lists its flags)\n", command, name,
                     kafkasim::did_you_mean(name, known), command);
}

int bad(const std::string& message) {
  std::cerr << message;
  return kExitBadInput;
}

// The flags of `kafkasim sweep`, as CLI11 fills them.
struct SweepFlags {
  bool slurm = false, kubernetes = false;
  std::string base, design, faults, seed = "1", time, strategy = "guided", results, kafkasim = "kafkasim",
              image = "kafkasim:latest", only, task_limit, name = "kafkasim-explore", out = "-";
  std::int64_t runs = 0;
  int shards = 0, jobs = 2;
  bool has_design = false, has_faults = false, has_runs = false, has_time = false;
};

// `kafkasim sweep`: the flags range-checked (explore's own checks included, exit 2), then the job file.
int command_sweep_flags(const SweepFlags& sw, int argc, char** argv) {
  std::string error;
  auto sweep_bad = [&](const std::string& m) { return bad("kafkasim sweep: " + m + "\n"); };
  namespace fs = std::filesystem;
  kafkasim::explore::SweepOptions o;
  if (sw.slurm == sw.kubernetes) return sweep_bad("give one of --slurm and --kubernetes");
  o.engine = sw.slurm ? kafkasim::explore::SweepOptions::Engine::slurm : kafkasim::explore::SweepOptions::Engine::kubernetes;
  if (sw.has_runs == sw.has_time) return sweep_bad("give one budget per shard: --runs N or --time DURATION");
  if (sw.shards < 1 || sw.shards > 100000) return sweep_bad(fmt::format("--shards {}: from 1 to 100000", sw.shards));
  if (!parse_seed(sw.seed, o.seed, error)) return sweep_bad("--seed " + error);
  if (sw.has_design) o.design = sw.design;
  if (sw.has_faults) o.faults = sw.faults;
  if (sw.has_runs) o.runs = sw.runs;
  if (sw.has_time) {
    auto t = kafkasim::parse_duration(sw.time, error);
    if (!t) return sweep_bad(fmt::format("--time {}: {}", sw.time, error));
    o.time = sw.time;
    o.time_s = kafkasim::to_seconds(*t);
  }
  if (!sw.task_limit.empty()) {
    auto t = kafkasim::parse_duration(sw.task_limit, error);
    if (!t || !(kafkasim::to_seconds(*t) >= 60))
      return sweep_bad(fmt::format("--task-limit {}: {}", sw.task_limit, t ? "at least 1m" : error));
    o.task_limit_s = kafkasim::to_seconds(*t);
  }
  if (!sw.only.empty()) {
    std::vector<std::string> items;
    if (!split_list(sw.only, items, error)) return sweep_bad("--only: " + error);
    for (const auto& item : items) {
      int v = -1;
      auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
      if (ec != std::errc() || ptr != item.data() + item.size() || v < 0 || v >= sw.shards)
        return sweep_bad(fmt::format("--only: '{}' is not a shard of {}: write indices from 0 to {}", item, sw.shards, sw.shards - 1));
      o.only.push_back(v);
    }
    std::sort(o.only.begin(), o.only.end());
    o.only.erase(std::unique(o.only.begin(), o.only.end()), o.only.end());
  }
  const bool dns_name = !sw.name.empty() && sw.name.size() <= 52 && std::isalnum(static_cast<unsigned char>(sw.name.front())) &&
                        std::isalnum(static_cast<unsigned char>(sw.name.back())) &&
                        std::all_of(sw.name.begin(), sw.name.end(), [](char c) {
                          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                        });
  if (!dns_name)
    return sweep_bad(fmt::format("--name {}: lower-case letters, digits and '-', starting and ending with a letter or "
                                 "digit, at most 52 characters (a Kubernetes name)",
                                 sw.name));
  o.jobs = sw.jobs;
  o.strategy = sw.strategy;
  o.shards = sw.shards;
  o.image = sw.image;
  o.name = sw.name;
  const bool slurm = sw.slurm;
  o.results_dir = sw.results.empty() ? (slurm ? fs::absolute("results").lexically_normal().string() : "/results")
                                     : (slurm ? fs::absolute(sw.results).lexically_normal().string() : sw.results);
  if (!slurm && (o.results_dir.empty() || o.results_dir.front() != '/'))
    return sweep_bad(fmt::format("--results {}: a path in the pod, from / (the shared volume's mount point)", sw.results));
  o.kafkasim = slurm && sw.kafkasim.find('/') != std::string::npos ? fs::absolute(sw.kafkasim).lexically_normal().string()
                                                                   : sw.kafkasim;
  if (!sw.base.empty()) o.base_file = slurm ? fs::absolute(sw.base).lexically_normal().string() : sw.base;
  // Every flag explore will get, checked by explore itself now, not on the cluster later.
  kafkasim::explore::ExploreOptions check;
  check.base_file = sw.base;
  check.design = o.design;
  if (o.faults && !split_list(*o.faults, check.faults, error)) return sweep_bad("--faults: " + error);
  check.runs = o.runs;
  if (o.time) check.time_s = o.time_s;
  check.seed = o.seed;
  check.jobs = o.jobs;
  check.shard_count = o.shards;
  check.strategy = o.strategy;
  check.validate_only = true;
  std::ostringstream ignored, why;
  if (int code = kafkasim::explore::command_explore(check, ignored, why); code != 0) {
    std::string text = why.str();
    const std::string prefix = "kafkasim explore: ";
    for (std::size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at))
      text.replace(at, prefix.size(), "kafkasim sweep: ");
    std::cerr << text;
    return code;
  }
  if (!slurm && !sw.base.empty()) {  // the Kubernetes Job carries the base (read and checked above) in a ConfigMap
    std::ifstream in(sw.base, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    o.base_text = text.str();
  }
  o.command_line = "kafkasim";
  for (int i = 1; i < argc; ++i) o.command_line += " " + std::string(argv[i]);
  return kafkasim::explore::command_sweep(o, sw.out, std::cout, std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kafkasim: a deterministic simulator of Kafka's replication protocol under failures", "kafkasim"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", "kafkasim 0.2 (scenario format version 1)");
  app.footer(fmt::format("Run 'kafkasim COMMAND --help' for a command's flags and examples.\n{}", kExitCodes));

  RunCommand run;
  std::string run_seed, design;
  auto* run_cmd = app.add_subcommand("run", "run scenarios; print the narrative and the verdict");
  run_cmd->add_option("FILE", run.files, "scenario files")->required();
  auto* design_opt = run_cmd->add_option("--design", design, "design: PRESET or PRESET,switch=value,... (overrides the file's)");
  auto* seed_opt = run_cmd->add_option("--seed", run_seed, "root seed, 0 to 2^63-1 (overrides the file's)");
  run_cmd->add_option("--json", run.json_out,
                      "write each run's JSON result here, one object per line ('-': standard output; the narrative then "
                      "goes to standard error)");
  run_cmd->add_option("--history", run.history_dir, "write each run's history.jsonl into this folder (or FILE.jsonl for one run)");
  run_cmd->add_flag("--explain", run.explain, "print every history event, narrated");
  run_cmd->add_option("--report", run.report_dir, "write an HTML report (index.html, history.jsonl, result.json) into this folder");
  run_cmd->footer(std::string("Examples:\n"
                              "  kafkasim run scenarios/kip101-hw-truncation.yaml\n"
                              "  kafkasim run scenarios/kip101-hw-truncation.yaml --design kafka-0.11 --explain\n"
                              "  kafkasim run FILE --design 'latest,hw-requires-min-isr=false' --seed 7 --json -\n"
                              "  kafkasim run scenarios/lessons/lesson-*.yaml --report out/lessons\n") +
                  kExitCodes);

  std::vector<std::string> check_files;
  auto* check_cmd = app.add_subcommand("check", "validate scenario files; no simulation");
  check_cmd->add_option("FILE", check_files, "scenario files")->required();
  check_cmd->footer(std::string("Example:\n  kafkasim check scenarios/*.yaml\n") + kExitCodes);

  auto* designs_cmd = app.add_subcommand("designs", "list the design presets and switches");

  kafkasim::explore::ExploreOptions explore;
  std::string explore_design, explore_faults, explore_time, explore_shard, explore_seed, explore_shrink;
  std::int64_t explore_runs = 0;
  std::string explore_until_class;
  bool no_shrink = false, progress = false, no_progress = false;
  auto* explore_cmd = app.add_subcommand(
      "explore", "random fault schedules over BASE (or a built-in cluster); shrinks and writes each violation found");
  explore_cmd->add_option("BASE", explore.base_file, "a scenario whose cluster, configs, topics and clients are kept");
  auto* e_design = explore_cmd->add_option("--design", explore_design, "design: PRESET or PRESET,switch=value,... (default: BASE's, or latest)");
  auto* e_faults = explore_cmd->add_option("--faults", explore_faults, "fault kinds, comma-separated (default: all)");
  auto* e_runs = explore_cmd->add_option("--runs", explore_runs, "runs (per shard); default 100 unless --time is given");
  auto* e_time = explore_cmd->add_option("--time", explore_time, "wall-clock budget of the search (per shard), e.g. 60s or 10m");
  auto* e_seed = explore_cmd->add_option("--seed", explore_seed, "base seed, 0 to 2^63-1 (run k of shard I/N uses seed S+I+k*N)")
                     ->default_str("1");
  explore_cmd->add_option("--jobs", explore.jobs, "runs at once (forked children)")->capture_default_str();
  auto* e_shard = explore_cmd->add_option("--shard", explore_shard, "I/N: this invocation covers shard I (from 0) of N");
  explore_cmd->add_option("--out", explore.out_dir, "folder for counterexamples and summary.json")->capture_default_str();
  explore_cmd->add_option("--check-determinism", explore.check_determinism_percent,
                          "re-run this percentage of the runs and compare history digests")
      ->capture_default_str();
  explore_cmd->add_option("--max-events", explore.max_events, "most fault events in one schedule")->capture_default_str();
  explore_cmd->add_option("--max-shrink-runs", explore.max_shrink_runs, "bound on the runs spent shrinking one violation")
      ->capture_default_str();
  auto* e_shrink = explore_cmd->add_option("--shrink", explore_shrink,
                                           "shrink only these properties (comma-separated); the others are written as found");
  explore_cmd->add_flag("--no-shrink", no_shrink, "write violations as found, unshrunk");
  auto* e_systematic = explore_cmd->add_flag(
      "--systematic", explore.systematic,
      "enumerate fault placements at the first occurrence of each trigger event, breadth first, skipping states already "
      "reached (small clusters); with --depth");
  auto* e_depth = explore_cmd->add_option("--depth", explore.systematic_depth, "--systematic: at most this many placed faults")
                      ->capture_default_str();
  auto* e_strategy = explore_cmd->add_option("--strategy", explore.strategy,
                          "guided: mutate the schedules that reached rare coverage (a corpus); random: every run a fresh draw")
      ->capture_default_str();
  auto* e_until_class = explore_cmd->add_option(
      "--until-class", explore_until_class,
      "stop at the first run whose history shows this historical bug class (e.g. kafka-7128-stale-hw-isr-join), shrink it "
      "keeping the class");
  explore_cmd->add_flag("--resume", explore.resume, "continue the search whose summary.json is in --out (same design, base, seeds)");
  explore_cmd->add_flag("--force", explore.force, "replace an earlier search in --out");
  explore_cmd->add_flag("--progress", progress, "show the live progress line even when stderr is not a terminal");
  explore_cmd->add_flag("--no-progress", no_progress, "never show the live progress line");
  explore_cmd->footer(std::string("Examples:\n"
                                  "  kafkasim explore --design kafka-0.10 --runs 200 --jobs 2\n"
                                  "  kafkasim explore BASE.yaml --design latest --faults crash,pause,partition --time 10m\n"
                                  "  kafkasim explore BASE.yaml --design latest --time 10m --shard 3/16 --out out/3\n"
                                  "  kafkasim explore bench/bases/rf2-min1.yaml --design kafka-0.10 --faults crash --systematic --depth 2\n") +
                      kExitCodes);

  MatrixCommand matrix;
  std::string matrix_designs, matrix_seed;
  auto* matrix_cmd = app.add_subcommand("matrix", "run each scenario under each design; a table of violated properties");
  matrix_cmd->add_option("FILE", matrix.files, "scenario files")->required();
  matrix_cmd->add_option("--designs", matrix_designs, "designs: PRESET[,switch=value...] separated by ',' or ';'")->required();
  auto* matrix_seed_opt = matrix_cmd->add_option("--seed", matrix_seed, "root seed, 0 to 2^63-1 (overrides the files')");
  matrix_cmd->add_option("--jobs", matrix.jobs, "runs at once (forked children)")->capture_default_str();
  matrix_cmd->add_option("--json", matrix.json_out, "write the matrix as one JSON object here ('-': standard output)");
  matrix_cmd->add_option("--report", matrix.report_dir, "write an HTML matrix here, linking to each run's report");
  matrix_cmd->footer(std::string("Example:\n  kafkasim matrix scenarios/kip101-hw-truncation.yaml --designs "
                                 "kafka-0.10,kafka-0.11,latest --jobs 2\n"
                                 "A cell passes where the design behaves as the scenario expects for it (expect.designs).\n") +
                     kExitCodes);

  std::vector<std::string> merge_inputs;
  std::string merge_out = "kafkasim-merged";
  bool merge_check = false;
  auto* merge_cmd = app.add_subcommand("merge", "combine the summary.json of explore shards");
  merge_cmd->add_option("DIR", merge_inputs, "explore output folders (or summary.json files)")->required();
  merge_cmd->add_option("--out", merge_out, "folder for the merged summary.json")->capture_default_str();
  merge_cmd->add_flag("--check", merge_check, "exit 1 when seeds of the sweep are missing (and say which shards to resubmit)");
  merge_cmd->footer(std::string("Example:\n  kafkasim merge out/* --out merged --check\n") + kExitCodes);

  SweepFlags sw;
  auto* sweep_cmd = app.add_subcommand("sweep", "write the Slurm or Kubernetes job file of a sharded explore sweep");
  sweep_cmd->add_flag("--slurm", sw.slurm, "a Slurm array job (submit with sbatch)");
  sweep_cmd->add_flag("--kubernetes", sw.kubernetes, "a Kubernetes Indexed Job (kubectl apply -f)");
  sweep_cmd->add_option("BASE", sw.base, "the base scenario of explore (default: its built-in base)");
  auto* s_design = sweep_cmd->add_option("--design", sw.design, "design, as explore takes it");
  auto* s_faults = sweep_cmd->add_option("--faults", sw.faults, "fault kinds, as explore takes them");
  sweep_cmd->add_option("--seed", sw.seed, "base seed of the sweep")->capture_default_str();
  auto* s_runs = sweep_cmd->add_option("--runs", sw.runs, "runs per shard (names the sweep's seeds exactly)");
  auto* s_time = sweep_cmd->add_option("--time", sw.time, "wall-clock budget per shard, e.g. 30m");
  sweep_cmd->add_option("--shards", sw.shards, "N: the number of shards")->required();
  sweep_cmd->add_option("--jobs", sw.jobs, "explore --jobs, and the CPUs each task asks for")->capture_default_str();
  sweep_cmd->add_option("--strategy", sw.strategy, "guided or random (random: each seed's run depends on its seed only)")
      ->capture_default_str();
  sweep_cmd->add_option("--results", sw.results, "folder of the shard-I/ results (Slurm default: ./results, made absolute; "
                                                  "Kubernetes default: /results, the shared volume)");
  sweep_cmd->add_option("--kafkasim", sw.kafkasim, "the kafkasim binary on the nodes (Slurm; a path is made absolute)")
      ->capture_default_str();
  sweep_cmd->add_option("--image", sw.image, "the container image (Kubernetes; deploy/Dockerfile)")->capture_default_str();
  sweep_cmd->add_option("--only", sw.only, "only these shards, e.g. 2,5 (to resubmit what merge --check names)");
  sweep_cmd->add_option("--task-limit", sw.task_limit, "Slurm --time of a task (default: 2h with --runs, 2x the budget + 10m with --time)");
  sweep_cmd->add_option("--name", sw.name, "job name")->capture_default_str();
  sweep_cmd->add_option("--out", sw.out, "the job file to write ('-': standard output)")->capture_default_str();
  sweep_cmd->footer(std::string("Examples:\n"
                                "  kafkasim sweep --slurm --design kafka-0.10 --runs 2000 --shards 16 --out sweep.sbatch\n"
                                "  kafkasim sweep --slurm --design kafka-0.10 --runs 2000 --shards 16 --only 3,7 --out again.sbatch\n"
                                "  kafkasim sweep --kubernetes base.yaml --design latest --time 30m --shards 16 --out job.yaml\n") +
                    kExitCodes);

  kafkasim::cli::ServeOptions serve;
  std::string serve_wall = "60s";
  auto* serve_cmd = app.add_subcommand("serve", "the classroom: a local web server that runs lessons and forks them from any moment");
  serve_cmd->add_option("PATH", serve.paths, "folders of scenario files (each with its lessons/ sub-folder, if any), or files (default: ./scenarios)");
  serve_cmd->add_option("--port", serve.port, "TCP port (0: any free one, printed)")->capture_default_str();
  serve_cmd->add_option("--host", serve.host, "address to listen on (the default is this machine only)")->capture_default_str();
  serve_cmd->add_option("--dir", serve.dir, "folder for the runs and forks (nothing is written elsewhere)")->capture_default_str();
  serve_cmd->add_option("--max-events", serve.max_events, "a request's run: at most this many events")->capture_default_str();
  serve_cmd->add_option("--max-wall", serve_wall, "a request's run: at most this much wall time")->capture_default_str();
  serve_cmd->footer(std::string("Examples:\n  kafkasim serve                       # the bundled scenarios, lessons first\n"
                                "  kafkasim serve my-scenarios/ --port 9000 --dir /tmp/classroom\n") +
                    kExitCodes);

  // No command: the usage, as a newcomer needs it.
  if (argc < 2) {
    std::cerr << app.help() << '\n';
    return kExitBadInput;
  }
  // An unknown command, or a flag the command does not take: say which, and what was probably meant.
  const std::string first = argv[1];
  CLI::App* sub = nullptr;
  for (CLI::App* s : app.get_subcommands({}))
    if (s->get_name() == first) sub = s;
  if (sub == nullptr && !first.empty() && first[0] != '-') {
    std::vector<std::string> names;
    for (CLI::App* s : app.get_subcommands({})) names.push_back(s->get_name());
    std::vector<std::string_view> known(names.begin(), names.end());
    std::cerr << fmt::format("kafkasim: unknown command '{}'{}\n\n", first, kafkasim::did_you_mean(first, known)) << app.help();
    return kExitBadInput;
  }
  if (sub != nullptr) {
    const auto known = flag_names(sub);
    for (int i = 2; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--") break;
      if (a.rfind("--", 0) != 0 || a == "--help") continue;
      const std::string name = a.substr(0, a.find('='));
      if (std::find(known.begin(), known.end(), name) == known.end()) return bad(unknown_flag(first, a, sub));
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const std::string where = sub ? " " + sub->get_name() : "";
    std::cerr << fmt::format("kafkasim{}: {}\n(kafkasim{} --help lists the flags)\n", where, e.what(), where);
    return kExitBadInput;
  }
  if (app.get_subcommands().empty()) {
    std::cerr << app.help() << '\n';
    return kExitBadInput;
  }
  try {
    std::string error;
    if (*run_cmd) {
      if (*design_opt) run.design = design;
      if (*seed_opt) {
        std::uint64_t s = 0;
        if (!parse_seed(run_seed, s, error)) return bad("kafkasim run: --seed " + error + "\n");
        run.seed = s;
      }
      return command_run(run, std::cout, std::cerr);
    }
    if (*check_cmd) return command_check(check_files, std::cout, std::cerr);
    if (*designs_cmd) return command_designs(std::cout);
    if (*explore_cmd) {
      if (*e_systematic && *e_strategy)
        return bad("kafkasim explore: --systematic and --strategy: give one (the systematic search is its own strategy)\n");
      if (*e_depth && !*e_systematic) return bad("kafkasim explore: --depth: only with --systematic\n");
      if (*e_design) explore.design = explore_design;
      if (*e_until_class) explore.until_class = explore_until_class;
      if (*e_runs) explore.runs = explore_runs;
      if (*e_seed && !parse_seed(explore_seed, explore.seed, error)) return bad("kafkasim explore: --seed " + error + "\n");
      if (*e_time) {
        auto t = kafkasim::parse_duration(explore_time, error);
        if (!t) return bad(fmt::format("kafkasim explore: --time {}: {}\n", explore_time, error));
        explore.time_s = kafkasim::to_seconds(*t);
      }
      if (*e_shard &&
          !kafkasim::explore::parse_shard(explore_shard, explore.shard_index, explore.shard_count, error))
        return bad(fmt::format("kafkasim explore: --shard: {}\n", error));
      if (*e_faults && !split_list(explore_faults, explore.faults, error))
        return bad(fmt::format("kafkasim explore: --faults: {}\n", error));
      if (*e_shrink) {
        std::vector<std::string> properties;
        if (!split_list(explore_shrink, properties, error)) return bad(fmt::format("kafkasim explore: --shrink: {}\n", error));
        explore.shrink_only = properties;
      }
      explore.shrink = !no_shrink;
      if (progress) explore.progress = true;
      if (no_progress) explore.progress = false;
      for (int i = 0; i < argc; ++i) explore.command_line += (i ? " " : "") + std::string(i ? argv[i] : "kafkasim");
      return kafkasim::explore::command_explore(explore, std::cout, std::cerr);
    }
    if (*matrix_cmd) {
      auto designs = kafkasim::parse_design_list(matrix_designs, error);
      if (!designs) return bad(fmt::format("kafkasim matrix: --designs: {}\n", error));
      if (designs->empty()) return bad("kafkasim matrix: --designs: name at least one design (e.g. --designs kafka-0.10,latest)\n");
      for (const auto& d : *designs) matrix.designs.push_back(d.label());
      if (*matrix_seed_opt) {
        std::uint64_t s = 0;
        if (!parse_seed(matrix_seed, s, error)) return bad("kafkasim matrix: --seed " + error + "\n");
        matrix.seed = s;
      }
      return command_matrix(matrix, std::cout, std::cerr);
    }
    if (*sweep_cmd) {
      sw.has_design = bool(*s_design);
      sw.has_faults = bool(*s_faults);
      sw.has_runs = bool(*s_runs);
      sw.has_time = bool(*s_time);
      return command_sweep_flags(sw, argc, argv);
    }
    if (*serve_cmd) {
      std::string error;
      const auto wall = kafkasim::parse_duration(serve_wall, error);
      if (!wall || *wall <= 0) return bad(fmt::format("kafkasim serve: --max-wall {}: {}\n", serve_wall, error.empty() ? "a duration above 0, e.g. 60s" : error));
      serve.max_wall_ms = *wall / kafkasim::kMicrosPerMs;
      if (serve.max_events <= 0) return bad("kafkasim serve: --max-events: a count above 0\n");
      if (serve.port < 0 || serve.port > 65535) return bad(fmt::format("kafkasim serve: --port {}: 0 to 65535\n", serve.port));
      if (serve.paths.empty()) serve.paths.push_back("scenarios");
      return kafkasim::cli::command_serve(serve, std::cout, std::cerr);
    }
    if (*merge_cmd) return kafkasim::explore::command_merge(merge_inputs, merge_out, merge_check, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "kafkasim: internal error: " << e.what() << '\n';
    return kExitSimulatorFailure;
  }
  return kExitBadInput;
}
