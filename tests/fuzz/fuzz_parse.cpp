// libFuzzer target over the scenario parser and validator: any bytes go in; the only acceptable
// outcomes are a Scenario or an InputError whose every line reads FILE:LINE:COL: message. Anything else
// (a crash, a sanitizer report, another exception, a hang past libFuzzer's timeout) is a bug.
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>

#include "scenario/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    kafkasim::Scenario s = kafkasim::parse_scenario_text(text, "fuzz.yaml");
    // A scenario that parsed is one a later step can use: its lookups must hold up.
    (void)s.node_names();
    for (const auto& t : s.topics) (void)s.find_partition(t.name + "-0");
    (void)s.expected();
  } catch (const kafkasim::InputError& e) {
    const std::string message = e.what();
    if (message.rfind("fuzz.yaml:", 0) != 0) {
      std::fprintf(stderr, "an InputError without FILE:LINE:COL: %s\n", message.c_str());
      std::abort();
    }
  }
  return 0;
}
