// Fault schedules drawn with RapidCheck and written as scenario events. The raw choices are plain
// integers so that RapidCheck shrinks them (fewer events, earlier kinds, smaller numbers); the mapping to
// actions, targets and triggers happens afterwards, against the base scenario's cluster.
#include "explore/schedule.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/random.h"

namespace kafkasim::explore {

namespace {

// Event triggers: the history event, and which of its fields the schedule pins. Chosen for the narrow
// windows where the historical bugs live: right after an acknowledgement, a restart, a follower's return,
// a truncation, an election, an ISR change, a controller move, a session expiry.
struct TriggerKind {
  const char* event;
  bool broker;     // pins `broker: <subject broker>`
  bool partition;  // pins `partition: <subject partition>`
  bool producer;   // pins `producer: <first producer>`
};
constexpr TriggerKind kTriggers[] = {
    {"produce-acked", false, false, true}, {"broker-started", true, false, false},
    {"became-follower", true, true, false}, {"became-leader", false, true, false},
    {"truncated", true, false, false},      {"leader-elected", false, true, false},
    {"isr-changed", false, true, false},    {"controller-elected", false, false, false},
    {"zk-session-expired", false, false, false}, {"broker-registered", true, false, false},
};
// KRaft: the same slots, with the control plane's own moments in the ZooKeeper ones (a broker fenced in
// place of a session expiry, a quorum leader elected in place of a controller).
constexpr TriggerKind kKraftTriggers[] = {
    {"produce-acked", false, false, true}, {"broker-started", true, false, false},
    {"became-follower", true, true, false}, {"became-leader", false, true, false},
    {"truncated", true, false, false},      {"leader-elected", false, true, false},
    {"isr-changed", false, true, false},    {"controller-elected", false, false, false},
    {"broker-fenced", true, false, false},  {"broker-unfenced", true, false, false},
};
static_assert(std::size(kTriggers) == std::size(kKraftTriggers));
constexpr int kTimeTriggers = 6;  // trigger values below this are `at:` times
constexpr int kTriggerValues = kTimeTriggers + static_cast<int>(std::size(kTriggers));
constexpr int kSubjects = 64;
constexpr int kAfterMaxMs = 50;
const char* const kDropTypes[] = {"", "Fetch", "LeaderAndIsr", "Produce", "ZkPing", "AlterPartition"};
// KRaft: the quorum's RPCs and the brokers' heartbeats in place of LeaderAndIsr and ZooKeeper's pings.
const char* const kKraftDropTypes[] = {"", "Fetch", "Vote", "Produce", "BrokerHeartbeat", "AlterPartition",
                                       "BeginQuorumEpoch"};

std::string quoted(const std::string& s) { return "'" + s + "'"; }

template <typename T>
const T& pick(const std::vector<T>& v, int index) {
  return v[static_cast<std::size_t>(index) % v.size()];
}

std::int64_t duration_ms(const RawEvent& e, const ScheduleContext& ctx) {
  const double f = e.duration_frac / 1000.0;
  switch (e.duration_bucket) {
    case 0: return 5 + static_cast<std::int64_t>(245 * f);
    case 1: return 250 + static_cast<std::int64_t>(2750 * f);
    case 2: return std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(ctx.lag_time_ms) * (0.5 + f)));
    default: return std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(ctx.session_timeout_ms) * (1.0 + f)));
  }
}

std::vector<std::string> targets(const ScheduleContext& ctx, const std::string& kind) {
  const bool brokers_only = kind == "shutdown" || kind == "expire-session";
  std::vector<std::string> t = ctx.brokers;
  t.push_back("controller");
  // KRaft: controller nodes crash, lose power, pause and are isolated like brokers (not shut down or
  // expired: those are a broker's).
  if (!brokers_only) t.insert(t.end(), ctx.controllers.begin(), ctx.controllers.end());
  // The roles a situation names: the leader, an in-sync follower, a replica outside the ISR (lagging).
  for (const char* role : {"leader:", "follower:", "lagging:"})
    for (const auto& p : ctx.partitions) t.push_back(role + p);
  // spec/consumer-groups.md: a base with groups has its group consumers and sinks crashed, paused and
  // isolated too (after every other target, so that a base without groups draws what it always drew).
  if (kind == "crash" || kind == "pause" || kind == "isolate") t.insert(t.end(), ctx.clients.begin(), ctx.clients.end());
  return t;
}

// The partition an event trigger pins (`when: {event: isr-changed, partition: t-1}`), if it pins one.
std::string trigger_partition(const RawEvent& e, const ScheduleContext& ctx);

