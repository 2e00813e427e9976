// The `kafkasim` entry point: parses flags with CLI11 and dispatches to the commands.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

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

  std::vector<std::string> check_files;
  auto* check_cmd = app.add_subcommand("check", "validate scenario files; no simulation");
  check_cmd->add_option("FILE", check_files, "scenario files")->required();

  auto* designs_cmd = app.add_subcommand("designs", "list the design presets and switches");

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
  } catch (const std::exception& e) {
    std::cerr << "kafkasim: internal error: " << e.what() << '\n';
    return kExitSimulatorFailure;
  }
  return kExitBadInput;
}
