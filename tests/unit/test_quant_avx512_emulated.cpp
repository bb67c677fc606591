// The AVX-512 kernels on any CPU: the library's kernel text
// (quant/kernels_avx512_body.inc, quant/kernels_i8_avx512vnni_body.inc)
// compiled against SIMDe's portable intrinsics, held to the scalar reference
// as test_quant_kernels.cpp and test_quant_int8.cpp hold the native sets.
// Native AVX-512 runs only where the CPU has it; this runs everywhere.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "quant/int8_rows_common.hpp"
#include "quant/kernels.hpp"
#include "quant/packed.hpp"
#include "support/packed_rows.hpp"
#include "support/quant_rows.hpp"
#include "support/simde_avx512.hpp"  // last (see there)

namespace slm::quant::avx512_emulated {

// The f32-activation bodies hand block sizes they do not take to the AVX2
// kernels; here the scalar reference stands in for those (the AVX2 kernels
// are held to it in test_quant_kernels.cpp), so nothing native runs.
inline float dot_q8_0_avx2(const std::int8_t* values, const float* scales, std::size_t block_size,
                           const float* x, std::size_t n) {
    return dot_q8_0_ref(values, scales, block_size, x, n);
}
inline float dot_q4_0_avx2(const std::uint8_t* packed, const float* scales, std::size_t block_size,
                           const float* x, std::size_t n) {
    return dot_q4_0_ref(packed, scales, block_size, x, n);
}

#define SLM_TARGET_AVX512
#define SLM_TARGET_AVX512VNNI
#include "quant/kernels_avx512_body.inc"
#include "quant/kernels_i8_avx512vnni_body.inc"
#undef SLM_TARGET_AVX512
#undef SLM_TARGET_AVX512VNNI

}  // namespace slm::quant::avx512_emulated

namespace emu = slm::quant::avx512_emulated;
using namespace slm::quant;
using slm::test::check_attention_helpers;
using slm::test::check_dots_near_reference;
using slm::test::check_exact_int_rows;
using slm::test::check_int_rows_near_reference;
using slm::test::check_close;
using slm::test::exact_dot;
using slm::test::Exact;
using slm::test::int_rows;
using slm::test::IntRows;
using slm::test::make_row;
using slm::test::normal;
using slm::test::q4_value;
using slm::test::Row;
using slm::test::shifted;

namespace {

// Random small integers as floats: with integer weights and scales, every
// partial sum is an integer below 2^24, so any summation order is exact.
std::vector<float> small_ints(std::size_t n, int limit, std::mt19937& rng) {
    std::vector<float> v(n);
    for (float& x : v) x = static_cast<float>(static_cast<int>(rng() % (2 * limit + 1)) - limit);
    return v;
}

std::vector<float> int_scales(std::size_t n, std::mt19937& rng) {
    std::vector<float> s(n);
    for (float& x : s) x = static_cast<float>(1 << (rng() % 3));  // 1, 2 or 4
    return s;
}

}  // namespace

TEST_CASE("quant.avx512 (emulated): dot_f32 on every length and tail, aligned or not") {
    std::vector<std::size_t> lengths;
    for (std::size_t n = 0; n <= 200; ++n) lengths.push_back(n);  // 64-, 16-wide steps and every masked tail
    for (std::size_t n : {255u, 288u, 1000u, 4099u}) lengths.push_back(n);
    std::mt19937 rng(7);
    for (std::size_t n : lengths) {
        CAPTURE(n);
        // Buffers of exactly n floats: a read past the end trips AddressSanitizer.
        const Row r = make_row(n, 1, static_cast<std::uint32_t>(n));
        const auto xs = shifted(r.x), ws = shifted(r.w);
        const Exact e = exact_dot(r.w, r.x);
        check_close(emu::dot_f32_avx512(r.w.data(), r.x.data(), n), e);
        check_close(emu::dot_f32_avx512(ws.data() + 1, xs.data() + 1, n), e);
        CHECK(std::fabs(emu::dot_f32_avx512(r.w.data(), r.x.data(), n) - dot_f32_ref(r.w.data(), r.x.data(), n)) <=
              2e-5 * e.magnitude);

        const auto wi = small_ints(n, 32, rng), xi = small_ints(n, 32, rng);
        CHECK(static_cast<double>(emu::dot_f32_avx512(wi.data(), xi.data(), n)) == exact_dot(wi, xi).dot);
    }
}

