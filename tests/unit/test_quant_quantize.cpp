// Error handling and row-level properties of the reference quantizers.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "quant/dtype_traits.hpp"
#include "quant/kernels.hpp"
#include "quant/q4_0.hpp"
#include "quant/q8_0.hpp"

using namespace slm::quant;

namespace {

std::vector<float> random_row(std::size_t n, std::uint32_t seed, float sigma = 0.05f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, sigma);
    std::vector<float> x(n);
    for (float& v : x) v = dist(rng);
    return x;
}

}  // namespace

TEST_CASE("quant.quantize: NaN and inf are rejected, naming the element") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    for (const DTypeTraits& t : all_dtype_traits()) {
        CAPTURE(t.name);
        for (float bad : {nan, inf, -inf}) {
            std::vector<float> x = random_row(64, 1);
            x[37] = bad;
            std::vector<std::uint8_t> values(t.value_bytes(64));
            std::vector<float> scales(64);
            const slm::Status st =
                t.quantize_row_ref(x.data(), 64, t.default_block_size, values.data(), scales.data());
            REQUIRE_FALSE(st.ok());
            CHECK(st.error().code == slm::ErrorCode::invalid_input);
            CHECK(st.error().id == "quant.non_finite");
            CHECK(st.error().message.find("element 37") != std::string::npos);
        }
    }
}

TEST_CASE("quant.quantize: block sizes are checked") {
    std::vector<float> x = random_row(96, 2);
    std::vector<std::uint8_t> values(96 * 4);
    std::vector<float> scales(96);
    auto q8 = [&](std::size_t bs) {
        return quantize_row_q8_0_ref(x.data(), 96, bs, reinterpret_cast<std::int8_t*>(values.data()),
                                     scales.data());
    };
    auto q4 = [&](std::size_t bs) {
        return quantize_row_q4_0_ref(x.data(), 96, bs, values.data(), scales.data());
    };
    CHECK(q8(32).ok());
    CHECK(q8(3).ok());
    CHECK(q8(1).ok());
    CHECK(q4(32).ok());
    CHECK(q4(6).ok());
    CHECK(q4(2).ok());
    for (const slm::Status& st : {q8(0), q8(64), q4(0), q4(3), q4(64)}) {
        REQUIRE_FALSE(st.ok());
        CHECK(st.error().id == "quant.bad_block_size");
    }
    CHECK(dtype_traits(DType::f32).check_block_size(96, 0).ok());
    CHECK_FALSE(dtype_traits(DType::f32).check_block_size(96, 32).ok());
    CHECK(dtype_traits(DType::q4_0).check_block_size(96, 48).ok());
    CHECK_FALSE(dtype_traits(DType::q4_0).check_block_size(96, 5).ok());
}

TEST_CASE("quant.quantize: a row is its blocks quantized one by one") {
    for (std::size_t bs : {2u, 8u, 32u, 96u}) {
        CAPTURE(bs);
        const std::vector<float> x = random_row(192, static_cast<std::uint32_t>(bs));
        std::vector<std::int8_t> q8(192), q8_blocks(192);
        std::vector<std::uint8_t> q4(96), q4_blocks(96);
        std::vector<float> s8(192 / bs), s4(192 / bs);
        REQUIRE(quantize_row_q8_0_ref(x.data(), 192, bs, q8.data(), s8.data()).ok());
        REQUIRE(quantize_row_q4_0_ref(x.data(), 192, bs, q4.data(), s4.data()).ok());
        for (std::size_t b = 0; b < 192 / bs; ++b) {
            CHECK(quantize_block_q8_0(x.data() + b * bs, bs, q8_blocks.data() + b * bs) == s8[b]);
            CHECK(quantize_block_q4_0(x.data() + b * bs, bs, q4_blocks.data() + b * bs / 2) == s4[b]);
        }
        CHECK(q8 == q8_blocks);
        CHECK(q4 == q4_blocks);
    }
}

TEST_CASE("quant.quantize: round trip error is within one quantization step") {
    const std::size_t n = 32 * 64;
    const std::vector<float> x = random_row(n, 7, 1.0f);
    for (const DTypeTraits& t : all_dtype_traits()) {
        CAPTURE(t.name);
        const std::uint32_t bs = t.default_block_size;
        std::vector<std::uint8_t> values(t.value_bytes(n));
        std::vector<float> scales(t.scale_count(n, bs));
        REQUIRE(t.quantize_row_ref(x.data(), n, bs, values.data(), scales.data()).ok());
        std::vector<float> y(n);
        t.dequantize_row(values.data(), scales.data(), bs, y.data(), n);
        for (std::size_t i = 0; i < n; ++i) {
            const float step = t.quantized ? std::fabs(scales[i / bs]) : 0.0f;
            // Rounding costs half a step; q4_0 clips the side opposite the
            // block's max at +7, a full step. The fp16 rounding of the scale
            // adds 2^-11 relative.
            const float steps = t.dtype == DType::q4_0 ? 1.0f : 0.5f;
            const float limit = steps * step + std::fabs(x[i]) * 1e-3f + 1e-7f;
            REQUIRE(std::fabs(y[i] - x[i]) <= limit);
        }
    }
}

TEST_CASE("quant.quantize: scale overflow names the block") {
    std::vector<float> x(64, 1.0f);
    x[40] = 1e7f;  // block 1 of q8_0: d = 1e7/127 > 65504
    std::vector<std::int8_t> q(64);
    std::vector<float> s(2);
    const slm::Status st = quantize_row_q8_0_ref(x.data(), 64, 32, q.data(), s.data());
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().id == "quant.scale_overflow");
    CHECK(st.error().message.find("block 1 (elements 32..63)") != std::string::npos);
    x[40] = 8e6f;  // d = 62992 fits
    CHECK(quantize_row_q8_0_ref(x.data(), 64, 32, q.data(), s.data()).ok());
    std::vector<std::uint8_t> p(32);
    CHECK_FALSE(quantize_row_q4_0_ref(x.data(), 64, 32, p.data(), s.data()).ok());
    x[40] = -5.2e5f;  // |d| = 65000 fits
    CHECK(quantize_row_q4_0_ref(x.data(), 64, 32, p.data(), s.data()).ok());
}

