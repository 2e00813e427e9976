// Random fault schedules for `kafkasim explore`: drawn with RapidCheck generators from a run's seed, so a
// schedule shrinks with RapidCheck's own shrink tree, and written out as the `events:` of a scenario.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rapidcheck.h>

#include "scenario/scenario.h"
#include "sim/random.h"

namespace kafkasim::explore {

// One generated event as raw choices; `concretize` turns it into a scenario event for a given cluster.
// Every field shrinks towards 0, which means: a time trigger, the first enabled fault kind, broker-1, the
// shortest duration, no delay.
struct RawEvent {
  int trigger = 0;     // 0..5 at a time; 6.. when an event happens (see kTriggers in schedule.cpp)
  int at_ms = 0;       // the time, or `since:` for an event trigger
  int kind = 0;        // index into the run's enabled fault kinds
  int target = 0;      // index into the cluster's targets (static brokers, controller, leader:<p>)
  int subject = 0;     // a second choice: the other side of a cut, the trigger's broker or partition, ...
  int duration_bucket = 0;  // 0 short, 1 medium, 2 around replica.lag.time.max.ms, 3 past the session timeout
  int duration_frac = 0;    // 0..1000 within the bucket
  int after_ms = 0;         // an event trigger's delay
};
using Schedule = std::vector<RawEvent>;

// What the generators need to know about the base scenario.
struct ScheduleContext {
  std::vector<std::string> brokers;     // broker-1..N
  std::vector<std::string> zookeepers;  // zk-1..
  std::vector<std::string> controllers; // KRaft: controller-1..M (no zookeepers then)
  bool kraft = false;
  std::vector<std::string> partitions;  // t-0, ...
  std::vector<std::string> producers;   // producer ids
  std::vector<std::string> clients;     // group consumers and sinks: crash, pause and isolate targets
  std::int64_t duration_ms = 0;         // the fault phase
  std::int64_t session_timeout_ms = 0;
  std::int64_t lag_time_ms = 0;
  int max_events = 16;
  static ScheduleContext of(const Scenario& base);
};

// The fault kinds of `--faults` this run uses at all (swarm testing): a non-empty subset drawn from `seed`.
std::vector<std::string> swarm_kinds(const std::vector<std::string>& allowed, std::uint64_t seed);

// The schedule generator for one run: at most ctx.max_events events, fields in the ranges above.
rc::Gen<Schedule> schedule_gen(const ScheduleContext& ctx);
// A run's schedule with its shrink tree (generation size varies with the seed).
rc::Shrinkable<Schedule> draw_schedule(const ScheduleContext& ctx, std::uint64_t seed);

// One event drawn outside RapidCheck (a guided search's insertions), fields in the generator's ranges.
RawEvent random_event(const ScheduleContext& ctx, sim::Rng& rng);
// How long an event's fault lasts (its `for:`); 0 for an instant one (expire-session, elect-preferred-leader).
std::int64_t fault_length_ms(const RawEvent& e, const ScheduleContext& ctx, const std::string& kind);
// The ranges of the fields, for mutations that redraw one of them.
int trigger_values();
// A shrink tree for any schedule (a guided search's mutants have no RapidCheck draw behind them): fewer
// events first, then each field of each event towards 0, as RapidCheck's own tree does.
rc::Shrinkable<Schedule> shrinkable_of(Schedule schedule);

// The action part of one event as event_lines writes it (`crash: 'broker-2', for: 800ms`), for a search
// that places its own triggers (explore/systematic.h); `e.trigger` is taken as a time trigger's.
std::string action_line(const RawEvent& e, const ScheduleContext& ctx, const std::string& kind);
// How many targets an action of `kind` chooses among with RawEvent::target (brokers, the controller, the
// controller nodes, the roles of each partition), and how many message types `drop` chooses among.
int target_count(const ScheduleContext& ctx, const std::string& kind);
int drop_type_count(const ScheduleContext& ctx);
// The RawEvent::target that names `target` (broker-2, controller, leader:t-0, ...) for an action of `kind`,
// or -1 when that action cannot take it.
int target_index(const ScheduleContext& ctx, const std::string& kind, const std::string& target);
// The RawEvent::trigger value of an event trigger on history event `event`, or -1 when no trigger is.
int trigger_value_of(const ScheduleContext& ctx, const std::string& event);
// The history events the generated schedules trigger on, and which field of each they pin.
struct TriggerEvent {
  std::string event;
  bool broker = false, partition = false, producer = false;
};
std::vector<TriggerEvent> trigger_events(const ScheduleContext& ctx);

// One YAML line per event (`  - {at: 1200ms, crash: broker-2, for: 800ms}`), sorted by time.
std::vector<std::string> event_lines(const Schedule& schedule, const ScheduleContext& ctx,
                                     const std::vector<std::string>& kinds);

}  // namespace kafkasim::explore
