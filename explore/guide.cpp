// The corpus and the mutations of explore's coverage-guided search (see guide.h).
#include "explore/guide.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/random.h"

namespace kafkasim::explore {

namespace {

// The marks whose combinations matter: protocol situations, not the plain fault counts.
bool situational(const std::string& mark) {
  return mark.rfind("fault:", 0) != 0 && mark != "produce:failed" && mark != "power-loss:records-lost";
}

}  // namespace

std::vector<std::string> coverage_features(const Coverage& coverage) {
  std::vector<std::string> out, marks;
  for (const auto& [mark, n] : coverage) {
    if (n <= 0) continue;
    out.push_back(mark);
    const int bucket = std::min(6, static_cast<int>(std::log2(static_cast<double>(n))));
    if (bucket > 0) out.push_back(fmt::format("{}#{}", mark, bucket));
    if (situational(mark)) marks.push_back(mark);
  }
  for (std::size_t i = 0; i < marks.size(); ++i)
    for (std::size_t j = i + 1; j < marks.size(); ++j) out.push_back(marks[i] + " & " + marks[j]);
  return out;
}

Guide::Guide(const ScheduleContext& ctx, std::vector<std::string> allowed_kinds, bool guided)
    : ctx_(ctx), allowed_(std::move(allowed_kinds)), guided_(guided) {}

double Guide::rarity(const Entry& e) const {
  double r = 0;
  for (const auto& f : e.features) {
    const auto it = feature_runs_.find(f);
    r += 1.0 / static_cast<double>(it == feature_runs_.end() ? 1 : std::max<std::int64_t>(1, it->second));
  }
  return r;
}

Candidate Guide::candidate(std::int64_t, std::uint64_t seed) const {
  Candidate c;
  sim::Rng rng(sim::derive_seed(seed, "explore.guide"));
  // A quarter of the runs stay fresh draws, so the search keeps finding what no corpus entry is near.
  if (!guided_ || corpus_.empty() || rng.chance(0.25)) {
    c.schedule = draw_schedule(ctx_, seed).value();
    c.kinds = swarm_kinds(allowed_, seed);
    return c;
  }
  // The parent: by rarity (the entries that reached what few runs reach are mutated the most).
  double total = 0;
  for (const auto& e : corpus_) total += rarity(e);
  double pick = rng.unit() * total;
  const Entry* parent = &corpus_.back();
  for (const auto& e : corpus_) {
    pick -= rarity(e);
    if (pick <= 0) {
      parent = &e;
      break;
    }
  }
  c.fresh = false;
  c.parent = parent->k;
  c.kinds = parent->kinds;
  c.schedule = mutate(parent->schedule, c.kinds, rng, c.mutations);
  return c;
}

Schedule Guide::mutate(const Schedule& parent, std::vector<std::string>& kinds, sim::Rng& rng, std::string& what) const {
  Schedule s = parent;
  std::vector<std::string> done;
  const int ops = 1 + static_cast<int>(rng.between(0, 2));
  const int duration_ms = static_cast<int>(std::max<std::int64_t>(1, ctx_.duration_ms));
  for (int op = 0; op < ops; ++op) {
    const int choice = static_cast<int>(rng.between(0, 8));
    const std::size_t i = s.empty() ? 0 : static_cast<std::size_t>(rng.between(0, static_cast<std::int64_t>(s.size()) - 1));
    if (s.empty() || (choice == 0 && static_cast<int>(s.size()) < ctx_.max_events)) {
      s.insert(s.begin() + static_cast<std::ptrdiff_t>(s.empty() ? 0 : i), random_event(ctx_, rng));
      done.push_back(fmt::format("insert {}", i));
      continue;
    }
    RawEvent& e = s[i];
    switch (choice) {
      case 0:
      case 1:
        if (s.size() > 1) {
          s.erase(s.begin() + static_cast<std::ptrdiff_t>(i));
          done.push_back(fmt::format("delete {}", i));
        }
        break;
      case 2:
        e.target = static_cast<int>(rng.between(0, 63));
        if (rng.chance(0.5)) e.subject = static_cast<int>(rng.between(0, 63));
        done.push_back(fmt::format("retarget {}", i));
        break;
      case 3: {
        // Re-time: a small step (the narrow windows) or anywhere.
        const int step = rng.chance(0.7) ? static_cast<int>(rng.between(-300, 300)) : static_cast<int>(rng.between(-duration_ms, duration_ms));
        e.at_ms = std::clamp(e.at_ms + step, 0, duration_ms - 1);
        if (rng.chance(0.5)) e.after_ms = static_cast<int>(rng.between(0, 50));
        done.push_back(fmt::format("re-time {}", i));
        break;
      }
      case 4:
        e.trigger = static_cast<int>(rng.between(0, trigger_values() - 1));
        e.subject = rng.chance(0.5) ? e.subject : static_cast<int>(rng.between(0, 63));
        done.push_back(fmt::format("trigger {}", i));
        break;
      case 5:
        e.kind = static_cast<int>(rng.between(0, 63));
        done.push_back(fmt::format("kind {}", i));
        break;
      case 6:
        e.duration_bucket = static_cast<int>(rng.between(0, 3));
        e.duration_frac = static_cast<int>(rng.between(0, 1000));
        done.push_back(fmt::format("duration {}", i));
        break;
      case 7:
        if (corpus_.size() > 1) {
          const auto& other = corpus_[static_cast<std::size_t>(rng.between(0, static_cast<std::int64_t>(corpus_.size()) - 1))];
          if (!other.schedule.empty() && static_cast<int>(s.size()) < ctx_.max_events) {
            RawEvent copy = other.schedule[static_cast<std::size_t>(rng.between(0, static_cast<std::int64_t>(other.schedule.size()) - 1))];
            // The copied event keeps its kind by name where this run has it.
            const std::string& name = other.kinds[static_cast<std::size_t>(copy.kind) % other.kinds.size()];
            const auto at = std::find(kinds.begin(), kinds.end(), name);
            if (at != kinds.end()) {
              copy.kind = static_cast<int>(at - kinds.begin());
              s.insert(s.begin() + static_cast<std::ptrdiff_t>(i), copy);
              done.push_back(fmt::format("splice into {}", i));
            }
          }
        }
        break;
      default: {
        // Widen the run's fault kinds by one, keeping every event's own kind.
        std::vector<std::string> missing;
        for (const auto& k : allowed_)
          if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) missing.push_back(k);
        if (missing.empty()) break;
        for (auto& ev : s) ev.kind = ev.kind % static_cast<int>(kinds.size());
        kinds.push_back(missing[static_cast<std::size_t>(rng.between(0, static_cast<std::int64_t>(missing.size()) - 1))]);
        s[i].kind = static_cast<int>(kinds.size()) - 1;
        done.push_back(fmt::format("add kind {} at {}", kinds.back(), i));
        break;
      }
    }
  }
  what.clear();
  for (std::size_t d = 0; d < done.size(); ++d) what += (d ? ", " : "") + done[d];
  return s;
}

