// The corpus and the mutations of explore's coverage-guided search (see guide.h).
#include "explore/guide.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/random.h"

namespace kafkasim::explore {

namespace {

// The marks whose combinations matter: protocol situations, not the plain fault counts.
bool situational(const std::string& mark) {
  return mark.rfind("fault:", 0) != 0 && mark != "produce:failed" && mark != "power-loss:records-lost";
}

// The index of fault kind k among the run's kinds, added when the run did not have it yet (every event's
// kind is first reduced modulo the old count, so adding one changes no event's kind).
int kind_index(std::vector<std::string>& kinds, Schedule& s, const std::string& k) {
  const auto at = std::find(kinds.begin(), kinds.end(), k);
  if (at != kinds.end()) return static_cast<int>(at - kinds.begin());
  for (auto& ev : s) ev.kind = ev.kind % static_cast<int>(kinds.size());
  kinds.push_back(k);
  return static_cast<int>(kinds.size()) - 1;
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
  // A third of a situation-reaching parent's mutants chain a fault onto one of its situations' moments.
  c.schedule = !parent->moments.empty() && rng.chance(0.35) ? chain(*parent, c.kinds, rng, c.mutations)
                                                            : mutate(parent->schedule, c.kinds, rng, c.mutations);
  return c;
}

Schedule Guide::chain(const Entry& parent, std::vector<std::string>& kinds, sim::Rng& rng, std::string& what) const {
  Schedule s = parent.schedule;
  auto it = parent.moments.begin();
  std::advance(it, rng.between(0, static_cast<std::int64_t>(parent.moments.size()) - 1));
  const auto& [mark, m] = *it;
  const std::int64_t duration_ms = std::max<std::int64_t>(1, ctx_.duration_ms);
  if (kinds.empty()) return mutate(parent.schedule, kinds, rng, what);
  // From when the chained faults may fire: the moment itself, or, for a situation the settle phase's heal
  // caused (most stale ISR joins happen there: every lagging replica returns at once), where no fault can
  // go, an early heal at a time T shortly before the phase ends: a fault that would last past T starts
  // earlier so as to end there, one that would start after T is dropped, and the chain fires on the
  // situation's event from T on.
  std::int64_t since_ms = m.at_ms;
  std::string healed;
  if (m.at_ms >= duration_ms) {
    if (duration_ms < 4000) return mutate(parent.schedule, kinds, rng, what);
    since_ms = duration_ms - rng.between(300, 3000);
    Schedule early;
    for (RawEvent e : s) {
      if (e.at_ms >= since_ms) continue;
      const std::int64_t length = fault_length_ms(e, ctx_, kinds[static_cast<std::size_t>(e.kind) % kinds.size()]);
      if (e.at_ms + length > since_ms) e.at_ms = static_cast<int>(since_ms - length);
      if (e.at_ms >= 0) early.push_back(e);
    }
    healed = fmt::format("heal by {} ms ({} of {} faults kept), ", since_ms, early.size(), s.size());
    s = std::move(early);
  }
  // The trigger: the moment's own history event where one is a trigger, pinned to its partition and broker.
  int trigger = trigger_value_of(ctx_, m.event);
  int subject = 0;
  if (trigger >= 0) {
    const auto events = trigger_events(ctx_);
    const auto pins = std::find_if(events.begin(), events.end(), [&](const TriggerEvent& t) { return t.event == m.event; });
    const std::string broker = m.broker > 0 ? fmt::format("broker-{}", m.broker) : "";
    auto fits = [&](int v) {
      const bool p = !pins->partition || m.partition.empty() || ctx_.partitions.empty() ||
                     ctx_.partitions[static_cast<std::size_t>(v) % ctx_.partitions.size()] == m.partition;
      const bool b = !pins->broker || broker.empty() || ctx_.brokers[static_cast<std::size_t>(v) % ctx_.brokers.size()] == broker;
      return p && b;
    };
    while (subject < 64 && !fits(subject)) ++subject;
    if (subject == 64) trigger = -1;  // no subject pins both: a time trigger at the moment instead
  }
  // Half the time when the situation names its broker's fellow replicas: a take-down, each of them crashed,
  // shut down, isolated or paused the moment it happens, so that the broker it is about acts alone (the
  // stale joiner elected before it fetches what it lacks, the lagging leader's followers gone with it).
  if (!m.others.empty() && rng.chance(0.5)) {
    std::vector<std::string> downs;
    for (const char* k : {"crash", "shutdown", "isolate", "pause"})
      if (std::find(allowed_.begin(), allowed_.end(), k) != allowed_.end()) downs.push_back(k);
    if (!downs.empty()) {
      std::vector<int> others = m.others;
      for (std::size_t i = others.size(); i > 1; --i)
        std::swap(others[i - 1], others[static_cast<std::size_t>(rng.between(0, static_cast<std::int64_t>(i) - 1))]);
      if (others.size() > 2) others.resize(2);
      std::vector<std::string> placed;
      for (int other : others) {
        if (static_cast<int>(s.size()) >= ctx_.max_events) break;
        const std::string& kind = downs[static_cast<std::size_t>(rng.between(0, static_cast<std::int64_t>(downs.size()) - 1))];
        const std::string target = fmt::format("broker-{}", other);
        const int t = target_index(ctx_, kind, target);
        if (t < 0) continue;
        RawEvent e = random_event(ctx_, rng);
        e.trigger = trigger >= 0 ? trigger : 0;
        if (trigger >= 0) e.subject = subject;
        e.at_ms = static_cast<int>(since_ms);
        e.after_ms = rng.chance(0.75) ? 0 : static_cast<int>(rng.between(1, 20));
        e.target = t;
        e.duration_bucket = static_cast<int>(rng.between(1, 3));  // down long enough to be replaced
        e.kind = kind_index(kinds, s, kind);
        s.push_back(e);
        placed.push_back(fmt::format("{} {}", kind, target));
      }
      if (!placed.empty()) {
        what = fmt::format("{}take-down at {} ({} ms, {}): {}", healed, mark, m.at_ms, m.event, fmt::join(placed, ", "));
        return s;
      }
    }
  }
  std::vector<std::string> roles;
  if (!m.partition.empty())
    for (const char* role : {"leader:", "follower:", "lagging:"}) roles.push_back(role + m.partition);
  if (m.broker > 0) roles.push_back(fmt::format("broker-{}", m.broker));
  const int n = rng.chance(0.5) ? 1 : 2;
  std::vector<std::string> placed;
  for (int i = 0; i < n && static_cast<int>(s.size()) < ctx_.max_events; ++i) {
    RawEvent e = random_event(ctx_, rng);
    if (trigger >= 0) {
      e.trigger = trigger;
      e.subject = subject;
    } else {
      e.trigger = 0;
    }
    e.at_ms = static_cast<int>(since_ms);
    e.after_ms = rng.chance(0.5) ? 0 : static_cast<int>(rng.between(1, 50));
    // Now and then a fault kind the run did not have yet (a parent drawn without crashes can chain one).
    e.kind = e.kind % static_cast<int>(kinds.size());
    if (rng.chance(0.3)) {
      e.kind = kind_index(kinds, s, allowed_[static_cast<std::size_t>(rng.between(0, static_cast<std::int64_t>(allowed_.size()) - 1))]);
    }
    const std::string& kind = kinds[static_cast<std::size_t>(e.kind)];
    std::string aimed = "anywhere";
    if (!roles.empty() && rng.chance(0.75)) {
      const std::string& role = roles[static_cast<std::size_t>(rng.between(0, static_cast<std::int64_t>(roles.size()) - 1))];
      if (const int t = target_index(ctx_, kind, role); t >= 0) {
        e.target = t;
        aimed = role;
      }
    }
    s.push_back(e);
    placed.push_back(fmt::format("{} {}", kind, aimed));
  }
  what = fmt::format("{}chain at {} ({} ms, {}): {}", healed, mark, m.at_ms, m.event, fmt::join(placed, ", "));
  return s;
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
        s[i].kind = kind_index(kinds, s, missing[static_cast<std::size_t>(rng.between(0, static_cast<std::int64_t>(missing.size()) - 1))]);
        done.push_back(fmt::format("add kind {} at {}", kinds.back(), i));
        break;
      }
    }
  }
  what.clear();
  for (std::size_t d = 0; d < done.size(); ++d) what += (d ? ", " : "") + done[d];
  return s;
}

