// `single-leader-per-epoch`: no two brokers ever act as leader of the same partition with the same
// leader epoch (read from `became-leader`).
#include <map>

#include <fmt/format.h>

#include "checks/checkers.h"

namespace kafkasim::checks {

namespace {
class SingleLeaderPerEpoch : public Checker {
 public:
  std::string_view property() const override { return "single-leader-per-epoch"; }
  std::vector<Violation> check(const Scenario&, const sim::History& history) override {
    std::map<std::pair<std::string, std::int64_t>, int> leader_of;  // (partition, epoch) -> broker
    std::vector<Violation> out;
    for (const auto& e : history.events()) {
      if (e.name != "became-leader") continue;
      const std::string partition = e.str_or("partition", "");
      const std::int64_t epoch = e.int_or("leader_epoch", -1);
      const int broker = static_cast<int>(e.int_or("broker", -1));
      auto [it, fresh] = leader_of.try_emplace({partition, epoch}, broker);
      if (!fresh && it->second != broker)
        out.push_back(Violation{std::string(property()), e.t, partition, {it->second, broker},
                                fmt::format("broker-{} and broker-{} both act as leader of {} in leader epoch {}",
                                            it->second, broker, partition, epoch)});
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_single_leader_per_epoch() { return std::make_unique<SingleLeaderPerEpoch>(); }

}  // namespace kafkasim::checks
