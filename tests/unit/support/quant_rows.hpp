// Test rows for the dot kernels (test_quant_kernels.cpp, test_quant_int8.cpp,
// test_quant_avx512_emulated.cpp): weights and activations, their exact dot
// and the error bounds the kernels are held to.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "quant/f16.hpp"
#include "quant/kernels.hpp"
#include "quant/q4_0.hpp"
#include "quant/q8_0.hpp"

namespace slm::test {

// n samples of N(0, sigma^2).
inline std::vector<float> normal(std::size_t n, float sigma, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, sigma);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

// A row with f32 activations: f32 weights, their q8_0 and q4_0 (even block
// sizes only) quantizations by the reference quantizers, and those dequantized.
struct Row {
    std::vector<float> x;  // activations
    std::vector<float> w;  // f32 weights
    std::vector<std::int8_t> q8;
    std::vector<std::uint8_t> q4;
    std::vector<float> s8, s4;
    std::vector<float> w8, w4;  // dequantized
};

inline Row make_row(std::size_t n, std::size_t bs, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    Row r;
    r.x.resize(n);
    r.w.resize(n);
    for (float& v : r.x) v = dist(rng);
    for (float& v : r.w) v = dist(rng) * 0.05f;
    r.q8.resize(n);
    r.s8.resize(n / bs);
    REQUIRE(quant::quantize_row_q8_0_ref(r.w.data(), n, bs, r.q8.data(), r.s8.data()).ok());
    r.w8.resize(n);
    quant::dequantize_row_q8_0(r.q8.data(), r.s8.data(), bs, r.w8.data(), n);
    if (bs % 2 == 0) {
        r.q4.resize(n / 2);
        r.s4.resize(n / bs);
        REQUIRE(quant::quantize_row_q4_0_ref(r.w.data(), n, bs, r.q4.data(), r.s4.data()).ok());
        r.w4.resize(n);
        quant::dequantize_row_q4_0(r.q4.data(), r.s4.data(), bs, r.w4.data(), n);
    }
    return r;
}

// Exact-ish dot and the magnitude that scales its rounding error.
struct Exact {
    double dot = 0.0;
    double magnitude = 0.0;
};

inline Exact exact_dot(const std::vector<float>& w, const std::vector<float>& x) {
    Exact e;
    for (std::size_t i = 0; i < w.size(); ++i) {
        e.dot += static_cast<double>(w[i]) * static_cast<double>(x[i]);
        e.magnitude += std::fabs(static_cast<double>(w[i]) * static_cast<double>(x[i]));
    }
    return e;
}

// The f32-activation contract (kernels.hpp): within 1e-5 of the exact dot.
inline void check_close(float got, const Exact& e) {
    CHECK(std::fabs(static_cast<double>(got) - e.dot) <= 1e-5 * e.magnitude + 1e-30);
}

// Copies v into a buffer at a 1-element offset to misalign it.
template <class T>
std::vector<T> shifted(const std::vector<T>& v) {
    std::vector<T> out(v.size() + 1);
    std::copy(v.begin(), v.end(), out.begin() + 1);
    return out;
}

// Rows for the int8-activation kernels: random int8 weights (-128 included),
// nibbles and activations in [-127, 127], fp16-valued scales (or all 1).
struct IntRows {
    std::vector<std::int8_t> q8;
    std::vector<std::uint8_t> q4;
    std::vector<std::int8_t> a;
    std::vector<float> w_scales, a_scales;
};

inline IntRows int_rows(std::size_t rows, std::size_t n, std::size_t bs, std::uint32_t seed, bool unit_scales) {
    std::mt19937 rng(seed);
    IntRows r;
    r.q8.resize(rows * n);
    r.q4.resize(rows * n / 2);
    r.a.resize(n);
    for (auto& v : r.q8) v = static_cast<std::int8_t>(static_cast<int>(rng() % 256) - 128);
    for (auto& v : r.q4) v = static_cast<std::uint8_t>(rng() % 256);
    for (auto& v : r.a) v = static_cast<std::int8_t>(static_cast<int>(rng() % 255) - 127);
    std::uniform_real_distribution<float> scale(1e-4f, 2e-2f);
    r.w_scales.resize(rows * (n / bs));
    r.a_scales.resize(n / bs);
    for (auto& s : r.w_scales) s = unit_scales ? 1.0f : quant::round_to_fp16(scale(rng));
    for (auto& s : r.a_scales) s = unit_scales ? 1.0f : quant::round_to_fp16(scale(rng) * 10.0f);
    return r;
}

// Element i (value - 8) of a q4_0 row with block size bs.
inline int q4_value(const std::uint8_t* row, std::size_t bs, std::size_t i) {
    const std::size_t half = bs / 2;
    const std::uint8_t byte = row[(i / bs) * half + (i % bs) % half];
    return ((i % bs) < half ? (byte & 0x0F) : (byte >> 4)) - 8;
}

// One set's f32-activation dot kernels against the scalar reference on 300
// random rows (even block sizes 2..128). Both sides are within 1e-5 of the
// exact value, so within 2e-5 of each other.
inline void check_dots_near_reference(quant::DotF32Fn dot_f32, quant::DotQ8Fn dot_q8_0, quant::DotQ4Fn dot_q4_0) {
    std::mt19937 rng(99);
    for (int trial = 0; trial < 300; ++trial) {
        const std::size_t bs = 2 * (1 + rng() % 64);
        const std::size_t n = bs * (1 + rng() % 12);
        CAPTURE(bs);
        CAPTURE(n);
        const Row r = make_row(n, bs, static_cast<std::uint32_t>(rng()));
        const Exact e8 = exact_dot(r.w8, r.x), e4 = exact_dot(r.w4, r.x), ef = exact_dot(r.w, r.x);
        const float ref8 = quant::dot_q8_0_ref(r.q8.data(), r.s8.data(), bs, r.x.data(), n);
        const float ref4 = quant::dot_q4_0_ref(r.q4.data(), r.s4.data(), bs, r.x.data(), n);
        const float reff = quant::dot_f32_ref(r.w.data(), r.x.data(), n);
        CHECK(std::fabs(dot_q8_0(r.q8.data(), r.s8.data(), bs, r.x.data(), n) - ref8) <= 2e-5 * e8.magnitude);
        CHECK(std::fabs(dot_q4_0(r.q4.data(), r.s4.data(), bs, r.x.data(), n) - ref4) <= 2e-5 * e4.magnitude);
        CHECK(std::fabs(dot_f32(r.w.data(), r.x.data(), n) - reff) <= 2e-5 * ef.magnitude);
    }
}

// With unit scales, row kernels' outputs are exact integer sums: checks
// out8/out4 (q8_0 and q4_0 rows of r against its activations) against them.
inline void check_exact_int_rows(const IntRows& r, std::size_t n, std::size_t bs, std::size_t rows,
                                 const std::vector<float>& out8, const std::vector<float>& out4) {
    for (std::size_t row = 0; row < rows; ++row) {
        std::int64_t e8 = 0, e4 = 0;
        for (std::size_t i = 0; i < n; ++i) {
            e8 += std::int64_t{r.q8[row * n + i]} * r.a[i];
            e4 += std::int64_t{q4_value(r.q4.data() + row * n / 2, bs, i)} * r.a[i];
        }
        CHECK(out8[row] == static_cast<float>(e8));
        CHECK(out4[row] == static_cast<float>(e4));
    }
}

// Row kernels' outputs out8/out4 (q8_0 and q4_0 rows of r) against the
// scalar reference, within 1e-6 of sum_i |d_b(i) * q_i * a_i|, what the f32
// rounding acts on (SIMD sets scale partial lane sums, which may cancel).
inline void check_int_rows_near_reference(const IntRows& r, std::size_t n, std::size_t bs, std::size_t rows,
                                          const std::vector<float>& out8, const std::vector<float>& out4) {
    const std::size_t nb = n / bs;
    for (std::size_t row = 0; row < rows; ++row) {
        const float ref8 = quant::dot_q8_0_q8_0_ref(r.q8.data() + row * n, r.w_scales.data() + row * nb,
                                                    r.a.data(), r.a_scales.data(), bs, n);
        const float ref4 = quant::dot_q4_0_q8_0_ref(r.q4.data() + row * n / 2, r.w_scales.data() + row * nb,
                                                    r.a.data(), r.a_scales.data(), bs, n);
        double mag8 = 0.0, mag4 = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t b = i / bs;
            const double d =
                std::fabs(static_cast<double>(r.w_scales[row * nb + b]) * static_cast<double>(r.a_scales[b]));
            mag8 += d * std::abs(int{r.q8[row * n + i]} * int{r.a[i]});
            mag4 += d * std::abs(q4_value(r.q4.data() + row * n / 2, bs, i) * int{r.a[i]});
        }
        CHECK(std::fabs(static_cast<double>(out8[row]) - static_cast<double>(ref8)) <= 1e-6 * mag8);
        CHECK(std::fabs(static_cast<double>(out4[row]) - static_cast<double>(ref4)) <= 1e-6 * mag4);
    }
}

