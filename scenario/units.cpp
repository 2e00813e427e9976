// Parsing and printing durations and rates; exact decimal parsing so `0.1s` is exactly 100000 us.
#include "scenario/units.h"

#include <cctype>
#include <cmath>

#include <fmt/format.h>

namespace kafkasim {

namespace {

// Parses "12", "1.5", "0.001" into a numerator scaled by 10^6 (micro-units); false on anything else.
bool parse_decimal_micro(std::string_view digits, std::int64_t& micro_units) {
  if (digits.empty()) return false;
  std::int64_t whole = 0, frac = 0;
  int frac_digits = 0;
  bool seen_dot = false, any_digit = false;
  for (char c : digits) {
    if (c == '.') {
      if (seen_dot) return false;
      seen_dot = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    any_digit = true;
    if (!seen_dot) {
      if (whole > 1000000000000LL) return false;
      whole = whole * 10 + (c - '0');
    } else {
      if (frac_digits >= 6) {
        if (c != '0') return false;  // finer than a microsecond of the unit
        continue;
      }
      frac = frac * 10 + (c - '0');
      ++frac_digits;
    }
  }
  if (!any_digit) return false;
  for (int i = frac_digits; i < 6; ++i) frac *= 10;
  micro_units = whole * 1000000 + frac;
  return true;
}

}  // namespace

std::optional<Micros> parse_duration(std::string_view text, std::string& error) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  std::string_view number = text.substr(0, i), unit = text.substr(i);
  std::int64_t micro_units = 0;
  if (!text.empty() && text[0] == '-') {
    error = fmt::format("a duration cannot be negative: '{}'", text);
    return std::nullopt;
  }
  if (!parse_decimal_micro(number, micro_units)) {
    error = fmt::format("'{}' is not a duration; write a number and a unit, e.g. 250ms, 1.5s, 2m", text);
    return std::nullopt;
  }
  if (unit.empty()) {
    error = fmt::format("'{}' needs a unit: {}ms, {}s or {}m", text, text, text, text);
    return std::nullopt;
  }
  // micro_units is the value times 10^6; scale to microseconds of simulated time.
  std::int64_t per_unit_us = 0;
  if (unit == "us") per_unit_us = 1;
  else if (unit == "ms") per_unit_us = 1000;
  else if (unit == "s") per_unit_us = 1000000;
  else if (unit == "m" || unit == "min") per_unit_us = 60LL * 1000000;
  else if (unit == "h") per_unit_us = 3600LL * 1000000;
  else {
    error = fmt::format("unknown time unit '{}' in '{}' (use us, ms, s, m or h)", unit, text);
    return std::nullopt;
  }
  // value * per_unit_us = micro_units * per_unit_us / 10^6, exact when the result is whole.
  __int128 scaled = static_cast<__int128>(micro_units) * per_unit_us;
  if (scaled % 1000000 != 0) {
    error = fmt::format("'{}' is finer than the simulator's microsecond resolution", text);
    return std::nullopt;
  }
  return static_cast<Micros>(scaled / 1000000);
}

std::optional<double> parse_rate(std::string_view text, std::string& error) {
  auto slash = text.find('/');
  std::int64_t micro_units = 0;
  if (slash == std::string_view::npos || !parse_decimal_micro(text.substr(0, slash), micro_units)) {
    error = fmt::format("'{}' is not a rate; write records per second or minute, e.g. 100/s, 0/s, 30/m", text);
    return std::nullopt;
  }
  std::string_view per = text.substr(slash + 1);
  double value = static_cast<double>(micro_units) / 1e6;
  if (per == "s") return value;
  if (per == "m" || per == "min") return value / 60.0;
  error = fmt::format("unknown rate unit '/{}' in '{}' (use /s or /m)", per, text);
  return std::nullopt;
}

std::string format_duration(Micros d) {
  if (d % kMicrosPerSecond == 0) return fmt::format("{}s", d / kMicrosPerSecond);
  if (d % kMicrosPerMs == 0) return fmt::format("{}ms", d / kMicrosPerMs);
  return fmt::format("{}us", d);
}

std::string format_seconds(Micros t) {
  if (t % kMicrosPerMs == 0) return fmt::format("{:.3f}", to_seconds(t));
  return fmt::format("{:.6f}", to_seconds(t));
}

}  // namespace kafkasim
