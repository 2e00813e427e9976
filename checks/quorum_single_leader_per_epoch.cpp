// `quorum-single-leader-per-epoch` (KRaft): no two controller nodes act as quorum leader in the same
// epoch, Raft's election safety (RaftEventSimulationTest's SingleLeader). Read from `quorum-state` with
// state `leader`: a node records it when it becomes leader, so two nodes recording it for one epoch
// means each won a majority of votes (or one did not need them) in that epoch. The same node recording
// it twice for one epoch (a restart that resumes its leadership) is not two leaders.
#include <map>
#include <set>

#include <fmt/format.h>

#include "checks/checkers.h"

namespace kafkasim::checks {

namespace {
class QuorumSingleLeaderPerEpoch : public Checker {
 public:
  std::string_view property() const override { return "quorum-single-leader-per-epoch"; }
  std::vector<Violation> check(const Scenario&, const sim::History& history) override {
    struct First {
      std::string node;
      Micros t = 0;
    };
    std::map<std::int64_t, First> leader_of;                   // epoch -> the first node that led it
    std::set<std::pair<std::int64_t, std::string>> reported;  // (epoch, second node)
    std::vector<Violation> out;
    for (const auto& e : history.events()) {
      if (e.name != "quorum-state" || e.str_or("state", "") != "leader") continue;
      const std::string node = e.str_or("node", "");
      const std::int64_t epoch = e.int_or("epoch", -1);
      auto [it, fresh] = leader_of.try_emplace(epoch, First{node, e.t});
      if (fresh || it->second.node == node || !reported.insert({epoch, node}).second) continue;
      out.push_back(Violation{
          std::string(property()), e.t, "", {},
          fmt::format("{} and {} both act as quorum leader in epoch {} ({} since {} s, {} from {} s): Raft "
                      "allows one leader per epoch, elected by a majority of the voters",
                      it->second.node, node, epoch, it->second.node, format_seconds(it->second.t), node,
                      format_seconds(e.t)),
          {}});
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_quorum_single_leader_per_epoch() { return std::make_unique<QuorumSingleLeaderPerEpoch>(); }

}  // namespace kafkasim::checks
