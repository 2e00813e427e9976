// The history: every recorded event of spec/cli.md, in simulated-time order. Recorded as typed
// fields (no text formatting on the hot path); written out as JSON lines only when asked for.
// Triggers, checkers, the narrative and reports all read this one stream.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "scenario/units.h"

namespace kafkasim::sim {

struct Null {
  bool operator==(const Null&) const = default;
};
using Value = std::variant<Null, std::int64_t, double, bool, std::string, std::vector<std::int64_t>,
                           std::vector<std::string>>;

struct Field {
  std::string_view key;  // a name from the contract tables (static storage)
  Value value;
};

struct HistoryEvent {
  Micros t = 0;
  std::string_view name;  // static storage
  std::vector<Field> fields;

  const Value* get(std::string_view key) const;
  std::int64_t int_or(std::string_view key, std::int64_t fallback) const;
  std::string str_or(std::string_view key, std::string fallback) const;
};

class History {
 public:
  using Listener = std::function<void(const HistoryEvent&)>;

  // `name` and field keys must be string literals (or otherwise outlive the history).
  void record(Micros t, std::string_view name, std::vector<Field> fields);
  void subscribe(Listener listener) { listeners_.push_back(std::move(listener)); }
  // After the run (no listener sees it): an event placed at its own time `t`, after every event already
  // recorded at or before `t`, so the stream stays in time order (a violation found at the end of the
  // run, but about a moment in the middle of it).
  void insert_at(Micros t, std::string_view name, std::vector<Field> fields);

  const std::vector<HistoryEvent>& events() const { return events_; }
  std::size_t size() const { return events_.size(); }

  void write_jsonl(std::ostream& out) const;
  std::string to_jsonl() const;
  // FNV-1a 64 of the JSON lines: equal digests = byte-identical histories.
  std::uint64_t digest() const;

 private:
  std::vector<HistoryEvent> events_;
  std::vector<Listener> listeners_;
};

std::string to_json_line(const HistoryEvent& e);
std::string value_text(const Value& v);  // "3", "true", "t-0", "[1,2]"

}  // namespace kafkasim::sim
