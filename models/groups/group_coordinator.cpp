// The group coordinator inside a broker: membership, rebalances, offset commits stored in
// __consumer_offsets (GroupCoordinator.scala and GroupMetadataManager.scala of the classic protocol).
#include "models/groups/group_coordinator.h"

#include <algorithm>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "sim/world.h"

namespace kafkasim::models::groups {

namespace {
sim::Envelope reply_address(const sim::Envelope& e) {
  sim::Envelope a;
  a.from = e.from;
  a.id = e.id;
  return a;
}
// GroupMetadataManager.storeOffsets / storeGroup: how an append's error reaches the member.
std::string commit_error(const std::string& append_error) {
  if (append_error.empty()) return "";
  if (append_error == "NOT_ENOUGH_REPLICAS" || append_error == "NOT_ENOUGH_REPLICAS_AFTER_APPEND" ||
      append_error == "UNKNOWN_TOPIC_OR_PARTITION")
    return "COORDINATOR_NOT_AVAILABLE";
  if (append_error == "NOT_LEADER_OR_FOLLOWER") return "NOT_COORDINATOR";
  return append_error;  // REQUEST_TIMED_OUT
}
bool is_offsets_partition(const std::string& partition) {
  return partition.rfind(std::string(kOffsetsTopic) + "-", 0) == 0;
}
std::string assignment_text(const std::map<std::string, std::vector<std::string>>& by_client) {
  std::vector<std::string> parts;
  for (const auto& [client, partitions] : by_client) parts.push_back(fmt::format("{}: [{}]", client, fmt::join(partitions, ", ")));
  return fmt::format("{{{}}}", fmt::join(parts, ", "));
}
}  // namespace

int partition_for(const std::string& group, int offsets_partitions) {
  std::int32_t h = 0;  // java.lang.String.hashCode (UTF-16 code units; group names are ASCII)
  for (unsigned char c : group) h = static_cast<std::int32_t>(31u * static_cast<std::uint32_t>(h) + c);
  return static_cast<int>((h & 0x7fffffff) % offsets_partitions);  // Utils.abs, then modulo
}

std::string offset_record(const std::string& group, const std::string& partition, std::int64_t offset) {
  return fmt::format("offset {} {} {}", group, partition, offset);
}

std::string group_record(const std::string& group, std::int32_t generation, const std::string& leader,
                         const std::map<std::string, std::vector<std::string>>& assignment,
                         const std::map<std::string, std::pair<Micros, Micros>>& timeouts,
                         const std::map<std::string, std::string>& topics) {
  nlohmann::ordered_json members = nlohmann::ordered_json::array();
  for (const auto& [id, partitions] : assignment) {
    const auto t = timeouts.at(id);
    members.push_back({{"id", id}, {"topic", topics.at(id)}, {"session", t.first}, {"rebalance", t.second},
                       {"assignment", partitions}});
  }
  nlohmann::ordered_json j = {{"generation", generation}, {"leader", leader}, {"members", members}};
  return fmt::format("group {} {}", group, j.dump());
}

GroupCoordinator::GroupCoordinator(sim::Node& broker, ReplicaManager& replicas)
    : broker_(broker), replicas_(replicas), offsets_partitions_(0) {
  const Scenario& s = broker.world().scenario();
  if (const TopicSpec* t = s.find_topic(kOffsetsTopic)) offsets_partitions_ = t->partitions;
  commit_timeout_ = from_ms(s.config.integer("offsets.commit.timeout.ms"));
  initial_delay_ = from_ms(s.config.integer("group.initial.rebalance.delay.ms"));
  min_session_ = from_ms(s.config.integer("group.min.session.timeout.ms"));
  max_session_ = from_ms(s.config.integer("group.max.session.timeout.ms"));
  replicas_.on_leadership([this](const std::string& p, bool leader) { on_leadership(p, leader); });
}

bool GroupCoordinator::on_message(const sim::Envelope& e) {
  const sim::Message* body = e.body.get();
  if (const auto* r = dynamic_cast<const FindCoordinatorRequest*>(body)) find_coordinator(e, *r);
  else if (const auto* j = dynamic_cast<const JoinGroupRequest*>(body)) join(e, *j);
  else if (const auto* s = dynamic_cast<const SyncGroupRequest*>(body)) sync(e, *s);
  else if (const auto* h = dynamic_cast<const HeartbeatRequest*>(body)) heartbeat(e, *h);
  else if (const auto* l = dynamic_cast<const LeaveGroupRequest*>(body)) leave(e, *l);
  else if (const auto* c = dynamic_cast<const OffsetCommitRequest*>(body)) commit(e, *c);
  else if (const auto* f = dynamic_cast<const OffsetFetchRequest*>(body)) fetch_offsets(e, *f);
  else return false;
  return true;
}

GroupCoordinator::Group* GroupCoordinator::coordinated(const std::string& group) {
  if (offsets_partitions_ <= 0) return nullptr;
  const std::string partition = fmt::format("{}-{}", kOffsetsTopic, partition_for(group, offsets_partitions_));
  if (!replicas_.leads(partition) || loaded_.count(partition) == 0) return nullptr;
  auto [it, fresh] = groups_.try_emplace(group);
  if (fresh) {
    it->second.name = group;
    it->second.partition = partition;
  }
  return &it->second;
}

void GroupCoordinator::find_coordinator(const sim::Envelope& e, const FindCoordinatorRequest& r) {
  auto resp = std::make_unique<FindCoordinatorResponse>();
  const int leader = offsets_partitions_ > 0
                         ? replicas_.metadata_leader(fmt::format("{}-{}", kOffsetsTopic, partition_for(r.group, offsets_partitions_)))
                         : -1;
  if (leader < 1) resp->error = "COORDINATOR_NOT_AVAILABLE";
  resp->coordinator = leader;
  broker_.reply(e, std::move(resp));
}

void GroupCoordinator::join(const sim::Envelope& e, const JoinGroupRequest& r) {
  auto refuse = [&](const char* error) {
    auto resp = std::make_unique<JoinGroupResponse>();
    resp->error = error;
    resp->member_id = r.member_id;
    broker_.reply(e, std::move(resp));
  };
  Group* g = coordinated(r.group);
  if (g == nullptr) return refuse("NOT_COORDINATOR");
  if (r.session_timeout < min_session_ || r.session_timeout > max_session_) return refuse("INVALID_SESSION_TIMEOUT");
  std::string id = r.member_id;
  if (id.empty()) {
    // A new member: the coordinator names it (clientId-UUID in Kafka; here unique by time and count).
    id = fmt::format("{}-{}-{}", r.client_id, broker_.now(), ++next_member_);
  } else if (g->members.count(id) == 0) {
    return refuse("UNKNOWN_MEMBER_ID");
  }
  Member& m = g->members[id];
  m.client_id = r.client_id;
  m.topic = r.topic;
  m.owned = r.owned;
  m.owned_generation = r.owned_generation;
  m.session_timeout = r.session_timeout;
  m.rebalance_timeout = r.rebalance_timeout;
  sim::Envelope address = reply_address(e);
  m.join_waiting = std::move(address);
  if (g->state == State::Empty) {
    // InitialDelayedJoin: the first rebalance of an empty group waits group.initial.rebalance.delay.ms.
    g->state = State::PreparingRebalance;
    g->reason = fmt::format("{} joins the empty group", r.client_id);
    g->initial_delay = true;
    arm_join_timer(*g, initial_delay_);
    return;
  }
  if (g->state == State::Stable || g->state == State::CompletingRebalance)
    prepare_rebalance(*g, fmt::format("{} {}joins", r.client_id, r.member_id.empty() ? "" : "re"));
  maybe_complete_join(*g, false);
}

void GroupCoordinator::arm_join_timer(Group& g, Micros delay) {
  if (g.join_timer_set) broker_.cancel(g.join_timer);
  g.join_timer_set = true;
  const std::string name = g.name;
  g.join_timer = broker_.after(delay, [this, name] {
    auto it = groups_.find(name);
    if (it == groups_.end()) return;
    it->second.join_timer_set = false;
    it->second.initial_delay = false;
    maybe_complete_join(it->second, true);
  });
}

void GroupCoordinator::prepare_rebalance(Group& g, const std::string& reason) {
  if (g.state == State::PreparingRebalance) return;
  if (g.state == State::CompletingRebalance) complete_sync(g, "REBALANCE_IN_PROGRESS");
  g.state = State::PreparingRebalance;
  g.reason = reason;
  // DelayedJoin: the members have the longest rebalance timeout (max.poll.interval.ms) to rejoin.
  Micros timeout = 0;
  for (const auto& [id, m] : g.members) timeout = std::max(timeout, m.rebalance_timeout);
  arm_join_timer(g, timeout);
}

void GroupCoordinator::maybe_complete_join(Group& g, bool timed_out) {
  if (g.state != State::PreparingRebalance || (g.initial_delay && !timed_out)) return;
  const bool all = std::all_of(g.members.begin(), g.members.end(), [](const auto& m) { return m.second.join_waiting.has_value(); });
  if (!all && !timed_out) return;
  if (g.join_timer_set) {
    broker_.cancel(g.join_timer);
    g.join_timer_set = false;
  }
  std::vector<std::string> gone;
  for (const auto& [id, m] : g.members)
    if (!m.join_waiting) gone.push_back(id);
  for (const auto& id : gone) {
    // Not rejoined within the rebalance timeout: removed from the group.
    broker_.record("consumer-evicted", {{"group", g.name}, {"consumer", g.members[id].client_id},
                                        {"reason", std::string("rebalance-timeout")}});
    if (g.members[id].expiry != 0) broker_.cancel(g.members[id].expiry);
    g.members.erase(id);
  }
  ++g.generation;  // GroupMetadata.initNextGeneration
  if (g.members.empty()) {
    g.state = State::Empty;
    g.leader.clear();
    return;
  }
  g.state = State::CompletingRebalance;
  if (g.members.count(g.leader) == 0) g.leader = g.members.begin()->first;
  for (auto& [id, m] : g.members) {
    auto resp = std::make_unique<JoinGroupResponse>();
    resp->generation = g.generation;
    resp->member_id = id;
    resp->leader = g.leader;
    if (id == g.leader)
      for (const auto& [other, om] : g.members) {
        resp->members[other] = om.topic;
        resp->owned[other] = om.owned;
        resp->owned_generation[other] = om.owned_generation;
      }
    broker_.reply(*m.join_waiting, std::move(resp));
    m.join_waiting.reset();
    schedule_expiry(g, id);
  }
}

void GroupCoordinator::complete_sync(Group& g, const std::string& error) {
  for (auto& [id, m] : g.members) {
    if (!m.sync_waiting) continue;
    auto resp = std::make_unique<SyncGroupResponse>();
    resp->error = error;
    if (error.empty()) resp->partitions = m.assignment;
    broker_.reply(*m.sync_waiting, std::move(resp));
    m.sync_waiting.reset();
  }
}

void GroupCoordinator::sync(const sim::Envelope& e, const SyncGroupRequest& r) {
  auto answer = [&](const char* error, std::vector<std::string> partitions = {}) {
    auto resp = std::make_unique<SyncGroupResponse>();
    resp->error = error;
    resp->partitions = std::move(partitions);
    broker_.reply(e, std::move(resp));
  };
  Group* g = coordinated(r.group);
  if (g == nullptr) return answer("NOT_COORDINATOR");
  auto member = g->members.find(r.member_id);
  if (member == g->members.end()) return answer("UNKNOWN_MEMBER_ID");
  if (r.generation != g->generation) return answer("ILLEGAL_GENERATION");
  if (g->state == State::PreparingRebalance) return answer("REBALANCE_IN_PROGRESS");
  if (g->state == State::Stable) return answer("", member->second.assignment);
  if (g->state != State::CompletingRebalance) return answer("UNKNOWN_MEMBER_ID");
  member->second.sync_waiting = reply_address(e);
  schedule_expiry(*g, r.member_id);
  if (r.member_id != g->leader) return;
  // The leader's assignment is stored in the group's partition before any member gets it.
  std::map<std::string, std::vector<std::string>> assignment;
  std::map<std::string, std::pair<Micros, Micros>> timeouts;
  std::map<std::string, std::string> topics;
  for (const auto& [id, m] : g->members) {
    auto a = r.assignments.find(id);
    assignment[id] = a == r.assignments.end() ? std::vector<std::string>{} : a->second;
    timeouts[id] = {m.session_timeout, m.rebalance_timeout};
    topics[id] = m.topic;
  }
  const std::string name = g->name;
  const std::int32_t generation = g->generation;
  replicas_.append_internal(
      g->partition, {group_record(name, generation, g->leader, assignment, timeouts, topics)}, commit_timeout_,
      "group-coordinator", [this, name, generation, assignment](const ProducePartitionResponse& stored) {
        auto it = groups_.find(name);
        if (it == groups_.end()) return;
        Group& grp = it->second;
        if (grp.state != State::CompletingRebalance || grp.generation != generation) return;
        if (!stored.error.empty()) {
          complete_sync(grp, commit_error(stored.error));
          prepare_rebalance(grp, "the group's assignment could not be stored");
          return;
        }
        std::map<std::string, std::vector<std::string>> by_client;
        std::vector<std::string> clients;
        for (auto& [id, m] : grp.members) {
          auto a = assignment.find(id);
          m.assignment = a == assignment.end() ? std::vector<std::string>{} : a->second;
          by_client[m.client_id] = m.assignment;
          clients.push_back(m.client_id);
        }
        std::sort(clients.begin(), clients.end());
        grp.state = State::Stable;
        broker_.record("group-rebalance", {{"group", name},
                                           {"generation", std::int64_t{generation}},
                                           {"members", clients},
                                           {"assignment", assignment_text(by_client)},
                                           {"reason", grp.reason},
                                           {"coordinator", std::int64_t{broker_.node() + 1}}});
        complete_sync(grp, "");
      });
}

void GroupCoordinator::heartbeat(const sim::Envelope& e, const HeartbeatRequest& r) {
  auto answer = [&](const char* error) {
    auto resp = std::make_unique<HeartbeatResponse>();
    resp->error = error;
    broker_.reply(e, std::move(resp));
  };
  Group* g = coordinated(r.group);
  if (g == nullptr) return answer("NOT_COORDINATOR");
  if (g->members.count(r.member_id) == 0) return answer("UNKNOWN_MEMBER_ID");
  if (r.generation != g->generation) return answer("ILLEGAL_GENERATION");
  schedule_expiry(*g, r.member_id);
  answer(g->state == State::PreparingRebalance ? "REBALANCE_IN_PROGRESS" : "");
}

void GroupCoordinator::schedule_expiry(Group& g, const std::string& member_id) {
  Member& m = g.members[member_id];
  if (m.expiry != 0) broker_.cancel(m.expiry);
  const std::string name = g.name;
  m.expiry = broker_.after(m.session_timeout, [this, name, member_id] {
    auto it = groups_.find(name);
    if (it == groups_.end() || it->second.members.count(member_id) == 0) return;
    it->second.members[member_id].expiry = 0;
    remove_member(it->second, member_id, "session-timeout");
  });
}

void GroupCoordinator::remove_member(Group& g, const std::string& member_id, const char* reason) {
  auto it = g.members.find(member_id);
  if (it == g.members.end()) return;
  if (reason != nullptr)
    broker_.record("consumer-evicted", {{"group", g.name}, {"consumer", it->second.client_id}, {"reason", std::string(reason)}});
  const std::string client = it->second.client_id;
  if (it->second.expiry != 0) broker_.cancel(it->second.expiry);
  if (it->second.join_waiting) {
    auto resp = std::make_unique<JoinGroupResponse>();
    resp->error = "UNKNOWN_MEMBER_ID";
    broker_.reply(*it->second.join_waiting, std::move(resp));
  }
  g.members.erase(it);
  if (g.state == State::Stable || g.state == State::CompletingRebalance)
    prepare_rebalance(g, reason == nullptr                            ? fmt::format("{} left the group", client)
                         : std::string_view(reason) == "session-timeout" ? fmt::format("{}'s session timed out", client)
                                                                         : fmt::format("{} was removed ({})", client, reason));
  maybe_complete_join(g, false);
}

void GroupCoordinator::leave(const sim::Envelope& e, const LeaveGroupRequest& r) {
  auto resp = std::make_unique<LeaveGroupResponse>();
  Group* g = coordinated(r.group);
  if (g == nullptr) resp->error = "NOT_COORDINATOR";
  else if (g->members.count(r.member_id) == 0) resp->error = "UNKNOWN_MEMBER_ID";
  else remove_member(*g, r.member_id, nullptr);
  broker_.reply(e, std::move(resp));
}

void GroupCoordinator::commit(const sim::Envelope& e, const OffsetCommitRequest& r) {
  auto answer_all = [&](const std::string& error) {
    auto resp = std::make_unique<OffsetCommitResponse>();
    for (const auto& [p, o] : r.offsets) resp->errors[p] = error;
    broker_.reply(e, std::move(resp));
  };
  Group* g = coordinated(r.group);
  if (g == nullptr) return answer_all("NOT_COORDINATOR");
  const bool simple = r.generation < 0 && r.member_id.empty();  // a consumer outside any generation
  if (simple) {
    if (g->state != State::Empty) return answer_all("ILLEGAL_GENERATION");
  } else {
    if (g->members.count(r.member_id) == 0) return answer_all("UNKNOWN_MEMBER_ID");
    if (r.generation != g->generation) return answer_all("ILLEGAL_GENERATION");
    // A commit of the current generation is taken while the group prepares a rebalance (the member
    // learns of it from its heartbeats), refused while it awaits the leader's assignment.
    if (g->state == State::CompletingRebalance) return answer_all("REBALANCE_IN_PROGRESS");
    schedule_expiry(*g, r.member_id);
  }
  std::vector<std::string> values;
  for (const auto& [p, o] : r.offsets) values.push_back(offset_record(r.group, p, o));
  const std::string name = g->name;
  const std::map<std::string, std::int64_t> offsets = r.offsets;
  replicas_.append_internal(g->partition, std::move(values), commit_timeout_, "group-coordinator",
                            [this, name, offsets, address = std::make_shared<sim::Envelope>(reply_address(e))](const ProducePartitionResponse& stored) {
                              const std::string error = commit_error(stored.error);
                              auto it = groups_.find(name);
                              if (error.empty() && it != groups_.end())
                                for (const auto& [p, o] : offsets) it->second.offsets[p] = o;
                              auto resp = std::make_unique<OffsetCommitResponse>();
                              for (const auto& [p, o] : offsets) resp->errors[p] = error;
                              broker_.reply(*address, std::move(resp));
                            });
}

void GroupCoordinator::fetch_offsets(const sim::Envelope& e, const OffsetFetchRequest& r) {
  auto resp = std::make_unique<OffsetFetchResponse>();
  Group* g = coordinated(r.group);
  if (g == nullptr) {
    resp->error = "NOT_COORDINATOR";
  } else {
    for (const auto& p : r.partitions) {
      auto it = g->offsets.find(p);
      resp->offsets[p] = it == g->offsets.end() ? -1 : it->second;
    }
  }
  broker_.reply(e, std::move(resp));
}

void GroupCoordinator::on_leadership(const std::string& partition, bool leader) {
  if (!is_offsets_partition(partition)) return;
  if (leader) return load(partition);
  loaded_.erase(partition);
  // onGroupUnloaded: the groups move with their partition; requests waiting here learn NOT_COORDINATOR.
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (it->second.partition != partition) {
      ++it;
      continue;
    }
    Group& g = it->second;
    if (g.join_timer_set) broker_.cancel(g.join_timer);
    for (auto& [id, m] : g.members) {
      if (m.expiry != 0) broker_.cancel(m.expiry);
      if (m.join_waiting) {
        auto resp = std::make_unique<JoinGroupResponse>();
        resp->error = "NOT_COORDINATOR";
        broker_.reply(*m.join_waiting, std::move(resp));
      }
    }
    complete_sync(g, "NOT_COORDINATOR");
    it = groups_.erase(it);
  }
}

