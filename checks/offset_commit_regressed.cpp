// `offset-commit-regressed` (spec/consumer-groups.md): a group's committed offset for a partition never
// moves backwards (the scenario format has no seek, so no exception applies yet). One violation per
// (group, partition), at its first decrease.
#include <set>

#include <fmt/format.h>

#include "checks/checkers.h"

namespace kafkasim::checks {

namespace {
class OffsetCommitRegressed : public Checker {
 public:
  std::string_view property() const override { return "offset-commit-regressed"; }
  std::vector<Violation> check(const Scenario&, const sim::History& history) override {
    struct Last {
      std::int64_t offset;
      std::string consumer;
      std::int64_t generation;
      Micros t;
    };
    std::map<std::pair<std::string, std::string>, Last> last;  // (group, partition) -> its last commit
    std::set<std::pair<std::string, std::string>> reported;
    std::vector<Violation> out;
    for (const auto& e : history.events()) {
      if (e.name != "offset-committed") continue;
      const auto key = std::make_pair(e.str_or("group", ""), e.str_or("partition", ""));
      const Last now{e.int_or("offset", 0), e.str_or("consumer", ""), e.int_or("generation", -1), e.t};
      auto [it, fresh] = last.try_emplace(key, now);
      if (fresh) continue;
      const Last before = it->second;
      it->second = now;
      if (now.offset >= before.offset || !reported.insert(key).second) continue;
      out.push_back(Violation{
          std::string(property()), e.t, key.second, {},
          fmt::format("{}'s committed offset for {} moved back from {} to {}: {} committed {} in generation {}, "
                      "after {} had committed {} in generation {} at {} s",
                      key.first, key.second, before.offset, now.offset, now.consumer, now.offset, now.generation,
                      before.consumer, before.offset, before.generation, format_seconds(before.t)),
          {ViolationRecord{"committed", before.offset, "", -1, -1, ""},
           ViolationRecord{"regressed", now.offset, "", -1, -1, ""}}});
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_offset_commit_regressed() { return std::make_unique<OffsetCommitRegressed>(); }

}  // namespace kafkasim::checks
