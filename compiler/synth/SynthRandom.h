//===- SynthRandom.h - reproducible random numbers for synth ----*- C++ -*-===//
//
// The same seed must give the same bytes on every machine and compiler, so
// synth uses its own generator (SplitMix64, counter-based) and its own
// normal transform (Box-Muller in double), not <random>'s distributions,
// whose algorithms the standard leaves to each library.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cmath>
#include <cstdint>

namespace slmc::synth {

inline uint64_t splitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// A stream of numbers keyed by (seed, stream): element i of a stream does not
/// depend on how many came before, so tensors can be filled in any order.
class Random {
public:
  Random(uint64_t seed, uint64_t stream) : key_(splitMix64(seed ^ splitMix64(stream))) {}

  uint64_t at(uint64_t i) const { return splitMix64(key_ + i * 0xD1B54A32D192ED03ull); }
  uint64_t next() { return at(counter_++); }
  uint64_t below(uint64_t n) { return next() % n; }

  /// Two independent standard normal values from draw i (Box-Muller).
  void normalPair(uint64_t i, double &a, double &b) const {
    uint64_t bits = at(i);
    double u1 = (static_cast<double>(bits >> 11) + 1.0) / 9007199254740993.0; // (0, 1]
    double u2 = static_cast<double>(splitMix64(bits) >> 11) / 9007199254740992.0;
    double radius = std::sqrt(-2.0 * std::log(u1));
    a = radius * std::cos(6.283185307179586 * u2);
    b = radius * std::sin(6.283185307179586 * u2);
  }

private:
  uint64_t key_;
  uint64_t counter_ = 0;
};

} // namespace slmc::synth
