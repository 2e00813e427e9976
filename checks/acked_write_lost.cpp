// `acked-write-lost`: every record acknowledged to an acks=all producer is in the final log of its
// partition (the log of its last leader), at the offset it was acknowledged with. Also the result's
// loss counts: acks=1 records lost (allowed by design) and acknowledged records lost to an unclean
// election (allowed when the switch is on, and still reported for acks=all).
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checks/checkers.h"
#include "checks/replay.h"

namespace kafkasim::checks {

namespace {
struct Ack {
  Micros t;
  std::string producer, partition, value, acks;
  std::int64_t offset;
  std::int64_t leader_epoch = -1;  // the epoch it was appended in, from the leader's `appended`
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
  // partition -> (time, leader epoch) of its unclean elections
  std::map<std::string, std::vector<std::pair<Micros, std::int64_t>>> unclean;
  std::map<std::tuple<std::string, std::int64_t, std::string>, std::int64_t> epoch_of;  // (partition, offset, value)
  for (const auto& e : history.events()) {
    l.replay.apply(e);
    if (e.name == "appended")
      epoch_of.try_emplace({e.str_or("partition", ""), e.int_or("offset", -1), e.str_or("value", "")},
                           e.int_or("leader_epoch", -1));
    if (e.name == "produce-acked") {
      Ack a{e.t, e.str_or("producer", ""), e.str_or("partition", ""), e.str_or("value", ""), e.str_or("acks", ""),
            e.int_or("offset", -1)};
      if (auto it = epoch_of.find({a.partition, a.offset, a.value}); it != epoch_of.end()) a.leader_epoch = it->second;
      acks.push_back(a);
    }
    if (e.name == "leader-elected") {
      const sim::Value* c = e.get("clean");
      if (c != nullptr && std::get_if<bool>(c) != nullptr && !std::get<bool>(*c))
        unclean[e.str_or("partition", "")].emplace_back(e.t, e.int_or("leader_epoch", -1));
    }
  }
  l.acked = static_cast<std::int64_t>(acks.size());
  for (const auto& a : acks) {
    const int leader = l.replay.last_leader(a.partition);
    const auto& log = l.replay.log(leader, a.partition);
    if (a.offset >= 0 && a.offset < static_cast<std::int64_t>(log.size()) &&
        log[static_cast<std::size_t>(a.offset)].value == a.value)
      continue;
    // Lost to an unclean election: one elected a leader in a later epoch than the one the record was
    // appended in (acknowledged before it, or after it by the deposed leader that had not heard yet).
    bool after_unclean = false;
    for (const auto& [t, epoch] : unclean[a.partition])
      after_unclean |= a.leader_epoch >= 0 ? epoch > a.leader_epoch : t >= a.t;
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
    // One violation per partition, listing every acks=all record it lost.
    std::map<std::string, std::vector<const Ack*>> lost;
    std::map<std::string, bool> after_unclean;
    for (const auto& [a, unclean] : l.lost) {
      if (a.acks != "all") continue;
      lost[a.partition].push_back(&a);
      after_unclean[a.partition] = after_unclean[a.partition] || unclean;
    }
    for (const auto& [partition, records] : lost) {
      const int leader = l.replay.last_leader(partition);
      const auto& log = l.replay.log(leader, partition);
      Violation v{std::string(property()), l.replay.became_leader_at(partition), partition, {leader}, "", {}};
      std::vector<std::string> named;
      for (const Ack* a : records) {
        v.records.push_back(ViolationRecord{"lost", a->offset, a->value, a->leader_epoch, -1, a->producer});
        if (named.size() < 5)
          named.push_back(fmt::format("{} (offset {}{}, acknowledged to {} at {} s)", a->value, a->offset,
                                      a->leader_epoch >= 0 ? fmt::format(", epoch {}", a->leader_epoch) : "", a->producer,
                                      format_seconds(a->t)));
      }
      const Ack& first = *records.front();
      const std::string there = first.offset < static_cast<std::int64_t>(log.size())
                                    ? fmt::format("holds {} at offset {}", log[static_cast<std::size_t>(first.offset)].value,
                                                  first.offset)
                                    : fmt::format("ends at offset {}", log.size());
      if (first.offset >= 0 && first.offset < static_cast<std::int64_t>(log.size())) {
        const auto& held = log[static_cast<std::size_t>(first.offset)];
        v.records.push_back(ViolationRecord{"final", first.offset, held.value, held.leader_epoch, leader, ""});
      }
      const std::size_t more = records.size() - named.size();
      v.detail = fmt::format("{} acknowledged {} not in the final log of {}: broker-{}, the last leader, {}{}{}",
                             fmt::join(named, ", "), records.size() == 1 ? "is" : "are", partition, leader, there,
                             more ? fmt::format(" ({} acks=all records lost in all)", records.size()) : "",
                             after_unclean[partition] ? "; an unclean election came after it" : "");
      out.push_back(std::move(v));
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
  s.duplicates = duplicate_count(history);
  return s;
}

}  // namespace kafkasim::checks

namespace kafkasim::checks {

std::map<std::string, ProducerAccount> producer_accounts(const sim::History& history) {
  std::map<std::string, ProducerAccount> out;
  // A value acknowledged twice (a retry whose first answer was lost) counts once.
  std::set<std::pair<std::string, std::string>> acked;
  for (const auto& e : history.events()) {
    if (e.name == "produce-sent") ++out[e.str_or("producer", "?")].sent;
    if (e.name == "produce-acked" && acked.insert({e.str_or("producer", "?"), e.str_or("value", "")}).second)
      ++out[e.str_or("producer", "?")].acked;
    if (e.name == "produce-failed") {
      ProducerAccount& a = out[e.str_or("producer", "?")];
      ++a.failed;
      ++a.errors[e.str_or("error", "?")];
    }
    if (e.name == "request-rejected" && e.get("producer") != nullptr) {
      ProducerAccount& a = out[e.str_or("producer", "?")];
      ++a.refused;
      ++a.refusals[e.str_or("reason", "?")];
    }
  }
  return out;
}

}  // namespace kafkasim::checks
