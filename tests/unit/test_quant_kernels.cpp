// Every SIMD kernel set against the scalar reference and against
// "dequantize, then dot" computed in double precision.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "quant/kernels.hpp"
#include "quant/q4_0.hpp"
#include "quant/q8_0.hpp"
#include "support/quant_rows.hpp"

using namespace slm::quant;

using slm::test::check_close;
using slm::test::check_dots_near_reference;
using slm::test::exact_dot;
using slm::test::Exact;
using slm::test::make_row;
using slm::test::Row;
using slm::test::shifted;

TEST_CASE("quant.kernels: every supported set matches the exact dot") {
    const auto sets = supported_kernel_sets();
    REQUIRE(!sets.empty());
    CHECK(sets.front()->name == "scalar");
    for (const KernelSet* set : sets) {
        CAPTURE(std::string(set->name));
        // f32: every length up to 200 (all tail paths), then model sizes.
        std::vector<std::size_t> lengths;
        for (std::size_t n = 0; n <= 200; ++n) lengths.push_back(n);
        for (std::size_t n : {255u, 288u, 512u, 768u, 1000u, 4099u}) lengths.push_back(n);
        for (std::size_t n : lengths) {
            CAPTURE(n);
            const Row r = make_row(n, 1, static_cast<std::uint32_t>(n));
            const auto xs = shifted(r.x), ws = shifted(r.w);
            check_close(set->dot_f32(r.w.data(), r.x.data(), n), exact_dot(r.w, r.x));
            check_close(set->dot_f32(ws.data() + 1, xs.data() + 1, n), exact_dot(r.w, r.x));
        }
        // Quantized: block sizes hitting every fast and fallback path.
        for (std::size_t bs : {1u, 2u, 3u, 4u, 6u, 8u, 16u, 24u, 32u, 48u, 64u, 96u, 128u}) {
            for (std::size_t blocks : {1u, 2u, 3u, 5u, 9u, 24u}) {
                const std::size_t n = bs * blocks;
                CAPTURE(bs);
                CAPTURE(n);
                const Row r = make_row(n, bs, static_cast<std::uint32_t>(n * 131 + bs));
                const auto xs = shifted(r.x);
                const auto q8s = shifted(r.q8);
                check_close(set->dot_q8_0(r.q8.data(), r.s8.data(), bs, r.x.data(), n),
                            exact_dot(r.w8, r.x));
                check_close(set->dot_q8_0(q8s.data() + 1, r.s8.data(), bs, xs.data() + 1, n),
                            exact_dot(r.w8, r.x));
                if (bs % 2 == 0) {
                    const auto q4s = shifted(r.q4);
                    check_close(set->dot_q4_0(r.q4.data(), r.s4.data(), bs, r.x.data(), n),
                                exact_dot(r.w4, r.x));
                    check_close(set->dot_q4_0(q4s.data() + 1, r.s4.data(), bs, xs.data() + 1, n),
                                exact_dot(r.w4, r.x));
                }
            }
        }
    }
}

TEST_CASE("quant.kernels: SIMD sets agree with the scalar reference on random rows") {
    for (const KernelSet* set : supported_kernel_sets()) {
        CAPTURE(std::string(set->name));
        check_dots_near_reference(set->dot_f32, set->dot_q8_0, set->dot_q4_0);
    }
}

