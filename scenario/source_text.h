// The text of a scenario file before YAML sees it: read with a size bound, checked to be UTF-8, and the
// helpers that show a mistake in the user's terms (the line itself with a caret, a hint for the YAML
// syntax errors people make: indentation, a tab, a missing colon, an unclosed bracket or quote).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kafkasim {

// Reads at most `max_bytes` + 1 bytes of `path` (a device such as /dev/zero ends there); sets `error`
// ("FILE:1:1: ...") on a missing, unreadable or too large file, or a directory.
std::optional<std::string> read_bounded(const std::string& path, std::size_t max_bytes, std::string& error);

// The 1-based line and column of the first byte that is not valid UTF-8 (or a NUL), if any; `what`
// says what is wrong with it.
struct TextPosition {
  int line = 1;
  int column = 1;
};
std::optional<TextPosition> first_invalid_utf8(std::string_view text, std::string& what);
// Whether a string is valid UTF-8 (no NUL).
bool is_valid_utf8(std::string_view text);

// "    8 |   for: 1s\n      |   ^" for line/column (1-based), or "" when the line does not exist.
std::string show_line(std::string_view text, int line, int column);

// A hint, in the user's terms, for a YAML syntax error yaml-cpp reported as `message` at line/column.
std::string syntax_hint(std::string_view text, std::string_view message, int line, int column);

}  // namespace kafkasim
