// `duplicate-processing` (spec/consumer-groups.md): no record is applied to the sink twice. Every
// duplicate counts in `stats.duplicates`: a `sink-write` an append sink stored again (applied: duplicate;
// a keyed sink's overwrite is none), and, for group members without a sink, a record (partition, offset,
// value) the group's members processed more than once. Only a consumer that declares
// `delivery: exactly-once` makes its duplicates a violation.
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "checks/checkers.h"
#include "checks/groups.h"

namespace kafkasim::checks {

namespace {
struct Duplicate {
  const sim::HistoryEvent* event;  // the second (or later) application
  std::string consumer, partition, group, sink;  // sink "" = processed without a sink
};

// Every duplicate, in history order. Whether a consumer has a sink comes from its spec when the scenario
// names it, else from the history (the model records `processed` for a consumer with a sink only after
// its sink acknowledged the write, so such a consumer always has a `sink-write` first).
std::vector<Duplicate> find_duplicates(const Scenario* scenario, const sim::History& history) {
  std::set<std::string> writers;  // consumers with a sink-write
  for (const auto& e : history.events())
    if (e.name == "sink-write") writers.insert(e.str_or("consumer", ""));
  auto has_sink = [&](const std::string& consumer) {
    if (scenario != nullptr)
      if (const ConsumerSpec* c = find_consumer(*scenario, consumer)) return !c->sink.empty();
    return writers.count(consumer) > 0;
  };
  std::vector<Duplicate> out;
  std::set<std::tuple<std::string, std::string, std::int64_t, std::string>> seen;  // (group, partition, offset, value)
  for (const auto& e : history.events()) {
    const std::string consumer = e.str_or("consumer", "");
    if (e.name == "sink-write" && e.str_or("applied", "") == "duplicate") {
      out.push_back(Duplicate{&e, consumer, e.str_or("partition", ""),
                              scenario != nullptr ? group_of(*scenario, e) : "", e.str_or("sink", "")});
    } else if (e.name == "processed") {
      const std::string group = scenario != nullptr ? group_of(*scenario, e) : e.str_or("group", "");
      if (group.empty() || has_sink(consumer)) continue;
      if (!seen.insert({group, e.str_or("partition", ""), e.int_or("offset", -1), e.str_or("value", "")}).second)
        out.push_back(Duplicate{&e, consumer, e.str_or("partition", ""), group, ""});
    }
  }
  return out;
}

class DuplicateProcessing : public Checker {
 public:
  std::string_view property() const override { return "duplicate-processing"; }
  std::vector<Violation> check(const Scenario& scenario, const sim::History& history) override {
    // (consumer, partition) -> its duplicates, for the consumers that claim exactly-once.
    std::map<std::pair<std::string, std::string>, std::vector<Duplicate>> claimed;
    for (auto& d : find_duplicates(&scenario, history)) {
      const ConsumerSpec* c = find_consumer(scenario, d.consumer);
      if (c != nullptr && c->delivery == "exactly-once") claimed[{d.consumer, d.partition}].push_back(d);
    }
    std::vector<Violation> out;
    for (const auto& [key, dups] : claimed) {
      const auto& [consumer, partition] = key;
      Violation v{std::string(property()), dups.front().event->t, partition, {}, "", {}};
      std::vector<std::int64_t> offsets;
      for (const auto& d : dups) {
        offsets.push_back(d.event->int_or("offset", -1));
        v.records.push_back(ViolationRecord{"duplicate", d.event->int_or("offset", -1), d.event->str_or("value", ""), -1, -1, ""});
      }
      const Duplicate& first = dups.front();
      const std::string what = dups.size() == 1 ? "1 record" : fmt::format("{} records", dups.size());
      v.detail = first.sink.empty()
                     ? fmt::format("{} declares delivery: exactly-once, but processed {} of {} that {} had already "
                                   "processed (offsets {}), first at {} s",
                                   consumer, what, partition, first.group, offsets_text(offsets), format_seconds(first.event->t))
                     : fmt::format("{} declares delivery: exactly-once, but wrote {} of {} to {} a second time "
                                   "(offsets {}; {} keeps every write), first at {} s",
                                   consumer, what, partition, first.sink, offsets_text(offsets), first.sink,
                                   format_seconds(first.event->t));
      out.push_back(std::move(v));
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_duplicate_processing() { return std::make_unique<DuplicateProcessing>(); }

std::int64_t duplicate_count(const Scenario& scenario, const sim::History& history) {
  return static_cast<std::int64_t>(find_duplicates(&scenario, history).size());
}

std::int64_t duplicate_count(const sim::History& history) {
  return static_cast<std::int64_t>(find_duplicates(nullptr, history).size());
}

}  // namespace kafkasim::checks