TEST_CASE("quant.avx512 (emulated): attention helpers on every tail") {
    std::mt19937 rng(23);
    for (std::size_t n : {1u, 7u, 15u, 16u, 17u, 40u, 48u, 63u, 64u, 65u, 100u, 128u, 131u}) {
        for (std::size_t count : {1u, 3u, 4u, 5u, 9u, 33u}) {
            CAPTURE(n);
            CAPTURE(count);
            // The last vector ends the buffer, and y holds exactly n floats.
            const std::size_t stride = n + 5;
            const auto q = normal(n, 1.0f, static_cast<std::uint32_t>(rng()));
            const auto v = normal(stride * (count - 1) + n, 1.0f, static_cast<std::uint32_t>(rng()));
            const auto a = normal(count, 0.3f, static_cast<std::uint32_t>(rng()));
            check_attention_helpers(emu::dots_f32_avx512, emu::axpys_f32_avx512, q, v, a, stride, n, count);

            // Integers: exact in any order.
            const auto qi = small_ints(n, 16, rng), vi = small_ints(v.size(), 16, rng), ai = small_ints(count, 4, rng);
            std::vector<float> yi = small_ints(n, 16, rng), yi_ref = yi, dots(count);
            emu::dots_f32_avx512(qi.data(), vi.data(), stride, n, count, dots.data());
            emu::axpys_f32_avx512(ai.data(), vi.data(), stride, n, count, yi.data());
            axpys_f32_ref(ai.data(), vi.data(), stride, n, count, yi_ref.data());
            CHECK(yi == yi_ref);
            for (std::size_t t = 0; t < count; ++t) {
                double exact = 0.0;
                for (std::size_t i = 0; i < n; ++i) exact += static_cast<double>(qi[i] * vi[t * stride + i]);
                CHECK(static_cast<double>(dots[t]) == exact);
            }
        }
    }
}

TEST_CASE("quant.avx512 (emulated): dot_q8_0 and dot_q4_0 on every block-size path") {
    // q8_0 is 16-wide for multiples of 16 (32 has its own two-block path);
    // q4_0 for multiples of 32. The rest falls back.
    std::mt19937 rng(11);
    for (std::size_t bs : {1u, 2u, 3u, 6u, 8u, 16u, 24u, 32u, 48u, 64u, 96u, 128u}) {
        for (std::size_t blocks : {1u, 2u, 3u, 5u, 24u}) {
            const std::size_t n = bs * blocks;
            CAPTURE(bs);
            CAPTURE(n);
            const Row r = make_row(n, bs, static_cast<std::uint32_t>(n * 131 + bs));
            const auto xs = shifted(r.x);
            const auto q8s = shifted(r.q8);
            check_close(emu::dot_q8_0_avx512(r.q8.data(), r.s8.data(), bs, r.x.data(), n), exact_dot(r.w8, r.x));
            check_close(emu::dot_q8_0_avx512(q8s.data() + 1, r.s8.data(), bs, xs.data() + 1, n),
                        exact_dot(r.w8, r.x));
            if (bs % 2 == 0) {
                const auto q4s = shifted(r.q4);
                check_close(emu::dot_q4_0_avx512(r.q4.data(), r.s4.data(), bs, r.x.data(), n),
                            exact_dot(r.w4, r.x));
                check_close(emu::dot_q4_0_avx512(q4s.data() + 1, r.s4.data(), bs, xs.data() + 1, n),
                            exact_dot(r.w4, r.x));
            }

            // Integer data (int8 from -128, every nibble, scales 1, 2, 4): exact.
            const IntRows q = int_rows(1, n, bs, static_cast<std::uint32_t>(rng()), true);
            const auto x = small_ints(n, 4, rng);
            const auto scales = int_scales(n / bs, rng);
            double exact8 = 0.0, exact4 = 0.0;
            for (std::size_t i = 0; i < n; ++i) {
                const double sx = static_cast<double>(scales[i / bs]) * static_cast<double>(x[i]);
                exact8 += sx * q.q8[i];
                if (bs % 2 == 0) exact4 += sx * q4_value(q.q4.data(), bs, i);
            }
            CHECK(static_cast<double>(emu::dot_q8_0_avx512(q.q8.data(), scales.data(), bs, x.data(), n)) == exact8);
            if (bs % 2 == 0) {
                CHECK(static_cast<double>(emu::dot_q4_0_avx512(q.q4.data(), scales.data(), bs, x.data(), n)) ==
                      exact4);
            }
        }
    }
}

TEST_CASE("quant.avx512 (emulated): f32-activation kernels agree with the scalar reference on random rows") {
    check_dots_near_reference(emu::dot_f32_avx512, emu::dot_q8_0_avx512, emu::dot_q4_0_avx512);
}

