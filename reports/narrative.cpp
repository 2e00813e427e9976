// Sentences for history events. Events without a sentence of their own are written generically.
#include "reports/narrative.h"

#include <map>

#include "checks/checkers.h"


#include <fmt/format.h>

namespace kafkasim::reports {

namespace {

std::string broker_name(const sim::HistoryEvent& e, std::string_view key = "broker") {
  return fmt::format("broker-{}", e.int_or(key, -1));
}

std::string generic(const sim::HistoryEvent& e) {
  std::string out(e.name);
  for (const auto& f : e.fields) out += fmt::format(" {}={}", f.key, sim::value_text(f.value));
  return out;
}

std::string fault_sentence(const sim::HistoryEvent& e) {
  const std::string action = e.str_or("action", "?"), target = e.str_or("target", "?");
  const sim::Value* noop = e.get("noop");
  if (noop != nullptr && std::get_if<bool>(noop) && std::get<bool>(*noop))
    return fmt::format("fault {} {} does nothing: {}", action, target, e.str_or("detail", ""));
  std::string for_text;
  if (const sim::Value* f = e.get("for"); f != nullptr && std::get_if<double>(f))
    for_text = fmt::format(" for {} s", std::get<double>(*f));
  const bool undo = e.get("undo") != nullptr;
  if (action == "crash") {
    const bool server = target.rfind("broker-", 0) == 0 || target.rfind("controller-", 0) == 0 || target.rfind("leader:", 0) == 0 ||
                        target.rfind("follower:", 0) == 0 || target.rfind("lagging:", 0) == 0 || target == "controller";
    return fmt::format("{} crashes{} (the process dies{})", target, for_text, server ? "; its log survives" : "");
  }
  if (action == "power-loss")
    return fmt::format("{} loses power{} (what the OS had not written back is lost)", target, for_text);
  if (action == "restart") return fmt::format("{} is restarted{}", target, undo ? " (end of its fault)" : "");
  if (action == "pause") return fmt::format("{} pauses{} (a stop-the-world pause: it handles nothing)", target, for_text);
  if (action == "resume") return fmt::format("{} resumes{}", target, undo ? " (end of its pause)" : "");
  if (action == "partition") return fmt::format("the network splits{}: {}", for_text, target);
  if (action == "isolate") return fmt::format("{} is cut off from every other node{}", target, for_text);
  if (action == "cut") return fmt::format("messages {} are lost from now on{}", target, for_text);
  if (action == "drop")
    return fmt::format("{} messages {} are dropped{}", e.str_or("type", "all"), target, for_text);
  if (action == "delay")
    return fmt::format("{} messages {} are delayed by {} s{}", e.str_or("type", "all"), target, e.str_or("by", "?"),
                       for_text);
  if (action == "heal") return target == "all" ? "the network is healed: every rule removed"
                                               : fmt::format("the network rule {} is healed", target);
  if (action == "expire-session") return fmt::format("ZooKeeper expires the session of {}", target);
  if (action == "shutdown") return fmt::format("{} is shut down cleanly{}", target, for_text);
  if (action == "elect-preferred-leader") return fmt::format("a preferred-leader election is requested for {}", target);
  if (action == "produce")
    return fmt::format("{} is asked to send {} to {}", target, e.str_or("value", "a record"), e.str_or("partition", "?"));
  if (action == "fail-processing") {
    const std::int64_t times = e.int_or("times", 1);
    return fmt::format("from now on {}'s processing of {} fails {} (a retriable error)", target, e.str_or("value", "?"),
                       times == 1 ? std::string("once") : fmt::format("{} times", times));
  }
  return generic(e);
}

}  // namespace

// The KRaft control plane's events: quorum elections, fencing, ELR.
std::optional<NarrativeLine> narrate_kraft(const sim::HistoryEvent& e, bool explain) {
  NarrativeLine line{e.t, "", Tone::Plain};
  const std::string_view n = e.name;
  const std::string node = e.str_or("node", "?");
  if (n == "quorum-state") {
    const std::string state = e.str_or("state", "?");
    const std::int64_t epoch = e.int_or("epoch", 0);
    if (state == "leader") {
      line.text = fmt::format("{} wins the vote of a majority and leads the controller quorum in epoch {}", node, epoch);
      line.tone = Tone::Good;
    } else if (state == "candidate") {
      line.text = fmt::format("{} stands for election in epoch {}: it votes for itself and asks the other voters", node,
                              epoch);
    } else if (state == "prospective") {
      line.text = fmt::format("{} has not heard from a leader: it asks the voters in a pre-vote whether an election "
                              "could succeed, without raising the epoch ({})",
                              node, epoch);
    } else if (state == "resigned") {
      line.text = fmt::format("{} gives up leading epoch {}", node, epoch);
      line.tone = Tone::Fault;
    } else if (state == "unattached" && epoch > 0) {
      if (!explain) return std::nullopt;
      line.text = fmt::format("{} moves to epoch {} (no leader known yet)", node, epoch);
    } else {
      if (!explain) return std::nullopt;
      const sim::Value* leader = e.get("leader");
      line.text = state == "follower" && leader != nullptr
                      ? fmt::format("{} follows {} in epoch {}", node, sim::value_text(*leader), epoch)
                      : fmt::format("{} is {} in epoch {}", node, state, epoch);
    }
    return line;
  }
  if (n == "quorum-check-failed") {
    line.text = fmt::format("{} heard Fetch from only {} other voter{} within 1.5 x controller.quorum.fetch.timeout.ms: "
                            "without a majority it resigns (check-quorum, KAFKA-15489)",
                            node, e.int_or("fetched", 0), e.int_or("fetched", 0) == 1 ? "" : "s");
    line.tone = Tone::Good;
    return line;
  }
  if (n == "broker-fenced") {
    const std::string reason = e.str_or("reason", "?");
    line.text = reason == "heartbeat-timeout"
                    ? fmt::format("the controller fences {}: no heartbeat for broker.session.timeout.ms; it leaves every "
                                  "ISR and loses its leaderships",
                                  broker_name(e))
                : reason == "unclean-restart"
                    ? fmt::format("{} restarted without a clean shutdown (its previous broker epoch is not its last "
                                  "registration's): it leaves every ISR and ELR, since its log may have lost records",
                                  broker_name(e))
                    : fmt::format("the controller fences {} at the end of its controlled shutdown", broker_name(e));
    line.tone = Tone::Fault;
    return line;
  }
  if (n == "broker-unfenced") {
    line.text = fmt::format("the controller unfences {}: it has caught up with the metadata log", broker_name(e));
    return line;
  }
  if (n == "elr-changed") {
    const sim::Value* elr = e.get("elr");
    line.text = fmt::format("the eligible leader replicas of {} become {} (KIP-966: out of the ISR below min ISR, but "
                            "holding every committed record)",
                            e.str_or("partition", "?"), elr ? sim::value_text(*elr) : "?");
    return line;
  }
  if (n == "metadata-truncated") {
    line.text = fmt::format("{} truncates its metadata log from {} to {}, where it diverges from the leader's", node,
                            e.int_or("from_offset", 0), e.int_or("to_offset", 0));
    line.tone = Tone::Fault;
    return line;
  }
  if (n == "node-crashed") {
    if (!explain) return std::nullopt;
    line.text = fmt::format("{} is down", node);
    line.tone = Tone::Fault;
    return line;
  }
  if (n == "node-started" || n == "node-paused" || n == "node-resumed" || n == "node-stopped") {
    if (!explain || (n == "node-started" && e.int_or("incarnation", 1) == 1)) return std::nullopt;
    line.text = fmt::format("{} {}", node,
                            n == "node-started" ? "starts again from its metadata log and quorum-state file"
                            : n == "node-paused" ? "is paused"
                            : n == "node-resumed" ? "is running again"
                                                  : "is stopped");
    return line;
  }
  return std::nullopt;
}

// Consumer groups: rebalances, evictions, commits and what the sinks stored.
std::optional<NarrativeLine> narrate_groups(const sim::HistoryEvent& e, bool explain) {
  NarrativeLine line{e.t, "", Tone::Plain};
  const std::string_view n = e.name;
  const std::string group = e.str_or("group", "?"), consumer = e.str_or("consumer", "?");
  if (n == "group-rebalance") {
    line.text = fmt::format("group {} starts generation {} (coordinator broker-{}): {} ({})", group, e.int_or("generation", 0),
                            e.int_or("coordinator", -1), e.str_or("assignment", "{}"), e.str_or("reason", "?"));
    return line;
  }
  if (n == "consumer-evicted") {
    const std::string reason = e.str_or("reason", "?");
    line.text = reason == "session-timeout"
                    ? fmt::format("the coordinator removes {} from group {}: no heartbeat for its session.timeout.ms", consumer, group)
                : reason == "max-poll-interval"
                    ? fmt::format("{} has not polled for max.poll.interval.ms: its heartbeat thread leaves group {} (the batch "
                                  "it is processing goes on, its commit will be refused)",
                                  consumer, group)
                    : fmt::format("{} did not rejoin group {} within the rebalance timeout and is removed", consumer, group);
    line.tone = Tone::Fault;
    return line;
  }
  if (n == "group-joining") {
    if (!explain) return std::nullopt;
    const std::string owned = e.str_or("owned", "[]");
    line.text = owned == "[]" ? fmt::format("{} (re)joins group {} owning nothing", consumer, group)
                              : fmt::format("{} rejoins group {} and keeps consuming what it owns, {} (cooperative)", consumer,
                                            group, owned);
    return line;
  }
  if (n == "offset-commit-failed") {
    const std::string error = e.str_or("error", "?");
    const bool refused = error == "ILLEGAL_GENERATION" || error == "UNKNOWN_MEMBER_ID" || error == "REBALANCE_IN_PROGRESS";
    if (!refused && !explain) return std::nullopt;
    line.text = refused ? fmt::format("{}'s commit of {} at {} is refused ({}): it is no longer in the group's generation; "
                                      "what it processed past the last commit will be processed again",
                                      consumer, e.str_or("partition", "?"), e.int_or("offset", 0), error)
                        : fmt::format("{}'s commit of {} at {} fails ({}); it retries", consumer, e.str_or("partition", "?"),
                                      e.int_or("offset", 0), error);
    line.tone = refused ? Tone::Bad : Tone::Plain;
    return line;
  }
  if (n == "offset-committed") {
    if (!explain) return std::nullopt;
    line.text = fmt::format("{} commits {} at {} for group {} (generation {})", consumer, e.str_or("partition", "?"),
                            e.int_or("offset", 0), group, e.int_or("generation", 0));
    return line;
  }
  if (n == "sink-write") {
    const std::string applied = e.str_or("applied", "new");
    if (applied != "duplicate" && !explain) return std::nullopt;
    line.text = fmt::format("{} writes {} ({} offset {}) to {}{}", consumer, e.str_or("value", "?"), e.str_or("partition", "?"),
                            e.int_or("offset", 0), e.str_or("sink", "?"),
                            applied == "duplicate" ? ", which already holds it: a duplicate"
                            : applied == "overwrite" ? ", which overwrites the same key (no duplicate)"
                                                     : "");
    line.tone = applied == "duplicate" ? Tone::Bad : Tone::Plain;
    return line;
  }
  if (n == "sink-write-fenced") {
    line.text = fmt::format("{} refuses {}'s write of {} offset {}: it was polled in generation {}, and the member "
                            "given the partition in generation {} has fenced it (a zombie's write, dropped)",
                            e.str_or("sink", "?"), consumer, e.str_or("partition", "?"), e.int_or("offset", 0),
                            e.int_or("generation", -1), e.int_or("owner_generation", -1));
    line.tone = Tone::Good;
    return line;
  }
  if (n == "processing-failed") {
    const std::string handling = e.str_or("handling", "?");
    const std::int64_t attempt = e.int_or("attempt", 1);
    if (!explain && attempt > 1 && handling != "give-up") return std::nullopt;
    const std::string what = fmt::format("{} fails to process {} ({} offset {}, attempt {})", consumer, e.str_or("value", "?"),
                                         e.str_or("partition", "?"), e.int_or("offset", 0), attempt);
    line.text = handling == "retry-in-place"
                    ? what + ": it waits and retries in place (without workers:, inside its poll loop, which polls nothing meanwhile)"
                : handling == "pause"
                    ? what + ": it seeks back to the record, pauses the partition and polls on"
                : handling == "retry-topic"
                    ? what + ": it produces the record to its retry topic and goes on"
                    : what + ": its retry attempts are used up, and it skips the record";
    line.tone = handling == "give-up" ? Tone::Bad : Tone::Fault;
    return line;
  }
  if (n == "retry-produced") {
    line.text = fmt::format("{} ({} offset {}) is in the retry topic at {} offset {}: the retry group owns it now",
                            e.str_or("value", "?"), e.str_or("partition", "?"), e.int_or("offset", 0),
                            e.str_or("to_partition", "?"), e.int_or("to_offset", 0));
    return line;
  }
  if (n == "partition-paused" || n == "partition-resumed") {
    if (!explain) return std::nullopt;
    line.text = n == "partition-paused"
                    ? fmt::format("{} pauses {} at offset {}", consumer, e.str_or("partition", "?"), e.int_or("offset", 0))
                    : fmt::format("{} resumes {}", consumer, e.str_or("partition", "?"));
    return line;
  }
  if (n == "processed") {
    if (!explain) return std::nullopt;
    line.text = fmt::format("{} has processed {} ({} offset {})", consumer, e.str_or("value", "?"), e.str_or("partition", "?"),
                            e.int_or("offset", 0));
    return line;
  }
  return std::nullopt;
}

std::optional<NarrativeLine> narrate(const sim::HistoryEvent& e, bool explain) {
  NarrativeLine line{e.t, "", Tone::Plain};
  const std::string_view n = e.name;
  if (n == "phase") {
    const std::string name = e.str_or("name", "?");
    if (name == "fault") line.text = "the fault phase begins";
    else if (name == "settle") line.text = "the settle phase begins: faults healed, down brokers restarted, producers stop";
    else {
      const sim::Value* c = e.get("converged");
      bool converged = c != nullptr && std::get_if<bool>(c) && std::get<bool>(*c);
      line.text = converged ? "the cluster has converged; the run ends" : "the settle phase ran out of time; the run ends";
      line.tone = converged ? Tone::Good : Tone::Bad;
    }
    return line;
  }
  if (n == "fault") {
    line.text = fault_sentence(e);
    line.tone = Tone::Fault;
    return line;
  }
  if (n == "broker-started") {
    const std::int64_t inc = e.int_or("incarnation", 1);
    if (inc == 1 && !explain) return std::nullopt;
    line.text = inc == 1 ? fmt::format("{} starts", broker_name(e))
                         : fmt::format("{} starts again (incarnation {}) from what it had on disk", broker_name(e), inc);
    return line;
  }
  if (n == "broker-crashed") {
    line.text = e.str_or("kind", "crash") == "power-loss"
                    ? fmt::format("{} is down; {} records it had not written back are gone", broker_name(e),
                                  e.int_or("lost_records", 0))
                    : fmt::format("{} is down", broker_name(e));
    line.tone = Tone::Fault;
    return explain ? std::optional(line) : std::nullopt;  // the fault line already says it
  }
  if (n == "broker-exited") {
    line.text = e.str_or("reason", "") == "LOG_TRUNCATION_NOT_ALLOWED"
                    ? fmt::format("{} exits: its log is longer than its leader's and unclean leader election is off, "
                                  "so truncating it is not allowed (FatalExitError, before KAFKA-7414)",
                                  broker_name(e))
                    : fmt::format("{} exits at start-up: /brokers/ids/{} still belongs to the ZooKeeper session of the "
                                  "process before it (NodeExists), so it cannot register until that session expires",
                                  broker_name(e), e.int_or("broker", -1));
    line.tone = Tone::Fault;
    return line;
  }
  if (n == "broker-paused" || n == "broker-resumed" || n == "broker-shutdown") {
    if (!explain) return std::nullopt;
    line.text = fmt::format("{} is {}", broker_name(e),
                            n == "broker-paused" ? "paused" : n == "broker-resumed" ? "running again" : "stopped");
    return line;
  }
  if (n == "zk-session-created") {
    line.text = fmt::format("{} opens ZooKeeper session {}", broker_name(e), e.int_or("session", 0));
    return explain ? std::optional(line) : std::nullopt;
  }
  if (n == "zk-session-expired") {
    line.text = fmt::format("ZooKeeper expires session {} of {}: its ephemeral nodes are deleted",
                            e.int_or("session", 0), broker_name(e));
    line.tone = Tone::Fault;
    return line;
  }
  if (n == "broker-registered") {
    line.text = e.get("controller") != nullptr
                    ? fmt::format("{} registers with the active controller ({}): broker epoch {} (the offset of its "
                                  "RegisterBroker record); it stays fenced until it has caught up with the metadata log",
                                  broker_name(e), e.str_or("controller", "?"), e.int_or("broker_epoch", -1))
                    : fmt::format("{} registers in ZooKeeper (/brokers/ids/{}), broker epoch {}", broker_name(e),
                                  e.int_or("broker", -1), e.int_or("broker_epoch", -1));
    return line;
  }
  if (n == "controller-elected") {
    line.text = e.get("node") != nullptr
                    ? fmt::format("{} is the active controller: it leads the quorum in epoch {} and has replayed the "
                                  "metadata log",
                                  e.str_or("node", "?"), e.int_or("controller_epoch", 0))
                    : fmt::format("{} becomes the controller (controller epoch {})", broker_name(e),
                                  e.int_or("controller_epoch", 0));
    line.tone = Tone::Good;
    return line;
  }
  if (n == "controller-resigned") {
    line.text = fmt::format("{} stops being the controller (it held controller epoch {})",
                            e.get("node") != nullptr ? e.str_or("node", "?") : broker_name(e),
                            e.int_or("controller_epoch", 0));
    return line;
  }
  if (auto kraft = narrate_kraft(e, explain)) return kraft;
  if (auto groups = narrate_groups(e, explain)) return groups;
  if (n == "message-sent" || n == "message-received" || n == "message-lost") {
    // The messages (recorded for a report) are in its diagram; the narrative tells the ones a lesson turns
    // on: a follower asking where an epoch ends and the answer (KIP-101, KIP-279), and, with --explain,
    // the controller's LeaderAndIsr and any control request lost on the way.
    const std::string type = e.str_or("type", "");
    if (n == "message-sent" && type == "OffsetsForLeaderEpoch") {
      const bool answer = e.get("reply_to") != nullptr;
      line.text = fmt::format("{} {} {}: {}", e.str_or("from", "?"), answer ? "answers" : "asks", e.str_or("to", "?"),
                              e.str_or("summary", ""));
      return line;
    }
    if (!explain) return std::nullopt;
    if (n == "message-sent" && type == "LeaderAndIsr") {
      line.text = fmt::format("{} sends LeaderAndIsr to {}: {}", e.str_or("from", "?"), e.str_or("to", "?"), e.str_or("summary", ""));
      return line;
    }
    if (n == "message-lost" && (type == "LeaderAndIsr" || type == "UpdateMetadata" || type == "StopReplica")) {
      line.text = fmt::format("{}'s {} to {} is lost ({})", e.str_or("from", "?"), type, e.str_or("to", "?"), e.str_or("reason", "?"));
      line.tone = Tone::Fault;
      return line;
    }
    return std::nullopt;
  }
  if (n == "request-rejected" && e.get("producer") != nullptr) {
    // A refused produce request: every retry is one, so the short story counts them at the end instead.
    if (!explain) return std::nullopt;
    line.text = fmt::format("{} refuses {}'s write to {}: {}", broker_name(e), e.str_or("producer", "?"),
                            e.str_or("partition", "?"), e.str_or("reason", "?"));
    line.tone = Tone::Good;
    return line;
  }
  if (n == "request-rejected") {
    const std::int64_t from = e.int_or("from", -1);
    line.text = fmt::format("{} refuses {} from {}: {}", broker_name(e), e.str_or("request", "a request"),
                            from < 0 ? std::string("a consumer") : fmt::format("broker-{}", from), e.str_or("reason", "?"));
    line.tone = Tone::Good;
    return line;
  }
  if (n == "control-applied") {
    if (!explain) return std::nullopt;
    line.text = fmt::format("{} applies {} from broker-{} (controller epoch {})", broker_name(e),
                            e.str_or("request", "a request"), e.int_or("from", -1), e.int_or("controller_epoch", 0));
    return line;
  }
  if (n == "leader-elected") {
    const sim::Value* clean = e.get("clean");
    const bool unclean = clean != nullptr && std::get_if<bool>(clean) != nullptr && !std::get<bool>(*clean);
    const std::int64_t leader = e.int_or("leader", -1);
    const sim::Value* isr = e.get("isr");
    line.text = leader < 0 ? fmt::format("the controller leaves {} without a leader (epoch {})", e.str_or("partition", "?"),
                                         e.int_or("leader_epoch", 0))
                           : fmt::format("the controller elects broker-{} leader of {} (leader epoch {}, ISR {}){}", leader,
                                         e.str_or("partition", "?"), e.int_or("leader_epoch", 0),
                                         isr ? sim::value_text(*isr) : "?",
                                         unclean ? ": an UNCLEAN election, it was not in the ISR" : "");
    line.tone = unclean ? Tone::Bad : Tone::Plain;
    return line;
  }
  if (n == "isr-changed") {
    const sim::Value* isr = e.get("isr");
    line.text = fmt::format("the ISR of {} becomes {} (by the {}, leader epoch {})", e.str_or("partition", "?"),
                            isr ? sim::value_text(*isr) : "?", e.str_or("by", "?"), e.int_or("leader_epoch", 0));
    return line;
  }
  if (n == "became-leader" || n == "became-follower") {
    if (!explain) return std::nullopt;
    line.text = n == "became-leader"
                    ? fmt::format("{} becomes leader of {} in leader epoch {} (LEO {}, HW {})", broker_name(e),
                                  e.str_or("partition", "?"), e.int_or("leader_epoch", 0), e.int_or("leo", 0),
                                  e.int_or("hw", 0))
                    : fmt::format("{} becomes follower of broker-{} for {} in leader epoch {} (LEO {}, HW {})",
                                  broker_name(e), e.int_or("leader", -1), e.str_or("partition", "?"),
                                  e.int_or("leader_epoch", 0), e.int_or("leo", 0), e.int_or("hw", 0));
    return line;
  }
  if (n == "truncated") {
    const std::string reason = e.str_or("reason", "?");
    const std::map<std::string, std::string> why = {
        {"high-watermark", "to its high watermark"},
        {"leader-epoch", "where the leader's epoch ends (OffsetsForLeaderEpoch)"},
        {"diverging-epoch", "where its log diverges from the leader's (DivergingEpoch)"},
        {"out-of-range", "to the leader's shorter log (offset out of range)"},
        {"power-loss", "by a power loss: the OS had not written these back"}};
    auto it = why.find(reason);
    line.text = fmt::format("{} truncates {} from offset {} to {}, {}", broker_name(e), e.str_or("partition", "?"),
                            e.int_or("from_offset", 0), e.int_or("to_offset", 0), it == why.end() ? reason : it->second);
    line.tone = Tone::Fault;
    return line;
  }
  if (n == "consumer-position-reset") {
    const std::string reason = e.str_or("reason", "?");
    line.text = fmt::format("{} moves its position in {} from offset {} to {}: {}", e.str_or("consumer", "?"),
                            e.str_or("partition", "?"), e.int_or("from_offset", 0), e.int_or("to_offset", 0),
                            reason == "truncation-detected"
                                ? "the new leader's log diverges there (KIP-320 truncation detection)"
                                : reason == "offset-out-of-range" ? "its offset is out of range (auto.offset.reset)"
                                                                  : reason);
    line.tone = Tone::Fault;
    return line;
  }
  if (n == "produce-failed") {
    if (!explain) return std::nullopt;
    line.text = fmt::format("{} gives up on {} to {}: {}", e.str_or("producer", "?"), e.str_or("value", "?"),
                            e.str_or("partition", "?"), e.str_or("error", "?"));
    return line;
  }
  if (n == "controller-zk-write") {
    if (!explain) return std::nullopt;
    line.text = fmt::format("{} writes {} in ZooKeeper as controller (epoch {})", broker_name(e), e.str_or("path", "?"),
                            e.int_or("controller_epoch", 0));
    return line;
  }
  if (n == "hw-checkpointed") {
    if (!explain) return std::nullopt;
    line.text = fmt::format("{} writes HW {} for {} to its checkpoint file (what a restart starts from)", broker_name(e),
                            e.int_or("hw", 0), e.str_or("partition", "?"));
    return line;
  }
  if (n == "violation") {
    line.text = fmt::format("VIOLATION {}: {}", e.str_or("property", "?"), e.str_or("detail", ""));
    line.tone = Tone::Bad;
    return line;
  }
  if (!explain) return std::nullopt;
  line.text = generic(e);
  return line;
}

std::vector<NarrativeLine> narrate_all(const sim::History& history, bool explain) {
  std::vector<NarrativeLine> out;
  std::map<std::pair<std::int64_t, std::string>, std::vector<std::string>> logs;  // (broker, partition) -> values
  std::int64_t index = -1;
  for (const auto& e : history.events()) {
    ++index;
    auto line = narrate(e, explain);
    if (line) line->event = index;
    const std::pair<std::int64_t, std::string> key{e.int_or("broker", -1), e.str_or("partition", "")};
    if (e.name == "appended") {
      auto& log = logs[key];
      const auto offset = static_cast<std::size_t>(e.int_or("offset", 0));
      if (log.size() <= offset) log.resize(offset + 1);
      log[offset] = e.str_or("value", "?");
    } else if (e.name == "truncated") {
      // Name what went: "m2 is removed from its log".
      auto& log = logs[key];
      const auto to = static_cast<std::size_t>(std::max<std::int64_t>(0, e.int_or("to_offset", 0)));
      if (line && to < log.size()) {
        std::vector<std::string> removed(log.begin() + static_cast<std::ptrdiff_t>(to), log.end());
        const std::size_t n = removed.size();
        if (n > 6) removed.erase(removed.begin() + 3, removed.end() - 2), removed.insert(removed.begin() + 3, "...");
        line->text += fmt::format(": {} {} removed from its log", fmt::join(removed, ", "), n == 1 ? "is" : "are");
      }
      if (to < log.size()) log.resize(to);
    }
    if (line) out.push_back(std::move(*line));
  }
  // The short story ends with what the producers got: sent, acknowledged, failed (by error), pending at
  // the end, refusals retried past, and acknowledged records the final logs no longer hold.
  Micros last = history.events().empty() ? 0 : history.events().back().t;
  for (const auto& [id, a] : checks::producer_accounts(history)) {
    std::vector<std::string> errors, refusals;
    for (const auto& [error, n] : a.errors) errors.push_back(fmt::format("{} {}", n, error));
    for (const auto& [reason, n] : a.refusals) refusals.push_back(fmt::format("{} {}", n, reason));
    out.push_back({last,
                   fmt::format("{}: {} record{} sent, {} acknowledged{}{}{}", id, a.sent, a.sent == 1 ? "" : "s", a.acked,
                               a.failed == 0 ? "" : fmt::format(", {} failed ({})", a.failed, fmt::join(errors, ", ")),
                               a.pending() <= 0 ? "" : fmt::format(", {} still pending at the end", a.pending()),
                               a.refused == 0 ? ""
                                              : fmt::format("; the leader refused {} request{} and the producer retried ({})",
                                                            a.refused, a.refused == 1 ? "" : "s", fmt::join(refusals, ", "))),
                   a.failed == 0 && a.pending() <= 0 ? Tone::Plain : Tone::Bad});
  }
  const checks::QuorumStats quorum = checks::quorum_stats(history);
  if (quorum.kraft)
    out.push_back({last,
                   fmt::format("the controller quorum elected a leader {} time{} ({} change{} of leader); the brokers "
                               "spent {:.1f} broker-seconds behind the committed metadata",
                               quorum.leader_elections, quorum.leader_elections == 1 ? "" : "s", quorum.leader_changes,
                               quorum.leader_changes == 1 ? "" : "s", quorum.stale_metadata_s),
                   quorum.stale_metadata_s > 5.0 ? Tone::Bad : Tone::Plain});
  const checks::LossStats losses = checks::loss_stats(history);
  if (losses.lost_acks1 > 0)
    out.push_back({last,
                   fmt::format("{} record{} acknowledged with acks=1 {} not in the final log: the leader had them alone",
                               losses.lost_acks1, losses.lost_acks1 == 1 ? "" : "s", losses.lost_acks1 == 1 ? "is" : "are"),
                   Tone::Bad});
  if (losses.lost_unclean > 0)
    out.push_back({last,
                   fmt::format("{} acknowledged record{} lost to an unclean election", losses.lost_unclean,
                               losses.lost_unclean == 1 ? " was" : "s were"),
                   Tone::Bad});
  return out;
}

std::string format_line(const NarrativeLine& line, bool colour) {
  std::string time = fmt::format("{:>9.3f} s", to_seconds(line.t));
  if (!colour) return fmt::format("{}  {}", time, line.text);
  const char* c = line.tone == Tone::Fault ? "\x1b[33m" : line.tone == Tone::Good ? "\x1b[32m"
                                                      : line.tone == Tone::Bad    ? "\x1b[1;31m"
                                                                                  : "";
  return fmt::format("\x1b[2m{}\x1b[0m  {}{}{}", time, c, line.text, *c ? "\x1b[0m" : "");
}

}  // namespace kafkasim::reports
