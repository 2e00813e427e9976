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
// "100/s", "0/s", "600/m": records per second.
std::optional<double> parse_rate(std::string_view text, std::string& error);
// "1.5s", "250ms", "0s": the shortest exact way to write a duration back.
std::string format_duration(Micros d);
// "3.001": seconds with millisecond precision when exact, more digits only when needed.
std::string format_seconds(Micros t);

}  // namespace kafkasim
