// History storage, listeners, and its JSON-lines form (the `history.jsonl` of spec/cli.md).
#include "sim/history.h"

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

namespace kafkasim::sim {

namespace {
nlohmann::ordered_json to_json(const Value& v) {
  return std::visit(
      [](const auto& x) -> nlohmann::ordered_json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Null>) return nullptr;
        else return x;
      },
      v);
}
}  // namespace

const Value* HistoryEvent::get(std::string_view key) const {
  for (const auto& f : fields)
    if (f.key == key) return &f.value;
  return nullptr;
}

std::int64_t HistoryEvent::int_or(std::string_view key, std::int64_t fallback) const {
  const Value* v = get(key);
  if (v == nullptr) return fallback;
  if (auto* i = std::get_if<std::int64_t>(v)) return *i;
  return fallback;
}

std::string HistoryEvent::str_or(std::string_view key, std::string fallback) const {
  const Value* v = get(key);
  if (v == nullptr) return fallback;
  if (auto* s = std::get_if<std::string>(v)) return *s;
  return value_text(*v);
}

void History::record(Micros t, std::string_view name, std::vector<Field> fields) {
  events_.push_back(HistoryEvent{t, name, std::move(fields)});
  // Listeners may record further events (a trigger's no-op, say): index, do not hold a reference.
  const std::size_t index = events_.size() - 1;
  for (std::size_t i = 0; i < listeners_.size(); ++i) listeners_[i](events_[index]);
}

void History::insert_at(Micros t, std::string_view name, std::vector<Field> fields) {
  auto at = std::upper_bound(events_.begin(), events_.end(), t, [](Micros x, const HistoryEvent& e) { return x < e.t; });
  events_.insert(at, HistoryEvent{t, name, std::move(fields)});
}

std::string to_json_line(const HistoryEvent& e) {
  nlohmann::ordered_json j;
  j["t"] = to_seconds(e.t);
  j["event"] = e.name;
  for (const auto& f : e.fields) j[std::string(f.key)] = to_json(f.value);
  // Text is UTF-8 by the time it is recorded (the parser refuses anything else); replacing what is not
  // keeps a model bug from turning into an exception here.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void History::write_jsonl(std::ostream& out) const {
  for (const auto& e : events_) out << to_json_line(e) << '\n';
}

std::string History::to_jsonl() const {
  std::ostringstream out;
  write_jsonl(out);
  return out.str();
}

std::uint64_t History::digest() const {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& e : events_) {
    for (unsigned char c : to_json_line(e)) h = (h ^ c) * 0x100000001b3ULL;
    h = (h ^ '\n') * 0x100000001b3ULL;
  }
  return h;
}

std::string value_text(const Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  return to_json(v).dump();
}

}  // namespace kafkasim::sim
