#include "quant/f16.hpp"

#include <bit>

namespace slm::quant {

namespace {

// Shifts `mantissa` right by `shift` (1..31) rounding to nearest, ties to even.
std::uint32_t shift_round_even(std::uint32_t mantissa, std::uint32_t shift) {
    const std::uint32_t kept = mantissa >> shift;
    const std::uint32_t rest = mantissa & ((1u << shift) - 1u);
    const std::uint32_t half = 1u << (shift - 1u);
    if (rest > half || (rest == half && (kept & 1u) != 0)) return kept + 1u;
    return kept;
}

}  // namespace

std::uint16_t fp32_to_fp16(float f) {
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(f);
    const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
    const std::uint32_t magnitude = bits & 0x7FFFFFFFu;

    if (magnitude >= 0x7F800000u) {  // inf or NaN
        if (magnitude == 0x7F800000u) return sign | 0x7C00u;
        return static_cast<std::uint16_t>(sign | 0x7E00u | ((magnitude >> 13) & 0x03FFu));
    }
    // 65520 = 0x477FF000 is the midpoint between 65504 (largest fp16) and 2^16;
    // it rounds to even, which is up, so everything from there on overflows.
    if (magnitude >= 0x477FF000u) return sign | 0x7C00u;
    // Below 2^-14 the result is an fp16 subnormal: value = m * 2^-24.
    if (magnitude < 0x38800000u) {
        // Below 2^-25 everything rounds to zero (2^-25 itself ties to even 0).
        if (magnitude < 0x33000000u) return sign;
        const std::uint32_t exponent = magnitude >> 23;  // 102..112
        const std::uint32_t mantissa = (magnitude & 0x007FFFFFu) | 0x00800000u;
        // value = mantissa * 2^(exponent - 150); in units of 2^-24 that is
        // mantissa >> (126 - exponent). A carry into bit 10 yields the
        // smallest normal, which is the correct encoding.
        return static_cast<std::uint16_t>(sign | shift_round_even(mantissa, 126u - exponent));
    }
    // Normal range: rebias the exponent (127 -> 15) and round off 13 bits. A
    // mantissa carry correctly increments the exponent; 65504 is handled above.
    const std::uint32_t rebased = magnitude - (112u << 23);
    return static_cast<std::uint16_t>(sign | shift_round_even(rebased, 13u));
}

float fp16_to_fp32(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exponent = (h >> 10) & 0x1Fu;
    std::uint32_t mantissa = h & 0x03FFu;

    std::uint32_t bits;
    if (exponent == 0x1Fu) {
        // A signalling NaN comes out quiet, as with F16C's vcvtph2ps.
        bits = sign | 0x7F800000u | (mantissa << 13) | (mantissa != 0 ? 0x00400000u : 0u);
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else {
        // Subnormal: normalise so the leading 1 lands on bit 10.
        std::uint32_t e = 113;
        while ((mantissa & 0x0400u) == 0) {
            mantissa <<= 1;
            --e;
        }
        bits = sign | (e << 23) | ((mantissa & 0x03FFu) << 13);
    }
    return std::bit_cast<float>(bits);
}

}  // namespace slm::quant
