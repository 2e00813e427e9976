// The design table of ../shared/spec/designs.md; presets are built cumulatively, version on version.
#include "scenario/designs.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "scenario/suggest.h"

namespace kafkasim {

const std::vector<SwitchInfo>& all_switches() {
  static const std::vector<SwitchInfo> table = {
      {"truncation", {"high-watermark", "leader-epoch", "leader-epoch-kip279", "diverging-epoch"},
       "how a replica that becomes follower (or restarts) finds where to truncate",
       "<0.11, KIP-101 (0.11), KIP-279 (2.0), KAFKA-10554 (2.8)"},
      {"truncate-before-hw", {"false", "true"},
       "with diverging-epoch: apply the fetch response's HW only after truncating", "KAFKA-14704 (3.5)"},
      {"truncate-on-every-epoch-change", {"false", "true"},
       "false: a follower skips truncation when a new LeaderAndIsr names the same leader id",
       "KAFKA-7164 (2.1), KAFKA-7395 (2.2)"},
      {"leader-epoch-fencing", {"false", "true"},
       "Fetch and OffsetsForLeaderEpoch carry the current leader epoch and are rejected on mismatch",
       "KIP-320 (2.2)"},
      {"isr-join-requires-epoch-start", {"false", "true"},
       "a follower may rejoin the ISR only once its LEO >= the leader's epoch start offset", "KAFKA-7128 (2.1)"},
      {"hw-requires-min-isr", {"false", "true"},
       "the leader's HW does not advance while |ISR| < min.insync.replicas", "KAFKA-15583 (3.7)"},
      {"controller-epoch-check", {"false", "true"},
       "every controller ZK write is conditional on the /controller_epoch zkVersion; a failed check makes it resign",
       "KAFKA-6082 (2.1)"},
      {"broker-epoch", {"false", "true"},
       "brokers carry an epoch (czxid of their registration); stale-epoch control requests are rejected",
       "KIP-380 (2.2)"},
      {"isr-change-path", {"zookeeper-direct", "alter-partition"},
       "the leader writes the ISR to ZK itself, or asks the controller", "KIP-497 (2.7)"},
      {"metadata", {"zookeeper", "kraft"},
       "the control plane: ZooKeeper + controller broker, or a Raft controller quorum", "KIP-500 / KIP-595"},
      {"eligible-leader-replicas", {"false", "true"},
       "kraft: the controller keeps the eligible leader replicas (ISR members removed below min ISR that hold every "
       "committed record) and elects from them after the ISR; an unclean restart removes a broker from ISR and ELR",
       "KIP-966 (4.0, off by default; on in 4.1)"},
      {"quorum-check-quorum", {"false", "true"},
       "kraft: a quorum leader without Fetch from a majority of voters within controller.quorum.fetch.timeout.ms "
       "(times 1.5, LeaderState's check-quorum timer) resigns",
       "KAFKA-15489 (3.7)"},
      {"quorum-pre-vote", {"false", "true"},
       "kraft: an election starts with a PreVote round that does not raise the epoch; voters that hear from a leader "
       "refuse it",
       "KIP-996 (4.0)"},
      {"isr-join-requires-broker-epoch", {"false", "true"},
       "AlterPartition carries the broker epoch of each ISR member; a stale one may not join (INELIGIBLE_REPLICA)",
       "KIP-903 (3.5)"},
      {"failover-removes-dead-replicas", {"false", "true"},
       "a new controller removes replicas on brokers already dead from every ISR (ReplicaStateMachine.startup)",
       "KAFKA-3143 (2.3)"},
      {"expire-clears-controller-queue", {"false", "true"},
       "the controller's ZooKeeper session expiry clears its event queue (clearAndPut(Expire)); before, Expire waits "
       "behind the queued events, which then run on the new session",
       "KAFKA-5642 controller rewrite (1.1)"},
      {"fenced-partition-waits", {"false", "true"},
       "a follower fenced by FENCED_LEADER_EPOCH stops fetching that partition until a new LeaderAndIsr "
       "(AbstractFetcherThread.onPartitionFenced); before, it retried after the fetch backoff",
       "KIP-320 (2.2)"},
      {"epoch-cache-on-election", {"false", "true"},
       "a new leader puts its epoch in the epoch cache when elected (not at its first append), and an epoch older "
       "than the cache's first is answered with that first start offset (not undefined)",
       "KAFKA-7415 (2.1)"},
      {"isr-keeps-caught-up-follower", {"false", "true"},
       "a follower whose LEO equals the leader's is in sync however long since it fetched (an idle partition)",
       "KAFKA-7152 (2.1)"},
      {"consumer-validates-position", {"false", "true"},
       "after a leader change a consumer checks its position with OffsetsForLeaderEpoch (the epoch of the last "
       "record it read) and seeks back to where the new leader's log diverges (SubscriptionState."
       "maybeValidatePositionForCurrentLeader); before, it went on fetching and met truncation only as "
       "OFFSET_OUT_OF_RANGE",
       "KAFKA-7747, KIP-320 (2.3)"},
      {"fetch-from-follower", {"false", "true"},
       "consumers send their client metadata (client.rack): a follower serves their fetches below its own HW, and a "
       "leader with a replica.selector.class names a preferred read replica",
       "KIP-392 (2.4)"},
      {"out-of-range-never-fatal", {"false", "true"},
       "a follower whose log is longer than its leader's (OFFSET_OUT_OF_RANGE) truncates to the leader's end; before, "
       "with unclean.leader.election.enable false it exits (\"Exiting because log truncation is not allowed\")",
       "KAFKA-7414 (2.1)"},
      {"requests-after-registration", {"false", "true"},
       "a starting broker handles requests only once it has registered in ZooKeeper (they wait in its request "
       "queue); before, its request handlers ran before the registration, so a restarted broker obeyed control "
       "requests meant for its previous process before it had a broker epoch",
       "KAFKA-5473 (1.1)"},
      {"isr-requires-live-broker", {"false", "true"},
       "a replica joins the ISR (and holds back the HW before it joins) only while its broker is alive in the "
       "leader's metadata; the controller refuses an ISR naming a dead or shutting-down broker (INELIGIBLE_REPLICA)",
       "KIP-841 (3.3)"},
  };
  return table;
}

const SwitchInfo* find_switch(std::string_view name) {
  for (const auto& s : all_switches())
    if (s.name == name) return &s;
  return nullptr;
}

namespace {

using SwitchMap = std::map<std::string_view, std::string_view>;

SwitchMap with(SwitchMap base, const SwitchMap& changes) {
  for (const auto& [k, v] : changes) base[k] = v;
  return base;
}

std::vector<PresetInfo> build_presets() {
  SwitchMap v010;
  for (const auto& s : all_switches()) v010[s.name] = s.values.front();
  const SwitchMap v011 = with(v010, {{"truncation", "leader-epoch"}});
  const SwitchMap v20 = with(v010, {{"truncation", "leader-epoch-kip279"}, {"expire-clears-controller-queue", "true"},
                                                {"requests-after-registration", "true"}});
  const SwitchMap v22 = with(v20, {{"truncate-on-every-epoch-change", "true"},
                                   {"out-of-range-never-fatal", "true"},
                                   {"isr-keeps-caught-up-follower", "true"},
                                   {"epoch-cache-on-election", "true"},
                                   {"fenced-partition-waits", "true"},
                                   {"leader-epoch-fencing", "true"},
                                   {"isr-join-requires-epoch-start", "true"},
                                   {"controller-epoch-check", "true"},
                                   {"broker-epoch", "true"}});
  const SwitchMap v28 = with(v22, {{"truncation", "diverging-epoch"},
                                   {"isr-change-path", "alter-partition"},
                                   {"failover-removes-dead-replicas", "true"},
                                   {"consumer-validates-position", "true"},
                                   {"fetch-from-follower", "true"}});
  const SwitchMap v37 =
      with(v28, {{"truncate-before-hw", "true"}, {"hw-requires-min-isr", "true"}, {"isr-requires-live-broker", "true"}});
  // KRaft designs: the data plane of the ZooKeeper-mode release of the same line, the control plane a quorum.
  const SwitchMap k33 = with(v28, {{"metadata", "kraft"}, {"isr-requires-live-broker", "true"}});
  const SwitchMap k37 = with(v37, {{"metadata", "kraft"}, {"quorum-check-quorum", "true"},
                                   {"isr-join-requires-broker-epoch", "true"}});
  const SwitchMap k40 = with(k37, {{"quorum-pre-vote", "true"}});
  const SwitchMap k41 = with(k40, {{"eligible-leader-replicas", "true"}});
  const SwitchMap old_timeouts = {{"zookeeper.session.timeout.ms", "6000"}, {"replica.lag.time.max.ms", "10000"}};
  // Client defaults: retries 0 before 2.1 (KIP-91), idempotence off before 3.0 (KIP-679),
  // session.timeout.ms 10000 before 3.0 (KIP-735).
  const SwitchMap old_clients =
      with(old_timeouts, {{"retries", "0"}, {"enable.idempotence", "false"}, {"session.timeout.ms", "10000"}});
  const SwitchMap pre30_clients = {{"enable.idempotence", "false"}, {"session.timeout.ms", "10000"}};
  return {
      {"kafka-0.10", v010,
       with(old_clients, {{"unclean.leader.election.enable", "true"}, {"acks", "1"}}),
       "high-watermark truncation (KIP-101's bug), unclean election on, acks=1 clients"},
      {"kafka-0.11", v011, old_clients, "KIP-101: truncation by leader epoch (OffsetsForLeaderEpoch)"},
      {"kafka-2.0", v20, old_clients, "KIP-279: epoch lookup fixed for divergent histories"},
      {"kafka-2.2", v22, with(old_timeouts, pre30_clients),
       "KIP-320 fencing, KAFKA-7128, KAFKA-7395, zombie-controller fix (KAFKA-6082), KIP-380 broker epochs"},
      {"kafka-2.8", v28, pre30_clients, "truncation on fetch (DivergingEpoch), AlterPartition (KIP-497)"},
      {"kafka-3.7", v37, {}, "truncate before applying HW (KAFKA-14704), no HW advance below min ISR (KAFKA-15583), "
       "live brokers only in ISRs (KIP-841)"},
      {"latest", v37, {}, "as kafka-3.7; the default when a scenario names no design"},
      {"kafka-3.3-kraft", k33, {}, "KRaft: the KIP-595 quorum without check-quorum or pre-vote, KIP-631 broker "
       "fencing by heartbeats, KIP-841; the data plane of 2.8"},
      {"kafka-3.7-kraft", k37, {}, "KRaft: + check-quorum (KAFKA-15489), KIP-903 broker epochs in AlterPartition, "
       "strict min ISR; the data plane of 3.7"},
      {"kafka-4.0", k40, {}, "KRaft: + pre-vote (KIP-996); ELR off"},
      {"kafka-4.1", k41, {}, "KRaft: + eligible leader replicas (KIP-966), the newest design"},
  };
}

}  // namespace

const std::vector<PresetInfo>& all_presets() {
  static const std::vector<PresetInfo> table = build_presets();
  return table;
}

const PresetInfo* find_preset(std::string_view name) {
  for (const auto& p : all_presets())
    if (p.name == name) return &p;
  return nullptr;
}

const std::string& Design::get(std::string_view name) const {
  auto it = switches.find(std::string(name));
  if (it == switches.end()) throw std::logic_error(fmt::format("design has no switch '{}'", name));
  return it->second;
}

std::string Design::label() const {
  std::string out = preset;
  for (const auto& [k, v] : overrides) out += fmt::format(",{}={}", k, v);
  return out;
}

std::optional<Design> resolve_design(std::string_view preset, const std::map<std::string, std::string>& overrides,
                                     std::string& error) {
  const PresetInfo* p = find_preset(preset);
  if (p == nullptr) {
    std::vector<std::string_view> names;
    for (const auto& q : all_presets()) names.push_back(q.name);
    error = fmt::format("unknown design preset '{}'{}", preset, did_you_mean(preset, names));
    return std::nullopt;
  }
  Design d;
  d.preset = std::string(p->name);
  for (const auto& [k, v] : p->switches) d.switches[std::string(k)] = std::string(v);
  for (const auto& [k, v] : overrides) {
    const SwitchInfo* s = find_switch(k);
    if (s == nullptr) {
      std::vector<std::string_view> names;
      for (const auto& q : all_switches()) names.push_back(q.name);
      error = fmt::format("unknown design switch '{}'{}", k, did_you_mean(k, names));
      return std::nullopt;
    }
    if (std::find(s->values.begin(), s->values.end(), v) == s->values.end()) {
      error = fmt::format("switch '{}' takes {}, not '{}'", k, join_names(s->values, " or "), v);
      return std::nullopt;
    }
    d.switches[k] = v;
    d.overrides[k] = v;
  }
  // KRaft has no ZooKeeper for a leader to write the ISR to: it changes through AlterPartition.
  if (d.kraft() && d.get("isr-change-path") == "zookeeper-direct") {
    error = fmt::format("switch 'isr-change-path' cannot be zookeeper-direct on {}: a KRaft design has no ZooKeeper, "
                        "its leaders change the ISR with AlterPartition (isr-change-path=alter-partition)",
                        d.preset);
    return std::nullopt;
  }
  if (!d.kraft())
    for (std::string_view k : kKraftOnlySwitches)
      if (d.on(k)) {
        error = fmt::format("switch '{}' is KRaft-only: {} is a ZooKeeper-mode design (use a KRaft preset: "
                            "kafka-3.3-kraft, kafka-3.7-kraft, kafka-4.0, kafka-4.1)",
                            k, d.preset);
        return std::nullopt;
      }
  return d;
}

std::optional<Design> parse_design_flag(std::string_view text, std::string& error) {
  std::string normalised(text);
  std::replace(normalised.begin(), normalised.end(), '+', ',');
  auto designs = parse_design_list(normalised, error);
  if (!designs) return std::nullopt;
  if (designs->size() != 1) {
    error = designs->empty() ? "no design given: write a preset, e.g. latest or kafka-0.10,truncation=leader-epoch"
                             : fmt::format("'{}' names {} designs; one is expected here (matrix --designs takes several)",
                                           text, designs->size());
    return std::nullopt;
  }
  return designs->front();
}

std::optional<std::vector<Design>> parse_design_list(std::string_view text, std::string& error) {
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> written;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find_first_of(",;", start);
    std::string item(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) {
      const auto eq = item.find('=');
      if (eq == std::string::npos && find_switch(item) != nullptr && find_preset(item) == nullptr) {
        error = fmt::format("design override '{}' must be switch=value ({} takes {})", item, item,
                            join_names(find_switch(item)->values, " or "));
        return std::nullopt;
      }
      if (eq == std::string::npos) {
        written.emplace_back(item, std::map<std::string, std::string>{});
      } else if (written.empty()) {
        error = fmt::format("'{}' is a switch, but no preset comes before it (write PRESET,{})", item, item);
        return std::nullopt;
      } else {
        const std::string key = item.substr(0, eq);
        if (written.back().second.count(key)) {
          error = fmt::format("switch '{}' is given twice for {}", key, written.back().first);
          return std::nullopt;
        }
        written.back().second[key] = item.substr(eq + 1);
      }
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  std::vector<Design> out;
  for (const auto& [preset, overrides] : written) {
    auto d = resolve_design(preset, overrides, error);
    if (!d) return std::nullopt;
    out.push_back(*d);
  }
  return out;
}

}  // namespace kafkasim