void Guide::fold(std::int64_t k, const Candidate& c, const Coverage& coverage, const Moments& moments) {
  if (!guided_) return;
  const auto features = coverage_features(coverage);
  bool novel = false;
  for (const auto& f : features) novel |= feature_runs_[f]++ == 0;
  if (!novel) return;
  Entry e{k, c.schedule, c.kinds, coverage, features, moments};
  if (corpus_.size() < kMaxCorpus) {
    corpus_.push_back(std::move(e));
    return;
  }
  // Full: the new entry takes the place of the one whose features are now the most common.
  auto worst = std::min_element(corpus_.begin(), corpus_.end(),
                                [this](const Entry& a, const Entry& b) { return rarity(a) < rarity(b); });
  *worst = std::move(e);
}

void Guide::done(std::int64_t k, const Candidate& c, const Coverage& coverage, const Moments& moments) {
  if (k >= next_fold_) pending_[k] = Done{c, coverage, moments};
}

bool Guide::catch_up(std::int64_t k) {
  while (next_fold_ <= k - kLag) {
    auto it = pending_.find(next_fold_);
    if (it == pending_.end()) return false;
    fold(it->first, it->second.candidate, it->second.coverage, it->second.moments);
    pending_.erase(it);
    ++next_fold_;
  }
  return true;
}

