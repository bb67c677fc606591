#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "quant/f16.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

using namespace slm::quant;

namespace {

std::uint16_t to_f16(std::uint32_t bits) { return fp32_to_fp16(std::bit_cast<float>(bits)); }
std::uint32_t to_f32_bits(std::uint16_t h) { return std::bit_cast<std::uint32_t>(fp16_to_fp32(h)); }

#if defined(__x86_64__)
bool cpu_has_f16c() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
}

// vcvtps2ph with imm8 0 (round to nearest even) and vcvtph2ps.
__attribute__((target("f16c"))) std::uint16_t f16c_from_f32(float f) {
    return static_cast<std::uint16_t>(_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(f), 0), 0));
}
__attribute__((target("f16c"))) float f16c_to_f32(std::uint16_t h) {
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}
#endif

}  // namespace

TEST_CASE("quant.f16: exact and special values") {
    CHECK(to_f16(0x00000000) == 0x0000);
    CHECK(to_f16(0x80000000) == 0x8000);
    CHECK(fp32_to_fp16(1.0f) == 0x3C00);
    CHECK(fp32_to_fp16(-2.0f) == 0xC000);
    CHECK(fp32_to_fp16(65504.0f) == 0x7BFF);
    CHECK(fp32_to_fp16(std::numeric_limits<float>::infinity()) == 0x7C00);
    CHECK(fp32_to_fp16(-std::numeric_limits<float>::infinity()) == 0xFC00);
    CHECK(to_f16(0x7FC00000) == 0x7E00);  // default NaN
    CHECK(to_f16(0xFFC00000) == 0xFE00);
    CHECK(to_f16(0x7F800001) == 0x7E00);  // signalling NaN comes out quiet
}

TEST_CASE("quant.f16: rounding is to nearest, ties to even") {
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to the even 1.
    CHECK(to_f16(0x3F801000) == 0x3C00);
    // 1 + 3 * 2^-11 is halfway between odd and even mantissas: rounds up.
    CHECK(to_f16(0x3F803000) == 0x3C02);
    CHECK(to_f16(0x3F801001) == 0x3C01);  // just above halfway
    // Overflow: 65519.99 stays finite, 65520 (the midpoint) goes to inf.
    CHECK(to_f16(0x477FEFFF) == 0x7BFF);
    CHECK(to_f16(0x477FF000) == 0x7C00);
    CHECK(to_f16(0x7F7FFFFF) == 0x7C00);
    CHECK(to_f16(0xC77FF000) == 0xFC00);
}

TEST_CASE("quant.f16: subnormals") {
    CHECK(to_f16(0x38800000) == 0x0400);  // 2^-14, smallest normal
    CHECK(to_f16(0x387FC000) == 0x03FF);  // largest subnormal
    CHECK(to_f16(0x387FE000) == 0x0400);  // tie between 0x3FF and 0x400: even
    CHECK(to_f16(0x387FDFFF) == 0x03FF);
    CHECK(to_f16(0x33800000) == 0x0001);  // 2^-24, smallest subnormal
    CHECK(to_f16(0x33000000) == 0x0000);  // 2^-25: tie, to even zero
    CHECK(to_f16(0x33000001) == 0x0001);  // just above the tie
    CHECK(to_f16(0x33C00000) == 0x0002);  // 1.5 * 2^-24: tie, to even 2
    CHECK(to_f16(0x34200000) == 0x0002);  // 2.5 * 2^-24: tie, to even 2
    CHECK(to_f16(0xB3C00000) == 0x8002);
    CHECK(to_f16(0x00000001) == 0x0000);  // f32 subnormal
    CHECK(to_f32_bits(0x0001) == 0x33800000);
    CHECK(to_f32_bits(0x03FF) == 0x387FC000);
    CHECK(to_f32_bits(0x8200) == 0xB8000000);
}

TEST_CASE("quant.f16: every fp16 value round-trips through fp32") {
    for (std::uint32_t h = 0; h < 0x10000; ++h) {
        const auto h16 = static_cast<std::uint16_t>(h);
        const float f = fp16_to_fp32(h16);
        if (std::isnan(f)) {
            CHECK(std::isnan(fp16_to_fp32(fp32_to_fp16(f))));
            continue;
        }
        REQUIRE(fp32_to_fp16(f) == h16);
    }
}

#if defined(__x86_64__)
TEST_CASE("quant.f16: agrees with the F16C instructions" * doctest::skip(!cpu_has_f16c())) {
    // Every 4099th bit pattern (~1M values over all classes), plus all of the
    // fp16 subnormal and overflow neighbourhoods.
    std::uint64_t mismatches = 0;
    auto check = [&](std::uint32_t bits) {
        const float f = std::bit_cast<float>(bits);
        mismatches += fp32_to_fp16(f) != f16c_from_f32(f);
    };
    for (std::uint64_t b = 0; b <= 0xFFFFFFFFull; b += 4099) check(static_cast<std::uint32_t>(b));
    for (std::uint32_t b = 0x33000000 - 4096; b < 0x38800000 + 4096; b += 7) {
        check(b);
        check(b | 0x80000000u);
    }
    for (std::uint32_t b = 0x477F0000; b < 0x47810000; ++b) check(b);
    CHECK(mismatches == 0);
    for (std::uint32_t h = 0; h < 0x10000; ++h) {
        const float a = fp16_to_fp32(static_cast<std::uint16_t>(h));
        const float b = f16c_to_f32(static_cast<std::uint16_t>(h));
        REQUIRE(std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b));
    }
}
#endif