// One set's attention helpers on q (n,), count vectors of v (n each, `stride`
// apart) and weights a: dots_f32 against exact sums, axpys_f32 against the
// scalar reference, both within 1e-5 of the magnitudes involved.
inline void check_attention_helpers(quant::DotsF32Fn dots_f32, quant::AxpysF32Fn axpys_f32,
                                    const std::vector<float>& q, const std::vector<float>& v,
                                    const std::vector<float>& a, std::size_t stride, std::size_t n,
                                    std::size_t count) {
    std::vector<float> dots(count), y = normal(n, 1.0f, 3), y_ref = y;
    dots_f32(q.data(), v.data(), stride, n, count, dots.data());
    axpys_f32(a.data(), v.data(), stride, n, count, y.data());
    quant::axpys_f32_ref(a.data(), v.data(), stride, n, count, y_ref.data());
    for (std::size_t t = 0; t < count; ++t) {
        double exact = 0.0, mag = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const double p = static_cast<double>(q[i]) * static_cast<double>(v[t * stride + i]);
            exact += p;
            mag += std::fabs(p);
        }
        CHECK(std::fabs(static_cast<double>(dots[t]) - exact) <= 1e-5 * mag);
    }
    for (std::size_t i = 0; i < n; ++i) {
        double mag = std::fabs(static_cast<double>(y_ref[i]));
        for (std::size_t t = 0; t < count; ++t) {
            mag += std::fabs(static_cast<double>(a[t]) * static_cast<double>(v[t * stride + i]));
        }
        CHECK(std::fabs(static_cast<double>(y[i]) - static_cast<double>(y_ref[i])) <= 1e-5 * mag);
    }
}

}  // namespace slm::test
