// Dependency-free SHA-256 (FIPS 180-4) for builds without OpenSSL (WASM).
#pragma once

#include <cstdint>

#include "core/hash.hpp"

namespace slm {

class Sha256Portable {
public:
    Sha256Portable();
    void update(Bytes data);
    Sha256Digest finish();

private:
    void compress(const std::uint8_t* block);
    std::uint32_t h_[8];
    std::uint8_t buf_[64];
    std::uint64_t total_ = 0;
    std::size_t buf_len_ = 0;
};

}  // namespace slm
