// The `kafkasim` entry point: parses flags with CLI11 and dispatches to the commands.
#include <algorithm>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "explore/search.h"
#include "scenario/units.h"

int main(int argc, char** argv) {
  using namespace kafkasim::cli;
  CLI::App app{"kafkasim: a deterministic simulator of Kafka's replication protocol under failures"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "kafkasim 0.1 (scenario format version 1)");

  RunCommand run;
  std::uint64_t seed = 0;
  std::string design;
  auto* run_cmd = app.add_subcommand("run", "run scenarios; print the narrative and the verdict");
  run_cmd->add_option("FILE", run.files, "scenario files")->required();
  auto* design_opt = run_cmd->add_option("--design", design, "design preset, or PRESET,switch=value,... (overrides the file's)");
  auto* seed_opt = run_cmd->add_option("--seed", seed, "root seed (overrides the file's)");
  run_cmd->add_option("--json", run.json_out, "write the JSON result(s) here");
  run_cmd->add_option("--history", run.history_dir, "write each run's history.jsonl into this folder (or FILE.jsonl)");
  run_cmd->add_flag("--explain", run.explain, "print every history event, narrated");
  run_cmd->add_option("--report", run.report_dir, "write an HTML report (index.html, history.jsonl, result.json) into this folder");

  std::vector<std::string> check_files;
  auto* check_cmd = app.add_subcommand("check", "validate scenario files; no simulation");
  check_cmd->add_option("FILE", check_files, "scenario files")->required();

  auto* designs_cmd = app.add_subcommand("designs", "list the design presets and switches");

  kafkasim::explore::ExploreOptions explore;
  std::string explore_design, explore_faults, explore_time, explore_shard;
  std::int64_t explore_runs = 0;
  bool no_shrink = false, progress = false, no_progress = false;
  auto* explore_cmd = app.add_subcommand(
      "explore", "random fault schedules over BASE (or a built-in cluster); shrinks and writes each violation found");
  explore_cmd->add_option("BASE", explore.base_file, "a scenario whose cluster, configs, topics and clients are kept");
  auto* e_design = explore_cmd->add_option("--design", explore_design, "design preset, or PRESET,switch=value,... (default: BASE's, or latest)");
  explore_cmd->add_option("--faults", explore_faults, "fault kinds, comma-separated (default: all)");
  auto* e_runs = explore_cmd->add_option("--runs", explore_runs, "runs (per shard); default 100 unless --time is given");
  auto* e_time = explore_cmd->add_option("--time", explore_time, "wall-clock budget of the search (per shard), e.g. 60s or 10m");
  explore_cmd->add_option("--seed", explore.seed, "base seed (run k of shard I/N uses seed S+I+k*N)");
  explore_cmd->add_option("--jobs", explore.jobs, "runs at once (forked children)");
  auto* e_shard = explore_cmd->add_option("--shard", explore_shard, "I/N: this invocation covers shard I (from 0) of N");
  explore_cmd->add_option("--out", explore.out_dir, "folder for counterexamples and summary.json")->capture_default_str();
  explore_cmd->add_option("--check-determinism", explore.check_determinism_percent,
                          "re-run this percentage of the runs and compare history digests");
  explore_cmd->add_option("--max-events", explore.max_events, "most fault events in one schedule")->capture_default_str();
  explore_cmd->add_option("--max-shrink-runs", explore.max_shrink_runs, "bound on the runs spent shrinking one violation")
      ->capture_default_str();
  explore_cmd->add_flag("--no-shrink", no_shrink, "write violations as found, unshrunk");
  explore_cmd->add_flag("--progress", progress, "show the live progress line even when stderr is not a terminal");
  explore_cmd->add_flag("--no-progress", no_progress, "never show the live progress line");

  MatrixCommand matrix;
  std::string matrix_designs;
  std::uint64_t matrix_seed = 0;
  auto* matrix_cmd = app.add_subcommand("matrix", "run each scenario under each design; a table of violated properties");
  matrix_cmd->add_option("FILE", matrix.files, "scenario files")->required();
  matrix_cmd->add_option("--designs", matrix_designs, "designs, comma-separated (presets, or PRESET;switch=value with ';')")
      ->required();
  auto* matrix_seed_opt = matrix_cmd->add_option("--seed", matrix_seed, "root seed (overrides the files')");
  matrix_cmd->add_option("--jobs", matrix.jobs, "runs at once (forked children)")->capture_default_str();
  matrix_cmd->add_option("--json", matrix.json_out, "write the matrix as JSON here");
  matrix_cmd->add_option("--report", matrix.report_dir, "write an HTML matrix here, linking to each run's report");

  std::vector<std::string> merge_inputs;
  std::string merge_out = "kafkasim-merged";
  auto* merge_cmd = app.add_subcommand("merge", "combine the summary.json of explore shards");
  merge_cmd->add_option("DIR", merge_inputs, "explore output folders (or summary.json files)")->required();
  merge_cmd->add_option("--out", merge_out, "folder for the merged summary.json")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "kafkasim: " << e.what() << "\n(kafkasim --help lists the commands)\n";
    return kExitBadInput;
  }
  try {
    if (*run_cmd) {
      if (*design_opt) run.design = design;
      if (*seed_opt) run.seed = seed;
      return command_run(run, std::cout, std::cerr);
    }
    if (*check_cmd) return command_check(check_files, std::cout, std::cerr);
    if (*designs_cmd) return command_designs(std::cout);
    if (*explore_cmd) {
      if (*e_design) explore.design = explore_design;
      if (*e_runs) explore.runs = explore_runs;
      if (*e_time) {
        std::string error;
        auto t = kafkasim::parse_duration(explore_time, error);
        if (!t) {
          std::cerr << "kafkasim explore: --time " << explore_time << ": " << error << '\n';
          return kExitBadInput;
        }
        explore.time_s = kafkasim::to_seconds(*t);
      }
      if (*e_shard) {
        std::string error;
        if (!kafkasim::explore::parse_shard(explore_shard, explore.shard_index, explore.shard_count, error)) {
          std::cerr << "kafkasim explore: --shard: " << error << '\n';
          return kExitBadInput;
        }
      }
      std::stringstream faults(explore_faults);
      for (std::string f; std::getline(faults, f, ',');)
        if (!f.empty()) explore.faults.push_back(f);
      explore.shrink = !no_shrink;
      if (progress) explore.progress = true;
      if (no_progress) explore.progress = false;
      for (int i = 0; i < argc; ++i) explore.command_line += (i ? " " : "") + std::string(i ? argv[i] : "kafkasim");
      return kafkasim::explore::command_explore(explore, std::cout, std::cerr);
    }
    if (*matrix_cmd) {
      // Designs are comma-separated; a design with switches writes them after ';' (kafka-0.10;truncation=leader-epoch).
      std::stringstream designs(matrix_designs);
      for (std::string d; std::getline(designs, d, ',');) {
        std::replace(d.begin(), d.end(), ';', ',');
        if (!d.empty()) matrix.designs.push_back(d);
      }
      if (*matrix_seed_opt) matrix.seed = matrix_seed;
      return command_matrix(matrix, std::cout, std::cerr);
    }
    if (*merge_cmd) return kafkasim::explore::command_merge(merge_inputs, merge_out, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "kafkasim: internal error: " << e.what() << '\n';
    return kExitSimulatorFailure;
  }
  return kExitBadInput;
}
