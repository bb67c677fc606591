// Shared by the AVX2 translation units of quant/: the target attribute that
// lets them compile without -mavx2 (the CPU is checked at run time) and the
// horizontal sum every kernel ends with.
#pragma once

#if defined(__x86_64__)

#include <immintrin.h>

#define SLM_TARGET_AVX2 __attribute__((target("avx2,fma")))
// Also F16C (every AVX2 CPU has it): the attention helpers read f16 KV caches.
#define SLM_TARGET_AVX2_F16C __attribute__((target("avx2,fma,f16c")))

namespace slm::quant {

// v[0] + ... + v[7]: the two 128-bit halves first, then within a half.
SLM_TARGET_AVX2 inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

}  // namespace slm::quant

#endif  // __x86_64__
