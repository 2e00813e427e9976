// A sink's writes: a keyed sink overwrites what a key held (idempotent by key), an append sink keeps
// every write (a second write of one record is a visible duplicate).
#include "models/groups/sink.h"

#include "models/groups/group_protocol.h"

namespace kafkasim::models::groups {

Sink::Sink(sim::World& world, int node, const SinkSpec& spec, SinkStorage& storage)
    : sim::Node(world, node), spec_(spec), storage_(storage) {}

void Sink::on_message(const sim::Envelope& envelope) {
  if (const auto* o = dynamic_cast<const SinkOffsetsRequest*>(envelope.body.get())) {
    auto resp = std::make_unique<SinkOffsetsResponse>();
    for (const auto& p : o->partitions) {
      auto& fence = storage_.fence[p];
      fence = std::max(fence, o->generation);
      auto it = storage_.offsets.find(p);
      resp->offsets[p] = it == storage_.offsets.end() ? -1 : it->second;
    }
    return reply(envelope, std::move(resp));
  }
  const auto* w = dynamic_cast<const SinkWriteRequest*>(envelope.body.get());
  if (w == nullptr) return;
  std::string applied = "new";
  if (spec_.kind == "transactional") {
    auto fence = storage_.fence.find(w->partition);
    if (fence != storage_.fence.end() && w->generation < fence->second) {
      record("sink-write-fenced", {{"sink", spec_.id},
                                   {"consumer", w->consumer},
                                   {"partition", w->partition},
                                   {"offset", w->offset},
                                   {"generation", std::int64_t{w->generation}},
                                   {"owner_generation", std::int64_t{fence->second}}});
      auto resp = std::make_unique<SinkWriteResponse>();
      resp->error = "FENCED";
      return reply(envelope, std::move(resp));
    }
    // One transaction: the record and where its partition goes on.
    if (!storage_.records.insert({w->partition, w->offset}).second) applied = "duplicate";
    storage_.offsets[w->partition] = w->offset + 1;
  } else if (spec_.kind == "keyed") {
    auto [it, fresh] = storage_.by_key.try_emplace(w->key, w->value);
    if (!fresh) {
      it->second = w->value;
      applied = "overwrite";
    }
  } else if (!storage_.records.insert({w->partition, w->offset}).second) {
    applied = "duplicate";
  }
  record("sink-write", {{"sink", spec_.id},
                        {"consumer", w->consumer},
                        {"partition", w->partition},
                        {"offset", w->offset},
                        {"value", w->value},
                        {"key", w->key},
                        {"applied", applied}});
  reply(envelope, std::make_unique<SinkWriteResponse>());
}

}  // namespace kafkasim::models::groups
