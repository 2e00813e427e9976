// `leader-in-isr`: a partition state the controller publishes (`leader-elected`, `isr-changed`) or a
// leader applies (`became-leader`) always lists its leader in its ISR (leader -1 excepted).
#include <algorithm>

#include <fmt/format.h>

#include "checks/checkers.h"

namespace kafkasim::checks {

namespace {
class LeaderInIsr : public Checker {
 public:
  std::string_view property() const override { return "leader-in-isr"; }
  std::vector<Violation> check(const Scenario&, const sim::History& history) override {
    std::vector<Violation> out;
    for (const auto& e : history.events()) {
      if (e.name != "leader-elected" && e.name != "isr-changed" && e.name != "became-leader") continue;
      const std::int64_t leader = e.int_or("leader", -1);
      const sim::Value* v = e.get("isr");
      if (leader < 0 || v == nullptr || std::get_if<std::vector<std::int64_t>>(v) == nullptr) continue;
      const auto& isr = std::get<std::vector<std::int64_t>>(*v);
      if (std::find(isr.begin(), isr.end(), leader) != isr.end()) continue;
      out.push_back(Violation{std::string(property()), e.t, e.str_or("partition", ""), {static_cast<int>(leader)},
                              fmt::format("{} names broker-{} leader of {} (epoch {}) with ISR {}", e.name, leader,
                                          e.str_or("partition", ""), e.int_or("leader_epoch", -1), sim::value_text(*v))});
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_leader_in_isr() { return std::make_unique<LeaderInIsr>(); }

}  // namespace kafkasim::checks
