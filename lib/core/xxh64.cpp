#include <new>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/hash.hpp"

namespace slm {

std::uint64_t xxh64(Bytes data, std::uint64_t seed) {
    return XXH64(data.data(), data.size(), seed);
}

Xxh64Stream::Xxh64Stream(std::uint64_t seed) : state_(new XXH64_state_t) {
    XXH64_reset(static_cast<XXH64_state_t*>(state_), seed);
}
Xxh64Stream::~Xxh64Stream() { delete static_cast<XXH64_state_t*>(state_); }

void Xxh64Stream::update(Bytes data) {
    XXH64_update(static_cast<XXH64_state_t*>(state_), data.data(), data.size());
}
std::uint64_t Xxh64Stream::digest() const {
    return XXH64_digest(static_cast<const XXH64_state_t*>(state_));
}

}  // namespace slm
