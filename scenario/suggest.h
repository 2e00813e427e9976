// "Did you mean ...?" for misspelt names: the closest known name by edit distance.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kafkasim {

std::size_t edit_distance(std::string_view a, std::string_view b);
// ", did you mean 'x'?" or "" when nothing is close enough.
std::string did_you_mean(std::string_view wrong, const std::vector<std::string_view>& known);
std::string join_names(const std::vector<std::string_view>& names, std::string_view last_sep = ", ");

}  // namespace kafkasim
