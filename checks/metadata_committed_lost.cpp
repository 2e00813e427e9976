// `metadata-committed-lost` (KRaft): a metadata record, once committed (below the quorum high
// watermark), is never replaced or removed, and every node applies the committed records in log order
// (Raft's state machine safety; RaftEventSimulationTest's ConsistentCommittedData). Read from
// `metadata-committed`, which each controller and broker records for every offset of its own metadata
// log as the offset comes below its high watermark and is applied, and from `metadata-truncated`.
// Three ways it breaks, each reported once:
//  (a) two `metadata-committed` at one offset (any nodes, any time) disagree on epoch, record type or
//      content: what was committed there was replaced (once per offset);
//  (b) a node's offsets are not consecutive: a gap, a repeat or a step back means it did not apply the
//      committed records in log order (once per node). Offset 0 starts the sequence over: a restarted
//      process replays its log from the start;
//  (c) a node truncates its log to an end at or below an offset it has applied as committed since its
//      sequence last started over: KafkaMetadataLog.truncateTo refuses to go below the high watermark,
//      so a committed record was removed (once per node).
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "checks/checkers.h"

namespace kafkasim::checks {

namespace {

// broker-N -> N; a controller (or anything else) -> -1: Violation.brokers names brokers only.
int broker_of(const std::string& node) {
  constexpr std::string_view prefix = "broker-";
  if (node.size() <= prefix.size() || node.compare(0, prefix.size(), prefix) != 0) return -1;
  int n = 0;
  for (std::size_t k = prefix.size(); k < node.size(); ++k) {
    if (node[k] < '0' || node[k] > '9' || n > 100000000) return -1;
    n = n * 10 + (node[k] - '0');
  }
  return n;
}

std::vector<int> brokers_of(std::initializer_list<const std::string*> nodes) {
  std::vector<int> out;
  for (const auto* n : nodes) {
    const int b = broker_of(*n);
    if (b >= 0 && std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
  }
  return out;
}

struct Entry {
  std::int64_t epoch = -1;
  std::string record, detail;
  std::string node;  // who recorded it (for (a), the first to commit it)
  Micros t = 0;
  bool same_as(const Entry& o) const { return epoch == o.epoch && record == o.record && detail == o.detail; }
  std::string text() const { return detail.empty() ? record : fmt::format("{} ({})", record, detail); }
};

// "offset 5", "offsets 5..7"
std::string offsets_text(std::int64_t from, std::int64_t to) {
  return from == to ? fmt::format("offset {}", from) : fmt::format("offsets {}..{}", from, to);
}

class MetadataCommittedLost : public Checker {
 public:
  std::string_view property() const override { return "metadata-committed-lost"; }
  std::vector<Violation> check(const Scenario&, const sim::History& history) override {
    std::map<std::int64_t, Entry> committed;  // offset -> the first record any node applied there
    std::set<std::int64_t> replaced;          // offsets reported under (a)
    struct NodeState {
      std::optional<std::int64_t> last;           // the offset it applied last, in this sequence
      std::optional<std::int64_t> max_committed;  // the highest it applied since the sequence started over
      bool out_of_order_reported = false;         // (b)
      bool truncation_reported = false;           // (c)
    };
    std::map<std::string, NodeState> nodes;
    std::vector<Violation> out;
    auto record_of = [&](std::int64_t offset, int broker, const std::string& role) {
      auto it = committed.find(offset);
      if (it == committed.end()) return ViolationRecord{role, offset, "", -1, broker, ""};
      return ViolationRecord{role, offset, it->second.text(), it->second.epoch, broker, ""};
    };
    for (const auto& e : history.events()) {
      if (e.name == "metadata-committed") {
        const std::string node = e.str_or("node", "");
        const std::int64_t offset = e.int_or("offset", -1);
        Entry entry{e.int_or("epoch", -1), e.str_or("record", ""), e.str_or("detail", ""), node, e.t};
        // (a) the same offset, a different record.
        auto [it, fresh] = committed.try_emplace(offset, entry);
        if (!fresh && !it->second.same_as(entry) && replaced.insert(offset).second) {
          const Entry& first = it->second;
          out.push_back(Violation{
              std::string(property()), e.t, "", brokers_of({&first.node, &node}),
              fmt::format("{} applied {} (epoch {}) as the committed metadata record at offset {}, but {} had "
                          "applied {} (epoch {}) there at {} s: a committed record was replaced",
                          node, entry.text(), entry.epoch, offset, first.node, first.text(), first.epoch,
                          format_seconds(first.t)),
              {ViolationRecord{"committed", offset, first.text(), first.epoch, broker_of(first.node), ""},
               ViolationRecord{"held", offset, entry.text(), entry.epoch, broker_of(node), ""}}});
        }
        // (b) consecutive offsets, offset 0 starting over.
        NodeState& n = nodes[node];
        if (offset == 0) {
          n.max_committed.reset();
        } else if (!n.last || offset != *n.last + 1) {
          if (!n.out_of_order_reported) {
            n.out_of_order_reported = true;
            std::string what;
            if (!n.last)
              what = fmt::format("{}'s first committed metadata record is at offset {}: {} never applied (a "
                                 "node applies its metadata log from offset 0)",
                                 node, offset, offsets_text(0, offset - 1) + (offset - 1 == 0 ? " was" : " were"));
            else if (offset > *n.last + 1)
              what = fmt::format("{} applied committed metadata offset {} right after offset {}: {} skipped",
                                 node, offset, *n.last,
                                 offsets_text(*n.last + 1, offset - 1) + (offset - 1 == *n.last + 1 ? " was" : " were"));
            else if (offset == *n.last)
              what = fmt::format("{} applied committed metadata offset {} twice in a row: each committed record "
                                 "is applied once",
                                 node, offset);
            else
              what = fmt::format("{} applied committed metadata offset {} after offset {} without starting over "
                                 "from offset 0 (a restart): it went back in its log",
                                 node, offset, *n.last);
            out.push_back(Violation{std::string(property()), e.t, "", brokers_of({&node}),
                                    what + ", so it did not apply the committed records in log order",
                                    {ViolationRecord{"committed", offset, entry.text(), entry.epoch, broker_of(node), ""}}});
          }
        }
        n.last = offset;
        n.max_committed = std::max(n.max_committed.value_or(offset), offset);
      } else if (e.name == "metadata-truncated") {
        // (c) a truncation that removes what this node applied as committed.
        const std::string node = e.str_or("node", "");
        const std::int64_t from = e.int_or("from_offset", -1);
        const std::int64_t to = e.int_or("to_offset", -1);
        NodeState& n = nodes[node];
        if (!n.max_committed || to > *n.max_committed) continue;  // only uncommitted records went
        const std::int64_t top = *n.max_committed;
        if (!n.truncation_reported) {
          n.truncation_reported = true;
          const int broker = broker_of(node);
          std::vector<ViolationRecord> removed;
          for (std::int64_t o = std::max<std::int64_t>(to, 0); o <= top; ++o) removed.push_back(record_of(o, broker, "lost"));
          const ViolationRecord& first = removed.front();
          out.push_back(Violation{
              std::string(property()), e.t, "", brokers_of({&node}),
              fmt::format("{} truncated its metadata log from end offset {} to {}, removing {} it had already "
                          "applied as committed (offset {} held {}, epoch {}): Kafka never truncates the "
                          "metadata log below its high watermark",
                          node, from, to, offsets_text(first.offset, top), first.offset,
                          first.value.empty() ? "an unknown record" : first.value, first.leader_epoch),
              std::move(removed)});
        }
        // What it applied beyond its new end is gone from its log: it may apply those offsets again
        // (what it applies there is compared with what was committed, under (a)), not a step back.
        if (to <= 0) {
          n.last.reset();
          n.max_committed.reset();
        } else {
          n.last = std::min(*n.last, to - 1);
          n.max_committed = to - 1;
        }
      }
    }
    return out;
  }
};
}  // namespace

std::unique_ptr<Checker> make_metadata_committed_lost() { return std::make_unique<MetadataCommittedLost>(); }

}  // namespace kafkasim::checks
