// A sink's writes: a keyed sink overwrites what a key held (idempotent by key), an append sink keeps
// every write (a second write of one record is a visible duplicate).
#include "models/groups/sink.h"

#include "models/groups/group_protocol.h"

namespace kafkasim::models::groups {

Sink::Sink(sim::World& world, int node, const SinkSpec& spec, SinkStorage& storage)
    : sim::Node(world, node), spec_(spec), storage_(storage) {}

void Sink::on_message(const sim::Envelope& envelope) {
  const auto* w = dynamic_cast<const SinkWriteRequest*>(envelope.body.get());
  if (w == nullptr) return;
  std::string applied = "new";
  if (spec_.kind == "keyed") {
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
