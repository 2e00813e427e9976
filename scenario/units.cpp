// Parsing and printing durations and rates; exact decimal parsing so `0.1s` is exactly 100000 us.
#include "scenario/units.h"

#include <cctype>
#include <cmath>

#include <fmt/format.h>

namespace kafkasim {

namespace {

enum class Decimal { Ok, NotANumber, TooLarge };

// Parses "12", "1.5", "0.001" into the value times 10^6 (micro-units), without overflow: a value whose
// micro-units do not fit in 63 bits is TooLarge, checked before any multiplication.
Decimal parse_decimal_micro(std::string_view digits, std::int64_t& micro_units) {
  if (digits.empty()) return Decimal::NotANumber;
  constexpr std::int64_t kMaxWhole = INT64_MAX / 1000000 - 1;
  std::int64_t whole = 0, frac = 0;
  int frac_digits = 0;
  bool seen_dot = false, any_digit = false, too_large = false;
  for (char c : digits) {
    if (c == '.') {
      if (seen_dot) return Decimal::NotANumber;
      seen_dot = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) return Decimal::NotANumber;
    any_digit = true;
    if (!seen_dot) {
      if (whole > (kMaxWhole - (c - '0')) / 10) too_large = true;
      else whole = whole * 10 + (c - '0');
    } else {
      if (frac_digits >= 6) {
        if (c != '0') return Decimal::NotANumber;  // finer than a microsecond of the unit
        continue;
      }
      frac = frac * 10 + (c - '0');
      ++frac_digits;
    }
  }
  if (!any_digit) return Decimal::NotANumber;
  if (too_large) return Decimal::TooLarge;
  for (int i = frac_digits; i < 6; ++i) frac *= 10;
  micro_units = whole * 1000000 + frac;
  return Decimal::Ok;
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
  const Decimal d = parse_decimal_micro(number, micro_units);
  if (d == Decimal::NotANumber) {
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
  // value * per_unit_us = micro_units * per_unit_us / 10^6, exact when the result is whole; in 128 bits,
  // so no value that parsed can overflow here.
  const __int128 scaled = static_cast<__int128>(micro_units) * per_unit_us;
  if (d == Decimal::TooLarge || scaled / 1000000 > INT64_MAX) {
    error = fmt::format("'{}' is too long a duration to represent", text);
    return std::nullopt;
  }
  if (scaled % 1000000 != 0) {
    error = fmt::format("'{}' is finer than the simulator's microsecond resolution", text);
    return std::nullopt;
  }
  return static_cast<Micros>(scaled / 1000000);
}

Micros Rate::offset_of(std::int64_t k) const {
  if (records_x1e6 <= 0) return 0;
  // k / (records_x1e6 / 10^6 / period_s) seconds = k * period_s * 10^12 / records_x1e6 microseconds.
  const __int128 numerator = static_cast<__int128>(k) * period_s * 1000000 * 1000000;
  const __int128 t = (numerator + records_x1e6 - 1) / records_x1e6;
  return t > INT64_MAX ? INT64_MAX : static_cast<Micros>(t);
}

std::optional<Rate> parse_rate_exact(std::string_view text, std::string& error) {
  auto slash = text.find('/');
  Rate rate;
  const Decimal d = slash == std::string_view::npos ? Decimal::NotANumber
                                                    : parse_decimal_micro(text.substr(0, slash), rate.records_x1e6);
  if (d == Decimal::NotANumber) {
    error = fmt::format("'{}' is not a rate; write records per second or minute, e.g. 100/s, 0/s, 30/m", text);
    return std::nullopt;
  }
  if (d == Decimal::TooLarge) {
    error = fmt::format("'{}' is too large a rate to represent", text);
    return std::nullopt;
  }
  std::string_view per = text.substr(slash + 1);
  if (per == "s") rate.period_s = 1;
  else if (per == "m" || per == "min") rate.period_s = 60;
  else {
    error = fmt::format("unknown rate unit '/{}' in '{}' (use /s or /m)", per, text);
    return std::nullopt;
  }
  return rate;
}

std::optional<double> parse_rate(std::string_view text, std::string& error) {
  auto r = parse_rate_exact(text, error);
  if (!r) return std::nullopt;
  return r->per_second();
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
