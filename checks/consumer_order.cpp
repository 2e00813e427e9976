// `consumer-order`: each consumer reads each partition's offsets in strictly increasing order without
// gaps (Jepsen's nonmonotonic and skip anomalies). A position reset the consumer itself made and said so
// (`consumer-position-reset`: KIP-320's truncation detection, auto.offset.reset) starts a new sequence at
// its new offset: the loss behind it is what the other properties judge (or the spec allows, for an
// unclean election), and the application was told. A consumer process that crashed starts a new
// sequence with its next process.
#include <map>
#include <set>

#include <fmt/format.h>

#include "checks/checkers.h"

namespace kafkasim::checks {

namespace {
class ConsumerOrder : public Checker {
 public:
  std::string_view property() const override { return "consumer-order"; }
  std::vector<Violation> check(const Scenario&, const sim::History& history) override {
    std::map<std::pair<std::string, std::string>, std::int64_t> last;  // (consumer, partition) -> offset
    std::set<std::pair<std::string, std::string>> reported;
    std::vector<Violation> out;
    for (const auto& e : history.events()) {
      if (e.name == "node-crashed") {
        // A consumer process that died starts over: its next process reads from where it is told to (a
        // group's committed offset), as a new consumer.
        const std::string node = e.str_or("node", "");
        for (auto it = last.begin(); it != last.end();) it = it->first.first == node ? last.erase(it) : std::next(it);
        continue;
      }
      if (e.name == "consumer-position-reset") {
        // The next read is expected at to_offset: as if the offset before it had been read.
        last[std::make_pair(e.str_or("consumer", ""), e.str_or("partition", ""))] = e.int_or("to_offset", 0) - 1;
        continue;
      }
      if (e.name != "consumed") continue;
      const auto key = std::make_pair(e.str_or("consumer", ""), e.str_or("partition", ""));
      const std::int64_t offset = e.int_or("offset", -1);
      auto [it, fresh] = last.try_emplace(key, offset);
      if (fresh) continue;
      if (offset != it->second + 1 && reported.insert(key).second)
        out.push_back(Violation{std::string(property()), e.t, key.second, {},
                                fmt::format("{} read offset {} of {} right after offset {} ({})", key.first, offset,
                                            key.second, it->second, offset <= it->second ? "backwards" : "a gap"),
                                {ViolationRecord{"read", it->second, "", -1, -1, ""},
                                 ViolationRecord{"read", offset, e.str_or("value", ""), -1, -1, ""}}});
      it->second = offset;
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_consumer_order() { return std::make_unique<ConsumerOrder>(); }

}  // namespace kafkasim::checks