// The action part of one event: `crash: 'broker-2', for: 800ms` and the like.
std::string action_text(const RawEvent& e, const ScheduleContext& ctx, const std::string& kind) {
  const auto all_targets = targets(ctx, kind);
  std::string target = pick(all_targets, e.target);
  // A role target follows the trigger's partition half the time: the new leader of the partition whose
  // leader was just elected, the replica that just joined or left its ISR.
  const auto colon = target.find(':');
  const std::string pinned = trigger_partition(e, ctx);
  if (colon != std::string::npos && !pinned.empty() && (e.target / static_cast<int>(all_targets.size())) % 2 == 0)
    target = target.substr(0, colon + 1) + pinned;
  // The dynamic `controller` is a controller node in KRaft mode, which a broker-only action cannot take.
  if (ctx.kraft && (kind == "shutdown" || kind == "expire-session") && target == "controller")
    target = pick(ctx.brokers, e.target);
  const std::string for_text = fmt::format(", for: {}ms", duration_ms(e, ctx));
  if (kind == "crash" || kind == "power-loss" || kind == "pause" || kind == "isolate" || kind == "shutdown")
    return fmt::format("{}: {}{}", kind, quoted(target), for_text);
  if (kind == "expire-session") return fmt::format("expire-session: {}", quoted(target));
  if (kind == "elect-preferred-leader") {
    const int choice = e.subject % static_cast<int>(ctx.partitions.size() + 1);
    return fmt::format("elect-preferred-leader: {}",
                       choice == static_cast<int>(ctx.partitions.size()) ? "all" : ctx.partitions[static_cast<std::size_t>(choice)]);
  }
  if (kind == "partition") {
    // One broker against the others; ZooKeeper unlisted (reachable from both sides), or with either side.
    const std::string alone = pick(ctx.brokers, e.target);
    std::vector<std::string> minority = {alone}, majority;
    for (const auto& b : ctx.brokers)
      if (b != alone) majority.push_back(b);
    const int zk_side = e.subject % 3;
    for (const auto& z : ctx.zookeepers) {
      if (zk_side == 1) minority.push_back(z);
      if (zk_side == 2) majority.push_back(z);
    }
    // KRaft: the controller quorum unlisted, wholly on one side, or split (one voter with the lone broker).
    for (std::size_t c = 0; c < ctx.controllers.size(); ++c) {
      const int side = (e.subject / 3) % 4;
      if (side == 1 || (side == 3 && c == 0)) minority.push_back(ctx.controllers[c]);
      if (side == 2 || (side == 3 && c > 0)) majority.push_back(ctx.controllers[c]);
    }
    if (majority.empty()) majority = ctx.kraft ? ctx.controllers : ctx.zookeepers;  // a one-broker cluster
    return fmt::format("partition: [[{}], [{}]]{}", fmt::join(minority, ", "), fmt::join(majority, ", "), for_text);
  }
  if (kind == "cut") {
    std::vector<std::string> others = ctx.brokers;
    others.insert(others.end(), ctx.zookeepers.begin(), ctx.zookeepers.end());
    others.insert(others.end(), ctx.controllers.begin(), ctx.controllers.end());
    std::string to = pick(others, e.subject);
    if (to == target) to = pick(others, e.subject + 1);
    return fmt::format("cut: {{from: {}, to: {}}}{}", quoted(target), quoted(to), for_text);
  }
  if (kind == "drop") {
    const std::string type = ctx.kraft ? kKraftDropTypes[static_cast<std::size_t>(e.subject) % std::size(kKraftDropTypes)]
                                       : kDropTypes[static_cast<std::size_t>(e.subject) % std::size(kDropTypes)];
    const double probability = 1.0 - 0.75 * e.after_ms / kAfterMaxMs;
    return fmt::format("drop: {{from: {}{}, probability: {:.2f}}}{}", quoted(target),
                       type.empty() ? "" : fmt::format(", type: {}", type), probability, for_text);
  }
  if (kind == "delay") {
    const int by_ms = 20 + e.after_ms * 40;
    return fmt::format("delay: {{to: {}, by: {}ms}}{}", quoted(target), by_ms, for_text);
  }
  throw std::logic_error("no schedule mapping for fault kind " + kind);
}

std::string trigger_partition(const RawEvent& e, const ScheduleContext& ctx) {
  if (e.trigger < kTimeTriggers || ctx.partitions.empty()) return "";
  const TriggerKind& t = (ctx.kraft ? kKraftTriggers : kTriggers)[e.trigger - kTimeTriggers];
  return t.partition ? pick(ctx.partitions, e.subject) : "";
}

