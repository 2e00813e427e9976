// KafkaController's election, event queue and partition state machine, ZooKeeper mode
// (core/src/main/scala/kafka/controller/KafkaController.scala, PartitionStateMachine.scala,
// ReplicaStateMachine.scala, KafkaZkClient.scala).
#include "models/controller.h"

#include <algorithm>
#include <charconv>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "models/broker.h"
#include "sim/world.h"

namespace kafkasim::models {

namespace {
std::int64_t parse_int(const std::string& s, std::int64_t fallback) {
  std::int64_t v = fallback;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}
// /controller holds {"version":1,"brokerid":N,"timestamp":"..."}.
int controller_id_of(const std::string& data) {
  auto at = data.find("\"brokerid\":");
  return at == std::string::npos ? -1 : static_cast<int>(parse_int(data.substr(at + 11), -1));
}
// Where to answer a request later, once the event that handles it runs.
std::shared_ptr<sim::Envelope> reply_address(const sim::Envelope& e) {
  auto a = std::make_shared<sim::Envelope>();
  a->from = e.from;
  a->id = e.id;
  return a;
}
constexpr Micros kZkRetryDelay = 100 * kMicrosPerMs;
constexpr int kZkRetries = 600;
constexpr Micros kResendBackoff = 100 * kMicrosPerMs;
}  // namespace

Controller::Controller(Broker& broker, zk::Client& zk)
    : broker_(broker), zk_(zk), partitions_(broker.catalog().all()) {}

// ---------------------------------------------------------------------------------------------------
// The event queue.

void Controller::put(std::string name, std::function<void(Done)> run) {
  queue_.push_back(Event{std::move(name), std::move(run)});
  process_next();
}

void Controller::process_next() {
  if (processing_ || queue_.empty()) return;
  Event event = std::move(queue_.front());
  queue_.pop_front();
  processing_ = true;
  const std::uint64_t seq = ++event_seq_;
  event.run([this, seq] {
    if (seq != event_seq_ || !processing_) return;
    processing_ = false;
    broker_.after(0, [this] { process_next(); });
  });
}

// ---------------------------------------------------------------------------------------------------
// Election.

void Controller::startup() { elect(); }

void Controller::elect() {
  // registerZNodeChangeHandlerAndCheckExistence(controllerChangeHandler), then getControllerId.
  const std::uint64_t gen = generation_;
  zk_.exists("/controller", [this, gen](zk::WatchType, const std::string&) {
                 if (gen == generation_) on_controller_change();
               },
             [this, gen](zk::Error e, const zk::ZkResponse* r) {
               if (gen != generation_) return;
               if (e != zk::Error::Ok) return retry_later();
               if (!r->exists) read_epoch_then_elect();
               else check_controller_and_epoch();  // someone is controller: perhaps us (a lost reply)
             });
}

void Controller::retry_later() {
  const std::uint64_t gen = generation_;
  broker_.after(kMicrosPerSecond, [this, gen] {
    if (gen == generation_ && !active_) elect();
  });
}

void Controller::check_controller_and_epoch() {
  // KafkaZkClient.checkControllerAndEpoch: our own multi may have succeeded with its reply lost; then
  // /controller names us and /controller_epoch holds the epoch we wrote.
  const std::uint64_t gen = generation_;
  zk_.get_data("/controller", nullptr, [this, gen](zk::Error e, const zk::ZkResponse* r) {
    if (gen != generation_ || active_) return;
    if (e == zk::Error::NoNode) return elect();
    if (e != zk::Error::Ok) return retry_later();
    if (controller_id_of(r->data) != broker_.broker_id() || r->stat.ephemeral_owner != zk_.session()) return;
    zk_.get_data("/controller_epoch", nullptr, [this, gen](zk::Error e2, const zk::ZkResponse* r2) {
      if (gen != generation_ || active_) return;
      if (e2 != zk::Error::Ok) return retry_later();
      become_controller(parse_int(r2->data, 0), r2->stat.version, r2->stat.mzxid);
    });
  });
}

void Controller::on_controller_change() {
  // Reelect: maybeResign, then elect (the watch was one-shot; elect sets it again).
  zk_.get_data("/controller", nullptr, [this](zk::Error e, const zk::ZkResponse* r) {
    if (active_ && (e == zk::Error::NoNode || (e == zk::Error::Ok && controller_id_of(r->data) != broker_.broker_id())))
      resign();
    if (e == zk::Error::Ok || e == zk::Error::NoNode) elect();
  });
}

void Controller::read_epoch_then_elect() {
  const std::uint64_t gen = generation_;
  zk_.get_data("/controller_epoch", nullptr, [this, gen](zk::Error e, const zk::ZkResponse* r) {
    if (gen != generation_) return;
    if (e == zk::Error::Ok) {
      try_elect(parse_int(r->data, 0), r->stat.version);
    } else if (e != zk::Error::NoNode) {
      retry_later();
    } else {
      // maybeCreateControllerEpochZNode: the first controller of the cluster starts from epoch 0.
      zk_.create("/controller_epoch", "0", zk::CreateMode::Persistent, [this, gen](zk::Error e2, const zk::ZkResponse*) {
        if (gen != generation_) return;
        if (e2 == zk::Error::Ok) try_elect(0, 0);
        else if (e2 == zk::Error::NodeExists) read_epoch_then_elect();
        else retry_later();
      });
    }
  });
}

void Controller::try_elect(std::int64_t epoch, std::int32_t epoch_version) {
  const std::uint64_t gen = generation_;
  const std::int64_t next = epoch + 1;
  std::vector<zk::Op> ops = {
      zk::Op{zk::Op::Kind::Create, "/controller",
             fmt::format(R"({{"version":1,"brokerid":{},"timestamp":"{}"}})", broker_.broker_id(), broker_.now() / 1000),
             -1, zk::CreateMode::Ephemeral},
      zk::Op{zk::Op::Kind::SetData, "/controller_epoch", std::to_string(next), epoch_version, zk::CreateMode::Persistent}};
  zk_.multi(ops, [this, gen, next](zk::Error e, const zk::ZkResponse* r) {
    if (gen != generation_) return;
    if (e == zk::Error::Ok) {
      become_controller(next, r->results[1].stat.version, r->zxid);
      return;
    }
    // NODEEXISTS or BADVERSION: someone else won (ControllerMovedException); watch it again. A lost
    // reply is checked the same way: elect() finds out whether /controller names us.
    elect();
  });
}

void Controller::become_controller(std::int64_t epoch, std::int32_t epoch_version, std::int64_t zxid) {
  active_ = true;
  epoch_ = epoch;
  epoch_zk_version_ = epoch_version;
  // zxid: where the election sits in ZooKeeper's order (a paused winner may record it much later).
  broker_.record("controller-elected",
                 {{"broker", std::int64_t{broker_.broker_id()}}, {"controller_epoch", epoch}, {"zxid", zxid}});
  put("ControllerFailover", [this](Done done) { on_failover(std::move(done)); });
}

void Controller::resign() {
  // onControllerResignation; events still queued find the controller inactive and do nothing.
  queue_.clear();
  processing_ = false;
  ++event_seq_;
  if (!active_) return;
  active_ = false;
  ++generation_;
  live_brokers_.clear();
  broker_epochs_.clear();
  shutting_down_.clear();
  states_.clear();
  broker_.record("controller-resigned", {{"broker", std::int64_t{broker_.broker_id()}}, {"controller_epoch", epoch_}});
}

void Controller::session_expired(std::function<void()> then) {
  if (broker_.world().scenario().design.on("expire-clears-controller-queue")) {
    // The 1.1 controller (KafkaController.expire): clearAndPut(Expire); nothing queued runs after the
    // session is gone (what was already deferred behind a pause still runs: it is not in the queue yet).
    resign();
    ++generation_;  // nothing of the old session's election goes on
    then();
    return;
  }
  // Before it: Expire waits behind whatever was queued, and those events run on the new session.
  put("Expire", [this, then](Done done) {
    resign();
    ++generation_;
    then();
    done();
  });
}

// ---------------------------------------------------------------------------------------------------
// ZooKeeper access.

void Controller::zk_retry(std::function<void(std::function<void(zk::Error, const zk::ZkResponse*)>)> call,
                          std::function<void(zk::Error, const zk::ZkResponse*)> done, int attempt) {
  const std::uint64_t gen = generation_;
  call([this, gen, call, done, attempt](zk::Error e, const zk::ZkResponse* r) {
    if (gen != generation_) return;  // that tenure is over
    if ((e == zk::Error::ConnectionLoss || e == zk::Error::SessionExpired) && attempt < kZkRetries) {
      broker_.after(kZkRetryDelay, [this, gen, call, done, attempt] {
        if (gen == generation_) zk_retry(call, done, attempt + 1);
      });
      return;
    }
    done(e, r);
  });
}

void Controller::write(std::vector<zk::Op> ops, std::function<void(zk::Error, const zk::ZkResponse*)> done) {
  const bool checked = broker_.world().scenario().design.on("controller-epoch-check");
  if (checked) ops.insert(ops.begin(), zk::Op{zk::Op::Kind::Check, "/controller_epoch", "", epoch_zk_version_});
  std::vector<std::string> paths;
  for (const auto& op : ops)
    if (op.kind != zk::Op::Kind::Check) paths.push_back(op.path);
  zk_retry([this, ops](auto cb) { zk_.multi(ops, cb); },
           [this, checked, paths, done](zk::Error e, const zk::ZkResponse* r) {
             if (checked && e != zk::Error::Ok && r != nullptr && !r->results.empty() &&
                 r->results[0].error == zk::Error::BadVersion) {
               // ControllerMovedException: a newer controller exists.
               resign();
               return;
             }
             if (e == zk::Error::Ok)
               for (const auto& path : paths)
                 broker_.record("controller-zk-write", {{"broker", std::int64_t{broker_.broker_id()}},
                                                        {"controller_epoch", epoch_},
                                                        {"path", path},
                                                        {"zxid", r->zxid}});
             done(e, r);
           });
}

void Controller::read_live_brokers(std::function<void(std::map<int, std::int64_t>)> then) {
  // BrokerChange: the children of /brokers/ids are the live brokers; each registration's czxid is that
  // broker's epoch (getAllBrokerAndEpochsInCluster). The watch is set again on every read.
  const std::uint64_t gen = generation_;
  zk_retry(
      [this, gen](auto cb) {
        zk_.get_children("/brokers/ids",
                         [this, gen](zk::WatchType, const std::string&) {
                           if (gen == generation_ && active_)
                             put("BrokerChange", [this](Done done) { on_broker_change(std::move(done)); });
                         },
                         cb);
      },
      [this, then](zk::Error e, const zk::ZkResponse* r) {
        std::vector<std::string> ids = e == zk::Error::Ok ? r->children : std::vector<std::string>{};
        auto epochs = std::make_shared<std::map<int, std::int64_t>>();
        auto left = std::make_shared<std::size_t>(ids.size());
        if (ids.empty()) return then(*epochs);
        for (const auto& id : ids) {
          const int broker = static_cast<int>(parse_int(id, -1));
          zk_retry([this, id](auto cb) { zk_.exists("/brokers/ids/" + id, nullptr, cb); },
                   [epochs, left, broker, then](zk::Error e2, const zk::ZkResponse* r2) {
                     if (e2 == zk::Error::Ok && r2->exists) (*epochs)[broker] = r2->stat.czxid;
                     if (--*left == 0) then(*epochs);
                   });
        }
      });
}

// ---------------------------------------------------------------------------------------------------
// Events.

void Controller::on_failover(Done done) {
  // onControllerFailover: read the cluster, create what the admin asked for, elect leaders for the
  // partitions whose leader is not live, and tell every broker. Replicas on brokers that were already
  // dead: before 2.3 they stay in their ISRs (ReplicaStateMachine.startup only marks them ineligible);
  // since KAFKA-3143 (2.3) startup moves them to OfflineReplica, which removes them from every ISR.
  read_live_brokers([this, done](std::map<int, std::int64_t> brokers) {
    broker_epochs_ = brokers;
    live_brokers_.clear();
    for (const auto& [b, e] : brokers) live_brokers_.insert(b);
    send_update_metadata(live_brokers_);
    create_topics(0, [this, done] {
      read_states([this, done] {
        std::vector<std::string> all;
        for (const auto& p : partitions_) all.push_back(p.name);
        auto finish = [this, done, all] {
          send_leader_and_isr(live_brokers_, all);
          send_update_metadata(live_brokers_);
          done();
        };
        if (!broker_.world().scenario().design.on("failover-removes-dead-replicas"))
          return elect_offline(all, finish);
        std::set<int> dead;
        for (const auto& [name, cached] : states_)
          for (int b : cached.state.isr)
            if (live_brokers_.count(b) == 0) dead.insert(b);
        if (dead.empty()) return elect_offline(all, finish);
        on_brokers_dead(dead, finish);  // elects the offline partitions first, then shrinks the ISRs
      });
    });
  });
}

void Controller::on_broker_change(Done done) {
  if (!active_) return done();
  read_live_brokers([this, done](std::map<int, std::int64_t> now) {
    std::set<int> dead, fresh;
    for (const auto& [b, e] : broker_epochs_)
      if (now.count(b) == 0) dead.insert(b);
    for (const auto& [b, e] : now) {
      if (broker_epochs_.count(b) == 0) fresh.insert(b);
      else if (broker_.world().scenario().design.on("broker-epoch") && broker_epochs_[b] != e) {
        // KIP-380: a broker that re-registered between two reads bounced: it is handled as dead and new.
        dead.insert(b);
        fresh.insert(b);
      }
    }
    broker_epochs_ = now;
    live_brokers_.clear();
    for (const auto& [b, e] : now)
      if (dead.count(b) == 0) live_brokers_.insert(b);
    on_brokers_dead(dead, [this, done, fresh] {
      for (int b : fresh) live_brokers_.insert(b);
      on_brokers_new(fresh, [this, done] { create_topics(0, done); });
    });
  });
}

void Controller::create_topics(std::size_t next, Done done) {
  // The scenario's topics are created as an admin would, once every broker they are assigned to has
  // registered: /brokers/topics/<t> with the assignment, then each partition New -> Online (leader = first
  // assigned replica, ISR = the assignment).
  const auto& topics = broker_.world().scenario().topics;
  if (next >= topics.size()) return done();
  const TopicSpec& topic = topics[next];
  for (const auto& replicas : topic.assignment)
    for (int b : replicas)
      if (live_brokers_.count(b) == 0) return create_topics(next + 1, done);
  const std::string path = "/brokers/topics/" + topic.name;
  zk_retry([this, path](auto cb) { zk_.exists(path, nullptr, cb); },
           [this, next, done, &topic, path](zk::Error e, const zk::ZkResponse* r) {
             if (e != zk::Error::Ok || r->exists) return create_topics(next + 1, done);
             nlohmann::json assignment = nlohmann::json::object();
             for (int i = 0; i < topic.partitions; ++i) assignment[std::to_string(i)] = topic.assignment[i];
             std::vector<zk::Op> ops = {
                 {zk::Op::Kind::Create, path, nlohmann::json({{"version", 1}, {"partitions", assignment}}).dump()},
                 {zk::Op::Kind::Create, path + "/partitions", ""}};
             std::vector<std::pair<std::string, LeaderIsr>> created;
             for (int i = 0; i < topic.partitions; ++i) {
               LeaderIsr s{topic.assignment[i].front(), 0, topic.assignment[i], epoch_};
               ops.push_back({zk::Op::Kind::Create, fmt::format("{}/partitions/{}", path, i), ""});
               ops.push_back({zk::Op::Kind::Create, fmt::format("{}/partitions/{}/state", path, i), encode_leader_isr(s)});
               created.emplace_back(partition_name(topic.name, i), s);
             }
             write(ops, [this, next, done, created](zk::Error e2, const zk::ZkResponse*) {
               if (e2 == zk::Error::Ok) {
                 std::vector<std::string> names;
                 for (const auto& [name, s] : created) {
                   states_[name] = CachedState{s, 0};
                   names.push_back(name);
                   record_leader_elected(name, s, true);
                 }
                 send_leader_and_isr(live_brokers_, names);
                 send_update_metadata(live_brokers_);
               }
               create_topics(next + 1, done);
             });
           });
}

void Controller::read_states(Done done) {
  // KafkaZkClient.getTopicPartitionStates: every getData is sent at once (pipelined on the session's
  // connection) and the step is done when every answer came.
  if (partitions_.empty()) return done();
  auto remaining = std::make_shared<std::size_t>(partitions_.size());
  for (const PartitionInfo& p : partitions_)
    zk_retry([this, &p](auto cb) { zk_.get_data(partition_state_path(p), nullptr, cb); },
             [this, remaining, done, &p](zk::Error e, const zk::ZkResponse* r) {
               LeaderIsr s;
               if (e == zk::Error::Ok && decode_leader_isr(r->data, s)) states_[p.name] = CachedState{s, r->stat.version};
               if (--*remaining == 0) done();
             });
}

void Controller::for_each(std::vector<std::string> partitions, std::function<void(const std::string&, Done)> fn,
                          Done done) {
  if (partitions.empty()) return done();
  const std::string first = partitions.front();
  partitions.erase(partitions.begin());
  fn(first, [this, partitions = std::move(partitions), fn, done]() mutable { for_each(std::move(partitions), fn, done); });
}

void Controller::change_state(const std::string& partition, Decide decide, Written written, Done done, int attempt) {
  const PartitionInfo* p = info(partition);
  if (p == nullptr || !active_) return done();
  const std::string path = partition_state_path(*p);
  zk_retry([this, path](auto cb) { zk_.get_data(path, nullptr, cb); },
           [=, this](zk::Error e, const zk::ZkResponse* r) {
             LeaderIsr current;
             if (e != zk::Error::Ok || !decode_leader_isr(r->data, current)) return done();
             const std::int32_t version = r->stat.version;
             states_[partition] = CachedState{current, version};
             // "the leaderAndIsr path was already written by another controller": a newer controller has
             // taken over; this one must not overwrite it.
             if (current.controller_epoch > epoch_) return done();
             std::optional<LeaderIsr> next = decide(current);
             if (!next) return done();
             next->controller_epoch = epoch_;
             const LeaderIsr state = *next;
             write({zk::Op{zk::Op::Kind::SetData, path, encode_leader_isr(state), version}},
                   [=, this](zk::Error e2, const zk::ZkResponse* r2) {
                     if (e2 == zk::Error::Ok) {
                       states_[partition] = CachedState{state, r2->results.back().stat.version};
                       written(partition, state);
                       return done();
                     }
                     if (e2 == zk::Error::BadVersion && attempt < 3)
                       return change_state(partition, decide, written, done, attempt + 1);
                     done();
                   });
           });
}

void Controller::elect_offline(std::vector<std::string> partitions, Done done) {
  // OfflinePartition -> OnlinePartition for partitions whose leader is not live.
  std::vector<std::string> offline;
  for (const auto& name : partitions) {
    auto it = states_.find(name);
    if (it != states_.end() && live_brokers_.count(it->second.state.leader) == 0) offline.push_back(name);
  }
  auto changed = std::make_shared<std::vector<std::string>>();
  for_each(
      offline,
      [this, changed](const std::string& name, Done next) {
        auto clean = std::make_shared<bool>(true);
        const PartitionInfo* p = info(name);
        change_state(
            name,
            [this, p, clean](const LeaderIsr& cur) -> std::optional<LeaderIsr> {
              // No check that the leader is still offline: PartitionStateMachine elects every partition it
              // was given, also on a retry after BADVERSION, when the version it missed may be its own write
              // whose reply a lost connection took (the retry then elects again, one epoch later, and the
              // LeaderAndIsr goes out; skipping it left the new leader without one).
              LeaderIsr next = cur;
              next.leader_epoch = cur.leader_epoch + 1;
              // offlinePartitionLeaderElection: the first live ISR member in assignment order.
              for (int b : p->replicas)
                if (live_brokers_.count(b) > 0 && contains(cur.isr, b)) {
                  next.leader = b;
                  next.isr.clear();
                  for (int i : cur.isr)
                    if (live_brokers_.count(i) > 0) next.isr.push_back(i);
                  return next;
                }
              if (!unclean_enabled()) return std::nullopt;  // stays offline until an ISR member returns
              for (int b : p->replicas)
                if (live_brokers_.count(b) > 0) {
                  *clean = false;
                  next.leader = b;
                  next.isr = {b};
                  return next;
                }
              return std::nullopt;
            },
            [this, changed, clean](const std::string& n, const LeaderIsr& s) {
              changed->push_back(n);
              record_leader_elected(n, s, *clean);
            },
            next);
      },
      [this, changed, done] {
        if (!changed->empty()) {
          send_leader_and_isr(live_brokers_, *changed);
          send_update_metadata(live_brokers_);
        }
        done();
      });
}

void Controller::on_brokers_dead(const std::set<int>& dead, Done done) {
  // onBrokerFailure: partitions they led go offline and get new leaders; then their replicas go
  // OfflineReplica: removed from every ISR (leader epoch + 1), except that an ISR of exactly that
  // replica stays, with no leader (LeaderAndIsr.NoLeader).
  if (dead.empty()) return done();
  for (int b : dead) {
    shutting_down_.erase(b);
    ++channel_generation_[b];  // removeBroker: its queue and the request in flight go
  }
  std::vector<std::string> all;
  for (const auto& p : partitions_) all.push_back(p.name);
  elect_offline(all, [this, dead, all, done] {
    std::vector<std::string> touched;
    for (const auto& name : all) {
      auto it = states_.find(name);
      if (it == states_.end()) continue;
      bool hit = false;
      for (int b : dead) hit |= contains(it->second.state.isr, b) || it->second.state.leader == b;
      if (hit) touched.push_back(name);
    }
    auto changed = std::make_shared<std::vector<std::string>>();
    for_each(
        touched,
        [this, dead, changed](const std::string& name, Done next) {
          change_state(
              name,
              [dead](const LeaderIsr& cur) -> std::optional<LeaderIsr> {
                LeaderIsr n = cur;
                if (dead.count(cur.leader) > 0) n.leader = kNoLeader;
                std::vector<int> isr;
                for (int i : cur.isr)
                  if (dead.count(i) == 0) isr.push_back(i);
                if (!isr.empty()) n.isr = isr;  // the last replica standing keeps its place
                if (n.leader == cur.leader && n.isr == cur.isr) return std::nullopt;
                n.leader_epoch = cur.leader_epoch + 1;
                return n;
              },
              [this, changed](const std::string& n, const LeaderIsr& s) {
                changed->push_back(n);
                record_isr_changed(n, s, "controller");
              },
              next);
        },
        [this, changed, done] {
          send_leader_and_isr(live_brokers_, *changed);
          send_update_metadata(live_brokers_);
          done();
        });
  });
}

void Controller::on_brokers_new(const std::set<int>& fresh, Done done) {
  // onBrokerStartup: metadata to everyone, the current state of its partitions to the new broker
  // (read again from ZooKeeper: leaders may have changed ISRs there), then elect offline partitions.
  if (fresh.empty()) return done();
  send_update_metadata(live_brokers_);
  read_states([this, fresh, done] {
    std::vector<std::string> all;
    for (const auto& p : partitions_) all.push_back(p.name);
    send_leader_and_isr(fresh, all);
    elect_offline(all, done);
  });
}

void Controller::elect_preferred(const std::string& partition) {
  put("PreferredReplicaLeaderElection", [this, partition](Done done) {
    if (!active_) return done();
    std::vector<std::string> names;
    for (const auto& p : partitions_)
      if (partition == "all" || p.name == partition) names.push_back(p.name);
    auto changed = std::make_shared<std::vector<std::string>>();
    for_each(
        names,
        [this, changed](const std::string& name, Done next) {
          const PartitionInfo* p = info(name);
          change_state(
              name,
              [this, p](const LeaderIsr& cur) -> std::optional<LeaderIsr> {
                const int preferred = p->replicas.front();
                if (cur.leader == preferred || live_brokers_.count(preferred) == 0 || !contains(cur.isr, preferred) ||
                    shutting_down_.count(preferred) > 0)
                  return std::nullopt;
                LeaderIsr n = cur;
                n.leader = preferred;
                n.leader_epoch = cur.leader_epoch + 1;
                return n;
              },
              [this, changed](const std::string& n, const LeaderIsr& s) {
                changed->push_back(n);
                record_leader_elected(n, s, true);
              },
              next);
        },
        [this, changed, done] {
          send_leader_and_isr(live_brokers_, *changed);
          send_update_metadata(live_brokers_);
          done();
        });
  });
}

void Controller::on_controlled_shutdown(const sim::Envelope& e, const ControlledShutdownRequest& r) {
  if (!active_) {
    auto resp = std::make_unique<ControlledShutdownResponse>();
    resp->error = "NOT_CONTROLLER";
    broker_.reply(e, std::move(resp));
    return;
  }
  const int broker = r.broker;
  put("ControlledShutdown", [this, broker, address = reply_address(e)](Done done) {
    // doControlledShutdown: leadership moves to a live ISR member not shutting down; as a follower the
    // broker leaves the ISR.
    shutting_down_.insert(broker);
    // Only replicated partitions: an RF 1 partition has nowhere to go and does not hold the shutdown up.
    std::vector<std::string> names;
    for (const auto& [name, s] : states_) {
      const PartitionInfo* p = info(name);
      if (p != nullptr && p->replicas.size() > 1 && (contains(s.state.isr, broker) || s.state.leader == broker))
        names.push_back(name);
    }
    // partitionsFollowedByBroker, split off before any leader moves: only these go OfflineReplica
    // (StopReplica). A partition whose leadership moves away now keeps its replica fetching from the new
    // leader; stopping it too would leave the returning broker's replica idle under an unchanged leader.
    std::vector<std::string> followed;
    for (const auto& [name, s] : states_) {
      const PartitionInfo* p = info(name);
      if (p != nullptr && p->replicas.size() > 1 && contains(p->replicas, broker) && s.state.leader != broker)
        followed.push_back(name);
    }
    auto changed = std::make_shared<std::vector<std::string>>();
    for_each(
        names,
        [this, broker, changed](const std::string& name, Done next) {
          const PartitionInfo* p = info(name);
          auto moved = std::make_shared<bool>(false);
          change_state(
              name,
              [this, p, broker, moved](const LeaderIsr& cur) -> std::optional<LeaderIsr> {
                LeaderIsr n = cur;
                if (cur.leader == broker) {
                  for (int b : p->replicas)
                    if (b != broker && live_brokers_.count(b) > 0 && shutting_down_.count(b) == 0 && contains(cur.isr, b)) {
                      n.leader = b;
                      break;
                    }
                  if (n.leader == broker) return std::nullopt;  // nowhere to go: it stays until the broker stops
                  *moved = true;
                }
                if (cur.isr.size() > 1) std::erase(n.isr, broker);
                if (n == cur) return std::nullopt;
                n.leader_epoch = cur.leader_epoch + 1;
                return n;
              },
              [this, changed, moved](const std::string& n, const LeaderIsr& s) {
                changed->push_back(n);
                if (*moved)
                  record_leader_elected(n, s, true);
                else
                  record_isr_changed(n, s, "controller");
              },
              next);
        },
        [this, broker, changed, address, done, followed = std::move(followed)] {
          send_leader_and_isr(live_brokers_, *changed);
          send_update_metadata(live_brokers_);
          // The partitions it only followed go OfflineReplica: StopReplica (deletePartitions=false).
          send_stop_replica(broker, followed);
          auto resp = std::make_unique<ControlledShutdownResponse>();
          for (const auto& [name, s] : states_) {
            const PartitionInfo* p = info(name);
            if (s.state.leader == broker && p != nullptr && p->replicas.size() > 1) resp->partitions_remaining.push_back(name);
          }
          broker_.reply(*address, std::move(resp));
          done();
        });
  });
}

void Controller::on_alter_partition(const sim::Envelope& e, const AlterPartitionRequest& r) {
  if (!active_) {
    auto resp = std::make_unique<AlterPartitionResponse>();
    resp->error = "NOT_CONTROLLER";
    resp->partition = r.partition;
    broker_.reply(e, std::move(resp));
    return;
  }
  put("AlterPartition", [this, request = r, address = reply_address(e)](Done done) {
    auto resp = std::make_shared<AlterPartitionResponse>();
    resp->partition = request.partition;
    auto answer = [this, resp, address, done] {
      auto out = std::make_unique<AlterPartitionResponse>(*resp);
      broker_.reply(*address, std::move(out));
      done();
    };
    if (!active_) {
      resp->error = "NOT_CONTROLLER";
      return answer();
    }
    if (broker_.world().scenario().design.on("broker-epoch") && broker_epochs_.count(request.broker) > 0 &&
        request.broker_epoch < broker_epochs_[request.broker]) {
      resp->error = "STALE_BROKER_EPOCH";
      return answer();
    }
    resp->error = "UNKNOWN";
    change_state(
        request.partition,
        [this, request, resp](const LeaderIsr& cur) -> std::optional<LeaderIsr> {
          const auto& cached = states_[request.partition];
          resp->state = cur;
          resp->partition_epoch = cached.version;
          if (cur.leader != request.broker || cur.leader_epoch != request.leader_epoch) {
            resp->error = "FENCED_LEADER_EPOCH";
            return std::nullopt;
          }
          // "If a partition is already in the desired state, just return it": checked before the partition
          // epoch, so a leader whose earlier response was lost learns that its change was made.
          if (cur.isr == request.new_isr) {
            resp->error = "";
            return std::nullopt;
          }
          if (cached.version != request.partition_epoch) {
            resp->error = "INVALID_UPDATE_VERSION";
            return std::nullopt;
          }
          // KIP-841 (3.3): an ISR naming a broker that is not live (or is shutting down) is refused.
          if (broker_.world().scenario().design.on("isr-requires-live-broker"))
            for (int b : request.new_isr)
              if (!live_brokers_.count(b) || shutting_down_.count(b)) {
                resp->error = "INELIGIBLE_REPLICA";
                return std::nullopt;
              }
          resp->error = "";
          LeaderIsr n = cur;
          n.isr = request.new_isr;
          return n;
        },
        [this, resp](const std::string& n, const LeaderIsr& s) {
          resp->error = "";
          resp->state = s;
          resp->partition_epoch = states_[n].version;
          record_isr_changed(n, s, "leader");
          send_update_metadata(live_brokers_);
        },
        answer);
  });
}

// ---------------------------------------------------------------------------------------------------
// History and requests to brokers.

void Controller::record_leader_elected(const std::string& partition, const LeaderIsr& s, bool clean) {
  broker_.record("leader-elected", {{"partition", partition},
                                    {"leader", std::int64_t{s.leader}},
                                    {"leader_epoch", s.leader_epoch},
                                    {"isr", to_int64s(s.isr)},
                                    {"clean", clean},
                                    {"controller_epoch", epoch_}});
}

void Controller::record_isr_changed(const std::string& partition, const LeaderIsr& s, const char* by) {
  broker_.record("isr-changed", {{"partition", partition},
                                 {"isr", to_int64s(s.isr)},
                                 {"leader_epoch", s.leader_epoch},
                                 {"by", std::string(by)},
                                 {"leader", std::int64_t{s.leader}}});
}

const PartitionInfo* Controller::info(const std::string& partition) const { return broker_.catalog().find(partition); }

bool Controller::unclean_enabled() const {
  return broker_.world().scenario().config.boolean("unclean.leader.election.enable");
}

PartitionStateData Controller::state_data(const std::string& partition) const {
  PartitionStateData d;
  d.partition = partition;
  auto it = states_.find(partition);
  if (it != states_.end()) {
    d.state = it->second.state;
    d.partition_epoch = it->second.version;
  }
  if (const PartitionInfo* p = info(partition)) d.replicas = p->replicas;
  return d;
}

namespace {
// ControllerChannelManager's RequestSendThread: a request is sent again until it is answered, as long
// as the controller is in office and the broker registered under the same epoch.
struct Resender {
  static void send(Broker& from, int to_node, std::shared_ptr<ControlRequest> request, Micros timeout,
                   std::function<bool()> still_wanted) {
    auto copy = std::unique_ptr<sim::Message>(nullptr);
    if (auto* l = dynamic_cast<LeaderAndIsr*>(request.get())) copy = std::make_unique<LeaderAndIsr>(*l);
    else if (auto* u = dynamic_cast<UpdateMetadata*>(request.get())) copy = std::make_unique<UpdateMetadata>(*u);
    else if (auto* st = dynamic_cast<StopReplica*>(request.get())) copy = std::make_unique<StopReplica>(*st);
    else return;
    from.request(to_node, std::move(copy), timeout,
                 [&from, to_node, request, timeout, still_wanted](sim::Failure f, const sim::Message*) {
                   if (f == sim::Failure::None) return;
                   from.after(kResendBackoff, [&from, to_node, request, timeout, still_wanted] {
                     if (still_wanted()) send(from, to_node, request, timeout, still_wanted);
                   });
                 });
  }
};
}  // namespace

std::function<bool()> Controller::channel_open(int b) {
  // RequestSendThread sends a request again until it is answered, for as long as this controller is in
  // office and has not removed the broker's channel. The broker epoch plays no part here: a request
  // queued for an earlier registration reaches the new one, which refuses it with STALE_BROKER_EPOCH
  // where the design has broker epochs (KIP-380) and applies it where it does not.
  const std::uint64_t gen = generation_;
  const std::uint64_t channel = channel_generation_[b];
  return [this, gen, b, channel] { return gen == generation_ && active_ && channel_generation_[b] == channel; };
}

void Controller::send_leader_and_isr(const std::set<int>& brokers, const std::vector<std::string>& partitions) {
  const Micros timeout = from_ms(broker_.world().scenario().config.integer("controller.socket.timeout.ms"));
  for (int b : brokers) {
    if (live_brokers_.count(b) == 0) continue;
    auto request = std::make_shared<LeaderAndIsr>();
    for (const auto& name : partitions) {
      const PartitionInfo* p = info(name);
      if (p != nullptr && contains(p->replicas, b) && states_.count(name) > 0) request->partitions.push_back(state_data(name));
    }
    if (request->partitions.empty()) continue;
    request->controller_id = broker_.broker_id();
    request->controller_epoch = epoch_;
    request->broker_epoch = broker_epochs_.count(b) > 0 ? broker_epochs_[b] : -1;
    request->sent_at = broker_.now();
    Resender::send(broker_, broker_.world().broker_node(b), request, timeout, channel_open(b));
  }
}

void Controller::send_stop_replica(int b, const std::vector<std::string>& partitions) {
  if (partitions.empty() || live_brokers_.count(b) == 0) return;
  const Micros timeout = from_ms(broker_.world().scenario().config.integer("controller.socket.timeout.ms"));
  auto request = std::make_shared<StopReplica>();
  request->partitions = partitions;
  request->controller_id = broker_.broker_id();
  request->controller_epoch = epoch_;
  request->broker_epoch = broker_epochs_.count(b) > 0 ? broker_epochs_[b] : -1;
  request->sent_at = broker_.now();
  Resender::send(broker_, broker_.world().broker_node(b), request, timeout, channel_open(b));
}

void Controller::send_update_metadata(const std::set<int>& brokers) {
  // sendUpdateMetadataRequest: every partition's state and the live brokers, to every live broker.
  const Micros timeout = from_ms(broker_.world().scenario().config.integer("controller.socket.timeout.ms"));
  for (int b : brokers) {
    auto request = std::make_shared<UpdateMetadata>();
    request->controller_id = broker_.broker_id();
    request->controller_epoch = epoch_;
    request->broker_epoch = broker_epochs_.count(b) > 0 ? broker_epochs_[b] : -1;
    request->sent_at = broker_.now();
    request->live_brokers = live_brokers_;
    for (const auto& [name, s] : states_) request->partitions.push_back(state_data(name));
    Resender::send(broker_, broker_.world().broker_node(b), request, timeout, channel_open(b));
  }
}

}  // namespace kafkasim::models