TEST_CASE("quant.avx512 (emulated): zero blocks give zero, large values stay within the bound") {
    const std::size_t n = 288;
    const std::vector<float> x(n, 1.5f);
    const std::vector<std::int8_t> q8(n, 100);
    const std::vector<std::uint8_t> q4(n / 2, 0x3C);
    for (std::size_t bs : {16u, 32u, 48u, 96u}) {
        CAPTURE(bs);
        const std::vector<float> zero_scales(n / bs, 0.0f);
        CHECK(emu::dot_q8_0_avx512(q8.data(), zero_scales.data(), bs, x.data(), n) == 0.0f);
        CHECK(emu::dot_q4_0_avx512(q4.data(), zero_scales.data(), bs, x.data(), n) == 0.0f);
    }
    const std::vector<float> w(n, 0.0f);
    CHECK(emu::dot_f32_avx512(w.data(), x.data(), n) == 0.0f);

    // Largest fp16 scales, int8 extremes and activations near 1e26: products
    // near 1e34, finite sums, the usual relative bound.
    Row r = make_row(n, 32, 5);
    for (float& v : r.x) v *= 1e26f;
    for (float& s : r.s8) s = 65504.0f;
    for (std::size_t i = 0; i < n; ++i) r.q8[i] = static_cast<std::int8_t>(i % 3 == 0 ? -128 : 127);
    dequantize_row_q8_0(r.q8.data(), r.s8.data(), 32, r.w8.data(), n);
    check_close(emu::dot_q8_0_avx512(r.q8.data(), r.s8.data(), 32, r.x.data(), n), exact_dot(r.w8, r.x));
    for (float& s : r.s4) s = 65504.0f;
    dequantize_row_q4_0(r.q4.data(), r.s4.data(), 32, r.w4.data(), n);
    check_close(emu::dot_q4_0_avx512(r.q4.data(), r.s4.data(), 32, r.x.data(), n), exact_dot(r.w4, r.x));
    std::vector<float> big_w(n), big_x(n);
    for (std::size_t i = 0; i < n; ++i) {
        big_w[i] = r.w[i] * 2e18f;  // ~1e17
        big_x[i] = r.x[i] * 1e-9f;  // ~1e17
    }
    check_close(emu::dot_f32_avx512(big_w.data(), big_x.data(), n), exact_dot(big_w, big_x));
}

namespace {

void rows_q8(const IntRows& r, std::size_t bs, std::size_t n, std::size_t rows, float* out) {
    emu::rows_q8_0_q8_0_avx512vnni(r.q8.data(), r.w_scales.data(), r.a.data(), r.a_scales.data(), bs, n, rows, out);
}

void rows_q4(const IntRows& r, std::size_t bs, std::size_t n, std::size_t rows, float* out) {
    emu::rows_q4_0_q8_0_avx512vnni(r.q4.data(), r.w_scales.data(), r.a.data(), r.a_scales.data(), bs, n, rows, out);
}

}  // namespace

TEST_CASE("quant.avx512 (emulated): VNNI int8 kernels give exact integer sums") {
    // Unit scales make every partial sum an integer below 2^24, exact in f32
    // in any order. 32 pairs blocks (odd counts leave one), other multiples
    // of 32 take 64-byte steps and a 32-byte one; the rest falls back.
    for (std::size_t bs : {2u, 6u, 8u, 16u, 24u, 32u, 64u, 96u, 160u, 1024u}) {
        for (std::size_t blocks : {1u, 2u, 3u, 5u}) {
            for (std::size_t rows : {1u, 3u, 4u, 5u, 9u}) {
                if (bs == 1024 && blocks > 1) continue;  // keeps the sums below 2^24
                const std::size_t n = bs * blocks;
                CAPTURE(bs);
                CAPTURE(n);
                CAPTURE(rows);
                const IntRows r = int_rows(rows, n, bs, static_cast<std::uint32_t>(n * 10 + rows), true);
                std::vector<float> out8(rows), out4(rows);
                rows_q8(r, bs, n, rows, out8.data());
                rows_q4(r, bs, n, rows, out4.data());
                check_exact_int_rows(r, n, bs, rows, out8, out4);
            }
        }
    }
}

TEST_CASE("quant.avx512 (emulated): VNNI int8 extremes do not overflow or saturate") {
    // One block of k_max_act_block: |sum| up to 1024 * 128 * 127 < 2^24.
    const std::size_t n = k_max_act_block;
    for (int a_value : {-127, 127}) {
        CAPTURE(a_value);
        IntRows r = int_rows(5, n, n, 1, true);
        std::fill(r.q8.begin(), r.q8.end(), std::int8_t{-128});
        std::fill(r.q4.begin(), r.q4.end(), std::uint8_t{0x00});  // every value -8
        std::fill(r.a.begin(), r.a.end(), static_cast<std::int8_t>(a_value));
        std::vector<float> out8(5), out4(5);
        rows_q8(r, n, n, 5, out8.data());
        rows_q4(r, n, n, 5, out4.data());
        for (std::size_t row = 0; row < 5; ++row) {
            CHECK(out8[row] == static_cast<float>(-128 * a_value * static_cast<int>(n)));
            CHECK(out4[row] == static_cast<float>(-8 * a_value * static_cast<int>(n)));
        }
    }
}

