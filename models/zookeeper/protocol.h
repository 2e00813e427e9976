// The ZooKeeper client protocol as messages on the simulated network: ZkRequest/ZkResponse (every
// operation, including connect and close), ZkWatch (a fired watch) and ZkPing (session heartbeat).
#pragma once

#include <string>
#include <vector>

#include "models/zookeeper/znode_tree.h"
#include "sim/node.h"

namespace kafkasim::models::zk {

struct ZkRequest : sim::Message {
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
  bool retransmitted() const override { return true; }
  std::size_t bytes() const override { return 64 + path.size() + data.size() + ops.size() * 64; }
};

struct ZkResponse : sim::Message {
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
  bool retransmitted() const override { return true; }
  std::size_t bytes() const override { return 64 + data.size() + children.size() * 16 + results.size() * 32; }
};

struct ZkWatch : sim::Message {
  WatchType watch_type = WatchType::NodeCreated;
  std::string path;
  std::string_view type() const override { return "ZkWatch"; }
  bool retransmitted() const override { return true; }
};

struct ZkPing : sim::Message {
  SessionId session = 0;
  bool expired = false;  // the reply: the server no longer knows this session
  std::string_view type() const override { return "ZkPing"; }
  bool retransmitted() const override { return true; }
};

}  // namespace kafkasim::models::zk
