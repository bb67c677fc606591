// xoshiro256** (Blackman & Vigna), seeded through splitmix64. A fixed,
// fully specified generator: the same seed gives the same numbers on every
// platform and standard library, which std::*_distribution does not promise.
#pragma once

#include <cstdint>

namespace slm::runtime {

class Rng {
public:
    explicit Rng(std::uint64_t seed) {
        // splitmix64 expands the seed, so nearby seeds give unrelated states
        // and the all-zero state (which xoshiro never leaves) cannot occur.
        for (auto& word : s_) {
            std::uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            word = z ^ (z >> 31);
        }
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    // Uniform in [0, 1) with 53 bits of resolution (exact in double).
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4];
};

}  // namespace slm::runtime
