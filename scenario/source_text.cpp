// Reading a scenario file with a bound, UTF-8 checks, and showing YAML syntax errors in the user's terms.
#include "scenario/source_text.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace kafkasim {

std::optional<std::string> read_bounded(const std::string& path, std::size_t max_bytes, std::string& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    error = fmt::format("{}:1:1: is a directory, not a scenario file", path);
    return std::nullopt;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = fmt::format("{}:1:1: cannot read the file: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  std::string text;
  char buffer[65536];
  while (text.size() <= max_bytes) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = fmt::format("{}:1:1: cannot read the file: {}", path, std::strerror(errno));
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(std::min<ssize_t>(n, static_cast<ssize_t>(max_bytes + 1 - text.size()))));
  }
  ::close(fd);
  if (text.size() > max_bytes) {
    error = fmt::format("{}:1:1: the file is larger than {} MiB, the most a scenario file may hold (spec: Limits)", path,
                        max_bytes >> 20);
    return std::nullopt;
  }
  return text;
}

namespace {
// Length of the UTF-8 sequence starting at text[i] if it is valid (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), else 0.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = b(i);
  if (c == 0) return 0;
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c == 0xE0) n = 3, lo = 0xA0;
  else if (c >= 0xE1 && c <= 0xEC) n = 3;
  else if (c == 0xED) n = 3, hi = 0x9F;
  else if (c >= 0xEE && c <= 0xEF) n = 3;
  else if (c == 0xF0) n = 4, lo = 0x90;
  else if (c >= 0xF1 && c <= 0xF3) n = 4;
  else if (c == 0xF4) n = 4, hi = 0x8F;
  else return 0;
  if (i + n > text.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}
}  // namespace

std::optional<TextPosition> first_invalid_utf8(std::string_view text, std::string& what) {
  TextPosition pos;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_length(text, i);
    if (n == 0) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      what = c == 0 ? "a NUL byte" : fmt::format("byte 0x{:02x}, which is not valid UTF-8", c);
      return pos;
    }
    if (text[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else {
      ++pos.column;
    }
    i += n;
  }
  return std::nullopt;
}

bool is_valid_utf8(std::string_view text) {
  std::string what;
  return !first_invalid_utf8(text, what);
}

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find('\n', start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return lines;
}

// Column (1-based) of the first character that is not a space; 0 for a blank or comment-only line.
int indent_of(std::string_view line) {
  const std::size_t i = line.find_first_not_of(' ');
  if (i == std::string_view::npos || line[i] == '#') return 0;
  return static_cast<int>(i) + 1;
}

// The ':' that ends a key on this line (outside quotes and brackets), or npos.
std::size_t key_colon(std::string_view line) {
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '#' && (i == 0 || line[i - 1] == ' ')) return std::string_view::npos;
    else if (c == ':' && (i + 1 == line.size() || line[i + 1] == ' ')) return i;
  }
  return std::string_view::npos;
}

std::string trimmed(std::string_view line) {
  const std::size_t a = line.find_first_not_of(' ');
  if (a == std::string_view::npos) return "";
  std::size_t b = line.find_last_not_of(' ');
  std::string out(line.substr(a, b - a + 1));
  if (out.size() > 60) out = out.substr(0, 57) + "...";
  return out;
}

// Where the bracket or quote left open before `upto` (an offset) was opened.
std::optional<std::pair<int, int>> unclosed(std::string_view text, char open, char close) {
  std::vector<std::pair<int, int>> stack;
  int line = 1, column = 1;
  char quote = 0;
  bool comment = false;
  for (char c : text) {
    if (c == '\n') {
      ++line;
      column = 1;
      comment = false;
      if (quote == '\'') quote = 0;  // single-line view: a lone apostrophe in plain text is not a quote
      continue;
    }
    if (!comment) {
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '#' && (column == 1)) {
        comment = true;
      } else if (c == '"') {
        quote = c;
      } else if (c == open) {
        stack.emplace_back(line, column);
      } else if (c == close && !stack.empty()) {
        stack.pop_back();
      }
    }
    ++column;
  }
  if (stack.empty()) return std::nullopt;
  return stack.back();
}

}  // namespace

std::string show_line(std::string_view text, int line, int column) {
  const auto lines = split_lines(text);
  if (line < 1 || line > static_cast<int>(lines.size())) return "";
  std::string_view l = lines[static_cast<std::size_t>(line - 1)];
  std::string shown(l.substr(0, std::min<std::size_t>(l.size(), 200)));
  for (char& c : shown)
    if (c == '\t') c = ' ';  // the caret must line up; tabs are the mistake being shown, often
  const int width = static_cast<int>(fmt::format("{}", line).size());
  const int caret = std::clamp(column, 1, static_cast<int>(shown.size()) + 1);
  return fmt::format("  {:>{}} | {}\n  {:>{}} | {}^", line, width, shown, "", width, std::string(static_cast<std::size_t>(caret - 1), ' '));
}

