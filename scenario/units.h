// Simulated time (integer microseconds) and the units scenario files write durations and rates in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kafkasim {

using Micros = std::int64_t;  // simulated time and durations, in microseconds
inline constexpr Micros kMicrosPerMs = 1000;
inline constexpr Micros kMicrosPerSecond = 1000000;

inline double to_seconds(Micros t) { return static_cast<double>(t) / kMicrosPerSecond; }
inline Micros from_ms(std::int64_t ms) { return ms * kMicrosPerMs; }

// "250ms", "1.5s", "2m", "100us", "1h". Sets `error` (and returns nullopt) on a bare number or a bad unit.
std::optional<Micros> parse_duration(std::string_view text, std::string& error);
// A steady rate, exactly as written: `records_x1e6 / 10^6` records every `period_s` seconds.
struct Rate {
  std::int64_t records_x1e6 = 0;
  int period_s = 1;
  double per_second() const { return static_cast<double>(records_x1e6) / 1e6 / period_s; }
  // When the k-th send (from 0) is due, in microseconds after the first: ceil(k / rate), exact, so the
  // sends of any second number exactly the rate (rounded to whole records), never a rounded interval.
  Micros offset_of(std::int64_t k) const;
};
// "100/s", "0/s", "600/m", "2.5/s". Sets `error` on anything else, and on a rate too large to write down.
std::optional<Rate> parse_rate_exact(std::string_view text, std::string& error);
// The same, as records per second.
std::optional<double> parse_rate(std::string_view text, std::string& error);
// "1.5s", "250ms", "0s": the shortest exact way to write a duration back.
std::string format_duration(Micros d);
// "3.001": seconds with millisecond precision when exact, more digits only when needed.
std::string format_seconds(Micros t);

}  // namespace kafkasim
