// A sink (spec/consumer-groups.md): the database or file a group consumer writes what it processed to,
// keyed, append, or transactional (each record and its partition's next offset in one transaction, and
// writes of generations older than the partition's owner refused),
// a node of its own (crash, pause, partition and drop apply to it). What it holds is durable: a crash of
// its process loses nothing it acknowledged.
#pragma once

#include <map>
#include <set>
#include <string>

#include "scenario/scenario.h"
#include "sim/node.h"

namespace kafkasim::models::groups {

struct SinkStorage : sim::DurableState {
  std::map<std::string, std::string> by_key;                // keyed: key -> value
  std::set<std::pair<std::string, std::int64_t>> records;   // append, transactional: the records it holds
  std::map<std::string, std::int64_t> offsets;              // transactional: partition -> next offset
  std::map<std::string, std::int32_t> fence;                // transactional: partition -> owner's generation
};

class Sink : public sim::Node {
 public:
  Sink(sim::World& world, int node, const SinkSpec& spec, SinkStorage& storage);
  void on_message(const sim::Envelope& envelope) override;

 private:
  const SinkSpec& spec_;
  SinkStorage& storage_;
};

}  // namespace kafkasim::models::groups
