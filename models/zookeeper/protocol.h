// The ZooKeeper client protocol as messages on the simulated network: ZkRequest/ZkResponse (every
// operation, including connect and close), ZkWatch (a fired watch) and ZkPing (session heartbeat).
#pragma once

#include <string>
#include <vector>

#include "models/zookeeper/znode_tree.h"
#include "sim/node.h"

namespace kafkasim::models::zk {

// Every ZooKeeper message travels on one of the client's connections, by its number: a connection that
// the server closes (an expired session, a session moved) is that one, never a later one of the client.
struct ZkMessage : sim::Message {
  std::uint32_t connection = 0;
  std::uint32_t channel() const override { return sim::channel::kZooKeeper + connection; }
};

struct ZkRequest : ZkMessage {
  enum class Kind { Connect, Close, Create, Delete, Exists, GetData, SetData, GetChildren, Multi } kind = Kind::Exists;
  SessionId session = 0;         // Connect: the session to resume (0 = a new one)
  Micros session_timeout = 0;    // Connect
  std::string path;
  std::string data;
  std::int32_t version = -1;
  CreateMode mode = CreateMode::Persistent;
  bool watch = false;
  std::vector<Op> ops;  // Multi
  // Connect resuming a session: the watches the client still waits for and the last zxid it saw, so the
  // server can fire what changed meanwhile (ZooKeeper's SetWatches).
  std::vector<std::string> data_watches, exist_watches, child_watches;
  std::int64_t last_zxid = 0;
  std::string_view type() const override { return "ZkRequest"; }
  std::string describe() const override;
  std::size_t bytes() const override { return 64 + path.size() + data.size() + ops.size() * 64; }
};

struct ZkResponse : ZkMessage {
  Error error = Error::Ok;
  SessionId session = 0;       // Connect
  Micros session_timeout = 0;  // Connect: as negotiated
  OpResult result;             // Create, SetData
  bool exists = false;         // Exists
  Stat stat;                   // Exists, GetData
  std::string data;            // GetData
  std::vector<std::string> children;
  std::vector<OpResult> results;  // Multi
  std::int64_t zxid = 0;          // the server's last zxid when it answered
  std::string_view type() const override { return "ZkResponse"; }
  std::string describe() const override;
  std::size_t bytes() const override { return 64 + data.size() + children.size() * 16 + results.size() * 32; }
};

struct ZkWatch : ZkMessage {
  WatchType watch_type = WatchType::NodeCreated;
  std::string path;
  std::string_view type() const override { return "ZkWatch"; }
  std::string describe() const override;
};

struct ZkPing : ZkMessage {
  SessionId session = 0;
  bool expired = false;  // the reply: the server no longer knows this session
  std::string_view type() const override { return "ZkPing"; }
};

}  // namespace kafkasim::models::zk
