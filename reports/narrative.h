// The narrated timeline: history events as one-line sentences a student can follow, simulated time first.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "scenario/scenario.h"
#include "sim/history.h"

namespace kafkasim::reports {

enum class Tone { Plain, Fault, Good, Bad };

struct NarrativeLine {
  NarrativeLine() = default;
  NarrativeLine(Micros t_, std::string text_, Tone tone_ = Tone::Plain, std::int64_t event_ = -1)
      : t(t_), text(std::move(text_)), tone(tone_), event(event_) {}
  Micros t = 0;
  std::string text;
  Tone tone = Tone::Plain;
  std::int64_t event = -1;  // the history event it tells (its index from 0), or -1 for the closing summary
};

// One sentence for an event; nullopt when the short story leaves it out (`explain` keeps everything).
std::optional<NarrativeLine> narrate(const sim::HistoryEvent& e, bool explain);
std::vector<NarrativeLine> narrate_all(const sim::History& history, bool explain);
// "  3.001 s  broker-1 crashes ..." with ANSI colour when asked.
std::string format_line(const NarrativeLine& line, bool colour);

}  // namespace kafkasim::reports
