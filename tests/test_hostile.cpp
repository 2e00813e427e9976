// The hostile inputs of tests/data/hostile/ (scenario files) and tests/data/hostile-summaries/ (explore
// summaries for merge), each run through the kafkasim binary as a user would: every one is bad input
// (exit 2) with FILE:LINE:COL and the words its first line promises, within a bound, never a crash.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

struct Result {
  int code;
  std::string out;
};

Result kafkasim(const std::string& args) {
  const std::string cmd = "cd '" + testing::TempDir() + "' && NO_COLOR=1 timeout 120 '" + std::string(KAFKASIM_BINARY) + "' " +
                          args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string header(const std::string& path, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  for (std::string line; std::getline(in, line) && line.rfind("#", 0) == 0;)
    if (line.rfind("# " + key + ": ", 0) == 0) return line.substr(key.size() + 4);
  return "";
}

const std::string kData = std::string(KAFKASIM_SOURCE_DIR) + "/tests/data";

}  // namespace

TEST(Hostile, EveryHostileScenarioIsBadInputWithItsPositionAndAHelpfulMessage) {
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kData + "/hostile")) {
    const std::string path = entry.path().string();
    const std::string expect = header(path, "expect"), command = header(path, "command");
    ASSERT_FALSE(expect.empty()) << path << " says what it expects on its first line";
    ++seen;
    const Result r = kafkasim((command.empty() ? "check" : command) + " '" + path + "'");
    EXPECT_EQ(r.code, 2) << path << "\n" << r.out;
    EXPECT_EQ(r.out.rfind(path + ":", 0), 0u) << path << "\n" << r.out.substr(0, 400);
    EXPECT_NE(r.out.find(expect), std::string::npos) << path << "\nwant: " << expect << "\ngot: " << r.out.substr(0, 600);
    EXPECT_EQ(r.out.find("internal error"), std::string::npos) << path;
  }
  EXPECT_GE(seen, 20);
}

TEST(Hostile, AnEndlessFileIsReadWithABound) {
  const Result r = kafkasim("check /dev/zero");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("/dev/zero:1:1: the file is larger than 4 MiB"), std::string::npos) << r.out;
}

TEST(Hostile, EveryHostileSummaryIsRefusedByMergeNamingTheFileAndTheField) {
  std::ifstream manifest(kData + "/hostile-summaries/expected.txt");
  int seen = 0;
  for (std::string line; std::getline(manifest, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto colon = line.find(": ");
    const std::string file = kData + "/hostile-summaries/" + line.substr(0, colon), expect = line.substr(colon + 2);
    ++seen;
    const Result r = kafkasim("merge '" + file + "' --out '" + testing::TempDir() + "/hostile-merge'");
    EXPECT_EQ(r.code, 2) << file << "\n" << r.out;
    EXPECT_EQ(r.out.rfind(file + ":", 0), 0u) << file << "\n" << r.out;
    EXPECT_NE(r.out.find(expect), std::string::npos) << file << "\nwant: " << expect << "\ngot: " << r.out;
  }
  EXPECT_GE(seen, 12);
}