TEST_CASE("quant.avx512 (emulated): each VNNI block sum meets its own block's scales") {
    // All scales zero but block b's: the result is exactly block b's integer
    // sum, so lanes carrying another block's products (the two-block steps of
    // block size 32) would show.
    for (std::size_t bs : {32u, 64u, 96u}) {
        const std::size_t nb = 5, n = bs * nb, rows = 5;
        const IntRows base = int_rows(rows, n, bs, static_cast<std::uint32_t>(bs), true);
        for (std::size_t b = 0; b < nb; ++b) {
            for (bool weight_side : {false, true}) {
                CAPTURE(bs);
                CAPTURE(b);
                CAPTURE(weight_side);
                IntRows r = base;
                for (std::size_t k = 0; k < nb; ++k) {
                    const float keep = k == b ? 1.0f : 0.0f;
                    r.a_scales[k] = weight_side ? 1.0f : keep;
                    for (std::size_t row = 0; row < rows; ++row) r.w_scales[row * nb + k] = weight_side ? keep : 1.0f;
                }
                std::vector<float> out8(rows), out4(rows);
                rows_q8(r, bs, n, rows, out8.data());
                rows_q4(r, bs, n, rows, out4.data());
                for (std::size_t row = 0; row < rows; ++row) {
                    std::int64_t e8 = 0, e4 = 0;
                    for (std::size_t i = b * bs; i < (b + 1) * bs; ++i) {
                        e8 += std::int64_t{r.q8[row * n + i]} * r.a[i];
                        e4 += std::int64_t{q4_value(r.q4.data() + row * n / 2, bs, i)} * r.a[i];
                    }
                    CHECK(out8[row] == static_cast<float>(e8));
                    CHECK(out4[row] == static_cast<float>(e4));
                }
            }
        }
    }
}

TEST_CASE("quant.avx512 (emulated): VNNI int8 kernels agree with the scalar reference, any row split") {
    std::mt19937 rng(17);
    for (int trial = 0; trial < 200; ++trial) {
        const std::size_t bs = trial % 3 == 0 ? 32 : 2 * (1 + rng() % 64);
        const std::size_t n = bs * (1 + rng() % 24);
        const std::size_t rows = 1 + rng() % 9;
        CAPTURE(bs);
        CAPTURE(n);
        CAPTURE(rows);
        IntRows r = int_rows(rows, n, bs, static_cast<std::uint32_t>(rng()), false);
        if (trial % 4 == 0) {  // a zero activation block, as quantize_act_q8_0 makes it
            std::fill(r.a.begin(), r.a.begin() + static_cast<std::ptrdiff_t>(bs), std::int8_t{0});
            r.a_scales[0] = 0.0f;
        }
        // Unaligned copies of the weights and activations.
        const auto q8s = shifted(r.q8);
        const auto q4s = shifted(r.q4);
        const auto as = shifted(r.a);
        std::vector<float> out8(rows), out4(rows);
        emu::rows_q8_0_q8_0_avx512vnni(q8s.data() + 1, r.w_scales.data(), as.data() + 1, r.a_scales.data(), bs, n,
                                       rows, out8.data());
        emu::rows_q4_0_q8_0_avx512vnni(q4s.data() + 1, r.w_scales.data(), as.data() + 1, r.a_scales.data(), bs, n,
                                       rows, out4.data());
        check_int_rows_near_reference(r, n, bs, rows, out8, out4);
        const std::size_t nb = n / bs;
        for (std::size_t row = 0; row < rows; ++row) {
            // A row alone gets the arithmetic it gets in a group (kernels.hpp).
            float one8 = 0.0f, one4 = 0.0f;
            emu::rows_q8_0_q8_0_avx512vnni(r.q8.data() + row * n, r.w_scales.data() + row * nb, r.a.data(),
                                           r.a_scales.data(), bs, n, 1, &one8);
            emu::rows_q4_0_q8_0_avx512vnni(r.q4.data() + row * n / 2, r.w_scales.data() + row * nb, r.a.data(),
                                           r.a_scales.data(), bs, n, 1, &one4);
            CHECK(one8 == out8[row]);
            CHECK(one4 == out4[row]);
        }
    }
}

TEST_CASE("quant.avx512 (emulated): VNNI packed kernels give the scalar reference's bits") {
    slm::test::check_packed_kernels(emu::rows_q8_0_packed_avx512vnni, emu::rows_q4_0_packed_avx512vnni, 23);
}
