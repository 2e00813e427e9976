// Output paths (--json, --history, --report, --out, the replay folder), checked before anything runs so a
// path that cannot be written is bad input (exit 2) naming the path and the reason, and written with
// every failure reported as an output error, never as a simulator failure and never claiming a file
// that does not exist.
#pragma once

#include <string>

namespace kafkasim::reports {

inline constexpr int kExitOutputError = 4;  // the run finished, but a file it was asked to write could not be

// "" when `path` can be created or replaced as a file (its folder is made if missing), else why not.
std::string check_output_file(const std::string& path, const std::string& flag);
// "" when `path` is (or has been made) a folder this process can create files in, else why not.
std::string check_output_dir(const std::string& path, const std::string& flag);

// Writes `text` to `path` whole (to a temporary beside it, then renamed); "" or why it failed.
std::string write_file(const std::string& path, const std::string& text);

}  // namespace kafkasim::reports
