// Checkers: one per property of spec/properties.md, each reading the recorded history from outside
// the models. This file is the registry the run and the verdict use.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "scenario/scenario.h"
#include "sim/history.h"

namespace kafkasim::checks {

// One record a violation is about: where it is (or was), what it holds, and what part it plays.
struct ViolationRecord {
  std::string role;               // "lost", "committed", "held", "read", "final"
  std::int64_t offset = -1;
  std::string value;
  std::int64_t leader_epoch = -1;  // -1: not known
  int broker = -1;                 // whose log, when it is one broker's
  std::string producer;            // who sent it, when known
};

struct Violation {
  std::string property;
  Micros time = 0;
  std::string partition;  // "" when none applies
  std::vector<int> brokers;
  std::string detail;
  std::vector<ViolationRecord> records;  // every record it is about (all the records lost, not only the first)
};

class Checker {
 public:
  virtual ~Checker() = default;
  virtual std::string_view property() const = 0;
  // Reads the whole history of a finished run; returns what it found.
  virtual std::vector<Violation> check(const Scenario& scenario, const sim::History& history) = 0;
};

// Every implemented checker, in the spec's property order.
std::vector<std::unique_ptr<Checker>> all_checkers();
std::vector<std::string> checked_properties();
std::vector<Violation> check_history(const Scenario& scenario, const sim::History& history);

// The result's counts (spec/properties.md, "Allowed loss"): acknowledged records, acks=1 records lost,
// acknowledged records lost after an unclean election of their partition.
struct LossStats {
  std::int64_t acked = 0;
  std::int64_t lost_acks1 = 0;
  std::int64_t lost_unclean = 0;
  std::int64_t duplicates = 0;  // stats.duplicates: duplicate_count(history)
};
LossStats loss_stats(const sim::History& history);

// stats.duplicates (spec/consumer-groups.md, duplicate-processing): sink writes an append sink stored a
// second time (applied: duplicate; a keyed sink's overwrite is not one), plus, for group members without
// a sink, each further processing of a record (partition, offset, value) the group had processed already.
// Without the scenario, a consumer has a sink when the history shows it writing to one.
std::int64_t duplicate_count(const Scenario& scenario, const sim::History& history);
std::int64_t duplicate_count(const sim::History& history);

// KRaft figures (spec/issue 14): how often the quorum leader changed after the first election, and the
// broker-seconds the running brokers spent behind the metadata the quorum had committed.
struct QuorumStats {
  bool kraft = false;  // the history has a quorum at all
  std::int64_t leader_elections = 0;
  std::int64_t leader_changes = 0;
  double stale_metadata_s = 0;
};
QuorumStats quorum_stats(const sim::History& history);

// What each producer got (the result's stats.producers and the narrative's last lines): records handed
// to it, acknowledged, failed by error, still pending when the run ended, and the leaders' refusals it
// retried past.
struct ProducerAccount {
  std::int64_t sent = 0, acked = 0, failed = 0, refused = 0;
  std::map<std::string, std::int64_t> errors, refusals;
  std::int64_t pending() const { return sent - acked - failed; }
};
std::map<std::string, ProducerAccount> producer_accounts(const sim::History& history);

// The verdict: pass when the violated properties are exactly the expected ones.
bool verdict_pass(const std::vector<Violation>& violations, const std::vector<std::string>& expected);

}  // namespace kafkasim::checks
