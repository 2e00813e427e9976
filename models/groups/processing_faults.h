// The retriable processing errors a scenario injects (fail-processing): what the application's
// environment holds against a record (a database that refuses it, a poison value), outside any consumer
// process, so a crash and a restart of the consumer do not forget them. A consumer's pipeline is the
// consumer and the consumer that retries its records from a retry topic.
#pragma once

#include <map>
#include <string>
#include <utility>

namespace kafkasim::models::groups {

class ProcessingFaults {
 public:
  // From now on, the next `times` attempts of `pipeline` at processing `value` fail.
  void add(const std::string& pipeline, const std::string& value, int times) { due_[{pipeline, value}] += times; }
  // Whether this attempt fails (and then one failure fewer is due).
  bool take(const std::string& pipeline, const std::string& value) {
    auto it = due_.find({pipeline, value});
    if (it == due_.end() || it->second <= 0) return false;
    --it->second;
    return true;
  }

 private:
  std::map<std::pair<std::string, std::string>, int> due_;
};

}  // namespace kafkasim::models::groups
