// Wiring: which process runs on which node, and the admin actions the models know how to perform.
#include "models/kafka_cluster.h"

#include <cstdlib>

#include <fmt/format.h>

#include "models/broker.h"
#include "models/clients.h"
#include "models/groups/group_member.h"
#include "models/groups/sink.h"
#include "models/idle_models.h"
#include "models/kraft/cluster_view.h"
#include "models/kraft/quorum_controller.h"
#include "models/partition_state.h"
#include "models/zookeeper/server.h"
#include "sim/world.h"

namespace kafkasim::models {

namespace {
zk::ServerState& zookeeper_state(sim::World& world) {
  return static_cast<zk::ServerState&>(*world.durable(world.zookeeper_node()));
}
Broker* running_broker(sim::World& world, int node) {
  if (node < 0 || node >= world.node_count() || world.node_kind(node) != NodeKind::Broker) return nullptr;
  return world.state(node) == sim::ProcessState::Up || world.state(node) == sim::ProcessState::Paused
             ? static_cast<Broker*>(world.process(node))
             : nullptr;
}
// Every producer's sends acknowledged or failed (delivery.timeout.ms bounds how long one may wait).
std::string producers_gap(sim::World& world) {
  for (const auto& p : world.scenario().producers) {
    auto node = world.find_node(p.id);
    const auto* producer = node ? dynamic_cast<const Producer*>(world.process(*node)) : nullptr;
    if (producer != nullptr && producer->pending() > 0)
      return fmt::format("{} has {} record{} neither acknowledged nor failed yet", p.id, producer->pending(),
                         producer->pending() == 1 ? "" : "s");
  }
  return "";
}
// Every standalone consumer of the partition's topic at its HW; for each group reading it, a member that
// owns it in a settled generation, at the HW, with nothing left to process.
std::string consumers_gap(sim::World& world, const PartitionInfo& p, std::int64_t hw) {
  std::map<std::string, std::string> groups;  // group -> what is missing ("" once a member has it)
  for (const auto& c : world.scenario().consumers) {
    if (c.topic != p.topic || c.group.empty()) continue;
    auto& missing = groups.try_emplace(c.group, fmt::format("{}: no member of group {} owns it at the HW {}", p.name, c.group, hw)).first->second;
    const auto* member = dynamic_cast<const groups::GroupMember*>(world.process(*world.find_node(c.id)));
    if (member == nullptr || !member->idle()) continue;
    auto pos = member->positions().find(p.name);
    if (pos != member->positions().end() && pos->second == hw) missing.clear();
  }
  for (const auto& [g, missing] : groups)
    if (!missing.empty()) return missing;
  for (const auto& c : world.scenario().consumers) {
    if (c.topic != p.topic || !c.group.empty()) continue;
    auto node = world.find_node(c.id);
    const auto* consumer = dynamic_cast<Consumer*>(world.process(*node));
    if (consumer == nullptr) continue;
    const auto& positions = consumer->positions();
    auto pos = positions.find(p.name);
    if (pos == positions.end() || pos->second != hw)
      return fmt::format("{}: consumer {} is at {}, the HW is {}", p.name, c.id,
                         pos == positions.end() ? std::string("no position") : std::to_string(pos->second), hw);
  }
  return "";
}
// The partition's state as ZooKeeper holds it now.
std::optional<LeaderIsr> zk_partition_state(sim::World& world, const PartitionInfo* p) {
  if (p == nullptr) return std::nullopt;
  std::string data;
  zk::Stat stat;
  LeaderIsr s;
  if (zookeeper_state(world).tree.get_data(partition_state_path(*p), data, stat) != zk::Error::Ok ||
      !decode_leader_isr(data, s))
    return std::nullopt;
  return s;
}
}  // namespace

const PartitionCatalog& KafkaCluster::catalog(const sim::World& world) {
  if (!catalog_) catalog_.emplace(world.scenario());
  return *catalog_;
}

std::unique_ptr<sim::Node> KafkaCluster::start_process(sim::World& world, int node) {
  switch (world.node_kind(node)) {
    case NodeKind::Broker:
      return std::make_unique<Broker>(world, node, world.zookeeper_node(),
                                      static_cast<BrokerStorage&>(*world.durable(node)), catalog(world));
    case NodeKind::ZooKeeper: return std::make_unique<zk::Server>(world, node, zookeeper_state(world));
    case NodeKind::Controller:
      return std::make_unique<kraft::QuorumController>(
          world, node, static_cast<kraft::ControllerStorage&>(*world.durable(node)), catalog(world), kraft_recorded_);
    case NodeKind::Client: {
      const std::string& name = world.node_name(node);
      for (const auto& p : world.scenario().producers)
        if (p.id == name) return std::make_unique<Producer>(world, node, p);
      for (const auto& c : world.scenario().consumers)
        if (c.id == name) {
          if (!c.group.empty()) return std::make_unique<groups::GroupMember>(world, node, c, processing_faults_);
          return std::make_unique<Consumer>(world, node, c);
        }
      for (const auto& k : world.scenario().sinks)
        if (k.id == name)
          return std::make_unique<groups::Sink>(world, node, k, static_cast<groups::SinkStorage&>(*world.durable(node)));
      return std::make_unique<IdleProcess>(world, node);
    }
  }
  return nullptr;
}

std::string KafkaCluster::fail_processing(sim::World&, const ProcessingFailureSpec& failure) {
  processing_faults_.add(failure.consumer, failure.value, failure.times);
  return "";
}

std::unique_ptr<sim::DurableState> KafkaCluster::create_durable(sim::World& world, int node) {
  if (world.node_kind(node) == NodeKind::ZooKeeper) return std::make_unique<zk::ServerState>();
  if (world.node_kind(node) == NodeKind::Controller) return std::make_unique<kraft::ControllerStorage>();
  if (world.node_kind(node) == NodeKind::Client && world.scenario().find_sink(world.node_name(node)) != nullptr)
    return std::make_unique<groups::SinkStorage>();
  if (world.node_kind(node) == NodeKind::Broker)
    return std::make_unique<BrokerStorage>(world, world.broker_id(node),
                                           from_ms(world.scenario().config.integer("sim.os.flush.interval.ms")));
  return nullptr;
}

std::optional<int> KafkaCluster::resolve(sim::World& world, const Target& target) {
  if (world.scenario().design.kraft()) {
    // The active controller is the quorum leader; partitions as the newest committed metadata has them.
    if (target.kind == Target::Kind::Controller) {
      if (auto* c = kraft::quorum_leader(world)) return c->node();
      return std::nullopt;
    }
    const kraft::MetadataImage* image = kraft::newest_committed(world);
    if (image == nullptr) return std::nullopt;
    auto it = image->partitions.find(target.partition);
    if (it == image->partitions.end()) return std::nullopt;
    if (target.kind == Target::Kind::Leader)
      return it->second.leader > 0 ? std::optional<int>(world.broker_node(it->second.leader)) : std::nullopt;
    if (target.kind == Target::Kind::Follower)
      for (int b : it->second.replicas)
        if (b != it->second.leader && contains(it->second.isr, b)) return world.broker_node(b);
    if (target.kind == Target::Kind::Lagging)
      for (int b : it->second.replicas)
        if (b != it->second.leader && !contains(it->second.isr, b)) return world.broker_node(b);
    return std::nullopt;
  }
  if (target.kind == Target::Kind::Controller) {
    // The active controller is the broker /controller names (a paused predecessor may still believe it is).
    std::string data;
    zk::Stat stat;
    if (zookeeper_state(world).tree.get_data("/controller", data, stat) != zk::Error::Ok) return std::nullopt;
    auto at = data.find("\"brokerid\":");
    if (at == std::string::npos) return std::nullopt;
    const int id = std::atoi(data.c_str() + at + 11);
    if (id < 1 || id > world.scenario().brokers) return std::nullopt;
    return world.broker_node(id);
  }
  if (target.kind == Target::Kind::Leader || target.kind == Target::Kind::Follower ||
      target.kind == Target::Kind::Lagging) {
    auto state = zk_partition_state(world, catalog(world).find(target.partition));
    if (!state) return std::nullopt;
    if (target.kind == Target::Kind::Leader)
      return state->leader > 0 ? std::optional<int>(world.broker_node(state->leader)) : std::nullopt;
    // follower: the first in-sync follower in assignment order; lagging: the first replica outside the ISR.
    auto where = world.scenario().find_partition(target.partition);
    for (int b : where->first->assignment.at(where->second))
      if (b != state->leader && contains(state->isr, b) == (target.kind == Target::Kind::Follower))
        return world.broker_node(b);
  }
  return std::nullopt;
}

std::string KafkaCluster::expire_session(sim::World& world, int broker_node) {
  if (world.scenario().design.kraft()) return "a KRaft cluster has no ZooKeeper sessions";
  const int zk_node = world.zookeeper_node();
  bool has_session = false;
  for (const auto& [id, s] : zookeeper_state(world).sessions) has_session |= s.client_node == broker_node;
  if (!has_session) return fmt::format("{} has no ZooKeeper session now", world.node_name(broker_node));
  if (!world.up(zk_node)) return "the ZooKeeper server is not running";
  world.on_node(zk_node, 0, [&world, zk_node, broker_node] {
    static_cast<zk::Server*>(world.process(zk_node))->expire_client_session(broker_node);
  });
  return "";
}

std::string KafkaCluster::shutdown(sim::World& world, int broker_node) {
  if (running_broker(world, broker_node) == nullptr)
    return fmt::format("{} is not running", world.node_name(broker_node));
  world.on_node(broker_node, 0, [&world, broker_node] {
    if (Broker* b = running_broker(world, broker_node)) b->controlled_shutdown();
  });
  return "";
}

std::string KafkaCluster::elect_preferred_leader(sim::World& world, const std::string& partition) {
  if (world.scenario().design.kraft()) {
    kraft::QuorumController* c = kraft::quorum_leader(world);
    if (c == nullptr || world.state(c->node()) != sim::ProcessState::Up) return "no controller is running";
    const int n = c->node();
    world.on_node(n, 0, [&world, n, partition] {
      if (world.state(n) == sim::ProcessState::Up)
        static_cast<kraft::QuorumController*>(world.process(n))->elect_preferred(partition);
    });
    return "";
  }
  auto node = resolve(world, Target{Target::Kind::Controller, "", ""});
  if (!node || running_broker(world, *node) == nullptr) return "no controller is running";
  const int n = *node;
  world.on_node(n, 0, [&world, n, partition] {
    if (Broker* b = running_broker(world, n)) b->controller().elect_preferred(partition);
  });
  return "";
}

std::string KafkaCluster::produce(sim::World& world, const ProduceSpec& produce) {
  auto node = world.find_node(produce.producer);
  if (!node || !world.up(*node)) return fmt::format("producer {} is not running", produce.producer);
  const int n = *node;
  world.on_node(n, 0, [&world, n, produce] {
    if (auto* p = dynamic_cast<Producer*>(world.process(n))) p->send_scripted(produce.partition, produce.value, produce.count);
  });
  return "";
}

void KafkaCluster::stop_producers(sim::World& world) {
  for (const auto& p : world.scenario().producers) {
    auto node = world.find_node(p.id);
    if (!node || !world.up(*node)) continue;
    const int n = *node;
    world.on_node(n, 0, [&world, n] {
      if (auto* p = dynamic_cast<Producer*>(world.process(n))) p->stop();  // a test may run another process there
    });
  }
}

std::string KafkaCluster::convergence_gap(sim::World& world) {
  if (world.scenario().design.kraft()) return kraft_convergence_gap(world);
  // Every broker running and registered under the ZooKeeper session it holds now.
  zk::ServerState& zk = zookeeper_state(world);
  for (int n = 0; n < world.node_count(); ++n) {
    if (world.node_kind(n) != NodeKind::Broker) continue;
    if (world.state(n) != sim::ProcessState::Up) return fmt::format("{} is not running", world.node_name(n));
    auto* broker = static_cast<Broker*>(world.process(n));
    auto stat = zk.tree.exists(fmt::format("/brokers/ids/{}", broker->broker_id()));
    if (!stat || broker->broker_epoch() != stat->czxid || zk.sessions.count(stat->ephemeral_owner) == 0)
      return fmt::format("{} is not registered in ZooKeeper under its current session", world.node_name(n));
  }
  // Exactly one broker acts as controller, and it is the one /controller names.
  int acting = 0;
  for (int n = 0; n < world.node_count(); ++n)
    if (world.node_kind(n) == NodeKind::Broker && static_cast<Broker*>(world.process(n))->controller().active()) ++acting;
  auto named = resolve(world, Target{Target::Kind::Controller, "", ""});
  if (acting != 1 || !named || !static_cast<Broker*>(world.process(*named))->controller().active())
    return fmt::format("{} brokers act as controller{}", acting, named ? fmt::format(" and /controller names {}", world.node_name(*named)) : ", /controller is empty");
  if (auto gap = producers_gap(world); !gap.empty()) return gap;
  // Every partition led by a live broker that knows it leads, its ISR the whole assignment, every
  // replica's LEO = the leader's LEO = its HW, and every consumer at the HW.
  for (const auto& p : catalog(world).all()) {
    auto state = zk_partition_state(world, &p);
    if (!state || state->leader < 1) return fmt::format("{} has no leader in ZooKeeper", p.name);
    auto* leader = static_cast<Broker*>(world.process(world.broker_node(state->leader)));
    const auto& replicas = leader->replica_manager().replicas();
    auto it = replicas.find(p.name);
    if (it == replicas.end() || !it->second.is_leader || it->second.leader_epoch != state->leader_epoch)
      return fmt::format("{}: ZooKeeper names broker-{} leader in epoch {}, which it has not taken up", p.name, state->leader,
                         state->leader_epoch);
    const Replica& r = it->second;
    if (r.isr.size() != p.replicas.size() || r.pending_isr)
      return fmt::format("{}: the leader's ISR is {} of {} replicas{}", p.name, r.isr.size(), p.replicas.size(),
                         r.pending_isr ? " (an ISR change is pending)" : "");
    const std::int64_t leo = leader->replica_manager().leo(p.name);
    if (r.hw != leo) return fmt::format("{}: the leader's HW {} is below its LEO {}", p.name, r.hw, leo);
    for (int b : p.replicas) {
      auto* follower = static_cast<Broker*>(world.process(world.broker_node(b)));
      if (follower->replica_manager().leo(p.name) != leo)
        return fmt::format("{}: broker-{}'s LEO {} differs from the leader's {}", p.name, b, follower->replica_manager().leo(p.name), leo);
    }
    if (auto gap = consumers_gap(world, p, r.hw); !gap.empty()) return gap;
  }
  return "";
}

std::string KafkaCluster::kraft_convergence_gap(sim::World& world) {
  if (auto gap = kraft::convergence_gap(world, catalog(world)); !gap.empty()) return gap;
  if (auto gap = producers_gap(world); !gap.empty()) return gap;
  const kraft::MetadataImage* image = kraft::newest_committed(world);
  for (const auto& p : catalog(world).all()) {
    const auto& state = image->partitions.at(p.name);
    auto* leader = static_cast<Broker*>(world.process(world.broker_node(state.leader)));
    if (auto gap = consumers_gap(world, p, leader->replica_manager().replicas().at(p.name).hw); !gap.empty()) return gap;
  }
  return "";
}

}  // namespace kafkasim::models