std::string trigger_text(const RawEvent& e, const ScheduleContext& ctx) {
  const int at_ms = static_cast<int>(std::min<std::int64_t>(e.at_ms, ctx.duration_ms - 1));
  if (e.trigger < kTimeTriggers) return fmt::format("at: {}ms", at_ms);
  const TriggerKind& t = (ctx.kraft ? kKraftTriggers : kTriggers)[e.trigger - kTimeTriggers];
  if (t.producer && ctx.producers.empty()) return fmt::format("at: {}ms", at_ms);
  std::string fields = fmt::format("event: {}", t.event);
  if (t.broker) {
    const std::string& b = pick(ctx.brokers, e.subject);
    fields += fmt::format(", broker: {}", b.substr(b.rfind('-') + 1));
  }
  if (t.partition) fields += fmt::format(", partition: {}", pick(ctx.partitions, e.subject));
  if (t.producer) fields += fmt::format(", producer: {}", ctx.producers.front());
  std::string out = fmt::format("when: {{{}}}", fields);
  if (at_ms > 0) out += fmt::format(", since: {}ms", at_ms);
  if (e.after_ms > 0) out += fmt::format(", after: {}ms", e.after_ms);
  return out;
}

}  // namespace

ScheduleContext ScheduleContext::of(const Scenario& base) {
  ScheduleContext ctx;
  for (int b = 1; b <= base.brokers; ++b) ctx.brokers.push_back(fmt::format("broker-{}", b));
  for (int z = 1; z <= base.zookeepers; ++z) ctx.zookeepers.push_back(fmt::format("zk-{}", z));
  for (int c = 1; c <= base.controllers; ++c) ctx.controllers.push_back(fmt::format("controller-{}", c));
  ctx.kraft = base.design.kraft();
  for (const auto& t : base.topics)
    for (int p = 0; p < t.partitions; ++p) ctx.partitions.push_back(fmt::format("{}-{}", t.name, p));
  for (const auto& p : base.producers) ctx.producers.push_back(p.id);
  for (const auto& c : base.consumers)
    if (!c.group.empty()) ctx.clients.push_back(c.id);
  for (const auto& k : base.sinks) ctx.clients.push_back(k.id);
  ctx.duration_ms = base.duration / kMicrosPerMs;
  ctx.session_timeout_ms = base.config.integer(ctx.kraft ? "broker.session.timeout.ms" : "zookeeper.session.timeout.ms");
  ctx.lag_time_ms = base.config.integer("replica.lag.time.max.ms");
  return ctx;
}

std::vector<std::string> swarm_kinds(const std::vector<std::string>& allowed, std::uint64_t seed) {
  sim::Rng rng(sim::derive_seed(seed, "explore.swarm"));
  std::vector<std::string> out;
  for (const auto& k : allowed)
    if (rng.chance(0.5)) out.push_back(k);
  if (out.empty() && !allowed.empty()) out.push_back(allowed[static_cast<std::size_t>(rng.between(0, static_cast<std::int64_t>(allowed.size()) - 1))]);
  return out;
}

rc::Gen<Schedule> schedule_gen(const ScheduleContext& ctx) {
  const int duration_ms = static_cast<int>(std::max<std::int64_t>(1, ctx.duration_ms));
  // Elements always at full size: RapidCheck scales inRange by the size, and the size is what varies
  // the number of events from run to run.
  auto event = rc::gen::resize(
      rc::kNominalSize,
      rc::gen::map(rc::gen::tuple(rc::gen::inRange(0, kTriggerValues), rc::gen::inRange(0, duration_ms),
                                  rc::gen::inRange(0, 64), rc::gen::inRange(0, 64), rc::gen::inRange(0, kSubjects),
                                  rc::gen::inRange(0, 4), rc::gen::inRange(0, 1001), rc::gen::inRange(0, kAfterMaxMs + 1)),
                   [](const std::tuple<int, int, int, int, int, int, int, int>& t) {
                     const auto& [trigger, at, kind, target, subject, bucket, frac, after] = t;
                     return RawEvent{trigger, at, kind, target, subject, bucket, frac, after};
                   }));
  const std::size_t max_events = static_cast<std::size_t>(ctx.max_events);
  return rc::gen::map(rc::gen::container<std::vector<RawEvent>>(event), [max_events](std::vector<RawEvent> v) {
    if (v.size() > max_events) v.resize(max_events);  // bounded by mapping, which keeps shrinking intact
    return v;
  });
}

