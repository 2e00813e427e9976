// `log-divergence`: all replicas of a partition hold identical records (value, offset, leader epoch) up
// to the smaller of their LEOs, and, once the run has converged, every running replica's log equals the
// leader's.
#include <algorithm>

#include <fmt/format.h>

#include "checks/checkers.h"
#include "checks/replay.h"

namespace kafkasim::checks {

namespace {
class LogDivergence : public Checker {
 public:
  std::string_view property() const override { return "log-divergence"; }
  std::vector<Violation> check(const Scenario&, const sim::History& history) override {
    Replay replay;
    Micros end = 0;
    for (const auto& e : history.events()) {
      replay.apply(e);
      end = e.t;
    }
    std::vector<Violation> out;
    for (const auto& partition : replay.partitions()) {
      const auto brokers = replay.replicas_of(partition);
      bool found = false;
      for (std::size_t i = 0; i < brokers.size() && !found; ++i)
        for (std::size_t j = i + 1; j < brokers.size() && !found; ++j) {
          const auto& a = replay.log(brokers[i], partition);
          const auto& b = replay.log(brokers[j], partition);
          for (std::size_t o = 0; o < std::min(a.size(), b.size()); ++o) {
            if (a[o] == b[o]) continue;
            found = true;
            out.push_back(Violation{std::string(property()), end, partition, {brokers[i], brokers[j]},
                                    fmt::format("at offset {} of {}, broker-{} holds {} (epoch {}) and broker-{} holds "
                                                "{} (epoch {})",
                                                o, partition, brokers[i], a[o].value, a[o].leader_epoch, brokers[j],
                                                b[o].value, b[o].leader_epoch),
                                    {ViolationRecord{"held", static_cast<std::int64_t>(o), a[o].value, a[o].leader_epoch,
                                                     brokers[i], ""},
                                     ViolationRecord{"held", static_cast<std::int64_t>(o), b[o].value, b[o].leader_epoch,
                                                     brokers[j], ""}}});
            break;
          }
        }
      if (found || !replay.converged()) continue;
      const int leader = replay.last_leader(partition);
      for (int b : brokers) {
        if (b == leader || !replay.running(b)) continue;
        const auto n = replay.log(b, partition).size();
        const auto m = replay.log(leader, partition).size();
        if (n == m) continue;
        out.push_back(Violation{std::string(property()), end, partition, {leader, b},
                                fmt::format("after convergence broker-{} has {} records of {} and its leader broker-{} has {}",
                                            b, n, partition, leader, m)});
        break;
      }
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_log_divergence() { return std::make_unique<LogDivergence>(); }

}  // namespace kafkasim::checks
