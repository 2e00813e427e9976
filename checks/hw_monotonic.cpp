// `hw-monotonic`: one leader, during one leader epoch, never lowers its HW.
#include <map>

#include <fmt/format.h>

#include "checks/checkers.h"

namespace kafkasim::checks {

namespace {
class HwMonotonic : public Checker {
 public:
  std::string_view property() const override { return "hw-monotonic"; }
  std::vector<Violation> check(const Scenario&, const sim::History& history) override {
    struct Tenure {
      std::int64_t epoch;
      std::int64_t hw;
    };
    std::map<std::pair<int, std::string>, Tenure> leading;  // (broker, partition) -> current tenure
    std::vector<Violation> out;
    for (const auto& e : history.events()) {
      const int broker = static_cast<int>(e.int_or("broker", -1));
      const std::string partition = e.str_or("partition", "");
      if (e.name == "became-leader") {
        leading[{broker, partition}] = Tenure{e.int_or("leader_epoch", 0), e.int_or("hw", 0)};
      } else if (e.name == "became-follower") {
        leading.erase({broker, partition});
      } else if (e.name == "broker-crashed" || e.name == "broker-shutdown" || e.name == "broker-exited") {
        for (auto it = leading.begin(); it != leading.end();) it = it->first.first == broker ? leading.erase(it) : std::next(it);
      } else if (e.name == "hw-advanced" || (e.name == "truncated" && e.str_or("reason", "") != "power-loss")) {
        auto it = leading.find({broker, partition});
        if (it == leading.end()) continue;
        const std::int64_t hw = e.name == "hw-advanced" ? e.int_or("hw", 0) : std::min(it->second.hw, e.int_or("to_offset", 0));
        if (hw < it->second.hw)
          out.push_back(Violation{std::string(property()), e.t, partition, {broker},
                                  fmt::format("leader broker-{} of {} lowered its HW from {} to {} in leader epoch {}",
                                              broker, partition, it->second.hw, hw, it->second.epoch)});
        it->second.hw = std::max(it->second.hw, hw);
      }
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_hw_monotonic() { return std::make_unique<HwMonotonic>(); }

}  // namespace kafkasim::checks
