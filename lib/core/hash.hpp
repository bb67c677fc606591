// Hashes used for identities: FNV-1a 64 (tensor name hashes), XXH64 (container
// checksum) and SHA-256 (artifact and manifest digests).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.hpp"

namespace slm {

constexpr std::uint64_t fnv1a64(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (char c : s) {
        h ^= static_cast<std::uint8_t>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

std::uint64_t xxh64(Bytes data, std::uint64_t seed = 0);

// Streaming XXH64 so large files can be hashed in pieces.
class Xxh64Stream {
public:
    explicit Xxh64Stream(std::uint64_t seed = 0);
    ~Xxh64Stream();
    Xxh64Stream(const Xxh64Stream&) = delete;
    Xxh64Stream& operator=(const Xxh64Stream&) = delete;
    void update(Bytes data);
    std::uint64_t digest() const;

private:
    void* state_;
};

using Sha256Digest = std::array<std::uint8_t, 32>;

// Streaming SHA-256 (portable implementation; the native build may route it
// through OpenSSL for speed, see sha256.cpp).
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(Bytes data);
    Sha256Digest finish();

private:
    void* impl_;
};

Sha256Digest sha256(Bytes data);
std::string to_hex(Bytes data);
// "sha256:<64 hex>"
std::string sha256_ref(Bytes data);
std::string sha256_ref(const Sha256Digest& d);

}  // namespace slm
