// `record-not-processed` (spec/consumer-groups.md): every record in the final log of a partition a group
// consumes, below the final HW and below the group's last committed offset for it, was processed into the
// sink (or, without a sink, delivered to and processed by a member). A group that committed past a record
// it never processed (commit: before-process, then a crash) has lost it for good: no member will read it
// again. A record a member handed to a retry topic (`retry-produced`) is the retry group's from then on:
// it counts as processed here when it is in the retry topic's final log, below its HW, where this
// checker judges the retry group in turn.
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checks/checkers.h"
#include "checks/groups.h"
#include "checks/replay.h"

namespace kafkasim::checks {

namespace {
using RecordKey = std::tuple<std::string, std::int64_t, std::string>;  // (partition, offset, value)

class RecordNotProcessed : public Checker {
 public:
  std::string_view property() const override { return "record-not-processed"; }
  std::vector<Violation> check(const Scenario& scenario, const sim::History& history) override {
    if (!scenario.has_groups()) return {};
    Replay replay;
    Micros end = 0;
    std::map<std::pair<std::string, std::string>, std::int64_t> committed;  // (group, partition) -> last offset
    std::map<std::string, std::int64_t> final_hw;  // partition -> the HW of its last leader, as it last was
    // What each group did with each record: processed by a member without a sink, or written to a sink
    // (sink-write by a member, to that member's sink).
    std::map<std::string, std::set<RecordKey>> delivered;                        // group -> records
    std::map<std::pair<std::string, std::string>, std::set<RecordKey>> in_sink;  // (group, sink) -> records
    // (group, record) -> where it was handed on: (retry partition, offset).
    std::map<std::pair<std::string, RecordKey>, std::vector<std::pair<std::string, std::int64_t>>> forwarded;
    for (const auto& e : history.events()) {
      replay.apply(e);
      end = e.t;
      const std::string partition = e.str_or("partition", "");
      if (e.name == "became-leader") {
        if (replay.last_leader(partition) == e.int_or("broker", -1)) final_hw[partition] = e.int_or("hw", 0);
      } else if (e.name == "hw-advanced") {
        auto lead = replay.leader(partition);
        if (lead && lead->broker == e.int_or("broker", -1)) final_hw[partition] = lead->hw;
      } else if (e.name == "offset-committed") {
        committed[{e.str_or("group", ""), partition}] = e.int_or("offset", 0);
      } else if (e.name == "retry-produced") {
        forwarded[{group_of(scenario, e), RecordKey{partition, e.int_or("offset", -1), e.str_or("value", "")}}].emplace_back(
            e.str_or("to_partition", ""), e.int_or("to_offset", -1));
      } else if (e.name == "processed" || e.name == "sink-write") {
        const std::string group = group_of(scenario, e);
        if (group.empty()) continue;
        const ConsumerSpec* c = find_consumer(scenario, e.str_or("consumer", ""));
        RecordKey key{partition, e.int_or("offset", -1), e.str_or("value", "")};
        if (e.name == "processed" && (c == nullptr || c->sink.empty())) delivered[group].insert(key);
        if (e.name == "sink-write" && c != nullptr && c->sink == e.str_or("sink", "")) in_sink[{group, c->sink}].insert(key);
      }
    }

    // Each group, the topics its members consume, the sinks they write to (none: "").
    std::map<std::string, std::map<std::string, std::set<std::string>>> groups;  // group -> topic -> sinks
    for (const auto& c : scenario.consumers)
      if (!c.group.empty()) groups[c.group][c.topic].insert(c.sink);

    std::vector<Violation> out;
    for (const auto& [group, topics] : groups) {
      for (const auto& [topic, sinks] : topics) {
        const TopicSpec* t = scenario.find_topic(topic);
        if (t == nullptr) continue;
        for (int index = 0; index < t->partitions; ++index) {
          const std::string partition = fmt::format("{}-{}", topic, index);
          auto c = committed.find({group, partition});
          const std::int64_t commit = c == committed.end() ? 0 : c->second;
          const int leader = replay.last_leader(partition);
          const auto& log = replay.log(leader, partition);
          const std::int64_t hw = final_hw.count(partition) ? final_hw[partition] : 0;
          const std::int64_t bound = std::min({commit, hw, static_cast<std::int64_t>(log.size())});
          Violation v{std::string(property()), end, partition, {}, "", {}};
          if (leader >= 0) v.brokers.push_back(leader);
          std::vector<std::int64_t> missing;
          for (std::int64_t o = 0; o < bound; ++o) {
            const auto& rec = log[static_cast<std::size_t>(o)];
            const RecordKey key{partition, o, rec.value};
            bool done = false;
            for (const auto& sink : sinks)
              done = done || (sink.empty() ? delivered[group].count(key) > 0 : in_sink[{group, sink}].count(key) > 0);
            if (!done) {
              auto f = forwarded.find({group, key});
              if (f != forwarded.end())
                for (const auto& [to, to_offset] : f->second) {
                  const auto& retry_log = replay.log(replay.last_leader(to), to);
                  const std::int64_t retry_hw = final_hw.count(to) ? final_hw[to] : 0;
                  done = done || (to_offset >= 0 && to_offset < retry_hw &&
                                  to_offset < static_cast<std::int64_t>(retry_log.size()) &&
                                  retry_log[static_cast<std::size_t>(to_offset)].value == rec.value);
                }
            }
            if (done) continue;
            missing.push_back(o);
            v.records.push_back(ViolationRecord{"lost", o, rec.value, rec.leader_epoch, leader, ""});
          }
          if (missing.empty()) continue;
          std::vector<std::string> named;
          for (const auto& sink : sinks) named.push_back(sink.empty() ? fmt::format("by a member of {}", group) : "into " + sink);
          v.detail = fmt::format("{} committed {} up to {}{}, but offset{} {} {} never processed {}", group, partition,
                                 commit, commit > hw ? fmt::format(" (the final HW is {})", hw) : "",
                                 missing.size() == 1 ? "" : "s", offsets_text(missing), missing.size() == 1 ? "was" : "were",
                                 fmt::join(named, " or "));
          out.push_back(std::move(v));
        }
      }
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_record_not_processed() { return std::make_unique<RecordNotProcessed>(); }

}  // namespace kafkasim::checks
