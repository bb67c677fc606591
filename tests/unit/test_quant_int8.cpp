// The int8-activation path: the activation quantizer (ggml's x86
// quantize_row_q8_0) and the integer row kernels of every kernel set against
// the scalar reference, exact integers, and the f32-activation path.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "quant/dtype_traits.hpp"
#include "quant/f16.hpp"
#include "quant/kernels.hpp"
#include "quant/matvec.hpp"
#include "quant/q4_0.hpp"
#include "quant/q8_0.hpp"
#include "quant/thread_pool.hpp"
#include "support/quant_rows.hpp"

using namespace slm::quant;

using slm::test::int_rows;
using slm::test::IntRows;
using slm::test::check_attention_helpers;
using slm::test::check_exact_int_rows;
using slm::test::check_int_rows_near_reference;
using slm::test::normal;
using slm::test::q4_value;

namespace {

struct Act {
    std::vector<std::int8_t> q;
    std::vector<float> d;
};

Act quantize_act(const KernelSet& set, const std::vector<float>& x, std::size_t bs) {
    Act a{std::vector<std::int8_t>(x.size()), std::vector<float>(x.size() / bs)};
    set.quantize_act_q8_0(x.data(), x.size(), bs, a.q.data(), a.d.data());
    return a;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// An independent statement of ggml's x86 rounding for one block, in double
// where that is exact: id = 127 / amax in f32, q = nearest-even(x * id).
void expect_ggml_block(const float* x, std::size_t bs, const std::int8_t* q, float d) {
    float amax = 0.0f;
    for (std::size_t j = 0; j < bs; ++j) amax = std::max(amax, std::fabs(x[j]));
    CHECK(same_bits(d, round_to_fp16(amax / 127.0f)));
    if (d == 0.0f) {  // contributes nothing: all zero
        for (std::size_t j = 0; j < bs; ++j) CHECK(q[j] == 0);
        return;
    }
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    for (std::size_t j = 0; j < bs; ++j) {
        const float scaled = x[j] * id;
        CHECK(static_cast<int>(q[j]) == static_cast<int>(std::nearbyint(scaled)));  // default mode: ties to even
    }
}

}  // namespace

TEST_CASE("quant.int8: activation quantizer of every set equals ggml's x86 rounding") {
    for (const KernelSet* set : supported_kernel_sets()) {
        CAPTURE(std::string(set->name));
        for (std::size_t bs : {1u, 2u, 6u, 8u, 16u, 24u, 32u, 64u, 96u, 1024u}) {
            CAPTURE(bs);
            const auto x = normal(bs * 7, 1.5f, static_cast<std::uint32_t>(bs));
            const Act a = quantize_act(*set, x, bs);
            const Act ref = quantize_act(*supported_kernel_sets().front(), x, bs);  // scalar
            CHECK(a.q == ref.q);
            for (std::size_t b = 0; b < a.d.size(); ++b) {
                CHECK(same_bits(a.d[b], ref.d[b]));
                expect_ggml_block(x.data() + b * bs, bs, a.q.data() + b * bs, a.d[b]);
            }
            for (std::int8_t v : a.q) CHECK(v >= -127);
        }
    }
}

TEST_CASE("quant.int8: halves round to even, special blocks") {
    // amax 127 gives id = 1 exactly, so x * id = x: the halves are ties.
    std::vector<float> x(32, 0.0f);
    const float halves[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, -126.5f, 127.0f};
    const int expect[] = {0, 2, 2, 0, -2, -2, 126, -126, 127};
    std::copy(std::begin(halves), std::end(halves), x.begin());
    // Zero block, a tiny block (1/amax overflows), a NaN block, an inf block.
    x.resize(160, 0.0f);
    for (std::size_t j = 64; j < 96; ++j) x[j] = 1e-38f;
    x[100] = std::numeric_limits<float>::quiet_NaN();
    x[140] = -std::numeric_limits<float>::infinity();
    for (const KernelSet* set : supported_kernel_sets()) {
        CAPTURE(std::string(set->name));
        const Act a = quantize_act(*set, x, 32);
        for (std::size_t j = 0; j < 9; ++j) CHECK(static_cast<int>(a.q[j]) == expect[j]);
        CHECK(a.d[0] == 1.0f);                     // fp16(127 / 127)
        CHECK(a.d[1] == 0.0f);                     // zero block
        CHECK(a.d[2] == 0.0f);                     // fp16 underflow: contributes nothing
        CHECK(std::isnan(a.d[3]));                 // NaN keeps the products NaN
        CHECK(std::isnan(a.d[4]));
        for (std::size_t j = 96; j < 160; ++j) CHECK(a.q[j] == 0);
        const Act ref = quantize_act(*supported_kernel_sets().front(), x, 32);
        CHECK(a.q == ref.q);
    }
}

TEST_CASE("quant.int8: integer sums are exact in every set") {
    // Unit scales make every partial sum an integer below 2^24, exact in f32
    // in any order: each set must return the exact dot.
    for (const KernelSet* set : supported_kernel_sets()) {
        CAPTURE(std::string(set->name));
        for (std::size_t bs : {2u, 6u, 8u, 16u, 32u, 64u, 96u, 1024u}) {
            for (std::size_t rows : {1u, 3u, 4u, 9u}) {
                const std::size_t n = bs * (bs >= 512 ? 1 : 5);
                CAPTURE(bs);
                CAPTURE(rows);
                const IntRows r = int_rows(rows, n, bs, static_cast<std::uint32_t>(bs * 10 + rows), true);
                std::vector<float> out8(rows), out4(rows);
                set->rows_q8_0_q8_0(r.q8.data(), r.w_scales.data(), r.a.data(), r.a_scales.data(), bs, n, rows,
                                    out8.data());
                set->rows_q4_0_q8_0(r.q4.data(), r.w_scales.data(), r.a.data(), r.a_scales.data(), bs, n, rows,
                                    out4.data());
                check_exact_int_rows(r, n, bs, rows, out8, out4);
            }
        }
    }
}

TEST_CASE("quant.int8: every set agrees with the scalar reference within 1e-6") {
    std::mt19937 rng(17);
    for (const KernelSet* set : supported_kernel_sets()) {
        CAPTURE(std::string(set->name));
        for (int trial = 0; trial < 200; ++trial) {
            const std::size_t bs = trial % 3 == 0 ? 32 : 2 * (1 + rng() % 64);
            const std::size_t n = bs * (1 + rng() % 24);
            const std::size_t rows = 1 + rng() % 9;
            CAPTURE(bs);
            CAPTURE(n);
            const IntRows r = int_rows(rows, n, bs, static_cast<std::uint32_t>(rng()), false);
            std::vector<float> out8(rows), out4(rows);
            set->rows_q8_0_q8_0(r.q8.data(), r.w_scales.data(), r.a.data(), r.a_scales.data(), bs, n, rows,
                                out8.data());
            set->rows_q4_0_q8_0(r.q4.data(), r.w_scales.data(), r.a.data(), r.a_scales.data(), bs, n, rows,
                                out4.data());
            check_int_rows_near_reference(r, n, bs, rows, out8, out4);
        }
    }
}

TEST_CASE("quant.int8: the avxvnni rows give the avx2 rows' bits") {
    // Same int32 lanes (vpdpbusd instead of maddubs + madd) and the same f32
    // steps: equal bit for bit, including the extremes -128 and 127 and the
    // block sizes that fall back to the reference.
    const KernelSet* vnni = find_kernel_set("avxvnni");
    const KernelSet* avx2 = find_kernel_set("avx2");
    if (vnni == nullptr || avx2 == nullptr) return;  // not on this CPU
    std::mt19937 rng(29);
    for (int trial = 0; trial < 300; ++trial) {
        const std::size_t bs = trial % 3 == 0 ? 32 : trial % 3 == 1 ? 64 : 2 * (1 + rng() % 64);
        const std::size_t n = bs * (1 + rng() % 24);
        const std::size_t rows = 1 + rng() % 9;
        CAPTURE(bs);
        CAPTURE(n);
        IntRows r = int_rows(rows, n, bs, static_cast<std::uint32_t>(rng()), false);
        if (trial % 10 == 0) {
            std::fill(r.q8.begin(), r.q8.end(), std::int8_t{-128});
            std::fill(r.a.begin(), r.a.end(), std::int8_t{127});
        }
        std::vector<float> a8(rows), a4(rows), v8(rows), v4(rows);
        avx2->rows_q8_0_q8_0(r.q8.data(), r.w_scales.data(), r.a.data(), r.a_scales.data(), bs, n, rows, a8.data());
        avx2->rows_q4_0_q8_0(r.q4.data(), r.w_scales.data(), r.a.data(), r.a_scales.data(), bs, n, rows, a4.data());
        vnni->rows_q8_0_q8_0(r.q8.data(), r.w_scales.data(), r.a.data(), r.a_scales.data(), bs, n, rows, v8.data());
        vnni->rows_q4_0_q8_0(r.q4.data(), r.w_scales.data(), r.a.data(), r.a_scales.data(), bs, n, rows, v4.data());
        CHECK(std::memcmp(a8.data(), v8.data(), rows * sizeof(float)) == 0);
        CHECK(std::memcmp(a4.data(), v4.data(), rows * sizeof(float)) == 0);
    }
}

TEST_CASE("quant.int8: the whole path stays close to f32 activations") {
    // Realistic rows: weights quantized by the reference quantizers,
    // activations ~N(0, 1). Relative error of the output vector, measured
    // about 4e-3 for both dtypes (the int8 rounding of x).
    const std::size_t rows = 256, n = 288;
    ThreadPool pool(2);
    for (DType dtype : {DType::q8_0, DType::q4_0}) {
        const auto w = normal(rows * n, 0.05f, 3);
        const auto x = normal(n, 1.0f, 4);
        std::vector<std::uint8_t> values(dtype == DType::q8_0 ? rows * n : rows * n / 2);
        std::vector<float> scales(rows * n / 32);
        if (dtype == DType::q8_0) {
            REQUIRE(quantize_row_q8_0_ref(w.data(), rows * n, 32, reinterpret_cast<std::int8_t*>(values.data()),
                                          scales.data())
                        .ok());
        } else {
            REQUIRE(quantize_row_q4_0_ref(w.data(), rows * n, 32, values.data(), scales.data()).ok());
        }
        const WeightView view{dtype, values.data(), scales.data(), 32};
        std::vector<float> exact(rows), approx(rows), threaded(rows);
        matvec(exact.data(), view, x.data(), rows, n, nullptr);
        std::vector<std::int8_t> xq(n);
        std::vector<float> xs(n);
        MatvecInput in(x.data(), n, ActivationMode::q8_0, xq.data(), xs.data());
        matvec(approx.data(), view, in, rows, nullptr);
        MatvecInput again(x.data(), n, ActivationMode::q8_0, xq.data(), xs.data());
        matvec(threaded.data(), view, again, rows, &pool);
        CHECK(threaded == approx);  // bit for bit

        double num = 0.0, den = 0.0;
        for (std::size_t r = 0; r < rows; ++r) {
            const double diff = static_cast<double>(approx[r]) - static_cast<double>(exact[r]);
            num += diff * diff;
            den += static_cast<double>(exact[r]) * static_cast<double>(exact[r]);
        }
        const double rel = std::sqrt(num / den);
        MESSAGE(dtype_traits(dtype).name << ": int8 activations, relative error " << rel);
        CHECK(rel < 2e-2);
        CHECK(rel > 0.0);
    }
}

TEST_CASE("quant.int8: f32 matrices and oversized blocks keep f32 activations") {
    const std::size_t n = 2048;
    const auto w = normal(n, 0.05f, 5);
    const auto x = normal(n, 1.0f, 6);
    std::vector<std::int8_t> xq(n);
    std::vector<float> xs(n);
    MatvecInput in(x.data(), n, ActivationMode::q8_0, xq.data(), xs.data());
    CHECK_FALSE(in.wants_q8(WeightView{DType::f32, w.data(), nullptr, 0}));

    std::vector<std::int8_t> q(n);
    std::vector<float> scales(1);
    REQUIRE(quantize_row_q8_0_ref(w.data(), n, n, q.data(), scales.data()).ok());
    const WeightView big_block{DType::q8_0, q.data(), scales.data(), static_cast<std::uint32_t>(n)};
    CHECK_FALSE(in.wants_q8(big_block));
    float a = 0.0f, b = 0.0f;
    matvec(&a, big_block, in, 1, nullptr);
    matvec(&b, big_block, x.data(), 1, n, nullptr);
    CHECK(same_bits(a, b));
}

TEST_CASE("quant.int8: fused products equal separate matvecs bit for bit") {
    const std::size_t n = 288;
    ThreadPool pool(3);
    const auto x = normal(n, 1.0f, 8);
    std::vector<std::vector<std::int8_t>> values;
    std::vector<std::vector<float>> scales;
    std::vector<WeightView> views;
    for (std::size_t rows : {288u, 96u, 500u}) {
        const auto w = normal(rows * n, 0.05f, static_cast<std::uint32_t>(rows));
        values.emplace_back(rows * n);
        scales.emplace_back(rows * n / 32);
        REQUIRE(quantize_row_q8_0_ref(w.data(), rows * n, 32, values.back().data(), scales.back().data()).ok());
        views.push_back(WeightView{DType::q8_0, values.back().data(), scales.back().data(), 32});
    }
    std::vector<float> xs(n);
    std::vector<std::int8_t> xq(n);
    for (ActivationMode mode : {ActivationMode::f32, ActivationMode::q8_0}) {
        CAPTURE(activation_mode_name(mode));
        std::vector<float> a0(288), a1(96), a2(500), b0(288), b1(96), b2(500);
        MatvecInput fused_in(x.data(), n, mode, xq.data(), xs.data());
        const MatvecOutput products[] = {{a0.data(), views[0], 288}, {a1.data(), views[1], 96},
                                         {a2.data(), views[2], 500}};
        matvec(products, fused_in, &pool);
        for (auto [out, view, rows] : {std::tuple{b0.data(), views[0], 288u}, std::tuple{b1.data(), views[1], 96u},
                                       std::tuple{b2.data(), views[2], 500u}}) {
            MatvecInput single(x.data(), n, mode, xq.data(), xs.data());
            matvec(out, view, single, rows, nullptr);
        }
        CHECK(a0 == b0);
        CHECK(a1 == b1);
        CHECK(a2 == b2);
    }
}

TEST_CASE("quant.kernels: attention helpers of every set match the reference") {
    std::mt19937 rng(23);
    for (const KernelSet* set : supported_kernel_sets()) {
        CAPTURE(std::string(set->name));
        // Every blocking: 1-8 vectors of 8 per pass, 8/4/1 keys at a time.
        for (std::size_t n : {1u, 7u, 8u, 16u, 40u, 48u, 64u, 100u, 120u, 136u}) {
            for (std::size_t count : {1u, 3u, 4u, 5u, 12u, 33u}) {
                CAPTURE(n);
                CAPTURE(count);
                const std::size_t stride = n + 5;
                const auto q = normal(n, 1.0f, static_cast<std::uint32_t>(rng()));
                const auto v = normal(stride * count, 1.0f, static_cast<std::uint32_t>(rng()));
                const auto a = normal(count, 0.3f, static_cast<std::uint32_t>(rng()));
                check_attention_helpers(set->dots_f32, set->axpys_f32, q, v, a, stride, n, count);
            }
        }
    }
}

TEST_CASE("quant.kernels: f16 attention helpers are the f32 ones on widened values, bit for bit") {
    // Each set's f16 helpers share their text with an f32 pair: the scalar
    // reference's, or AVX2's (every x86 set; F16C loads). Fed the same values,
    // one widened from f16 and one already f32, they must agree exactly.
    std::mt19937 rng(29);
    const KernelSet* avx2 = find_kernel_set("avx2");
    for (const KernelSet* set : supported_kernel_sets()) {
        CAPTURE(std::string(set->name));
        const bool scalar_text = set->dots_f16 == dots_f16_ref;
        CHECK((set->axpys_f16 == axpys_f16_ref) == scalar_text);
        REQUIRE((scalar_text || avx2 != nullptr));
        const DotsF32Fn dots_f32 = scalar_text ? dots_f32_ref : avx2->dots_f32;
        const AxpysF32Fn axpys_f32 = scalar_text ? axpys_f32_ref : avx2->axpys_f32;
        for (std::size_t n : {1u, 7u, 8u, 16u, 33u, 48u, 64u, 100u}) {
            for (std::size_t count : {1u, 3u, 4u, 5u, 33u}) {
                CAPTURE(n);
                CAPTURE(count);
                const std::size_t stride = n + 5;
                const auto q = normal(n, 1.0f, static_cast<std::uint32_t>(rng()));
                const auto a = normal(count, 0.3f, static_cast<std::uint32_t>(rng()));
                std::vector<std::uint16_t> v16(stride * count);
                std::vector<float> v32(stride * count);
                const auto v = normal(stride * count, 1.0f, static_cast<std::uint32_t>(rng()));
                for (std::size_t i = 0; i < v.size(); ++i) {
                    v16[i] = fp32_to_fp16(v[i]);
                    v32[i] = fp16_to_fp32(v16[i]);
                }
                std::vector<float> d16(count), d32(count), y16 = normal(n, 1.0f, 3), y32 = y16;
                set->dots_f16(q.data(), v16.data(), stride, n, count, d16.data());
                dots_f32(q.data(), v32.data(), stride, n, count, d32.data());
                set->axpys_f16(a.data(), v16.data(), stride, n, count, y16.data());
                axpys_f32(a.data(), v32.data(), stride, n, count, y32.data());
                CHECK(std::memcmp(d16.data(), d32.data(), count * sizeof(float)) == 0);
                CHECK(std::memcmp(y16.data(), y32.data(), n * sizeof(float)) == 0);
            }
        }
    }
}