TEST_CASE("quant.dtype_traits: table") {
    REQUIRE(all_dtype_traits().size() == 3);
    for (const DTypeTraits& t : all_dtype_traits()) {
        CHECK(&dtype_traits(t.dtype) == &t);
        CHECK(find_dtype_traits(static_cast<std::uint32_t>(t.dtype)) == &t);
        CHECK(find_dtype_traits(t.name) == &t);
    }
    CHECK(find_dtype_traits(0u) == nullptr);
    CHECK(find_dtype_traits(4u) == nullptr);
    CHECK(find_dtype_traits("q4_1") == nullptr);

    const DTypeTraits& f32 = dtype_traits(DType::f32);
    const DTypeTraits& q8 = dtype_traits(DType::q8_0);
    const DTypeTraits& q4 = dtype_traits(DType::q4_0);
    CHECK(f32.name == "f32");
    CHECK_FALSE(f32.quantized);
    CHECK(f32.default_block_size == 0);
    CHECK(f32.value_bytes(288) == 1152);
    CHECK(f32.scale_count(288, 0) == 0);
    CHECK(q8.default_block_size == 32);
    CHECK(q8.value_bytes(288) == 288);
    CHECK(q8.scale_count(288, 32) == 9);
    CHECK(q8.bytes_per_block(32) == 36);
    CHECK(q4.value_bytes(288) == 144);
    CHECK(q4.bytes_per_block(32) == 20);
    CHECK(q4.bytes_per_block(64) == 36);
}

TEST_CASE("quant.quantize: SIMD row quantizers give the reference's bytes and errors") {
    // Rows built to hit every branch: ties at the quantization midpoints,
    // +-max ties, zero and -0 blocks, blocks whose 1/d overflows, magnitudes
    // across the f32 range, and block sizes with and without a SIMD path.
    std::mt19937 rng(77);
    std::vector<std::vector<float>> rows;
    for (int i = 0; i < 60; ++i) {
        const float sigma = std::ldexp(1.0f, static_cast<int>(rng() % 40) - 30);
        rows.push_back(random_row(768, static_cast<std::uint32_t>(rng()), sigma));
    }
    std::vector<float> special(768, 0.0f);
    for (std::size_t j = 32; j < 64; ++j) special[j] = -0.0f;
    for (std::size_t j = 64; j < 96; ++j) special[j] = 1e-40f * static_cast<float>(j % 7);  // 1/d overflows
    for (std::size_t j = 96; j < 128; ++j) special[j] = (static_cast<float>(j % 16) - 8.0f) * 0.5f;  // halves
    for (std::size_t j = 128; j < 160; ++j) special[j] = (j % 2 ? 3.0f : -3.0f);  // +-max ties
    for (std::size_t j = 160; j < 192; ++j) special[j] = 127.0f * static_cast<float>(j) / 190.5f;
    rows.push_back(special);

    const std::string before(kernel_name());
    for (const KernelSet* set : supported_kernel_sets()) {
        CAPTURE(std::string(set->name));
        for (const DTypeTraits& t : all_dtype_traits()) {
            if (!t.quantized) continue;
            for (std::size_t bs : {2u, 8u, 16u, 32u, 48u, 64u, 256u}) {
                if (768 % bs != 0) continue;
                CAPTURE(t.name);
                CAPTURE(bs);
                for (const auto& x : rows) {
                    std::vector<std::uint8_t> v_ref(t.value_bytes(768)), v(t.value_bytes(768));
                    std::vector<float> s_ref(768 / bs), s(768 / bs);
                    REQUIRE(t.quantize_row_ref(x.data(), 768, static_cast<std::uint32_t>(bs), v_ref.data(),
                                               s_ref.data())
                                .ok());
                    const auto fn = t.dtype == DType::q8_0 ? set->quantize_q8_0 : set->quantize_q4_0;
                    REQUIRE(fn(x.data(), 768, bs, v.data(), s.data()));
                    CHECK(v == v_ref);
                    CHECK(std::memcmp(s.data(), s_ref.data(), s.size() * sizeof(float)) == 0);
                }
            }
            // Rejected input: the same error through the fast entry point.
            auto bad = rows[0];
            bad[300] = std::numeric_limits<float>::quiet_NaN();
            std::vector<std::uint8_t> v(t.value_bytes(768));
            std::vector<float> s(768 / 32);
            REQUIRE(select_kernels(set->name).ok());
            const slm::Status st = t.quantize_row(bad.data(), 768, 32, v.data(), s.data());
            REQUIRE_FALSE(st.ok());
            CHECK(st.error().id == "quant.non_finite");
            CHECK(st.error().message.find("element 300") != std::string::npos);
            bad[300] = 1e9f;
            const slm::Status big = t.quantize_row(bad.data(), 768, 32, v.data(), s.data());
            REQUIRE_FALSE(big.ok());
            CHECK(big.error().id == "quant.scale_overflow");
            for (std::uint32_t bs : {0u, 64u * 5u}) {  // zero, not dividing 768
                const slm::Status shape = t.quantize_row(rows[0].data(), 768, bs, v.data(), s.data());
                REQUIRE_FALSE(shape.ok());
                CHECK(shape.error().id == "quant.bad_block_size");
            }
        }
    }
    REQUIRE(select_kernels(before).ok());
}
