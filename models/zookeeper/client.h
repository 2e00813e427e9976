// The ZooKeeper client a broker holds: it opens a session, pings at a third of the session timeout,
// notices it is cut off (Disconnected) when the server is silent for two thirds of it, reconnects,
// learns on reconnecting that the session expired (Expired: the owner must start a new one), and
// turns watch notifications into one-shot callbacks.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "models/zookeeper/protocol.h"
#include "sim/node.h"

namespace kafkasim::models::zk {

class Client {
 public:
  // Closed: the owner closed the session (ZooKeeper's CLOSED); the client is done, as after close().
  enum class State { Connecting, Connected, Disconnected, Expired, Closed };
  using StateHandler = std::function<void(State, SessionId)>;
  using ResponseHandler = std::function<void(Error, const ZkResponse*)>;  // nullptr unless Ok-ish
  using WatchHandler = std::function<void(WatchType, const std::string& path)>;

  Client(sim::Node& owner, int server_node, Micros session_timeout, StateHandler on_state);

  // Opens a new session (after Expired, or the first time).
  void start_session();
  // Connects to an existing session by its id, as a second handle made with another handle's session id
  // and password does (the ZooKeeper tests' way to expire a session: connect with it, then close it).
  void resume_session(SessionId session);
  // ZooKeeper's default watcher: a read given `default_watch()` leaves a watch that calls `watcher`, once
  // per event however many reads left it (the client's watch sets hold each watcher once).
  void set_default_watcher(WatchHandler watcher) { default_watcher_ = std::move(watcher); }
  static WatchHandler default_watch() { return DefaultWatch{}; }
  State state() const { return state_; }
  SessionId session() const { return session_; }

  // Operations. Without a connection they fail with ConnectionLoss, as the real client does.
  void create(const std::string& path, const std::string& data, CreateMode mode, ResponseHandler done);
  void remove(const std::string& path, std::int32_t version, ResponseHandler done);
  void set_data(const std::string& path, const std::string& data, std::int32_t version, ResponseHandler done);
  void exists(const std::string& path, WatchHandler watch, ResponseHandler done);  // watch may be empty
  void get_data(const std::string& path, WatchHandler watch, ResponseHandler done);
  void get_children(const std::string& path, WatchHandler watch, ResponseHandler done);
  void multi(const std::vector<Op>& ops, ResponseHandler done);
  // Closes the session (its ephemeral nodes go at once); `done` runs when the server answered or the
  // connection is gone. The client is Closed from then on: no pings, no reconnects.
  void close_session(std::function<void()> done);
  // The server closed the connection on `channel`: if it is the current one, reconnect (and learn whether
  // the session still exists); an older connection's close is old news.
  void connection_closed(std::uint32_t channel) {
    if (channel == this->channel()) lost_connection();
  }
  // The channel of the current connection (see ZkMessage).
  std::uint32_t channel() const { return sim::channel::kZooKeeper + static_cast<std::uint32_t>(connection_); }
  int server_node() const { return server_; }

  // The owner forwards ZkWatch messages here.
  void on_watch(const ZkWatch& w);

 private:
  enum class WatchKind { Data, Exist, Child };
  struct DefaultWatch {  // marks a registration for the default watcher
    void operator()(WatchType, const std::string&) const {}
  };
  void connect();
  void send_op(std::unique_ptr<ZkRequest> r, ResponseHandler done);
  // A read that may leave a watch; which kind of watch depends on the answer (exists).
  void read(ZkRequest::Kind kind, const std::string& path, WatchHandler w,
            std::function<WatchKind(const ZkResponse&)> watch_kind, ResponseHandler done);
  void watch(WatchKind kind, const std::string& path, WatchHandler handler);
  void ping();
  void lost_connection();
  void set_state(State s);
  Micros request_timeout() const { return session_timeout_ * 2 / 3; }

  sim::Node& owner_;
  int server_;
  Micros session_timeout_;
  StateHandler on_state_;
  State state_ = State::Connecting;
  SessionId session_ = 0;
  std::int64_t last_zxid_ = 0;
  std::uint64_t connection_ = 0;  // bumped on every (re)connect: pings of an old connection stop
  std::multimap<std::pair<int, std::string>, WatchHandler> watches_;  // (kind, path) -> one-shot callbacks
  std::set<std::pair<int, std::string>> default_watches_;             // (kind, path) for the default watcher
  WatchHandler default_watcher_;
};

const char* state_name(Client::State s);

}  // namespace kafkasim::models::zk
