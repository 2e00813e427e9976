// The historical bug classes explore can recognise in a run: each named by the mechanism its history
// shows (a truncation to the HW and then that replica's election, a lagging replica joining the ISR below
// its leader's epoch start, ...), not by the property it broke, so a different bug that breaks the same
// property is not counted as the class. bench/search-power.sh asks explore for the first run of a class.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

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
struct Analysis {
  std::vector<std::string> classes;
  std::map<std::string, std::int64_t> marks;
};
Analysis analyse(const Scenario& scenario, const sim::History& history, const std::vector<checks::Violation>& violations);
// Every situation mark, reached or not (the coverage table lists the ones a search never reached).
std::vector<std::string> situation_marks();

}  // namespace kafkasim::explore
