// The star platform and the SimGrid configuration every run uses (see sim/platform.h).
#include "sim/platform.h"

namespace sg4 = simgrid::s4u;

namespace kafkasim::sim {

std::unique_ptr<sg4::Engine> create_simgrid_engine(bool thread_contexts) {
  std::vector<std::string> args = {"kafkasim", "--cfg=network/model:CM02", "--log=root.thres:critical",
                                   "--log=xbt_cfg.thres:critical"};
  if (thread_contexts) args.push_back("--cfg=contexts/factory:thread");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  argv.push_back(nullptr);
  return std::make_unique<sg4::Engine>(&argc, argv.data());
}

Platform create_star_platform(const std::vector<std::string>& host_names, Micros one_way_latency,
                              double bandwidth_bytes_per_s) {
  // Each host has a split-duplex link of half the one-way latency, so any two hosts are exactly
  // `one_way_latency` apart (plus size/bandwidth).
  Platform p;
  auto* zone = sg4::create_star_zone("cluster");
  const double half_latency_s = static_cast<double>(one_way_latency) / kMicrosPerSecond / 2;
  for (const auto& name : host_names) {
    sg4::Host* host = zone->create_host(name, 1e9)->seal();
    auto* link = zone->create_split_duplex_link("link-" + name, bandwidth_bytes_per_s)->set_latency(half_latency_s)->seal();
    zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr,
                    {sg4::LinkInRoute(link, sg4::LinkInRoute::Direction::UP)}, true);
    p.hosts.push_back(host);
  }
  p.control = zone->create_host("control", 1e9)->seal();
  zone->seal();
  return p;
}

}  // namespace kafkasim::sim
