// Seeded randomness: one root seed, a named stream derived from it per subsystem (TigerBeetle-style).
// Portable integer math only, so the same seed gives the same draws on any standard library.
#pragma once

#include <cstdint>
#include <string_view>

namespace kafkasim::sim {

std::uint64_t derive_seed(std::uint64_t root, std::string_view stream_name);

class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t next_u64();
  double unit();                                         // [0, 1)
  std::int64_t between(std::int64_t lo, std::int64_t hi);  // inclusive
  bool chance(double probability);                       // true with that probability

 private:
  std::uint64_t s_[4];
};

}  // namespace kafkasim::sim
