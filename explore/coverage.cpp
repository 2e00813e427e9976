// Counting the rare paths of one run's history.
#include "explore/coverage.h"

#include <fmt/format.h>

#include "explore/classes.h"

namespace kafkasim::explore {

bool is_operator_restart(const sim::HistoryEvent& e) {
  return e.name == "fault" && e.get("undo") == nullptr && e.get("noop") == nullptr && e.get("detail") != nullptr &&
         e.str_or("action", "") == "restart";
}

Coverage coverage_of(const sim::History& history) {
  Coverage c;
  int controllers = 0;
  for (const auto& e : history.events()) {
    if (e.name == "fault") {
      const bool undo = e.get("undo") != nullptr;
      const bool noop = e.get("noop") != nullptr;
      // The operator restarting a broker that exited is the world's doing, not a scheduled fault.
      if (is_operator_restart(e)) ++c["operator:restarts-an-exited-broker"];
      else if (!undo) ++c[fmt::format("fault:{}", e.str_or("action", "?"))];
      if (noop) ++c["fault:no-op (target not found)"];
    } else if (e.name == "truncated") {
      ++c[fmt::format("truncated:{}", e.str_or("reason", "?"))];
    } else if (e.name == "request-rejected") {
      ++c[fmt::format("rejected:{}", e.str_or("reason", "?"))];
    } else if (e.name == "leader-elected") {
      const sim::Value* clean = e.get("clean");
      if (clean != nullptr && std::holds_alternative<bool>(*clean) && !std::get<bool>(*clean)) ++c["election:unclean"];
    } else if (e.name == "controller-elected") {
      if (++controllers > 1) ++c["controller:moves"];
    } else if (e.name == "isr-changed") {
      const sim::Value* isr = e.get("isr");
      if (isr != nullptr && std::holds_alternative<std::vector<std::int64_t>>(*isr) &&
          std::get<std::vector<std::int64_t>>(*isr).size() == 1)
        ++c["isr:shrunk-to-one"];
    } else if (e.name == "zk-session-expired") {
      ++c["zk:session-expired"];
    } else if (e.name == "broker-fenced") {
      ++c[fmt::format("kraft:fenced-{}", e.str_or("reason", "?"))];
    } else if (e.name == "quorum-state") {
      const std::string state = e.str_or("state", "");
      if (state == "leader") ++c["kraft:quorum-leader-elected"];
      else if (state == "resigned") ++c["kraft:quorum-leader-resigned"];
      else if (state == "prospective") ++c["kraft:pre-vote"];
    } else if (e.name == "elr-changed") {
      ++c["kraft:elr-changed"];
    } else if (e.name == "metadata-truncated") {
      ++c["kraft:metadata-truncated"];
    } else if (e.name == "node-crashed") {
      // node-crashed is a controller node's or a client's (a consumer, a producer, a sink).
      ++c[e.str_or("node", "").rfind("controller-", 0) == 0 ? "kraft:controller-node-crashed" : "client:crashed"];
    } else if (e.name == "group-rebalance") {
      if (e.int_or("generation", 1) > 1) ++c["group:rebalance"];
    } else if (e.name == "consumer-evicted") {
      ++c[fmt::format("group:evicted-{}", e.str_or("reason", "?"))];
    } else if (e.name == "offset-commit-failed") {
      const std::string error = e.str_or("error", "");
      if (error == "ILLEGAL_GENERATION" || error == "UNKNOWN_MEMBER_ID" || error == "REBALANCE_IN_PROGRESS")
        ++c["group:commit-refused"];
    } else if (e.name == "sink-write") {
      if (e.str_or("applied", "") == "duplicate") ++c["group:sink-duplicate"];
    } else if (e.name == "sink-write-fenced") {
      ++c["group:zombie-write-fenced"];
    } else if (e.name == "processing-failed") {
      ++c["group:processing-failed"];
    } else if (e.name == "broker-crashed") {
      c["power-loss:records-lost"] += e.int_or("lost_records", 0);
    } else if (e.name == "produce-failed") {
      ++c["produce:failed"];
    }
  }
  return c;
}

std::vector<std::string> coverage_keys(const std::vector<std::string>& fault_kinds, bool kraft, bool groups) {
  std::vector<std::string> keys;
  for (const auto& k : fault_kinds) keys.push_back("fault:" + k);
  for (const char* k : {"truncated:high-watermark", "truncated:leader-epoch", "truncated:diverging-epoch",
                        "truncated:power-loss", "rejected:FENCED_LEADER_EPOCH", "election:unclean", "controller:moves",
                        "isr:shrunk-to-one"})
    keys.emplace_back(k);
  // The moments the historical bugs need (explore/classes.h): a clean search shows which it never reached.
  for (const auto& k : situation_marks()) keys.push_back(k);
  // The marks of the control plane the design has, so that a clean search shows what it never reached.
  if (kraft)
    for (const char* k : {"kraft:fenced-heartbeat-timeout", "kraft:fenced-unclean-restart", "kraft:quorum-leader-elected",
                          "kraft:quorum-leader-resigned", "kraft:elr-changed", "kraft:metadata-truncated",
                          "kraft:controller-node-crashed", "rejected:STALE_BROKER_EPOCH", "rejected:INELIGIBLE_REPLICA"})
      keys.emplace_back(k);
  else
    for (const char* k : {"rejected:STALE_CONTROLLER_EPOCH", "rejected:STALE_BROKER_EPOCH", "zk:session-expired"})
      keys.emplace_back(k);
  // A base with consumer groups: the consumer side's moments.
  if (groups)
    for (const char* k : {"client:crashed", "group:rebalance", "group:evicted-session-timeout", "group:evicted-max-poll-interval",
                          "group:commit-refused", "group:sink-duplicate", "group:zombie-write-fenced"})
      keys.emplace_back(k);
  return keys;
}

std::string coverage_table(const Coverage& times, const Coverage& runs, std::int64_t total_runs) {
  std::string text = fmt::format("coverage over {} runs:\n  {:<34} {:>10} {:>8}\n", total_runs, "", "times", "runs");
  for (const auto& [key, n] : times) {
    const auto r = runs.find(key);
    text += fmt::format("  {:<34} {:>10} {:>8}\n", key, n, r == runs.end() ? 0 : r->second);
  }
  return text;
}

}  // namespace kafkasim::explore
