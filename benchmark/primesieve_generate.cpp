// Times primesieve::generate_primes into a std::vector<uint32_t>: the C++ counterpart
// of corepool's calculatePrimes. Used by benchmark/primes.mjs.
//
//   primesieve_generate BOUND [ROUNDS [GAPS_MS]]
//
// Lists the primes p < BOUND (like calculatePrimes(BOUND)) ROUNDS times (default 1),
// each into a fresh vector, and prints one line per round and the count. GAPS_MS is a
// comma-separated list of idle gaps in milliseconds, gap i slept before round i
// (missing ones are 0), so idle gaps can be put where corepool's rounds have them.
// Each round also prints the CPU time it used (user, system; getrusage):
//
//   seconds 0.512345
//   cpu 0.301000 0.110000
//   count 50847534
//
// Build: g++ -O2 -std=c++17 primesieve_generate.cpp -o primesieve_generate -lprimesieve -pthread

#include <primesieve.hpp>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

/// This process's user and system CPU seconds so far.
static void cpu_seconds(double* user, double* sys) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  *user = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6;
  *sys = usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: %s BOUND [ROUNDS [GAPS_MS]]\n", argv[0]);
    return 2;
  }
  std::uint64_t bound = 0;
  int rounds = 1;
  std::vector<long> gaps;
  try {
    bound = std::stoull(argv[1]);
    if (argc >= 3) rounds = std::stoi(argv[2]);
    if (argc == 4) {
      std::string list = argv[3];
      std::size_t pos = 0;
      while (pos <= list.size() && !list.empty()) {
        std::size_t comma = list.find(',', pos);
        if (comma == std::string::npos) comma = list.size();
        gaps.push_back(std::stol(list.substr(pos, comma - pos)));
        pos = comma + 1;
      }
    }
  } catch (const std::exception&) {
    std::fprintf(stderr, "BOUND, ROUNDS and GAPS_MS must be integers\n");
    return 2;
  }
  // Every prime below the bound must fit the uint32_t elements.
  if (bound > (std::uint64_t(1) << 32) || rounds < 1) {
    std::fprintf(stderr, "need 0 <= BOUND <= 2^32 and ROUNDS >= 1\n");
    return 2;
  }

  std::size_t count = 0;
  for (int round = 0; round < rounds; round++) {
    if (round < static_cast<int>(gaps.size()) && gaps[round] > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(gaps[round]));
    }
    double user0, sys0, user1, sys1;
    cpu_seconds(&user0, &sys0);
    std::vector<std::uint32_t> primes;
    auto start = std::chrono::steady_clock::now();
    // generate_primes(stop) includes stop itself: stop at BOUND - 1 for p < BOUND.
    if (bound >= 2) primesieve::generate_primes(bound - 1, &primes);
    auto stop = std::chrono::steady_clock::now();
    cpu_seconds(&user1, &sys1);
    std::printf("seconds %.6f\n", std::chrono::duration<double>(stop - start).count());
    std::printf("cpu %.6f %.6f\n", user1 - user0, sys1 - sys0);
    count = primes.size();
  }
  std::printf("count %zu\n", count);
  return 0;
}
