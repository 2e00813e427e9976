// The `kafkasim` entry point: parses flags with CLI11 and dispatches to the commands. Usage on no
// arguments and on an unknown command, "did you mean" for commands and flags, --help with examples,
// defaults and exit codes; every flag value range-checked (exit 2) before anything runs.
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "explore/search.h"
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
                              "  kafkasim run scenarios/lesson-*.yaml --report out/lessons\n") +
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
  explore_cmd->add_option("--strategy", explore.strategy,
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
                                  "  kafkasim explore BASE.yaml --design latest --time 10m --shard 3/16 --out out/3\n") +
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
    if (*merge_cmd) return kafkasim::explore::command_merge(merge_inputs, merge_out, merge_check, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "kafkasim: internal error: " << e.what() << '\n';
    return kExitSimulatorFailure;
  }
  return kExitBadInput;
}
