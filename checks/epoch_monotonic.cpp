// `epoch-monotonic`: no broker process ever moves to a lower leader epoch for a partition
// (`became-leader`, `became-follower`) or a lower controller epoch (`control-applied`). A restarted
// process starts from nothing, as Kafka's in-memory state does; what a restarted broker obeys is
// stale-controller-obeyed's business. KRaft: no controller node ever moves to a lower quorum epoch
// (`quorum-state`), across restarts too, since the epoch is in its quorum-state file
// (RaftEventSimulationTest's MonotonicEpoch).
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
    std::map<std::pair<std::int64_t, std::string>, std::int64_t> leader_epoch;  // (broker, partition) -> highest
    std::map<std::string, std::int64_t> quorum_epoch;  // controller node -> highest (durable)
    std::vector<Violation> out;
    for (const auto& e : history.events()) {
      const std::int64_t broker = e.int_or("broker", -1);
      if (e.name == "broker-started") {
        controller_epoch.erase(broker);
        for (auto it = leader_epoch.begin(); it != leader_epoch.end();)
          it = it->first.first == broker ? leader_epoch.erase(it) : std::next(it);
        continue;
      }
      if (e.name == "became-leader" || e.name == "became-follower") {
        const std::string partition = e.str_or("partition", "");
        const std::int64_t epoch = e.int_or("leader_epoch", 0);
        auto [it, fresh] = leader_epoch.try_emplace({broker, partition}, epoch);
        if (!fresh && epoch < it->second)
          out.push_back(Violation{std::string(property()), e.t, partition, {static_cast<int>(broker)},
                                  fmt::format("broker-{} moved from leader epoch {} back to {} for {}", broker,
                                              it->second, epoch, partition)});
        it->second = std::max(it->second, epoch);
        continue;
      }
      if (e.name == "quorum-state") {
        const std::string node = e.str_or("node", "");
        const std::int64_t epoch = e.int_or("epoch", 0);
        auto [it, fresh] = quorum_epoch.try_emplace(node, epoch);
        if (!fresh && epoch < it->second)
          out.push_back(Violation{std::string(property()), e.t, "", {},
                                  fmt::format("{} moved from quorum epoch {} back to {} (as {})", node, it->second, epoch,
                                              e.str_or("state", "?"))});
        it->second = std::max(it->second, epoch);
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
