// The cost model: steady load costs per record, an idle cluster costs per follower-leader pair and per
// partition held in every broker's metadata. Measured (RelWithDebInfo, one core): about 8 events and
// 3.5 KiB per record at RF 3; about 5 events a second per fetching broker pair (long-poll fetches, their
// replies, timers); about 0.8 KiB per (broker, partition) of metadata and partition state.
#include "sim/cost.h"

#include <algorithm>

#include <fmt/format.h>

namespace kafkasim::sim {

namespace {
constexpr double kEventsPerRecordPerReplica = 2.0;
constexpr double kEventsPerRecord = 2.0;
constexpr double kEventsPerPairSecond = 5.0;
constexpr double kEventsPerBrokerSecond = 2.0;  // ZooKeeper pings, checkpoints, ISR checks
constexpr double kBaseMib = 30.0;
constexpr double kKibPerRecord = 3.5;
constexpr double kKibPerBrokerPartition = 0.8;
constexpr double kKibPerEvent = 0.35;  // the history, for events that carry no record
}  // namespace

CostEstimate estimate_cost(const Scenario& s) {
  CostEstimate c;
  c.simulated_s = to_seconds(s.duration) + to_seconds(s.settle);
  double partitions = 0, replicas = 0, rf_sum = 0;
  for (const auto& t : s.topics) {
    partitions += t.partitions;
    replicas += static_cast<double>(t.partitions) * t.replication_factor;
    rf_sum += t.replication_factor;
  }
  const double rf = s.topics.empty() ? 1.0 : rf_sum / static_cast<double>(s.topics.size());
  for (const auto& p : s.producers) {
    const double until = to_seconds(std::max(p.until, p.from));
    c.records += p.rate.per_second() * (until - to_seconds(p.from));
  }
  for (const auto& e : s.events)
    if (e.action.kind == ActionKind::Produce) c.records += static_cast<double>(e.action.produce.count) * e.trigger.times;
  const double brokers = s.brokers;
  const double pairs = std::min(brokers * std::max(brokers - 1, 0.0), std::max(replicas - partitions, 0.0));
  c.events = c.records * (kEventsPerRecord + kEventsPerRecordPerReplica * rf) +
             c.simulated_s * (kEventsPerPairSecond * pairs + kEventsPerBrokerSecond * brokers);
  const double idle_events = c.simulated_s * (kEventsPerPairSecond * pairs + kEventsPerBrokerSecond * brokers);
  c.memory_mib = kBaseMib + (kKibPerRecord * c.records + kKibPerBrokerPartition * brokers * partitions +
                             kKibPerEvent * idle_events) / 1024.0;
  return c;
}

std::string refuse_by_estimate(const Scenario& s, double factor) {
  const CostEstimate c = estimate_cost(s);
  const double max_events = static_cast<double>(s.config.integer("sim.max.events"));
  const double max_mib = static_cast<double>(s.config.integer("sim.max.memory.mb"));
  // Only a run that would cost noticeable time is refused: a small one with a deliberately small bound
  // (a test of the bound itself) runs until it meets it, and its failure says exactly where.
  constexpr double kNoticeableEvents = 1e6, kNoticeableMib = 512;
  if (c.events < kNoticeableEvents && c.memory_mib < kNoticeableMib) return "";
  std::string past;
  if (c.events > factor * max_events)
    past = fmt::format("about {:.3g} events, past sim.max.events = {}", c.events, s.config.integer("sim.max.events"));
  if (c.memory_mib > factor * max_mib)
    past += fmt::format("{}about {:.0f} MiB, past sim.max.memory.mb = {}", past.empty() ? "" : " and ", c.memory_mib,
                        s.config.integer("sim.max.memory.mb"));
  if (past.empty()) return "";
  return fmt::format("{}:1:1: this scenario is clearly larger than a run may be: {} ({} brokers, {:.0f} records over {:.0f} s "
                     "simulated); make it smaller (fewer partitions or brokers, a lower rate, a shorter duration), or "
                     "raise the bound in config: (the estimate is rough; docs/robustness.md gives measured costs)",
                     s.file, past, s.brokers, c.records, c.simulated_s);
}

}  // namespace kafkasim::sim
