// `phantom-read`: every record a consumer read is in the final log, at the offset it was read at, with
// the same value.
#include <algorithm>
#include <fmt/format.h>

#include "checks/checkers.h"
#include "checks/replay.h"

namespace kafkasim::checks {

namespace {
class PhantomRead : public Checker {
 public:
  std::string_view property() const override { return "phantom-read"; }
  std::vector<Violation> check(const Scenario&, const sim::History& history) override {
    Replay replay;
    // partition -> times of its unclean elections: a read record they removed is a loss by design.
    std::map<std::string, std::vector<Micros>> unclean;
    for (const auto& e : history.events()) {
      replay.apply(e);
      if (e.name != "leader-elected") continue;
      const sim::Value* clean = e.get("clean");
      if (clean != nullptr && std::get_if<bool>(clean) != nullptr && !std::get<bool>(*clean))
        unclean[e.str_or("partition", "")].push_back(e.t);
    }
    std::vector<Violation> out;
    std::set<std::string> reported;
    for (const auto& e : history.events()) {
      if (e.name != "consumed") continue;
      const std::string partition = e.str_or("partition", "");
      if (reported.count(partition) > 0) continue;
      const int leader = replay.last_leader(partition);
      const auto& log = replay.log(leader, partition);
      const std::int64_t offset = e.int_or("offset", -1);
      const std::string value = e.str_or("value", "");
      if (offset >= 0 && offset < static_cast<std::int64_t>(log.size()) && log[static_cast<std::size_t>(offset)].value == value)
        continue;
      const auto& elections = unclean[partition];
      if (std::any_of(elections.begin(), elections.end(), [&](Micros t) { return t >= e.t; })) continue;
      reported.insert(partition);
      Violation v{std::string(property()), e.t, partition, {leader},
                  fmt::format("{} read {} at offset {} of {}, which the final log (broker-{}) does not hold there",
                              e.str_or("consumer", ""), value, offset, partition, leader),
                  {ViolationRecord{"read", offset, value, -1, -1, ""}}};
      if (offset >= 0 && offset < static_cast<std::int64_t>(log.size()))
        v.records.push_back(ViolationRecord{"final", offset, log[static_cast<std::size_t>(offset)].value,
                                            log[static_cast<std::size_t>(offset)].leader_epoch, leader, ""});
      out.push_back(std::move(v));
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_phantom_read() { return std::make_unique<PhantomRead>(); }

}  // namespace kafkasim::checks
