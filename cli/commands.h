// The `kafkasim` commands, callable from main() and from tests: run, check, designs.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/narrative.h"
#include "scenario/scenario.h"
#include "sim/runner.h"

namespace kafkasim::cli {

inline constexpr int kExitPass = 0;
inline constexpr int kExitFail = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitSimulatorFailure = 3;

struct RunOptions {
  bool explain = false;
  std::string history_path;  // write history.jsonl here when non-empty
  std::string failures_dir = "kafkasim-failures";
  bool progress = false;     // the child shows a progress line on standard error for a long run
  bool record_messages = false;  // messages in the history (message-sent, -received, -lost): for a report
};

struct RunReport {
  nlohmann::ordered_json result;  // spec/cli.md's result object (when the run completed)
  std::vector<reports::NarrativeLine> lines;
  std::string failure;       // non-empty: the simulator failed
  std::string saved_replay;  // where the scenario was saved for replay after a failure ("" if it could not be)
  std::string save_error;    // why it could not be saved, with the command that replays it instead
  std::string output_error;  // non-empty: the run finished, but its history could not be written
  std::string not_applicable;  // matrix: why the scenario cannot run on that design (it was not run)
  std::uint64_t history_digest = 0;
  bool passed() const { return failure.empty() && result.value("verdict", "") == "pass"; }
};

// Runs one scenario in a forked child and reports what happened.
RunReport run_scenario(const Scenario& scenario, const RunOptions& options);
// The same in pieces, for running several children at once (matrix): what the child runs and returns,
// its wall-clock bound, and the report made of what it sent back (saving the scenario after a failure).
std::string child_body(const Scenario& scenario, const RunOptions& options);
double wall_limit_s(const Scenario& scenario);
std::int64_t memory_limit_mib(const Scenario& scenario);
RunReport read_child(const sim::ChildOutcome& child, const Scenario& scenario, const RunOptions& options);

// Parses every file, reporting each bad one on `err` (FILE:LINE:COL: message); ok = all parsed.
std::vector<Scenario> parse_all(const std::vector<std::string>& files, std::ostream& err, bool& ok);

struct MatrixCommand {
  std::vector<std::string> files;
  std::vector<std::string> designs;
  std::optional<std::uint64_t> seed;
  int jobs = 1;
  std::string json_out;
  std::string report_dir;  // an HTML matrix linking to each run's report
};
// Every scenario under every design, in parallel children: a table of violated properties.
int command_matrix(const MatrixCommand& cmd, std::ostream& out, std::ostream& err);

struct RunCommand {
  std::vector<std::string> files;
  std::optional<std::string> design;
  std::optional<std::uint64_t> seed;
  std::string json_out;
  std::string history_dir;
  std::string report_dir;  // write index.html, history.jsonl, result.json here (a folder per run for several)
  bool explain = false;
};
int command_run(const RunCommand& cmd, std::ostream& out, std::ostream& err);
// A simulator failure on stderr: what failed, and where the scenario was saved (or how to replay it).
void print_failure(std::ostream& err, const Scenario& scenario, const RunReport& report);
int command_check(const std::vector<std::string>& files, std::ostream& out, std::ostream& err);
int command_designs(std::ostream& out);

bool use_colour(int fd);

}  // namespace kafkasim::cli
