// Coverage-guided search for `kafkasim explore`: a corpus of the schedules that reached a rare coverage
// mark, or a new combination of marks, and mutations of them (insert, delete, retarget, re-time, change a
// trigger, a kind or a duration, splice from another entry), drawn more often than fresh schedules.
// FoundationDB's CODE_PROBE and Antithesis's coverage-guided branching are the models. The corpus grows
// in run order and a run's schedule depends only on the runs `kLag` before it, so a search is the same
// for any --jobs.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "explore/classes.h"
#include "explore/coverage.h"
#include "explore/schedule.h"

namespace kafkasim::explore {

// One run's schedule and where it came from.
struct Candidate {
  Schedule schedule;
  std::vector<std::string> kinds;  // the run's fault kinds (swarm testing)
  bool fresh = true;               // drawn from the seed alone (RapidCheck's shrink tree applies)
  std::int64_t parent = -1;        // a mutant: the run whose schedule it mutated
  std::string mutations;           // a mutant: what was done, e.g. "retarget 3, re-time 0"
};

class Guide {
 public:
  // Run k's schedule depends on the corpus after runs 0..k-kLag were folded.
  static constexpr std::int64_t kLag = 32;
  static constexpr std::size_t kMaxCorpus = 256;

  Guide(const ScheduleContext& ctx, std::vector<std::string> allowed_kinds, bool guided);

  // The schedule of run k (with its seed): fresh, or a mutation of a corpus entry.
  Candidate candidate(std::int64_t k, std::uint64_t seed) const;
  using Moments = std::map<std::string, Moment>;
  // Adds run k's coverage (call once per run, in run order); keeps it if it reached something new, with
  // the moments its situations first happened at (a chain mutation places a fault there).
  void fold(std::int64_t k, const Candidate& c, const Coverage& coverage, const Moments& moments = {});
  // Run k is done (in any order): its schedule and coverage wait until run k + kLag is about to be made.
  void done(std::int64_t k, const Candidate& c, const Coverage& coverage, const Moments& moments = {});
  // Folds the done runs that run k's schedule depends on; false while one of them is still running.
  // Folding only what the next schedule needs keeps the state a search stops in the state it resumes
  // from: to_json() holds the corpus and the runs done but not yet folded.
  bool catch_up(std::int64_t k);
  // A search resumed after run `first_k - 1`: runs before it that never finished (interrupted) fold as
  // runs that reached nothing, as an uninterrupted search would have had to wait for them forever.
  void resume_at(std::int64_t first_k);

  std::size_t corpus_size() const { return corpus_.size(); }
  std::size_t features_seen() const { return feature_runs_.size(); }
  nlohmann::ordered_json to_json() const;
  void from_json(const nlohmann::ordered_json& j);

 private:
  struct Entry {
    std::int64_t k = 0;
    Schedule schedule;
    std::vector<std::string> kinds;
    Coverage coverage;                  // what it reached (kept; its features are derived from it)
    std::vector<std::string> features;
    Moments moments;                    // where its situations first happened
  };
  struct Done {
    Candidate candidate;
    Coverage coverage;
    Moments moments;
  };
  double rarity(const Entry& e) const;
  Schedule mutate(const Schedule& parent, std::vector<std::string>& kinds, sim::Rng& rng, std::string& what) const;
  // A chain: one or two faults triggered by the history event one of the parent's situations happened at
  // (from that moment on), aimed at the roles it names (the partition's leader, in-sync follower, lagging
  // replica) or at its broker.
  Schedule chain(const Entry& parent, std::vector<std::string>& kinds, sim::Rng& rng, std::string& what) const;

  ScheduleContext ctx_;
  std::vector<std::string> allowed_;
  bool guided_;
  std::vector<Entry> corpus_;
  std::map<std::string, std::int64_t> feature_runs_;  // feature -> runs that had it
  std::int64_t next_fold_ = 0;                        // the first run not yet folded
  std::map<std::int64_t, Done> pending_;                           // done, not yet folded
};

// The features of one run's coverage: each mark reached (and its count's power of two), and each pair of
// the marks that name protocol situations.
std::vector<std::string> coverage_features(const Coverage& coverage);

}  // namespace kafkasim::explore
