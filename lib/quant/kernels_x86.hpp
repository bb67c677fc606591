// x86-64 SIMD kernel sets (internal to quant/; use kernels.hpp). Each
// function is compiled for its ISA with a target attribute and must only be
// called after a CPU check (kernels.cpp does this).
#pragma once

#if defined(__x86_64__)

#include <cstddef>
#include <cstdint>

namespace slm::quant {

// AVX2 + FMA. Block sizes that are not a multiple of 8 (q8_0) or 16 (q4_0)
// fall back to the scalar reference.
float dot_f32_avx2(const float* w, const float* x, std::size_t n);
void dots_f32_avx2(const float* q, const float* v, std::size_t stride, std::size_t n, std::size_t count,
                   float* out);
void axpys_f32_avx2(const float* a, const float* v, std::size_t stride, std::size_t n, std::size_t count,
                    float* y);
// The same two over an f16 KV cache (F16C loads; the AVX-512 sets use them too).
void dots_f16_avx2(const float* q, const std::uint16_t* v, std::size_t stride, std::size_t n, std::size_t count,
                   float* out);
void axpys_f16_avx2(const float* a, const std::uint16_t* v, std::size_t stride, std::size_t n, std::size_t count,
                    float* y);
float dot_q8_0_avx2(const std::int8_t* values, const float* scales, std::size_t block_size,
                    const float* x, std::size_t n);
float dot_q4_0_avx2(const std::uint8_t* packed, const float* scales, std::size_t block_size,
                    const float* x, std::size_t n);

// AVX2 int8-activation kernels (also used by the "avx512" set: 64-byte
// products need VNNI, which the AVX-512F baseline does not promise). Block
// sizes that are not a multiple of 32 (or exceed k_max_act_block) fall back
// to the scalar reference.
void quantize_act_q8_0_avx2(const float* x, std::size_t n, std::size_t block_size, std::int8_t* q,
                            float* scales);
void rows_q8_0_q8_0_avx2(const std::int8_t* w, const float* w_scales, const std::int8_t* a,
                         const float* a_scales, std::size_t block_size, std::size_t n,
                         std::size_t rows, float* out);
void rows_q4_0_q8_0_avx2(const std::uint8_t* w, const float* w_scales, const std::int8_t* a,
                         const float* a_scales, std::size_t block_size, std::size_t n,
                         std::size_t rows, float* out);

// AVX2 + AVX-VNNI int8-activation kernels (the "avxvnni" set, which
// otherwise is the "avx2" one): the same lanes and f32 steps as the AVX2
// ones, so the same bits.
void rows_q8_0_q8_0_avxvnni(const std::int8_t* w, const float* w_scales, const std::int8_t* a,
                            const float* a_scales, std::size_t block_size, std::size_t n,
                            std::size_t rows, float* out);
void rows_q4_0_q8_0_avxvnni(const std::uint8_t* w, const float* w_scales, const std::int8_t* a,
                            const float* a_scales, std::size_t block_size, std::size_t n,
                            std::size_t rows, float* out);
// Packed-layout kernels (packed.hpp) with maddubs + madd: the "avx2" and
// "avx512" sets' (run --no-repack keeps their llama.cpp-order row kernels).
void rows_q8_0_packed_avx2(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                           const float* a_scales, std::size_t n, float* out);
void rows_q4_0_packed_avx2(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                           const float* a_scales, std::size_t n, float* out);
// Its packed-layout kernels (packed.hpp): a 16-row group in two 256-bit halves.
void rows_q8_0_packed_avxvnni(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                              const float* a_scales, std::size_t n, float* out);
void rows_q4_0_packed_avxvnni(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                              const float* a_scales, std::size_t n, float* out);

// Weight quantizers with the reference's bytes (quantize_avx2.cpp; also used
// by the AVX-512 sets).
bool quantize_q8_0_avx2(const float* x, std::size_t n, std::size_t block_size, void* values, float* scales);
bool quantize_q4_0_avx2(const float* x, std::size_t n, std::size_t block_size, void* values, float* scales);

// AVX-512F. Block sizes that are not a multiple of 16 (q8_0) or 32 (q4_0)
// fall back to the AVX2 kernels (every AVX-512F CPU has AVX2 and FMA).
float dot_f32_avx512(const float* w, const float* x, std::size_t n);
void dots_f32_avx512(const float* q, const float* v, std::size_t stride, std::size_t n, std::size_t count,
                     float* out);
void axpys_f32_avx512(const float* a, const float* v, std::size_t stride, std::size_t n, std::size_t count,
                      float* y);
float dot_q8_0_avx512(const std::int8_t* values, const float* scales, std::size_t block_size,
                      const float* x, std::size_t n);
float dot_q4_0_avx512(const std::uint8_t* packed, const float* scales, std::size_t block_size,
                      const float* x, std::size_t n);

// AVX-512F + AVX-512 VNNI int8-activation kernels (the "avx512vnni" set, which
// otherwise is the "avx512" one). Block sizes the AVX2 ones hand to the scalar
// reference go there too.
void rows_q8_0_q8_0_avx512vnni(const std::int8_t* w, const float* w_scales, const std::int8_t* a,
                               const float* a_scales, std::size_t block_size, std::size_t n,
                               std::size_t rows, float* out);
void rows_q4_0_q8_0_avx512vnni(const std::uint8_t* w, const float* w_scales, const std::int8_t* a,
                               const float* a_scales, std::size_t block_size, std::size_t n,
                               std::size_t rows, float* out);
// Its packed-layout kernels (packed.hpp): one 16-row group per 512-bit vector.
void rows_q8_0_packed_avx512vnni(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                                 const float* a_scales, std::size_t n, float* out);
void rows_q4_0_packed_avx512vnni(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                                 const float* a_scales, std::size_t n, float* out);

}  // namespace slm::quant

#endif
