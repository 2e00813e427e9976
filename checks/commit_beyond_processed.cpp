// `commit-beyond-processed` (spec/consumer-groups.md): a group never commits an offset past a record it
// has not processed. Judged for the commits of consumers that commit after processing: `after-process`,
// and `auto` too (an auto commit carries the positions poll() returned, and the consumer processed those
// records before it polled again); `before-process` commits first by design and is what
// record-not-processed judges. When a commit (g, p, O) moves the committed offset up from `prev`, every
// offset o in [prev, O) a member of g had read (`consumed`) by then must have been processed (`processed`,
// any member of g; or handed to a retry topic, or given up by the retry pattern) by then. One violation
// per (group, partition), at its first such commit.
#include <set>

#include <fmt/format.h>

#include "checks/checkers.h"
#include "checks/groups.h"

namespace kafkasim::checks {

namespace {
class CommitBeyondProcessed : public Checker {
 public:
  std::string_view property() const override { return "commit-beyond-processed"; }
  std::vector<Violation> check(const Scenario& scenario, const sim::History& history) override {
    if (!scenario.has_groups()) return {};
    using Key = std::pair<std::string, std::string>;  // (group, partition)
    struct Read {
      Micros t;
      std::string value;
    };
    std::map<Key, std::map<std::int64_t, Read>> consumed;    // offset -> the first read by a member
    std::map<Key, std::map<std::int64_t, Micros>> processed;  // offset -> the first processing by a member
    for (const auto& e : history.events()) {
      // A record handed to a retry topic, or given up by the retry pattern, is done with as far as this
      // group goes (record-not-processed judges where it ended up).
      const bool handled = e.name == "processed" || e.name == "retry-produced" ||
                           (e.name == "processing-failed" && e.str_or("handling", "") == "give-up");
      if (e.name != "consumed" && !handled) continue;
      const std::string group = group_of(scenario, e);
      if (group.empty()) continue;
      const Key key{group, e.str_or("partition", "")};
      const std::int64_t offset = e.int_or("offset", -1);
      if (e.name == "consumed") consumed[key].try_emplace(offset, Read{e.t, e.str_or("value", "")});
      else processed[key].try_emplace(offset, e.t);
    }

    std::map<Key, std::int64_t> committed;
    std::map<Key, Violation> first;
    std::map<Key, int> more;  // later offending commits of the same (group, partition)
    for (const auto& e : history.events()) {
      if (e.name != "offset-committed") continue;
      const Key key{e.str_or("group", ""), e.str_or("partition", "")};
      const std::int64_t offset = e.int_or("offset", 0);
      auto [it, fresh] = committed.try_emplace(key, 0);
      const std::int64_t prev = it->second;
      it->second = offset;
      const ConsumerSpec* c = find_consumer(scenario, e.str_or("consumer", ""));
      if (c == nullptr || (c->commit != "after-process" && c->commit != "auto") || offset <= prev) continue;
      const auto& reads = consumed[key];
      const auto& done = processed[key];
      std::vector<std::int64_t> unprocessed;
      std::vector<ViolationRecord> records;
      for (auto r = reads.lower_bound(prev); r != reads.end() && r->first < offset; ++r) {
        if (r->second.t > e.t) continue;
        auto p = done.find(r->first);
        if (p != done.end() && p->second <= e.t) continue;
        unprocessed.push_back(r->first);
        records.push_back(ViolationRecord{"unprocessed", r->first, r->second.value, -1, -1, ""});
      }
      if (unprocessed.empty()) continue;
      if (first.count(key) > 0) {
        ++more[key];
        continue;
      }
      records.push_back(ViolationRecord{"committed", offset, "", -1, -1, ""});
      first.emplace(key, Violation{std::string(property()), e.t, key.second, {},
                                   fmt::format("{} ({}, commit: {}) committed {} up to {} (from {}) while offset{} {}, "
                                               "which {} had read, {} not processed yet",
                                               c->id, key.first, c->commit, key.second, offset, prev,
                                               unprocessed.size() == 1 ? "" : "s", offsets_text(unprocessed), key.first,
                                               unprocessed.size() == 1 ? "was" : "were"),
                                   std::move(records)});
    }
    std::vector<Violation> out;
    for (auto& [key, v] : first) {
      if (more[key] > 0) v.detail += fmt::format(" ({} later commit{} of {} did the same)", more[key], more[key] == 1 ? "" : "s", key.second);
      out.push_back(std::move(v));
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_commit_beyond_processed() { return std::make_unique<CommitBeyondProcessed>(); }

}  // namespace kafkasim::checks
