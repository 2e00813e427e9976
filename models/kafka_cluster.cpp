// Wiring: which process runs on which node, and the admin actions the models know how to perform.
#include "models/kafka_cluster.h"

#include <cstdlib>

#include <fmt/format.h>

#include "models/broker.h"
#include "models/idle_models.h"
#include "models/zookeeper/server.h"
#include "sim/world.h"

namespace kafkasim::models {

namespace {
zk::ServerState& zookeeper_state(sim::World& world) {
  return static_cast<zk::ServerState&>(*world.durable(world.zookeeper_node()));
}
}  // namespace

std::unique_ptr<sim::Node> KafkaCluster::start_process(sim::World& world, int node) {
  switch (world.node_kind(node)) {
    case NodeKind::Broker: return std::make_unique<Broker>(world, node, world.zookeeper_node());
    case NodeKind::ZooKeeper: return std::make_unique<zk::Server>(world, node, zookeeper_state(world));
    case NodeKind::Client: return std::make_unique<IdleProcess>(world, node);
  }
  return nullptr;
}

std::unique_ptr<sim::DurableState> KafkaCluster::create_durable(sim::World& world, int node) {
  if (world.node_kind(node) == NodeKind::ZooKeeper) return std::make_unique<zk::ServerState>();
  return nullptr;
}

std::optional<int> KafkaCluster::resolve(sim::World& world, const Target& target) {
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
  return std::nullopt;  // partition leaders and followers are not modelled yet
}

std::string KafkaCluster::expire_session(sim::World& world, int broker_node) {
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
  return world.stop(broker_node);  // controlled shutdown moves leadership first once leaders exist
}

std::string KafkaCluster::elect_preferred_leader(sim::World&, const std::string&) {
  return "no controller model yet";
}

std::string KafkaCluster::produce(sim::World&, const ProduceSpec&) { return "no producer model yet"; }

void KafkaCluster::stop_producers(sim::World&) {}

bool KafkaCluster::converged(sim::World& world) {
  // Every broker running and registered under the ZooKeeper session it holds now.
  zk::ServerState& zk = zookeeper_state(world);
  for (int n = 0; n < world.node_count(); ++n) {
    if (world.node_kind(n) != NodeKind::Broker) continue;
    if (world.state(n) != sim::ProcessState::Up) return false;
    auto* broker = static_cast<Broker*>(world.process(n));
    auto stat = zk.tree.exists(fmt::format("/brokers/ids/{}", broker->broker_id()));
    if (!stat || broker->broker_epoch() != stat->czxid || zk.sessions.count(stat->ephemeral_owner) == 0)
      return false;
  }
  // Exactly one broker acts as controller, and it is the one /controller names.
  int acting = 0;
  for (int n = 0; n < world.node_count(); ++n)
    if (world.node_kind(n) == NodeKind::Broker && static_cast<Broker*>(world.process(n))->controller().active()) ++acting;
  auto named = resolve(world, Target{Target::Kind::Controller, "", ""});
  return acting == 1 && named && static_cast<Broker*>(world.process(*named))->controller().active();
}

}  // namespace kafkasim::models