rc::Shrinkable<Schedule> draw_schedule(const ScheduleContext& ctx, std::uint64_t seed) {
  sim::Rng rng(sim::derive_seed(seed, "explore.size"));
  const int size = static_cast<int>(rng.between(1, 2 * ctx.max_events));
  return schedule_gen(ctx)(rc::Random(sim::derive_seed(seed, "explore.schedule")), size);
}

RawEvent random_event(const ScheduleContext& ctx, sim::Rng& rng) {
  const std::int64_t duration_ms = std::max<std::int64_t>(1, ctx.duration_ms);
  RawEvent e;
  e.trigger = static_cast<int>(rng.between(0, kTriggerValues - 1));
  e.at_ms = static_cast<int>(rng.between(0, duration_ms - 1));
  e.kind = static_cast<int>(rng.between(0, 63));
  e.target = static_cast<int>(rng.between(0, 63));
  e.subject = static_cast<int>(rng.between(0, kSubjects - 1));
  e.duration_bucket = static_cast<int>(rng.between(0, 3));
  e.duration_frac = static_cast<int>(rng.between(0, 1000));
  e.after_ms = static_cast<int>(rng.between(0, kAfterMaxMs));
  return e;
}

int trigger_values() { return kTriggerValues; }

rc::Shrinkable<Schedule> shrinkable_of(Schedule schedule) {
  return rc::shrinkable::shrinkRecur(std::move(schedule), [](const Schedule& s) {
    return rc::seq::concat(rc::shrink::removeChunks(s), rc::shrink::eachElement(s, [](const RawEvent& e) {
      // Each field towards 0, one at a time, in the order RawEvent declares them.
      auto field = [&e](int RawEvent::*member) {
        return rc::seq::map(rc::shrink::towards(e.*member, 0), [e, member](int v) {
          RawEvent out = e;
          out.*member = v;
          return out;
        });
      };
      return rc::seq::concat(field(&RawEvent::trigger), field(&RawEvent::at_ms), field(&RawEvent::kind),
                             field(&RawEvent::target), field(&RawEvent::subject), field(&RawEvent::duration_bucket),
                             field(&RawEvent::duration_frac), field(&RawEvent::after_ms));
    }));
  });
}

std::string action_line(const RawEvent& e, const ScheduleContext& ctx, const std::string& kind) {
  return action_text(e, ctx, kind);
}

int target_count(const ScheduleContext& ctx, const std::string& kind) {
  return static_cast<int>(targets(ctx, kind).size());
}

std::int64_t fault_length_ms(const RawEvent& e, const ScheduleContext& ctx, const std::string& kind) {
  return kind == "expire-session" || kind == "elect-preferred-leader" ? 0 : duration_ms(e, ctx);
}

int target_index(const ScheduleContext& ctx, const std::string& kind, const std::string& target) {
  const auto all = targets(ctx, kind);
  const auto it = std::find(all.begin(), all.end(), target);
  return it == all.end() ? -1 : static_cast<int>(it - all.begin());
}

int trigger_value_of(const ScheduleContext& ctx, const std::string& event) {
  const auto& table = ctx.kraft ? kKraftTriggers : kTriggers;
  for (std::size_t i = 0; i < std::size(table); ++i)
    if (event == table[i].event && (!table[i].producer || !ctx.producers.empty())) return kTimeTriggers + static_cast<int>(i);
  return -1;
}

int drop_type_count(const ScheduleContext& ctx) {
  return static_cast<int>(ctx.kraft ? std::size(kKraftDropTypes) : std::size(kDropTypes));
}

std::vector<TriggerEvent> trigger_events(const ScheduleContext& ctx) {
  std::vector<TriggerEvent> out;
  for (const TriggerKind& t : ctx.kraft ? kKraftTriggers : kTriggers)
    if (!t.producer || !ctx.producers.empty()) out.push_back({t.event, t.broker, t.partition, t.producer});
  return out;
}

std::vector<std::string> event_lines(const Schedule& schedule, const ScheduleContext& ctx,
                                     const std::vector<std::string>& kinds) {
  std::vector<const RawEvent*> order;
  for (const auto& e : schedule) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(), [](const RawEvent* a, const RawEvent* b) { return a->at_ms < b->at_ms; });
  std::vector<std::string> lines;
  for (const RawEvent* e : order) {
    const std::string& kind = pick(kinds, e->kind);
    lines.push_back(fmt::format("  - {{{}, {}}}", trigger_text(*e, ctx), action_text(*e, ctx, kind)));
  }
  return lines;
}

}  // namespace kafkasim::explore
