// `epoch-monotonic`: no broker process ever moves to a lower controller epoch. (The leader-epoch half
// joins this checker with the replication models.) A restarted process starts from nothing, as Kafka's
// in-memory controller epoch does; what a restarted broker obeys is stale-controller-obeyed's business.
#include "checks/checkers.h"

#include <map>

#include <fmt/format.h>

namespace kafkasim::checks {

namespace {
class EpochMonotonic : public Checker {
 public:
  std::string_view property() const override { return "epoch-monotonic"; }
  std::vector<Violation> check(const Scenario&, const sim::History& history) override {
    std::map<std::int64_t, std::int64_t> controller_epoch;  // broker -> highest applied in this process
    std::vector<Violation> out;
    for (const auto& e : history.events()) {
      const std::int64_t broker = e.int_or("broker", -1);
      if (e.name == "broker-started") {
        controller_epoch.erase(broker);
        continue;
      }
      if (e.name != "control-applied") continue;
      const std::int64_t epoch = e.int_or("controller_epoch", 0);
      auto [it, fresh] = controller_epoch.try_emplace(broker, epoch);
      if (!fresh && epoch < it->second)
        out.push_back(Violation{std::string(property()), e.t, "", {static_cast<int>(broker)},
                                fmt::format("broker-{} moved from controller epoch {} back to {} ({} from broker-{})",
                                            broker, it->second, epoch, e.str_or("request", "?"), e.int_or("from", -1))});
      it->second = std::max(it->second, epoch);
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_epoch_monotonic() { return std::make_unique<EpochMonotonic>(); }

}  // namespace kafkasim::checks
