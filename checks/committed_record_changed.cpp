// `committed-record-changed`: once a record is below a leader's HW at offset o, no replica that is or
// later becomes leader holds a different record at o (TLA+ StrongIsr, Raft's ConsistentCommittedData).
// A later leader whose log ends before o is reported once it writes something else at o; until then the
// record is missing rather than changed, and if it was acknowledged that is acked-write-lost's to report.
#include <algorithm>

#include <fmt/format.h>

#include "checks/checkers.h"
#include "checks/replay.h"

namespace kafkasim::checks {

namespace {
class CommittedRecordChanged : public Checker {
 public:
  std::string_view property() const override { return "committed-record-changed"; }
  std::vector<Violation> check(const Scenario&, const sim::History& history) override {
    Replay replay;
    std::map<std::string, std::vector<LoggedRecord>> committed;  // partition -> records below some leader's HW
    std::set<std::string> reported;
    // (broker, partition) -> how many leading offsets of that replica's log are known to match `committed`.
    // `committed` only grows, so the prefix stays matched until the log changes below it: each leader
    // append compares the new offsets only, not the whole log again (which made this checker quadratic).
    std::map<std::pair<int, std::string>, std::size_t> matched;
    std::vector<Violation> out;
    auto verify = [&](const sim::HistoryEvent& e, int broker, const std::string& partition) {
      if (reported.count(partition) > 0) return;
      const auto& log = replay.log(broker, partition);
      const auto& c = committed[partition];
      std::size_t& known = matched[{broker, partition}];
      const std::size_t from = known;
      known = std::min(c.size(), log.size());
      for (std::size_t o = from; o < c.size() && o < log.size(); ++o) {
        if (log[o] == c[o]) continue;
        reported.insert(partition);
        const auto offset = static_cast<std::int64_t>(o);
        out.push_back(Violation{
            std::string(property()), e.t, partition, {broker},
            fmt::format("{} (epoch {}) was committed at offset {} of {}, but leader broker-{} holds {} (epoch {}) there",
                        c[o].value, c[o].leader_epoch, o, partition, broker, log[o].value, log[o].leader_epoch),
            {ViolationRecord{"committed", offset, c[o].value, c[o].leader_epoch, -1, ""},
             ViolationRecord{"held", offset, log[o].value, log[o].leader_epoch, broker, ""}}});
        return;
      }
    };
    // partition -> the leader epoch of an unclean election whose leader has not taken office yet.
    std::map<std::string, std::int64_t> unclean_epoch;
    for (const auto& e : history.events()) {
      replay.apply(e);
      const std::string partition = e.str_or("partition", "");
      const int broker = static_cast<int>(e.int_or("broker", -1));
      if (e.name == "leader-elected") {
        const sim::Value* clean = e.get("clean");
        if (clean != nullptr && std::get_if<bool>(clean) != nullptr && !std::get<bool>(*clean))
          unclean_epoch[partition] = e.int_or("leader_epoch", -1);
      }
      if (e.name == "became-leader" && unclean_epoch.count(partition) &&
          e.int_or("leader_epoch", -1) == unclean_epoch[partition]) {
        // An unclean election may lose committed records by design (spec: "Allowed loss"); what counts as
        // committed starts again from what the uncleanly elected leader holds (acked-write-lost still
        // reports acknowledged acks=all records lost that way).
        const auto& log = replay.log(broker, partition);
        auto& c = committed[partition];
        std::size_t keep = 0;
        while (keep < c.size() && keep < log.size() && c[keep] == log[keep]) ++keep;
        c.resize(keep);
        for (auto& [key, n] : matched)
          if (key.second == partition) n = std::min(n, keep);
        unclean_epoch.erase(partition);
      }
      if (e.name == "appended" || e.name == "truncated") {
        // The replica's log changed from this offset on: what was matched beyond it is unknown again.
        auto it = matched.find({broker, partition});
        const std::int64_t at = e.name == "appended" ? e.int_or("offset", 0) : e.int_or("to_offset", 0);
        if (it != matched.end()) it->second = std::min(it->second, static_cast<std::size_t>(std::max<std::int64_t>(0, at)));
      }
      if (e.name == "became-leader") {
        auto lead = replay.leader(partition);
        if (lead && lead->broker == broker) verify(e, broker, partition);  // not a deposed leader's stale epoch
      } else if (e.name == "hw-advanced" || e.name == "appended") {
        auto lead = replay.leader(partition);
        if (!lead || lead->broker != broker) continue;
        verify(e, broker, partition);
        if (e.name != "hw-advanced") continue;
        const auto& log = replay.log(broker, partition);
        auto& c = committed[partition];
        for (auto o = static_cast<std::int64_t>(c.size()); o < lead->hw && o < static_cast<std::int64_t>(log.size()); ++o)
          c.push_back(log[static_cast<std::size_t>(o)]);
      }
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_committed_record_changed() { return std::make_unique<CommittedRecordChanged>(); }

}  // namespace kafkasim::checks
