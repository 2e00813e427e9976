// `hw-within-isr`: a leader's HW is never above the LEO of any member of its (maximal) ISR. Checked
// whenever a leader's HW advances: the HW it publishes must be held by every ISR member at that moment.
// (A member that later loses records below it is a loss, which acked-write-lost and
// committed-record-changed report.)
//
// Power loss: Kafka does not fsync, so what it promises for an acknowledged record is that it survives
// any failure that leaves one ISR member's page cache; a follower's power loss takes its page cache, and
// the leader, which knows a follower's log only from its fetches, may advance its HW over records that
// member has lost until the restarted member fetches again. That is Kafka's design (KIP-966 is the fix),
// not a leader computing its HW wrongly: a member whose log a power loss truncated is not counted until
// it appends again (its first fetch after the restart). The loss itself, if a later leader lacks the
// records, is what acked-write-lost and committed-record-changed report.
#include <set>

#include <fmt/format.h>

#include "checks/checkers.h"
#include "checks/replay.h"

namespace kafkasim::checks {

namespace {
class HwWithinIsr : public Checker {
 public:
  std::string_view property() const override { return "hw-within-isr"; }
  std::vector<Violation> check(const Scenario&, const sim::History& history) override {
    Replay replay;
    std::vector<Violation> out;
    std::set<std::string> reported;  // one violation per partition: the first is the story
    std::set<std::pair<std::int64_t, std::string>> power_lost;  // (broker, partition) not yet fetching again
    for (const auto& e : history.events()) {
      replay.apply(e);
      if (e.name == "truncated" && e.str_or("reason", "") == "power-loss")
        power_lost.insert({e.int_or("broker", -1), e.str_or("partition", "")});
      if (e.name == "appended") power_lost.erase({e.int_or("broker", -1), e.str_or("partition", "")});
      if (e.name != "hw-advanced") continue;
      const std::string partition = e.str_or("partition", "");
      auto lead = replay.leader(partition);
      if (!lead || lead->broker != e.int_or("broker", -1) || reported.count(partition) > 0) continue;
      for (std::int64_t member : lead->isr) {
        if (power_lost.count({member, partition})) continue;
        const auto leo = static_cast<std::int64_t>(replay.log(static_cast<int>(member), partition).size());
        if (leo >= lead->hw) continue;
        reported.insert(partition);
        out.push_back(Violation{std::string(property()), e.t, partition, {lead->broker, static_cast<int>(member)},
                                fmt::format("leader broker-{} of {} (epoch {}) has HW {} but ISR member broker-{} has "
                                            "LEO {}",
                                            lead->broker, partition, lead->epoch, lead->hw, member, leo)});
        break;
      }
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_hw_within_isr() { return std::make_unique<HwWithinIsr>(); }

}  // namespace kafkasim::checks
