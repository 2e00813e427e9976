// The parts of one explore run that the random, guided and systematic searches share: the base scenario,
// a run's scenario text, the forked child that runs it and what it sends back, batches of children, the
// signals that interrupt a search, and the progress line. Internal to explore/.
#pragma once

#include <signal.h>

#include <csignal>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "explore/classes.h"
#include "explore/coverage.h"
#include "explore/schedule.h"
#include "scenario/scenario.h"
#include "sim/runner.h"

namespace kafkasim::explore {

struct Base {
  std::string label;       // the file, or "built-in default"
  YAML::Node doc;          // the base without events and expect; design set
  Scenario scenario;       // parsed with the chosen design
  ScheduleContext ctx;
  std::set<std::string> expected;  // BASE's expected violations: not counted as found
};

// A runnable scenario: the base, this run's seed, and the generated events.
std::string scenario_text(const Base& base, std::uint64_t seed, const std::vector<std::string>& event_lines,
                          const std::vector<std::string>& comments = {}, const std::string& name = "",
                          const std::string& summary = "");

struct RunResult {
  bool failed = false;
  std::string failure;
  std::vector<std::string> properties;  // violated, not expected by the base, in checker order
  std::vector<std::string> details;     // the first violation's detail of each property
  std::vector<std::string> classes;     // the historical bug classes its history shows (explore/classes.h)
  Coverage coverage;
  std::map<std::string, Moment> moments;  // each situation's first moment (explore/classes.h)
  std::uint64_t digest = 0;             // 0 unless the child was asked for it
  nlohmann::ordered_json probe;  // --systematic: what explore/systematic.h asks of the run
};

// The child's work: run the scenario, check it, classify it; a JSON text for the parent. With `probe`, the
// systematic search's view of the run as well (explore/systematic.h); with `digest`, the history's digest
// (--check-determinism): it formats the whole history as JSON lines, a tenth of a short run's cost, so
// only the runs that are re-checked pay for it.
std::string child_body(const Scenario& scenario, bool probe = false, bool digest = false);
RunResult read_outcome(const sim::ChildOutcome& child, const std::set<std::string>& expected);

// A prepared run: its text, and the parsed scenario (or why the text did not parse: a generator bug).
struct Prepared {
  std::string text;
  std::size_t events = 0;
  std::optional<Scenario> scenario;
  std::string parse_error;
};

Prepared prepare(const Base& base, std::uint64_t seed, const Schedule& schedule, const std::vector<std::string>& kinds);

// Where a child's standard error goes; kept (renamed next to the saved scenario) only when the run failed.
std::string stderr_file(const std::string& out_dir, std::uint64_t tag);
// Keeps a failed child's standard error beside its saved scenario; drops the others'.
std::string keep_stderr(const std::string& from, const std::string& scenario_file, bool failed);

// The first SIGINT or SIGTERM explore received (0: none); a second one ends the process at once.
extern volatile std::sig_atomic_t g_signal;
// Catches SIGINT and SIGTERM into g_signal while it lives.
struct SignalScope {
  struct sigaction old_int {}, old_term {};
  SignalScope();
  ~SignalScope();
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;
};

// Runs the scenarios, up to `jobs` at a time; results in the same order. Returns early (with `*interrupted`
// set and the children killed) when a signal arrives.
std::vector<RunResult> run_batch(const std::vector<const Prepared*>& runs, int jobs, const std::set<std::string>& expected,
                                 const std::string& out_dir, std::vector<std::string>* stderr_files = nullptr,
                                 bool* interrupted = nullptr, bool probe = false);

// Runs a written counterexample from its file, as a user will: its result, or why the file did not parse.
struct Replayed {
  bool stopped = false;  // a signal came first
  RunResult result;
  std::string parse_error;
};
Replayed replay_file(const std::string& file, const std::string& text, const Base& base, const std::string& out_dir);

// The summary's `coverage` and `coverage_runs`, with every key the table always shows (a zero included).
void put_coverage(nlohmann::ordered_json& summary, Coverage& times, Coverage& runs, const std::vector<std::string>& faults,
                  bool kraft, bool groups = false);

// The end of a search, after its coverage table: the summary's path (or why it was not written), the exit
// code: 130/143 when interrupted, 3 after a simulator failure, 1 when something was found (`class_found`
// when a class was asked for), else 0.
int finish_search(std::ostream& out, std::ostream& err, const std::string& summary_path, const std::string& summary_error,
                  std::int64_t runs, bool simulator_failures, std::optional<bool> class_found, bool found);

// The live progress line on a terminal (rewritten at most 5 times a second), and lines that stay.
class Progress {
 public:
  Progress(bool live, std::ostream& err) : live_(live), err_(err) {}
  void show(const std::string& line);
  void clear();
  // A line that stays (a found violation): printed on a terminal and off it.
  void note(const std::string& line);

 private:
  bool live_;
  std::ostream& err_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace kafkasim::explore
