// `producer-order`: an idempotent producer's acknowledged records appear in the final log in the order it
// sent them, per partition (Jepsen's nonmonotonic-send). Sequence numbers are what promise it: without
// idempotence, retries with max.in.flight.requests.per.connection > 1 may reorder (Kafka's documented
// behaviour), so only producers with enable.idempotence and acks=all are held to it.
#include <fmt/format.h>

#include "checks/checkers.h"
#include "checks/replay.h"

namespace kafkasim::checks {

namespace {
class ProducerOrder : public Checker {
 public:
  std::string_view property() const override { return "producer-order"; }
  std::vector<Violation> check(const Scenario& scenario, const sim::History& history) override {
    std::set<std::string> idempotent;
    for (const auto& p : scenario.producers)
      if (p.idempotent()) idempotent.insert(p.id);
    std::vector<Violation> out;
    if (idempotent.empty()) return out;
    Replay replay;
    using Key = std::pair<std::string, std::string>;  // (producer, partition)
    std::map<Key, std::vector<std::string>> sent;       // values in send order
    std::map<Key, std::map<std::string, std::int64_t>> acked;  // value -> acknowledged offset
    std::map<Key, std::map<std::string, Micros>> acked_at;
    for (const auto& e : history.events()) {
      replay.apply(e);
      if (e.name != "produce-sent" && e.name != "produce-acked") continue;
      const std::string producer = e.str_or("producer", "");
      if (!idempotent.count(producer)) continue;
      const Key key{producer, e.str_or("partition", "")};
      if (e.name == "produce-sent") sent[key].push_back(e.str_or("value", ""));
      else {
        acked[key][e.str_or("value", "")] = e.int_or("offset", -1);
        acked_at[key][e.str_or("value", "")] = e.t;
      }
    }
    for (const auto& [key, values] : sent) {
      const auto& [producer, partition] = key;
      const auto& log = replay.log(replay.last_leader(partition), partition);
      // Sequence numbers make a retry of a batch already in the log a duplicate the broker drops:
      // an idempotent producer's record held twice is the promise broken.
      const std::set<std::string> mine(values.begin(), values.end());
      std::map<std::string, std::int64_t> first_at;
      for (std::size_t i = 0; i < log.size(); ++i) {
        const std::string& value = log[i].value;
        if (!mine.count(value)) continue;
        auto [it, fresh] = first_at.emplace(value, static_cast<std::int64_t>(i));
        if (fresh) continue;
        const auto a = acked_at[key].find(value);
        out.push_back(Violation{
            std::string(property()), a == acked_at[key].end() ? history.events().back().t : a->second, partition, {},
            fmt::format("{} sent {} once, but the final log of {} holds it at offsets {} and {}", producer, value,
                        partition, it->second, i),
            {ViolationRecord{"first-copy", it->second, value, log[static_cast<std::size_t>(it->second)].leader_epoch, -1, producer},
             ViolationRecord{"duplicate", static_cast<std::int64_t>(i), value, log[i].leader_epoch, -1, producer}}});
        break;
      }
      std::int64_t last_offset = -1;
      std::string last_value;
      for (const auto& value : values) {
        auto a = acked[key].find(value);
        if (a == acked[key].end()) continue;
        const std::int64_t offset = a->second;
        // A record lost from the final log is acked-write-lost's business, not an order.
        if (offset < 0 || offset >= static_cast<std::int64_t>(log.size()) || log[static_cast<std::size_t>(offset)].value != value)
          continue;
        if (offset < last_offset) {
          out.push_back(Violation{
              std::string(property()), acked_at[key][value], partition, {},
              fmt::format("{} sent {} before {}, but the final log of {} holds {} at offset {} and {} at offset {}",
                          producer, last_value, value, partition, value, offset, last_value, last_offset),
              {ViolationRecord{"sent-first", last_offset, last_value, log[static_cast<std::size_t>(last_offset)].leader_epoch, -1, producer},
               ViolationRecord{"sent-later", offset, value, log[static_cast<std::size_t>(offset)].leader_epoch, -1, producer}}});
          break;
        }
        last_offset = offset;
        last_value = value;
      }
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_producer_order() { return std::make_unique<ProducerOrder>(); }

}  // namespace kafkasim::checks