void Guide::fold(std::int64_t k, const Candidate& c, const Coverage& coverage) {
  if (!guided_) return;
  const auto features = coverage_features(coverage);
  bool novel = false;
  for (const auto& f : features) novel |= feature_runs_[f]++ == 0;
  if (!novel) return;
  Entry e{k, c.schedule, c.kinds, coverage, features};
  if (corpus_.size() < kMaxCorpus) {
    corpus_.push_back(std::move(e));
    return;
  }
  // Full: the new entry takes the place of the one whose features are now the most common.
  auto worst = std::min_element(corpus_.begin(), corpus_.end(),
                                [this](const Entry& a, const Entry& b) { return rarity(a) < rarity(b); });
  *worst = std::move(e);
}

void Guide::done(std::int64_t k, const Candidate& c, const Coverage& coverage) {
  if (k >= next_fold_) pending_[k] = {c, coverage};
}

bool Guide::catch_up(std::int64_t k) {
  while (next_fold_ <= k - kLag) {
    auto it = pending_.find(next_fold_);
    if (it == pending_.end()) return false;
    fold(it->first, it->second.first, it->second.second);
    pending_.erase(it);
    ++next_fold_;
  }
  return true;
}

void Guide::resume_at(std::int64_t first_k) {
  for (std::int64_t k = next_fold_; k < first_k; ++k) pending_.try_emplace(k, Candidate{}, Coverage{});
  pending_.erase(pending_.lower_bound(first_k), pending_.end());
}