std::string syntax_hint(std::string_view text, std::string_view message, int line, int column) {
  (void)column;
  const auto lines = split_lines(text);
  auto at = [&](int l) -> std::string_view {
    return l >= 1 && l <= static_cast<int>(lines.size()) ? lines[static_cast<std::size_t>(l - 1)] : std::string_view{};
  };
  // A tab in the indentation of this line or the one above, whatever yaml-cpp calls the error.
  for (int l = line; l >= std::max(1, line - 1); --l) {
    const std::string_view t = at(l);
    const std::size_t first = t.find_first_not_of(" \t");
    if (t.substr(0, first == std::string_view::npos ? t.size() : first).find('\t') != std::string_view::npos)
      return fmt::format("line {} indents with a tab; YAML indents with spaces only: replace the tab with spaces", l);
  }
  if (message.find("tab") != std::string_view::npos) return "YAML indents with spaces only: replace tabs with spaces";
  if (message.find("flow") != std::string_view::npos && message.find("map") != std::string_view::npos) {
    if (auto open = unclosed(text, '{', '}'))
      return fmt::format("the '{{' at line {}, column {} is never closed with '}}'", open->first, open->second);
  }
  if (message.find("flow") != std::string_view::npos && message.find("seq") != std::string_view::npos) {
    if (auto open = unclosed(text, '[', ']'))
      return fmt::format("the '[' at line {}, column {} is never closed with ']'", open->first, open->second);
  }
  if (message.find("EOF in scalar") != std::string_view::npos || message.find("quoted") != std::string_view::npos)
    return "a quoted value is never closed: every \" needs its closing \"";
  // The nearest line above with content.
  int prev = line - 1;
  while (prev >= 1 && indent_of(at(prev)) == 0) --prev;
  const std::string_view here = at(line);
  if (message.find("illegal map value") != std::string_view::npos) {
    const std::size_t colon = key_colon(here);
    if (colon != std::string_view::npos && key_colon(here.substr(colon + 1)) != std::string_view::npos)
      return fmt::format("line {} has two ': ' in it; a value that contains ': ' must be quoted (key: \"a: b\")", line);
    if (prev >= 1 && key_colon(at(prev)) == std::string_view::npos && at(prev).find_first_of("-[{") == std::string_view::npos)
      return fmt::format("line {} ('{}') has no ':' after its key: write 'key: value'", prev, trimmed(at(prev)));
    if (prev >= 1 && indent_of(here) > indent_of(at(prev)))
      return fmt::format("line {} is indented more (column {}) than line {} (column {}), whose key already has a value: "
                         "keys of one mapping start in the same column",
                         line, indent_of(here), prev, indent_of(at(prev)));
  }
  if (message.find("end of map") != std::string_view::npos || message.find("end of sequence") != std::string_view::npos ||
      message.find("illegal map value") != std::string_view::npos || message.find("block") != std::string_view::npos) {
    // The columns keys start at in the blocks that enclose this line.
    const int mine = indent_of(here);
    std::vector<int> columns;
    int limit = mine + 1000;
    int dash_line = 0, dash_column = 0, item_keys = 0;
    for (int l = line - 1; l >= 1; --l) {
      const std::string_view t = at(l);
      const int ind = indent_of(t);
      if (ind == 0) continue;
      int key_column = ind;
      if (t[static_cast<std::size_t>(ind - 1)] == '-') {
        const std::size_t after = t.find_first_not_of(' ', static_cast<std::size_t>(ind));
        key_column = after == std::string_view::npos ? ind + 2 : static_cast<int>(after) + 1;
        if (dash_line == 0 && ind <= mine + 2) dash_line = l, dash_column = ind, item_keys = key_column;
      }
      if (key_column < limit) {
        columns.push_back(key_column);
        limit = key_column;
      }
      if (ind < limit) limit = ind;
      if (ind == 1) break;
    }
    if (std::find(columns.begin(), columns.end(), mine) == columns.end()) {
      if (dash_line != 0 && mine == dash_column)
        return fmt::format("line {} ('{}') lines up with the '-' of the list item at line {}; to belong to that item, "
                           "indent it to column {}, where the item's keys start",
                           line, trimmed(here), dash_line, item_keys);
      std::sort(columns.begin(), columns.end());
      std::vector<std::string> cs;
      for (int c : columns) cs.push_back(std::to_string(c));
      return fmt::format("line {} ('{}') starts at column {}, which lines up with no key above it (keys above start at "
                         "column {}): indent it like the keys of the mapping it belongs to",
                         line, trimmed(here), mine, fmt::join(cs, ", "));
    }
    if (message.find("illegal map value") == std::string_view::npos)
      return fmt::format("check the indentation of line {} and the lines just above it: keys of one mapping start in "
                         "the same column, list items ('- ') in theirs",
                         line);
  }
  return "";
}

}  // namespace kafkasim
