// Scenario events -> actions on the World and the models, each recorded as a `fault` history event.
#include "sim/scheduler.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/world.h"

namespace kafkasim::sim {

Scheduler::Scheduler(World& world, ClusterModel& model) : world_(world), model_(model) {}

void Scheduler::start() {
  // Time triggers are set in file order, so events due at the same time fire in file order.
  for (const auto& e : world_.scenario().events) {
    if (e.trigger.at_time) {
      const ScenarioEvent* ev = &e;
      world_.on_control(e.trigger.at - world_.now(), [this, ev] { fire(*ev); });
    } else {
      armed_.push_back(Armed{&e});
    }
  }
  if (!armed_.empty()) world_.history().subscribe([this](const HistoryEvent& h) { on_history(h); });
}

namespace {
// A trigger's wanted value in the text form the history's own values take (value_text), so a double
// compares as the recorded JSON number does ("2.0", not "2").
std::string field_text(const FieldValue& v) {
  return std::visit([](const auto& x) { return value_text(Value(x)); }, v);
}
}  // namespace

bool Scheduler::matches(const Trigger& trigger, const HistoryEvent& e) const { return trigger_matches(trigger, e); }

bool trigger_matches(const Trigger& trigger, const HistoryEvent& e) {
  if (trigger.event != e.name || e.t < trigger.since) return false;
  for (const auto& [key, wanted] : trigger.fields) {
    const Value* got = e.get(key);
    if (got == nullptr || value_text(*got) != field_text(wanted)) return false;
  }
  return true;
}

void Scheduler::on_history(const HistoryEvent& e) {
  if (!world_.in_fault_phase()) return;
  for (auto& a : armed_) {
    if (a.fired >= a.event->trigger.times || !matches(a.event->trigger, e)) continue;
    ++a.fired;
    const ScenarioEvent* ev = a.event;
    world_.on_control(ev->trigger.after, [this, ev] { fire(*ev); });
  }
}

std::optional<int> Scheduler::resolve_one(const Target& t) {
  switch (t.kind) {
    case Target::Kind::Node: return world_.find_node(t.node);
    case Target::Kind::Any: return kAnyEndpoint;
    default: return model_.resolve(world_, t);
  }
}

std::optional<std::vector<int>> Scheduler::resolve(const std::vector<Target>& targets, std::string& unresolved) {
  std::vector<int> out;
  for (const auto& t : targets) {
    auto n = resolve_one(t);
    if (!n) {
      unresolved = t.text();
      return std::nullopt;
    }
    out.push_back(*n);
  }
  return out;
}

void Scheduler::fire(const ScenarioEvent& ev) {
  if (!world_.in_fault_phase()) return;
  const Action& a = ev.action;
  const std::string action(action_info(a.kind).name);
  auto name_of = [&](int n) { return n == kAnyEndpoint ? std::string("*") : world_.node_name(n); };
  auto record = [&](const std::string& target, std::vector<Field> extra, const std::string& noop_reason,
                    bool undo = false) {
    std::vector<Field> fields = {{"action", action}, {"target", target}};
    if (undo) fields.push_back({"undo", true});
    if (ev.undo_after && !undo) fields.push_back({"for", to_seconds(*ev.undo_after)});
    for (auto& f : extra) fields.push_back(std::move(f));
    if (!noop_reason.empty()) {
      fields.push_back({"noop", true});
      fields.push_back({"detail", noop_reason});
    }
    world_.record("fault", std::move(fields));
  };
  auto undo_later = [&](std::function<void()> undo) {
    if (ev.undo_after) world_.on_control(*ev.undo_after, std::move(undo));
  };

  std::string unresolved;
  switch (a.kind) {
    case ActionKind::Crash:
    case ActionKind::PowerLoss:
    case ActionKind::Restart:
    case ActionKind::Pause:
    case ActionKind::Resume:
    case ActionKind::ExpireSession:
    case ActionKind::Shutdown: {
      for (const auto& t : a.targets) {
        auto node = resolve_one(t);
        if (!node) {
          record(t.text(), {}, fmt::format("{} resolves to nothing now", t.text()));
          continue;
        }
        const int n = *node;
        std::string outcome;
        // Record the fault first, so the history reads cause before effect.
        std::vector<Field> extra;
        if (t.kind != Target::Kind::Node) extra.push_back({"detail", fmt::format("{} = {}", t.text(), name_of(n))});
        switch (a.kind) {
          case ActionKind::Crash:
          case ActionKind::PowerLoss:
            if (!world_.up(n)) {
              record(name_of(n), {}, fmt::format("{} is already down", name_of(n)));
              continue;
            }
            record(name_of(n), std::move(extra), "");
            world_.crash(n, a.kind == ActionKind::PowerLoss);
            undo_later([this, n] {
              world_.record("fault", {{"action", std::string("restart")}, {"target", world_.node_name(n)}, {"undo", true}});
              world_.restart(n);
            });
            break;
          case ActionKind::Restart:
            outcome = world_.up(n) ? fmt::format("{} is already running", name_of(n)) : "";
            record(name_of(n), std::move(extra), outcome);
            if (outcome.empty()) world_.restart(n);
            break;
          case ActionKind::Pause:
            outcome = world_.state(n) == ProcessState::Up ? "" : fmt::format("{} is not running", name_of(n));
            record(name_of(n), std::move(extra), outcome);
            if (!outcome.empty()) continue;
            world_.pause(n);
            undo_later([this, n] {
              world_.record("fault", {{"action", std::string("resume")}, {"target", world_.node_name(n)}, {"undo", true}});
              world_.resume(n);
            });
            break;
          case ActionKind::Resume:
            outcome = world_.state(n) == ProcessState::Paused ? "" : fmt::format("{} is not paused", name_of(n));
            record(name_of(n), std::move(extra), outcome);
            if (outcome.empty()) world_.resume(n);
            break;
          case ActionKind::ExpireSession:
            // The model says whether there was a session to expire; record with its answer.
            outcome = model_.expire_session(world_, n);
            record(name_of(n), std::move(extra), outcome);
            break;
          case ActionKind::Shutdown:
            if (!world_.up(n)) {
              record(name_of(n), {}, fmt::format("{} is already down", name_of(n)));
              continue;
            }
            record(name_of(n), std::move(extra), "");
            model_.shutdown(world_, n);
            undo_later([this, n] {
              world_.record("fault", {{"action", std::string("restart")}, {"target", world_.node_name(n)}, {"undo", true}});
              world_.restart(n);
            });
            break;
          default: break;
        }
      }
      break;
    }
    case ActionKind::Isolate: {
      auto nodes = resolve(a.targets, unresolved);
      if (!nodes) {
        record(unresolved, {}, fmt::format("{} resolves to nothing now", unresolved));
        break;
      }
      std::vector<RuleId> rules;
      std::vector<std::string> names;
      for (int n : *nodes) {
        rules.push_back(world_.network().add_isolation(n));
        names.push_back(name_of(n));
      }
      record(fmt::format("{}", fmt::join(names, ",")), {}, "");
      undo_later([this, rules, names] {
        for (RuleId r : rules) world_.network().remove(r);
        world_.record("fault", {{"action", std::string("heal")}, {"target", fmt::format("{}", fmt::join(names, ","))},
                                {"undo", true}});
      });
      break;
    }
    case ActionKind::Partition: {
      std::vector<std::vector<int>> groups;
      std::vector<std::vector<std::string>> group_names;
      bool ok = true;
      for (const auto& g : a.groups) {
        auto nodes = resolve(g, unresolved);
        if (!nodes) {
          ok = false;
          break;
        }
        groups.push_back(*nodes);
        group_names.emplace_back();
        for (int n : *nodes) group_names.back().push_back(name_of(n));
      }
      if (!ok) {
        record(unresolved, {}, fmt::format("{} resolves to nothing now", unresolved));
        break;
      }
      std::vector<std::string> described;
      for (const auto& g : group_names) described.push_back(fmt::format("[{}]", fmt::join(g, ",")));
      const std::string target = fmt::format("{}", fmt::join(described, " | "));
      RuleId rule = world_.network().add_partition(groups);
      record(target, {}, "");
      undo_later([this, rule, target] {
        world_.network().remove(rule);
        world_.record("fault", {{"action", std::string("heal")}, {"target", target}, {"undo", true}});
      });
      break;
    }
    case ActionKind::Cut:
    case ActionKind::Drop:
    case ActionKind::Delay: {
      auto from = resolve_one(a.filter.from), to = resolve_one(a.filter.to);
      if (!from || !to) {
        std::string which = !from ? a.filter.from.text() : a.filter.to.text();
        record(which, {}, fmt::format("{} resolves to nothing now", which));
        break;
      }
      MessageFilter f{*from, *to, a.filter.type, a.filter.probability};
      RuleId rule = a.kind == ActionKind::Cut    ? world_.network().add_cut(*from, *to)
                    : a.kind == ActionKind::Drop ? world_.network().add_drop(f)
                                                 : world_.network().add_delay(f, a.filter.by);
      const std::string target = fmt::format("{}->{}", name_of(*from), name_of(*to));
      std::vector<Field> extra = {{"from", name_of(*from)}, {"to", name_of(*to)}};
      if (!a.filter.type.empty()) extra.push_back({"type", a.filter.type});
      if (a.kind == ActionKind::Drop) extra.push_back({"probability", a.filter.probability});
      if (a.kind == ActionKind::Delay) extra.push_back({"by", to_seconds(a.filter.by)});
      record(target, std::move(extra), "");
      undo_later([this, rule, target] {
        world_.network().remove(rule);
        world_.record("fault", {{"action", std::string("heal")}, {"target", target}, {"undo", true}});
      });
      break;
    }
    case ActionKind::Heal:
      world_.network().clear();
      record("all", {}, "");
      break;
    case ActionKind::ElectPreferredLeader: {
      std::string outcome = model_.elect_preferred_leader(world_, a.partition);
      record(a.partition, {{"partition", a.partition}}, outcome);
      break;
    }
    case ActionKind::FailProcessing: {
      std::string outcome = model_.fail_processing(world_, a.failure);
      record(a.failure.consumer,
             {{"consumer", a.failure.consumer}, {"value", a.failure.value}, {"times", std::int64_t{a.failure.times}}}, outcome);
      break;
    }
    case ActionKind::Produce: {
      std::string outcome = model_.produce(world_, a.produce);
      std::vector<Field> extra = {{"producer", a.produce.producer},
                                  {"partition", fmt::format("{}-{}", world_.scenario().find_producer(a.produce.producer)->topic,
                                                            a.produce.partition)}};
      if (!a.produce.value.empty()) extra.push_back({"value", a.produce.value});
      if (a.produce.count != 1) extra.push_back({"count", std::int64_t{a.produce.count}});
      record(a.produce.producer, std::move(extra), outcome);
      break;
    }
  }
}

}  // namespace kafkasim::sim
