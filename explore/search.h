// `kafkasim explore` and `kafkasim merge`: the random search over fault schedules, its parallel and
// sharded runs, shrinking a violation to a minimal replayable scenario, and the summary files.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "explore/classes.h"
#include "scenario/scenario.h"

namespace kafkasim::explore {

struct ExploreOptions {
  std::string base_file;                 // empty: the built-in default cluster and workload
  std::optional<std::string> design;     // preset or PRESET,switch=value; default: the base's design
  std::vector<std::string> faults;       // fault kinds; empty: all
  std::optional<std::int64_t> runs;      // per shard
  std::optional<double> time_s;          // wall-clock budget of the search, per shard
  std::uint64_t seed = 1;
  int jobs = 1;
  int shard_index = 0;                   // I of --shard I/N
  int shard_count = 1;                   // N
  std::string out_dir = "kafkasim-explore";
  double check_determinism_percent = 0;  // rerun this share of the runs and compare history digests
  int max_events = 16;                   // events per generated schedule
  int max_shrink_runs = 500;            // bound on the shrinking of one counterexample
  bool shrink = true;
  std::optional<std::vector<std::string>> shrink_only;  // --shrink: only these properties are shrunk
  bool resume = false;                   // continue the search whose summary.json is in out_dir
  bool force = false;                    // replace the search in out_dir
  std::optional<bool> progress;          // default: when stderr is a terminal
  std::string command_line;              // written into the counterexamples' comments
  std::string strategy = "guided";       // guided (corpus + mutations, explore/guide.h) or random
  std::optional<std::string> until_class;  // stop at the first run that shows this bug class (explore/classes.h)
  bool systematic = false;               // --systematic: enumerate fault placements (explore/systematic.h)
  int systematic_depth = 2;              // --depth K: at most K placed faults
  bool validate_only = false;            // check the flags and the base (exit 2 or 0), touch no file, run nothing
};

// The flag checks of explore (exit 2 on failure with a message on `err`), then the search.
int command_explore(const ExploreOptions& options, std::ostream& out, std::ostream& err);

// Combines the summary.json of several explore runs (folders or files) into `out_dir/summary.json`;
// with `check`, a sweep with missing seeds exits 1 and names the shards to resubmit.
int command_merge(const std::vector<std::string>& inputs, const std::string& out_dir, bool check, std::ostream& out,
                  std::ostream& err);
int command_merge(const std::vector<std::string>& inputs, const std::string& out_dir, std::ostream& out,
                  std::ostream& err);

// One scenario run in a forked child as explore runs it: its violated properties, the bug classes its
// history shows (explore/classes.h) and the coverage marks it reached.
struct ClassifiedRun {
  std::string failure;
  std::vector<std::string> properties, classes, marks;
  std::map<std::string, Moment> moments;  // where each situation first happened
};
ClassifiedRun classify_run(const Scenario& scenario);

// The built-in base scenario of explore (a valid scenario file's text).
const std::string& default_base_text();

// Parses "I/N" (0 <= I < N); on error returns false and sets `error`.
bool parse_shard(const std::string& text, int& index, int& count, std::string& error);

}  // namespace kafkasim::explore
