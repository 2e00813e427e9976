// BrokerLifecycleManager and BrokerMetadataPublisher for a KRaft broker.
#include "models/kraft/broker_lifecycle.h"

#include <fmt/format.h>

#include "models/broker.h"
#include "models/kraft/broker_messages.h"
#include "sim/world.h"

namespace kafkasim::models::kraft {

namespace {
constexpr Micros kRegistrationRetry = 500 * kMicrosPerMs;
constexpr Micros kStartingHeartbeat = 10 * kMicrosPerMs;
// A controlled shutdown that the controller does not complete in this long ends anyway (the controller
// fences the broker when its session times out).
constexpr Micros kControlledShutdownLimit = 30 * kMicrosPerSecond;
}  // namespace

BrokerLifecycle::BrokerLifecycle(Broker& broker, MetadataStorage& storage)
    : broker_(broker),
      storage_(storage),
      raft_(broker, storage.log, storage.quorum, /*voter=*/false, *this),
      heartbeat_interval_(from_ms(broker.world().scenario().config.integer("broker.heartbeat.interval.ms"))) {}

void BrokerLifecycle::start() {
  // The clean-shutdown file: read at start-up, then gone (a crash after this start is unclean).
  previous_broker_epoch_ = storage_.clean_shutdown_epoch;
  storage_.clean_shutdown_epoch = -1;
  incarnation_ = fmt::format("{}-{}", broker_.name(), broker_.world().incarnation(broker_.node()));
  raft_.start();
  every(kRegistrationRetry, &BrokerLifecycle::send_registration);
  every(heartbeat_interval_, &BrokerLifecycle::send_heartbeat);
}

void BrokerLifecycle::every(Micros interval, void (BrokerLifecycle::*task)()) {
  broker_.after(interval, [this, interval, task] {
    (this->*task)();
    every(interval, task);
  });
}

int BrokerLifecycle::controller_node() const {
  return raft_.role() == QuorumRole::Follower ? raft_.leader() : -1;
}

void BrokerLifecycle::on_quorum_change() {
  // A new leader: register or heartbeat with it now rather than at the next tick.
  if (controller_node() < 0) return;
  broker_.after(0, [this] {
    if (!registered()) send_registration();
    else send_heartbeat();
  });
}

void BrokerLifecycle::send_registration() {
  if (registered() || registering_ || want_shutdown_) return;
  const int controller = controller_node();
  if (controller < 0) return;
  auto req = std::make_unique<BrokerRegistrationRequest>();
  req->broker = broker_.broker_id();
  req->incarnation = incarnation_;
  req->previous_broker_epoch = previous_broker_epoch_;
  registering_ = true;
  const Micros timeout = from_ms(broker_.world().scenario().config.integer("controller.quorum.request.timeout.ms"));
  broker_.request(controller, std::move(req), timeout, [this](sim::Failure f, const sim::Message* m) {
    registering_ = false;
    if (f != sim::Failure::None) return;
    const auto& resp = static_cast<const BrokerRegistrationResponse&>(*m);
    if (!resp.error.empty() || resp.broker_epoch < 0) return;  // tried again at the next tick
    broker_epoch_ = resp.broker_epoch;
    broker_.broker_epoch_ = resp.broker_epoch;
    maybe_open();
    send_heartbeat();
  });
}

void BrokerLifecycle::send_heartbeat() {
  if (!registered() || heartbeat_in_flight_ || shutdown_done_) return;
  const int controller = controller_node();
  if (controller < 0) return;
  auto req = std::make_unique<BrokerHeartbeatRequest>();
  req->broker = broker_.broker_id();
  req->broker_epoch = broker_epoch_;
  req->metadata_offset = raft_.delivered();
  req->want_shutdown = want_shutdown_;
  heartbeat_in_flight_ = true;
  broker_.request(controller, std::move(req), heartbeat_interval_, [this](sim::Failure f, const sim::Message* m) {
    heartbeat_in_flight_ = false;
    if (f != sim::Failure::None) return;
    const auto& resp = static_cast<const BrokerHeartbeatResponse&>(*m);
    if (resp.error == "STALE_BROKER_EPOCH") {
      broker_epoch_ = -1;  // the controller does not know this registration: register again
      return;
    }
    if (!resp.error.empty()) return;
    fenced_ = resp.is_fenced;
    if (want_shutdown_ && resp.should_shutdown && !shutdown_done_) {
      shutdown_done_ = true;
      broker_.finish_shutdown();
      return;
    }
    // BrokerLifecycleManager: while starting (fenced, catching up) the next heartbeat goes after 10 ms, so
    // that a broker is unfenced as soon as it has caught up; so during a controlled shutdown.
    if (want_shutdown_ || fenced_) broker_.after(kStartingHeartbeat, [this] { send_heartbeat(); });
  });
}

void BrokerLifecycle::begin_controlled_shutdown() {
  want_shutdown_ = true;
  const bool enabled = broker_.world().scenario().config.boolean("controlled.shutdown.enable");
  if (!registered() || !enabled) {
    shutdown_done_ = true;
    broker_.finish_shutdown();
    return;
  }
  send_heartbeat();
  broker_.after(kControlledShutdownLimit, [this] {
    if (shutdown_done_) return;
    shutdown_done_ = true;
    broker_.finish_shutdown();
  });
}

void BrokerLifecycle::on_commit(std::int64_t offset, const MetadataRecord& record) {
  const MetadataRecord r = record;  // publishing may append to nothing here, but keep our own copy
  image_.apply(r);
  if (!caught_up_) {
    // The first publish is the whole image, once the broker has replayed what was committed when it
    // learned the high watermark (BrokerServer waits for this initial catch-up).
    if (raft_.delivered() < raft_.high_watermark()) return;
    caught_up_ = true;
    publish_brokers();
    for (const auto& [name, p] : image_.partitions) publish_partition(name, p, r.epoch);
  } else if (r.type == RecordType::Partition || r.type == RecordType::PartitionChange) {
    publish_partition(r.partition, image_.partitions.at(r.partition), r.epoch);
  } else if (r.type != RecordType::LeaderChange && r.type != RecordType::Topic) {
    publish_brokers();
  }
  (void)offset;
  maybe_open();
}

void BrokerLifecycle::maybe_open() {
  if (opened_ || !registered() || !caught_up_ || raft_.delivered() <= broker_epoch_) return;
  // Caught up past its own registration: the socket server starts handling requests.
  opened_ = true;
  broker_.world().open_for_requests(broker_.node());
}

void BrokerLifecycle::publish_brokers() {
  std::set<int> live;
  for (const auto& [id, b] : image_.brokers)
    if (image_.active(id)) live.insert(id);
  broker_.metadata_live_brokers_ = live;
}

void BrokerLifecycle::publish_partition(const std::string& name, const PartitionImage& p, std::int64_t epoch) {
  PartitionStateData s;
  s.partition = name;
  s.state = LeaderIsr{p.leader, p.leader_epoch, p.isr, epoch};
  s.partition_epoch = p.partition_epoch;
  s.replicas = p.replicas;
  broker_.replica_manager().apply_partition_change(s, epoch);
}

}  // namespace kafkasim::models::kraft
