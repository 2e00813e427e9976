// Checking and writing output paths: a probe file for "can I write here", temporary-then-rename writes.
#include "reports/output_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace kafkasim::reports {

namespace fs = std::filesystem;

namespace {
// Creates and removes a file in `dir`: the only sure test (root ignores permission bits, mounts may be
// read-only, quotas may be full).
std::string probe(const std::string& dir) {
  const std::string p = (fs::path(dir) / fmt::format(".kafkasim-probe-{}", ::getpid())).string();
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return std::strerror(errno);
  ::close(fd);
  ::unlink(p.c_str());
  return "";
}
}  // namespace

std::string check_output_dir(const std::string& path, const std::string& flag) {
  if (path.empty()) return fmt::format("{}: an empty path", flag);
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec))
    return fmt::format("{} {}: is a file, not a folder", flag, path);
  fs::create_directories(path, ec);
  if (ec) return fmt::format("{} {}: cannot create the folder: {}", flag, path, ec.message());
  if (const std::string why = probe(path); !why.empty())
    return fmt::format("{} {}: cannot write into the folder: {}", flag, path, why);
  return "";
}

std::string check_output_file(const std::string& path, const std::string& flag) {
  if (path.empty()) return fmt::format("{}: an empty path", flag);
  std::error_code ec;
  if (fs::is_directory(path, ec)) return fmt::format("{} {}: is a folder; give a file name", flag, path);
  if (!path.empty() && path.back() == '/') return fmt::format("{} {}: ends with '/'; give a file name", flag, path);
  const fs::path parent = fs::path(path).parent_path();
  const std::string dir = parent.empty() ? "." : parent.string();
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    return fmt::format("{} {}: {} is a file, not a folder", flag, path, dir);
  fs::create_directories(dir, ec);
  if (ec) return fmt::format("{} {}: cannot create the folder {}: {}", flag, path, dir, ec.message());
  if (fs::path(path).filename().string().size() > 255)
    return fmt::format("{} {}: the file name is longer than 255 bytes", flag, path);
  if (const std::string why = probe(dir); !why.empty())
    return fmt::format("{} {}: cannot write into {}: {}", flag, path, dir, why);
  return "";
}

std::string write_file(const std::string& path, const std::string& text) {
  const std::string temp = path + fmt::format(".tmp-{}", ::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::format("cannot write {}: {}", path, std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(temp.c_str());
      return fmt::format("cannot write {}: {}", path, why);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 || ::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    return fmt::format("cannot write {}: {}", path, why);
  }
  return "";
}

}  // namespace kafkasim::reports