void GroupCoordinator::load(const std::string& partition) {
  // doLoadGroupsAndOffsets reads the partition from its start to its log end offset (not the HW): the
  // last offset of each (group, partition) and the last metadata of each group win.
  loaded_.insert(partition);
  for (const Record& rec : replicas_.log(partition).records()) {
    const std::string& v = rec.value;
    if (v.rfind("offset ", 0) == 0) {
      const auto a = v.find(' ', 7), b = v.rfind(' ');
      if (a == std::string::npos || b <= a) continue;
      const std::string group = v.substr(7, a - 7), p = v.substr(a + 1, b - a - 1);
      Group& g = groups_[group];
      g.name = group;
      g.partition = partition;
      g.offsets[p] = std::stoll(v.substr(b + 1));
    } else if (v.rfind("group ", 0) == 0) {
      const auto a = v.find(' ', 6);
      if (a == std::string::npos) continue;
      const std::string group = v.substr(6, a - 6);
      const auto j = nlohmann::json::parse(v.substr(a + 1), nullptr, false);
      if (j.is_discarded()) continue;
      Group& g = groups_[group];
      g.name = group;
      g.partition = partition;
      g.generation = j.value("generation", 0);
      g.leader = j.value("leader", std::string());
      for (auto& [id, m] : g.members)
        if (m.expiry != 0) broker_.cancel(m.expiry);
      g.members.clear();
      for (const auto& m : j.value("members", nlohmann::json::array())) {
        Member& member = g.members[m.value("id", std::string())];
        member.topic = m.value("topic", std::string());
        member.session_timeout = m.value("session", Micros{0});
        member.rebalance_timeout = m.value("rebalance", Micros{0});
        member.assignment = m.value("assignment", std::vector<std::string>{});
        const std::string& id = m.value("id", std::string());
        // The member id is "<client id>-<time>-<count>".
        const auto last = id.rfind('-');
        const auto second = last == std::string::npos || last == 0 ? std::string::npos : id.rfind('-', last - 1);
        member.client_id = second == std::string::npos ? id : id.substr(0, second);
      }
      g.state = g.members.empty() ? State::Empty : State::Stable;
    }
  }
  // onGroupLoaded: every loaded member's session starts now.
  for (auto& [name, g] : groups_)
    if (g.partition == partition)
      for (auto& [id, m] : g.members) schedule_expiry(g, id);
}

}  // namespace kafkasim::models::groups
