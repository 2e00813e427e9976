// `acked-write-lost`: every record acknowledged to an acks=all producer is in the final log of its
// partition (the log of its last leader), at the offset it was acknowledged with. Also the result's
// loss counts: acks=1 records lost (allowed by design) and acknowledged records lost to an unclean
// election (allowed when the switch is on, and still reported for acks=all).
#include <fmt/format.h>

#include "checks/checkers.h"
#include "checks/replay.h"

namespace kafkasim::checks {

namespace {
struct Ack {
  Micros t;
  std::string producer, partition, value, acks;
  std::int64_t offset;
};

// Acknowledged records missing from the final logs, with whether an unclean election of their partition
// came after the acknowledgement.
struct Losses {
  std::vector<std::pair<Ack, bool>> lost;
  std::int64_t acked = 0;
  Replay replay;
};

Losses find_losses(const sim::History& history) {
  Losses l;
  std::vector<Ack> acks;
  std::map<std::string, std::vector<Micros>> unclean;  // partition -> times of unclean elections
  for (const auto& e : history.events()) {
    l.replay.apply(e);
    if (e.name == "produce-acked")
      acks.push_back(Ack{e.t, e.str_or("producer", ""), e.str_or("partition", ""), e.str_or("value", ""),
                         e.str_or("acks", ""), e.int_or("offset", -1)});
    if (e.name == "leader-elected") {
      const sim::Value* c = e.get("clean");
      if (c != nullptr && std::get_if<bool>(c) != nullptr && !std::get<bool>(*c))
        unclean[e.str_or("partition", "")].push_back(e.t);
    }
  }
  l.acked = static_cast<std::int64_t>(acks.size());
  for (const auto& a : acks) {
    const int leader = l.replay.last_leader(a.partition);
    const auto& log = l.replay.log(leader, a.partition);
    if (a.offset >= 0 && a.offset < static_cast<std::int64_t>(log.size()) &&
        log[static_cast<std::size_t>(a.offset)].value == a.value)
      continue;
    bool after_unclean = false;
    for (Micros t : unclean[a.partition]) after_unclean |= t >= a.t;
    l.lost.emplace_back(a, after_unclean);
  }
  return l;
}

class AckedWriteLost : public Checker {
 public:
  std::string_view property() const override { return "acked-write-lost"; }
  std::vector<Violation> check(const Scenario&, const sim::History& history) override {
    Losses l = find_losses(history);
    std::vector<Violation> out;
    // One violation per partition: the first record lost, and how many acks=all records went with it.
    std::map<std::string, std::pair<const Ack*, int>> first;
    std::map<std::string, bool> after_unclean;
    for (const auto& [a, unclean] : l.lost) {
      if (a.acks != "all") continue;
      auto [it, fresh] = first.try_emplace(a.partition, &a, 0);
      ++it->second.second;
      after_unclean[a.partition] = after_unclean[a.partition] || unclean;
    }
    for (const auto& [partition, found] : first) {
      const Ack& a = *found.first;
      const int leader = l.replay.last_leader(partition);
      const auto& log = l.replay.log(leader, partition);
      const std::string there = a.offset < static_cast<std::int64_t>(log.size())
                                    ? fmt::format("holds {} there", log[static_cast<std::size_t>(a.offset)].value)
                                    : fmt::format("ends at offset {}", log.size());
      const std::string more = found.second > 1 ? fmt::format(" ({} acks=all records lost in all)", found.second) : "";
      out.push_back(Violation{std::string(property()), l.replay.became_leader_at(partition), partition, {leader},
                              fmt::format("{} acknowledged to {} at offset {} ({} s) is not in the final log: "
                                          "broker-{}, the last leader, {}{}{}",
                                          a.value, a.producer, a.offset, format_seconds(a.t), leader, there, more,
                                          after_unclean[partition] ? "; an unclean election came after it" : "")});
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_acked_write_lost() { return std::make_unique<AckedWriteLost>(); }

LossStats loss_stats(const sim::History& history) {
  Losses l = find_losses(history);
  LossStats s;
  s.acked = l.acked;
  for (const auto& [a, unclean] : l.lost) {
    if (unclean) ++s.lost_unclean;
    else if (a.acks == "1") ++s.lost_acks1;
  }
  return s;
}

}  // namespace kafkasim::checks
