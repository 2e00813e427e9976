// `zombie-sink-write` (spec/consumer-groups.md): no consumer writes to a fencing sink (transactional:
// records and offsets in one transaction, fenced by the group's generation) for a partition after a
// newer generation assigned it elsewhere. A `sink-write` to a transactional sink by consumer c for
// partition p is a zombie write when the latest `group-rebalance` of c's group before it gives p to
// another member. Keyed and append sinks do not fence: a write there by a deposed member is a duplicate
// (duplicate-processing), not this. One violation per (consumer, partition), listing its zombie writes.
#include <fmt/format.h>

#include "checks/checkers.h"
#include "checks/groups.h"

namespace kafkasim::checks {

namespace {
class ZombieSinkWrite : public Checker {
 public:
  std::string_view property() const override { return "zombie-sink-write"; }
  std::vector<Violation> check(const Scenario& scenario, const sim::History& history) override {
    if (!scenario.has_groups()) return {};
    struct Generation {
      std::int64_t generation = -1;
      Micros t = 0;
      std::map<std::string, std::string> owner;  // partition -> member
    };
    std::map<std::string, Generation> current;  // group -> its newest generation so far
    std::map<std::pair<std::string, std::string>, Violation> found;  // (consumer, partition)
    for (const auto& e : history.events()) {
      if (e.name == "group-rebalance") {
        const std::int64_t generation = e.int_or("generation", 0);
        Generation& g = current[e.str_or("group", "")];
        if (generation < g.generation) continue;  // a late record of an older generation
        g = Generation{generation, e.t, owners(parse_assignment(e.str_or("assignment", "")))};
        continue;
      }
      if (e.name != "sink-write") continue;
      const SinkSpec* sink = scenario.find_sink(e.str_or("sink", ""));
      if (sink == nullptr || sink->kind != "transactional") continue;
      const std::string consumer = e.str_or("consumer", "");
      const ConsumerSpec* c = find_consumer(scenario, consumer);
      if (c == nullptr || c->group.empty()) continue;
      auto g = current.find(c->group);
      if (g == current.end()) continue;
      const std::string partition = e.str_or("partition", "");
      auto owner = g->second.owner.find(partition);
      if (owner == g->second.owner.end() || owner->second == consumer) continue;
      const std::int64_t offset = e.int_or("offset", -1);
      const std::string value = e.str_or("value", "");
      auto [it, fresh] = found.try_emplace(
          {consumer, partition},
          Violation{std::string(property()), e.t, partition, {},
                    fmt::format("{} wrote {} offset {} ({}) to the transactional sink {} at {} s, after generation {} of {} "
                                "had assigned {} to {} at {} s",
                                consumer, partition, offset, value, sink->id, format_seconds(e.t), g->second.generation,
                                c->group, partition, owner->second, format_seconds(g->second.t)),
                    {}});
      it->second.records.push_back(ViolationRecord{"zombie", offset, value, -1, -1, ""});
    }
    std::vector<Violation> out;
    for (auto& [key, v] : found) {
      if (v.records.size() > 1) v.detail += fmt::format(" ({} such writes in all)", v.records.size());
      out.push_back(std::move(v));
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_zombie_sink_write() { return std::make_unique<ZombieSinkWrite>(); }

}  // namespace kafkasim::checks