namespace {
nlohmann::ordered_json events_json(const Schedule& schedule) {
  auto events = nlohmann::ordered_json::array();
  for (const auto& r : schedule)
    events.push_back({r.trigger, r.at_ms, r.kind, r.target, r.subject, r.duration_bucket, r.duration_frac, r.after_ms});
  return events;
}

Schedule events_of(const nlohmann::ordered_json& e) {
  Schedule s;
  const auto events = e.value("events", nlohmann::ordered_json::array());
  for (const auto& r : events) {
    if (!r.is_array() || r.size() != 8) continue;
    s.push_back(RawEvent{r[0].get<int>(), r[1].get<int>(), r[2].get<int>(), r[3].get<int>(), r[4].get<int>(),
                         r[5].get<int>(), r[6].get<int>(), r[7].get<int>()});
  }
  return s;
}

Coverage coverage_of(const nlohmann::ordered_json& e) {
  Coverage c;
  const auto coverage = e.value("coverage", nlohmann::ordered_json::object());
  for (const auto& [mark, n] : coverage.items()) c[mark] = n.get<std::int64_t>();
  return c;
}
}  // namespace

nlohmann::ordered_json Guide::to_json() const {
  nlohmann::ordered_json j;
  j["features"] = feature_runs_;
  auto entries = nlohmann::ordered_json::array();
  for (const auto& e : corpus_)
    entries.push_back({{"run", e.k}, {"kinds", e.kinds}, {"events", events_json(e.schedule)}, {"coverage", e.coverage}});
  j["entries"] = entries;
  j["next_fold"] = next_fold_;
  auto pending = nlohmann::ordered_json::array();
  for (const auto& [k, pc] : pending_)
    pending.push_back({{"run", k}, {"kinds", pc.first.kinds}, {"events", events_json(pc.first.schedule)}, {"coverage", pc.second}});
  j["pending"] = pending;
  return j;
}

void Guide::from_json(const nlohmann::ordered_json& j) {
  feature_runs_.clear();
  corpus_.clear();
  pending_.clear();
  // Each value() is bound to a local first: iterating items() of a temporary would read a
  // destroyed object (a range-for keeps only the outermost temporary alive before C++23).
  const auto features = j.value("features", nlohmann::ordered_json::object());
  for (const auto& [f, n] : features.items()) feature_runs_[f] = n.get<std::int64_t>();
  const auto entries = j.value("entries", nlohmann::ordered_json::array());
  for (const auto& e : entries) {
    Entry entry;
    entry.k = e.value("run", std::int64_t{0});
    entry.kinds = e.value("kinds", std::vector<std::string>{});
    entry.coverage = coverage_of(e);
    entry.features = coverage_features(entry.coverage);
    entry.schedule = events_of(e);
    if (!entry.kinds.empty()) corpus_.push_back(std::move(entry));
  }
  next_fold_ = j.value("next_fold", std::int64_t{0});
  const auto pending = j.value("pending", nlohmann::ordered_json::array());
  for (const auto& e : pending) {
    Candidate c;
    c.kinds = e.value("kinds", std::vector<std::string>{});
    c.schedule = events_of(e);
    pending_[e.value("run", std::int64_t{0})] = {std::move(c), coverage_of(e)};
  }
}

}  // namespace kafkasim::explore