void Guide::resume_at(std::int64_t first_k) {
  for (std::int64_t k = next_fold_; k < first_k; ++k) pending_.try_emplace(k, Done{});
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

nlohmann::ordered_json moments_json(const Guide::Moments& moments) {
  auto out = nlohmann::ordered_json::object();
  for (const auto& [mark, m] : moments) out[mark] = moment_json(m);
  return out;
}

Guide::Moments moments_of(const nlohmann::ordered_json& e) {
  Guide::Moments out;
  const auto moments = e.value("moments", nlohmann::ordered_json::object());
  for (const auto& [mark, m] : moments.items())
    if (auto moment = moment_of(m)) out[mark] = std::move(*moment);
  return out;
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
    entries.push_back({{"run", e.k}, {"kinds", e.kinds}, {"events", events_json(e.schedule)}, {"coverage", e.coverage},
                       {"moments", moments_json(e.moments)}});
  j["entries"] = entries;
  j["next_fold"] = next_fold_;
  auto pending = nlohmann::ordered_json::array();
  for (const auto& [k, d] : pending_)
    pending.push_back({{"run", k}, {"kinds", d.candidate.kinds}, {"events", events_json(d.candidate.schedule)},
                       {"coverage", d.coverage}, {"moments", moments_json(d.moments)}});
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
    entry.moments = moments_of(e);
    if (!entry.kinds.empty()) corpus_.push_back(std::move(entry));
  }
  next_fold_ = j.value("next_fold", std::int64_t{0});
  const auto pending = j.value("pending", nlohmann::ordered_json::array());
  for (const auto& e : pending) {
    Candidate c;
    c.kinds = e.value("kinds", std::vector<std::string>{});
    c.schedule = events_of(e);
    pending_[e.value("run", std::int64_t{0})] = Done{std::move(c), coverage_of(e), moments_of(e)};
  }
}

}  // namespace kafkasim::explore
