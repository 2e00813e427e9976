// The hand-written conformance traces: one per behaviour the controller and broker registration lean on.
#include "zk_conformance/trace.h"

namespace kafkasim::zkconf {

namespace {
Step open(int c) { return Step{.kind = Step::Kind::Open, .client = c}; }
Step create(int c, std::string path, std::string data, zk::CreateMode mode = zk::CreateMode::Persistent) {
  return Step{.kind = Step::Kind::Create, .client = c, .path = std::move(path), .data = std::move(data), .mode = mode};
}
Step remove(int c, std::string path, std::int32_t version = -1) {
  return Step{.kind = Step::Kind::Delete, .client = c, .path = std::move(path), .version = version};
}
Step set(int c, std::string path, std::string data, std::int32_t version = -1) {
  return Step{.kind = Step::Kind::SetData, .client = c, .path = std::move(path), .data = std::move(data), .version = version};
}
Step read(Step::Kind kind, int c, std::string path, bool watch) {
  return Step{.kind = kind, .client = c, .path = std::move(path), .watch = watch};
}
Step exists(int c, std::string path, bool watch = false) { return read(Step::Kind::Exists, c, std::move(path), watch); }
Step get(int c, std::string path, bool watch = false) { return read(Step::Kind::GetData, c, std::move(path), watch); }
Step children(int c, std::string path, bool watch = false) {
  return read(Step::Kind::GetChildren, c, std::move(path), watch);
}
Step multi(int c, std::vector<zk::Op> ops) { return Step{.kind = Step::Kind::Multi, .client = c, .ops = std::move(ops)}; }
Step close(int c) { return Step{.kind = Step::Kind::Close, .client = c}; }
Step expire(int c) { return Step{.kind = Step::Kind::Expire, .client = c}; }
zk::Op check_op(std::string path, std::int32_t version) {
  return zk::Op{.kind = zk::Op::Kind::Check, .path = std::move(path), .version = version};
}
zk::Op create_op(std::string path, std::string data, zk::CreateMode mode) {
  return zk::Op{.kind = zk::Op::Kind::Create, .path = std::move(path), .data = std::move(data), .mode = mode};
}
zk::Op set_op(std::string path, std::string data, std::int32_t version) {
  return zk::Op{.kind = zk::Op::Kind::SetData, .path = std::move(path), .data = std::move(data), .version = version};
}
zk::Op delete_op(std::string path, std::int32_t version) {
  return zk::Op{.kind = zk::Op::Kind::Delete, .path = std::move(path), .version = version};
}
constexpr auto kPersistent = zk::CreateMode::Persistent;
constexpr auto kEphemeral = zk::CreateMode::Ephemeral;
constexpr auto kPersistentSeq = zk::CreateMode::PersistentSequential;
constexpr auto kEphemeralSeq = zk::CreateMode::EphemeralSequential;
}  // namespace

std::vector<std::pair<std::string, Trace>> hand_written_traces() {
  std::vector<std::pair<std::string, Trace>> t;
  t.emplace_back("creates: persistent, ephemeral, sequential, and the errors",
                 Trace{open(0), create(0, "/a", "x"), create(0, "/a", "y"), create(0, "/a/b/c", "x"),
                       create(0, "/e", "x", kEphemeral), create(0, "/e/child", "x"), get(0, "/e"),
                       create(0, "/a/s-", "1", kPersistentSeq), create(0, "/a/s-", "2", kPersistentSeq),
                       create(0, "/a/q-", "3", kEphemeralSeq), get(0, "/a"), children(0, "/a"),
                       create(0, "/a/", "x"), get(0, "/a/s-0000000001")});
  t.emplace_back("sequence numbers count child creations, not deletions (a difference the generated traces found)",
                 Trace{open(0), create(0, "/p", "x"), create(0, "/p/a", "x"), remove(0, "/p/a"), get(0, "/p"),
                       create(0, "/p/a", "x", kPersistentSeq), create(0, "/p/b", "x", kEphemeral), remove(0, "/p/b"),
                       create(0, "/p/c", "x", kEphemeralSeq), get(0, "/p"),
                       multi(0, {create_op("/p/m", "", kPersistent), delete_op("/p/m", -1),
                                 create_op("/p/n", "", kPersistentSeq)}),
                       get(0, "/p")});
  t.emplace_back("deletes and conditional setData",
                 Trace{open(0), create(0, "/a", "x"), create(0, "/a/b", "x"), remove(0, "/a"),
                       remove(0, "/missing"), set(0, "/a/b", "y", 0), set(0, "/a/b", "z", 0), set(0, "/a/b", "z", -1),
                       get(0, "/a/b"), remove(0, "/a/b", 0), remove(0, "/a/b", 2), get(0, "/a"), remove(0, "/a", 0),
                       set(0, "/a", "x")});
  t.emplace_back("the controller election multi: check the epoch's version, create /controller, bump the epoch",
                 Trace{open(0), open(1), create(0, "/controller_epoch", "0"),
                       multi(0, {check_op("/controller_epoch", 0), create_op("/controller", "0", kEphemeral),
                                 set_op("/controller_epoch", "1", 0)}),
                       get(0, "/controller_epoch"),
                       multi(1, {check_op("/controller_epoch", 0), create_op("/controller", "1", kEphemeral),
                                 set_op("/controller_epoch", "2", 0)}),
                       multi(1, {check_op("/controller_epoch", 1), create_op("/controller", "1", kEphemeral),
                                 set_op("/controller_epoch", "2", 1)}),
                       multi(1, {create_op("/x", "", kPersistent), delete_op("/x", 0), check_op("/x", -1)}),
                       multi(1, {create_op("/y", "", kPersistent), set_op("/y", "v", 0), delete_op("/y", 1)}),
                       get(1, "/controller"), get(1, "/controller_epoch"), exists(1, "/y")});
  t.emplace_back("watches: exists on a missing node, data and child watches, each fires once, in order",
                 Trace{open(0), open(1), exists(1, "/a", true), create(0, "/a", "x"), create(0, "/b", "x"),
                       get(1, "/a", true), children(1, "/a", true), set(0, "/a", "y"), set(0, "/a", "z"),
                       create(0, "/a/c", "x"), create(0, "/a/d", "x"), get(1, "/a/c", true), exists(1, "/a/d", true),
                       children(1, "/a", true), get(1, "/a", true), exists(1, "/a", true),
                       multi(0, {set_op("/a/c", "1", -1), delete_op("/a/d", -1), set_op("/a", "2", -1)}),
                       get(0, "/a", true), get(1, "/a", true), children(1, "/a", true), remove(0, "/a/c"),
                       remove(0, "/a")});
  t.emplace_back("two clients race for one ephemeral node; the loser watches it and takes it when the winner closes",
                 Trace{open(0), open(1), {.kind = Step::Kind::Race, .path = "/controller", .racers = {0, 1}},
                       create(1, "/controller", "1", kEphemeral), exists(1, "/controller", true),
                       get(1, "/controller"), close(0), create(1, "/controller", "1", kEphemeral),
                       get(1, "/controller")});
  t.emplace_back("a closed session: its ephemeral nodes go and watchers hear of it",
                 Trace{open(0), open(1), create(0, "/brokers", "x"), create(0, "/brokers/1", "x", kEphemeral),
                       create(0, "/brokers/s-", "x", kEphemeralSeq), children(1, "/brokers", true),
                       get(1, "/brokers/1", true), close(0), children(1, "/brokers"), get(0, "/brokers"), open(0),
                       create(0, "/brokers/1", "again", kEphemeral), get(1, "/brokers/1")});
  t.emplace_back("an expired session: its ephemeral nodes go, watchers hear, the client learns it expired",
                 Trace{open(0), open(1), open(2), create(0, "/controller", "0", kEphemeral),
                       create(0, "/ids", ""), create(0, "/ids/0", "x", kEphemeral), create(1, "/ids/1", "x", kEphemeral),
                       exists(1, "/controller", true), children(2, "/ids", true), get(2, "/ids/0", true),
                       exists(0, "/controller", true), expire(0), get(0, "/ids"), children(2, "/ids"), open(0),
                       create(0, "/ids/0", "y", kEphemeral), get(2, "/ids/0")});
  return t;
}

}  // namespace kafkasim::zkconf
