// The historical bug classes explore can recognise in a run: each named by the mechanism its history
// shows (a truncation to the HW and then that replica's election, a lagging replica joining the ISR below
// its leader's epoch start, ...), not by the property it broke, so a different bug that breaks the same
// property is not counted as the class. bench/search-power.sh asks explore for the first run of a class.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "checks/checkers.h"
#include "scenario/scenario.h"
#include "sim/history.h"

namespace kafkasim::explore {

struct BugClass {
  std::string_view name;       // e.g. kafka-7128-stale-hw-isr-join
  std::string_view history;    // the Kafka issue or KIP
  std::string_view mechanism;  // what the history must show, in one sentence
};

const std::vector<BugClass>& all_bug_classes();
const BugClass* find_bug_class(std::string_view name);

// The classes whose mechanism this run's history shows, in all_bug_classes() order. `violations` are
// the run's own (a class needs the violation its mechanism causes, on the partition it happened to).
std::vector<std::string> classes_of(const Scenario& scenario, const sim::History& history,
                                    const std::vector<checks::Violation>& violations);

// The same pass, with the coverage marks of the mechanisms' moments: `situation:<name>` each time a
// class's precondition happens (a replica joins the ISR below its leader's epoch start, a leader advances
// its HW below min ISR, ...), and `class:<name>` for each class recognised.
// Where a situation first happened: the history event it happened at, its time and what it names. A
// guided search places a mutant's next fault there (explore/guide.h).
struct Moment {
  std::int64_t at_ms = 0;
  std::string event;      // the history event's name (isr-changed, leader-elected, ...)
  std::string partition;  // its partition, or ""
  int broker = -1;        // the broker it is about (the joiner, the elected replica, ...), or -1
  std::vector<int> others;  // the partition's other replicas, as far as the history shows them then
};
// A moment as a search's files hold it ([at_ms, event, partition, broker, others]) and back; a malformed
// one reads as nullopt.
nlohmann::ordered_json moment_json(const Moment& m);
std::optional<Moment> moment_of(const nlohmann::ordered_json& j);
struct Analysis {
  std::vector<std::string> classes;
  std::map<std::string, std::int64_t> marks;
  std::map<std::string, Moment> moments;  // each situation mark's first moment
};
Analysis analyse(const Scenario& scenario, const sim::History& history, const std::vector<checks::Violation>& violations);
// Every situation mark, reached or not (the coverage table lists the ones a search never reached).
std::vector<std::string> situation_marks();

}  // namespace kafkasim::explore
