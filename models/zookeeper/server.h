// A ZooKeeper server node: the znode tree, client sessions with their timeouts (a session the server
// has not heard from for its timeout expires, and its ephemeral nodes go), and watch delivery.
#pragma once

#include <map>

#include "models/zookeeper/protocol.h"
#include "sim/node.h"

namespace kafkasim::models::zk {

// What survives the server process (the tree, sessions). ZooKeeper servers are not fault targets in
// version 1, so this only keeps the model honest about where state lives.
struct ServerState : sim::DurableState {
  ZnodeTree tree;
  struct Session {
    int client_node = -1;
    Micros timeout = 0;
    Micros last_heard = 0;
    std::uint32_t connection = 0;          // the client's connection the session is on now
    std::uint32_t client_incarnation = 0;  // of the client process that holds that connection
  };
  std::map<SessionId, Session> sessions;
  SessionId next_session = 0x100;
};

class Server : public sim::Node {
 public:
  Server(sim::World& world, int node, ServerState& state);
  void on_message(const sim::Envelope& envelope) override;
  // The expire-session action: expire the session of `client_node` now; false if it has none.
  bool expire_client_session(int client_node);
  std::optional<SessionId> session_of(int client_node) const;

 private:
  void handle(const sim::Envelope& e, const ZkRequest& r);
  void touch(SessionId s);
  void arm_expiry(SessionId s);
  void expire(SessionId s);
  void deliver_watches();
  void record_session(std::string_view event, SessionId s, int client_node);

  ServerState& state_;
};

}  // namespace kafkasim::models::zk
