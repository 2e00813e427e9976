// `stale-controller-obeyed`: no broker applies a control request from a controller epoch that ZooKeeper
// had already moved past (a higher epoch was elected) when the request was sent, and no ZooKeeper write
// of a controller (`controller-zk-write`) succeeds after a newer controller epoch exists. Writes and
// elections are ordered by their ZooKeeper zxid when the history has it: both are recorded when the
// broker reads the reply, which a pause can hold back long after ZooKeeper applied them.
// KRaft: a controller's authority is its quorum epoch, and a broker obeys what it applies from the
// metadata log; it must never apply a record of a lower quorum epoch after one of a higher epoch (a
// deposed controller's record after its successor's), read from the brokers' `metadata-committed`.
#include "checks/checkers.h"

#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>

namespace kafkasim::checks {

namespace {
class StaleControllerObeyed : public Checker {
 public:
  std::string_view property() const override { return "stale-controller-obeyed"; }
  std::vector<Violation> check(const Scenario&, const sim::History& history) override {
    std::map<std::int64_t, Micros> elected_at;  // controller epoch -> when it was elected
    std::map<std::int64_t, std::int64_t> elected_zxid;  // controller epoch -> the election's zxid
    std::vector<Violation> out;
    std::map<std::string, std::int64_t> applied_epoch;  // KRaft broker node -> highest quorum epoch applied
    std::set<std::string> reported;
    for (const auto& e : history.events()) {
      if (e.name == "metadata-committed") {
        const std::string node = e.str_or("node", "");
        if (node.rfind("broker-", 0) != 0) continue;
        const std::int64_t offset = e.int_or("offset", 0), epoch = e.int_or("epoch", 0);
        auto [it, fresh] = applied_epoch.try_emplace(node, epoch);
        if (offset == 0) it->second = epoch;  // a restarted broker replays its log from the start
        if (!fresh && epoch < it->second && reported.insert(node).second)
          out.push_back(Violation{
              std::string(property()), e.t, "", {std::atoi(node.c_str() + 7)},
              fmt::format("{} applied a {} record of quorum epoch {} at offset {} after records of epoch {}: a "
                          "deposed controller's metadata obeyed",
                          node, e.str_or("record", "?"), epoch, offset, it->second)});
        it->second = std::max(it->second, epoch);
        continue;
      }
      if (e.name == "controller-elected") {
        elected_at.try_emplace(e.int_or("controller_epoch", 0), e.t);
        if (e.get("zxid") != nullptr) elected_zxid.try_emplace(e.int_or("controller_epoch", 0), e.int_or("zxid", 0));
        continue;
      }
      if (e.name == "controller-zk-write") {
        const std::int64_t epoch = e.int_or("controller_epoch", 0);
        auto newer = elected_at.upper_bound(epoch);
        if (newer != elected_at.end() && e.get("zxid") != nullptr) {
          // In ZooKeeper's order: some newer election came before this write.
          newer = elected_at.end();
          for (auto it = elected_zxid.upper_bound(epoch); it != elected_zxid.end(); ++it)
            if (it->second < e.int_or("zxid", 0)) {
              newer = elected_at.find(it->first);
              break;
            }
        }
        if (newer != elected_at.end())
          out.push_back(Violation{std::string(property()), e.t, "", {static_cast<int>(e.int_or("broker", -1))},
                                  fmt::format("broker-{}, controller in epoch {}, wrote {} after controller epoch {} "
                                              "had been elected at {} s",
                                              e.int_or("broker", -1), epoch, e.str_or("path", "?"), newer->first,
                                              format_seconds(newer->second))});
        continue;
      }
      if (e.name != "control-applied") continue;
      const std::int64_t epoch = e.int_or("controller_epoch", 0);
      const sim::Value* sent_value = e.get("sent");
      const double sent_s = sent_value && std::get_if<double>(sent_value) ? std::get<double>(*sent_value) : 0.0;
      const Micros sent = static_cast<Micros>(sent_s * kMicrosPerSecond + 0.5);
      // The first epoch above this one that was already elected when the request left.
      for (auto it = elected_at.upper_bound(epoch); it != elected_at.end(); ++it) {
        if (it->second > sent) continue;
        const std::int64_t broker = e.int_or("broker", -1);
        out.push_back(Violation{
            std::string(property()), e.t, "", {static_cast<int>(broker), static_cast<int>(e.int_or("from", -1))},
            fmt::format("broker-{} applied {} from broker-{} with controller epoch {}, sent at {} s, after controller "
                        "epoch {} had been elected at {} s",
                        broker, e.str_or("request", "?"), e.int_or("from", -1), epoch, format_seconds(sent), it->first,
                        format_seconds(it->second))});
        break;
      }
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_stale_controller_obeyed() { return std::make_unique<StaleControllerObeyed>(); }

}  // namespace kafkasim::checks
