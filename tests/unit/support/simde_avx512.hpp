// AVX-512 intrinsics under their native names, from SIMDe's portable
// implementations, for compiling the library's AVX-512 kernel text on any CPU
// (test_quant_avx512_emulated.cpp). Include it after every other header: its
// native-name macros must not meet <immintrin.h>.
//
// SIMDe 0.7.4 (Debian 12) lacks a few intrinsics the kernels use; they are
// defined below, lane by lane, in the namespace the kernels are compiled in,
// and only where SIMDe has no alias of that name (newer SIMDe releases add
// them).
#pragma once

#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>

#include <cstdint>
#include <cstring>

#include "quant/f16.hpp"

namespace slm::quant::avx512_emulated {

using __mmask16 = simde__mmask16;

namespace simde_lanes {

template <class Out, class In>
Out bits_as(const In& in) {
    static_assert(sizeof(Out) == sizeof(In));
    Out out;
    std::memcpy(&out, &in, sizeof out);
    return out;
}

struct F32x16 {
    float v[16];
};
struct I32x16 {
    std::int32_t v[16];
};
struct I8x16 {
    std::int8_t v[16];
};

}  // namespace simde_lanes

#if !defined(_mm512_cvtepi8_epi32)
inline simde__m512i _mm512_cvtepi8_epi32(simde__m128i a) {
    const auto in = simde_lanes::bits_as<simde_lanes::I8x16>(a);
    simde_lanes::I32x16 out;
    for (int i = 0; i < 16; ++i) out.v[i] = in.v[i];
    return simde_lanes::bits_as<simde__m512i>(out);
}
#endif

#if !defined(_mm512_cvtepi32_ps)
inline simde__m512 _mm512_cvtepi32_ps(simde__m512i a) {
    const auto in = simde_lanes::bits_as<simde_lanes::I32x16>(a);
    simde_lanes::F32x16 out;
    for (int i = 0; i < 16; ++i) out.v[i] = static_cast<float>(in.v[i]);
    return simde_lanes::bits_as<simde__m512>(out);
}
#endif

#if !defined(_mm512_mask_srli_epi32)
// Lanes selected by k: a's lane shifted right (logical) by imm; others: src's.
inline simde__m512i _mm512_mask_srli_epi32(simde__m512i src, simde__mmask16 k, simde__m512i a, unsigned imm) {
    auto out = simde_lanes::bits_as<simde_lanes::I32x16>(src);
    const auto in = simde_lanes::bits_as<simde_lanes::I32x16>(a);
    for (int i = 0; i < 16; ++i) {
        if ((k >> i) & 1) out.v[i] = imm > 31 ? 0 : static_cast<std::int32_t>(static_cast<std::uint32_t>(in.v[i]) >> imm);
    }
    return simde_lanes::bits_as<simde__m512i>(out);
}
#endif

#if !defined(_mm512_srai_epi32)
// Each lane shifted right arithmetically (sign bits in), by 31 at most.
inline simde__m512i _mm512_srai_epi32(simde__m512i a, unsigned imm) {
    auto out = simde_lanes::bits_as<simde_lanes::I32x16>(a);
    for (int i = 0; i < 16; ++i) out.v[i] = out.v[i] >> (imm > 31 ? 31 : imm);
    return simde_lanes::bits_as<simde__m512i>(out);
}
#endif

// Only the selected lanes are read or written, as by the instructions (no
// fault past them), so AddressSanitizer catches a mask one lane too wide.
#if !defined(_mm512_maskz_loadu_ps)
inline simde__m512 _mm512_maskz_loadu_ps(simde__mmask16 k, const void* p) {
    simde_lanes::F32x16 out{};
    for (int i = 0; i < 16; ++i) {
        if ((k >> i) & 1) std::memcpy(&out.v[i], static_cast<const char*>(p) + 4 * i, 4);
    }
    return simde_lanes::bits_as<simde__m512>(out);
}
#endif

#if !defined(_mm512_mask_storeu_ps)
inline void _mm512_mask_storeu_ps(void* p, simde__mmask16 k, simde__m512 a) {
    const auto in = simde_lanes::bits_as<simde_lanes::F32x16>(a);
    for (int i = 0; i < 16; ++i) {
        if ((k >> i) & 1) std::memcpy(static_cast<char*>(p) + 4 * i, &in.v[i], 4);
    }
}
#endif

// GCC's order: upper 256 bits onto the lower, then the 128-bit halves, then
// lanes (0 + 2) + (1 + 3).
#if !defined(_mm512_reduce_add_ps)
inline float _mm512_reduce_add_ps(simde__m512 a) {
    const auto in = simde_lanes::bits_as<simde_lanes::F32x16>(a);
    float s8[8], s4[4];
    for (int i = 0; i < 8; ++i) s8[i] = in.v[i + 8] + in.v[i];
    for (int i = 0; i < 4; ++i) s4[i] = s8[i + 4] + s8[i];
    return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}
#endif

#if !defined(_mm512_cvtph_ps)
inline simde__m512 _mm512_cvtph_ps(simde__m256i a) {
    std::uint16_t in[16];
    std::memcpy(in, &a, sizeof in);
    simde_lanes::F32x16 out;
    for (int i = 0; i < 16; ++i) out.v[i] = slm::quant::fp16_to_fp32(in[i]);
    return simde_lanes::bits_as<simde__m512>(out);
}
#endif

}  // namespace slm::quant::avx512_emulated