TEST_CASE("quant.kernels: softmax and silu_mul give the scalar reference's bits in every set and chunk") {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> wide(-12.0f, 12.0f);
    auto draw = [&](std::size_t n) {
        std::vector<float> v(n);
        for (float& x : v) x = wide(rng);
        return v;
    };
    const KernelSet& ref = *supported_kernel_sets().front();
    REQUIRE(std::string(ref.name) == "scalar");
    for (std::size_t n : {1u, 2u, 7u, 8u, 9u, 15u, 16u, 17u, 40u, 129u, 256u, 768u}) {
        CAPTURE(n);
        const auto scores = draw(n), gate = draw(n), up = draw(n);
        auto want_soft = scores;
        ref.softmax(want_soft.data(), n, 0.125f);
        auto want_silu = gate;
        ref.silu_mul(want_silu.data(), up.data(), n);
        double sum = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            sum += static_cast<double>(want_soft[i]);
            const auto z = static_cast<double>(gate[i]);
            const double exact = z / (1.0 + std::exp(-z)) * static_cast<double>(up[i]);
            CHECK(std::fabs(static_cast<double>(want_silu[i]) - exact) <= 1e-6 * std::fabs(exact) + 1e-30);
        }
        CHECK(sum == doctest::Approx(1.0).epsilon(1e-6));
        // The libm versions (the WebAssembly set's): within a few ulp.
        auto soft_libm = scores;
        softmax_libm(soft_libm.data(), n, 0.125f);
        auto silu_libm = gate;
        silu_mul_libm(silu_libm.data(), up.data(), n / 2);
        silu_mul_libm(silu_libm.data() + n / 2, up.data() + n / 2, n - n / 2);
        for (std::size_t i = 0; i < n; ++i) {
            CHECK(std::fabs(soft_libm[i] - want_soft[i]) <= 4e-7f * want_soft[i] + 1e-37f);
            CHECK(std::fabs(silu_libm[i] - want_silu[i]) <= 4e-7f * std::fabs(want_silu[i]) + 1e-37f);
        }
        for (const KernelSet* set : supported_kernel_sets()) {
            CAPTURE(std::string(set->name));
            auto soft = scores;
            set->softmax(soft.data(), n, 0.125f);
            CHECK(soft == want_soft);
            // A thread finishes the rows it computed: any chunk start must give
            // the same values as one call over all of them.
            for (std::size_t start : {std::size_t{0}, std::size_t{1}, std::size_t{3}, n / 2}) {
                if (start > n) continue;
                CAPTURE(start);
                auto silu = gate;
                set->silu_mul(silu.data(), up.data(), start);
                set->silu_mul(silu.data() + start, up.data() + start, n - start);
                CHECK(silu == want_silu);
            }
        }
    }
}

TEST_CASE("quant.kernels: zero rows and zero scales give exactly zero") {
    for (const KernelSet* set : supported_kernel_sets()) {
        CAPTURE(std::string(set->name));
        const std::vector<float> x(288, 1.5f);
        const std::vector<std::int8_t> q8(288, 100);
        const std::vector<std::uint8_t> q4(144, 0x3C);
        const std::vector<float> zero_scales(9, 0.0f);
        CHECK(set->dot_q8_0(q8.data(), zero_scales.data(), 32, x.data(), 288) == 0.0f);
        CHECK(set->dot_q4_0(q4.data(), zero_scales.data(), 32, x.data(), 288) == 0.0f);
        const std::vector<float> w(288, 0.0f);
        CHECK(set->dot_f32(w.data(), x.data(), 288) == 0.0f);
    }
}

TEST_CASE("quant.kernels: selection by name") {
    const std::string before(kernel_name());
    CHECK(find_kernel_set("scalar") != nullptr);
    CHECK(find_kernel_set("auto") == supported_kernel_sets().back());
    CHECK(find_kernel_set("nonsense") == nullptr);

    REQUIRE(select_kernels("scalar").ok());
    CHECK(kernel_name() == "scalar");
    const std::vector<float> w(40, 0.5f), x(40, 2.0f);
    CHECK(dot_f32(w.data(), x.data(), 40) == 40.0f);

    const slm::Status bad = select_kernels("nonsense");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().id == "quant.kernel_unavailable");
    CHECK(kernel_name() == "scalar");  // unchanged

    REQUIRE(select_kernels("auto").ok());
    CHECK(kernel_name() == supported_kernel_sets().back()->name);
    force_scalar_kernels();
    CHECK(kernel_name() == "scalar");
    REQUIRE(select_kernels(before).ok());
}

#if defined(__x86_64__)
TEST_CASE("quant.kernels: the x86 sets follow the CPU's features, best first") {
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const bool avx512 = avx2 && __builtin_cpu_supports("avx512f");
    const bool avx512vnni = avx512 && __builtin_cpu_supports("avx512vnni");
    const bool avxvnni = avx2 && __builtin_cpu_supports("avxvnni");
    CHECK((find_kernel_set("avx2") != nullptr) == avx2);
    CHECK((find_kernel_set("avxvnni") != nullptr) == avxvnni);
    CHECK((find_kernel_set("avx512") != nullptr) == avx512);
    CHECK((find_kernel_set("avx512vnni") != nullptr) == avx512vnni);
    const std::string best = avx512vnni ? "avx512vnni"
                             : avx512   ? "avx512"
                             : avxvnni  ? "avxvnni"
                             : avx2     ? "avx2"
                                        : "scalar";
    CHECK(std::string(find_kernel_set("auto")->name) == best);
}
#endif
