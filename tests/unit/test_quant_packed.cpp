// The packed layout (quant/packed.hpp): packing, its row lookups and release
// slices, every set's packed kernels against the .slm-layout scalar
// reference bit for bit, and matvec/matmul over packed views with rows split
// at any point between threads and tiles.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <random>
#include <string>
#include <vector>

#include "quant/dtype_traits.hpp"
#include "quant/kernels.hpp"
#include "quant/matmul.hpp"
#include "quant/matvec.hpp"
#include "quant/packed.hpp"
#include "quant/thread_pool.hpp"
#include "support/packed_rows.hpp"
#include "support/quant_rows.hpp"
#include "support/runtime_models.hpp"

using namespace slm::quant;
using slm::format::DType;
using slm::test::IntRows;
using slm::test::int_rows;
using slm::test::same_float_bits;

TEST_CASE("quant.packed: the reference packed kernels give the .slm reference's bits") {
    slm::test::check_packed_kernels(rows_q8_0_packed_ref, rows_q4_0_packed_ref, 5);
}

TEST_CASE("quant.packed: every set's packed kernels give the reference's bits") {
    int sets_with_packed = 0;
    for (const KernelSet* set : supported_kernel_sets()) {
        CAPTURE(std::string(set->name));
        CHECK((set->rows_q8_0_packed == nullptr) == (set->rows_q4_0_packed == nullptr));
        if (set->rows_q8_0_packed == nullptr) continue;
        ++sets_with_packed;
        slm::test::check_packed_kernels(set->rows_q8_0_packed, set->rows_q4_0_packed, 11);
    }
    CHECK(sets_with_packed >= 1);  // the scalar set has them
}

TEST_CASE("quant.packed: what packs") {
    std::vector<std::uint8_t> bytes(64 * 1024);
    std::vector<float> scales(2048, 0.5f);
    const WeightView q8{DType::q8_0, bytes.data(), scales.data(), 32};
    const WeightView q4{DType::q4_0, bytes.data(), scales.data(), 32};
    CHECK(packable(q8, 7, 288));
    CHECK(packable(q4, 3, 32));
    CHECK(packable(q4, 1, k_packed_max_n));
    CHECK_FALSE(packable(q4, 1, k_packed_max_n + 32));  // the kernels' block-sum buffer
    CHECK_FALSE(packable(q8, 1, 0));
    CHECK_FALSE(packable(WeightView{DType::q8_0, bytes.data(), scales.data(), 64}, 2, 128));
    CHECK_FALSE(packable(WeightView{DType::q4_0, bytes.data(), scales.data(), 16}, 2, 128));
    CHECK_FALSE(packable(WeightView{DType::f32, bytes.data(), nullptr, 0}, 2, 128));
    // Scales are packed as f16, so one that f16 cannot hold exactly keeps the
    // matrix in the file's layout; values f16 holds at its extremes pack.
    scales[7 * 9 - 1] = 0.1f;
    CHECK_FALSE(packable(q8, 7, 288));
    CHECK(packable(q8, 6, 288));  // the inexact scale lies past the rows asked about
    scales[7 * 9 - 1] = 65504.0f;
    scales[0] = 0x1p-24f;  // the least f16 subnormal
    scales[1] = std::numeric_limits<float>::infinity();
    CHECK(packable(q8, 7, 288));
    scales[1] = 0x1p-25f;  // below f16's range
    CHECK_FALSE(packable(q8, 7, 288));
}

TEST_CASE("quant.packed: a group's layout") {
    // 9 blocks of 16 f16 scales = 288 bytes, padded to 320; values 16 rows x 9 blocks.
    const PackedLayout l4 = packed_layout(DType::q4_0, 288);
    CHECK(l4.blocks == 9);
    CHECK(l4.scale_bytes == 320);
    CHECK(l4.block_bytes == 16 * 16);
    CHECK(l4.group_bytes() == 320 + 9 * 256);
    const PackedLayout l8 = packed_layout(DType::q8_0, 64);
    CHECK(l8.scale_bytes == 64);
    CHECK(l8.group_bytes() == 64 + 2 * 512);
}

TEST_CASE("quant.packed: rows read back as the dtype dequantizes them, the copy is 64-byte aligned") {
    for (DType dtype : {DType::q8_0, DType::q4_0}) {
        const std::size_t rows = 37, n = 96;
        IntRows r = int_rows(rows, n, 32, 3, false);
        const void* values = dtype == DType::q8_0 ? static_cast<const void*>(r.q8.data()) : r.q4.data();
        const PackedMatrix p = PackedMatrix::pack(WeightView{dtype, values, r.w_scales.data(), 32}, rows, n);
        CHECK(reinterpret_cast<std::uintptr_t>(p.group(0)) % 64 == 0);
        CHECK(p.bytes() == 3 * packed_layout(dtype, n).group_bytes());
        const DTypeTraits& traits = dtype_traits(dtype);
        for (std::size_t row = 0; row < rows; ++row) {
            std::vector<float> want(n), got(n);
            traits.dequantize_row(static_cast<const std::uint8_t*>(values) + traits.value_bytes(n) * row,
                                  r.w_scales.data() + row * (n / 32), 32, want.data(), n);
            p.dequantize_row(row, got.data());
            CHECK(std::memcmp(want.data(), got.data(), n * sizeof(float)) == 0);
        }
    }
}

TEST_CASE("quant.packed: release is told every source byte, in order, as slices are packed, then the whole") {
    const std::size_t rows = 64 * 16 * 2 + 5, n = 64;  // two full slices and a short one
    IntRows r = int_rows(rows, n, 32, 8, false);
    const WeightView w{DType::q4_0, r.q4.data(), r.w_scales.data(), 32};
    std::vector<std::pair<const void*, std::size_t>> calls;
    (void)PackedMatrix::pack(w, rows, n, [&calls](const void* p, std::size_t size) { calls.emplace_back(p, size); });
    REQUIRE(calls.size() == 8);  // values, scales per slice, then both whole
    const auto* values = reinterpret_cast<const std::uint8_t*>(r.q4.data());
    const auto* scales = reinterpret_cast<const std::uint8_t*>(r.w_scales.data());
    CHECK(calls[6] == std::pair<const void*, std::size_t>(values, r.q4.size()));
    CHECK(calls[7] == std::pair<const void*, std::size_t>(scales, r.w_scales.size() * sizeof(float)));
    calls.resize(6);
    std::size_t value_bytes = 0, scale_bytes = 0;
    for (std::size_t i = 0; i < calls.size(); i += 2) {
        CHECK(calls[i].first == values + value_bytes);
        CHECK(calls[i + 1].first == scales + scale_bytes);
        value_bytes += calls[i].second;
        scale_bytes += calls[i + 1].second;
    }
    CHECK(calls[0].second == 1024 * n / 2);
    CHECK(value_bytes == r.q4.size());
    CHECK(scale_bytes == r.w_scales.size() * sizeof(float));
}

TEST_CASE("quant.packed: matvec and matmul over packed views equal the reference rows for any split") {
    slm::test::KernelGuard guard;
    for (const KernelSet* set : supported_kernel_sets()) {
        if (set->rows_q8_0_packed == nullptr) continue;
        CAPTURE(std::string(set->name));
        REQUIRE(select_kernels(set->name).ok());
        for (auto [dtype, rows] : {std::pair{DType::q8_0, std::size_t{1000}}, std::pair{DType::q4_0, std::size_t{1000}},
                                   std::pair{DType::q8_0, std::size_t{1024}}, std::pair{DType::q4_0, std::size_t{1024}}}) {
            // 1000 rows: threads and tiles cut groups; 1024: threads get whole
            // groups (Plan::granule). x 96, 2 vectors for matmul.
            CAPTURE(rows);
            const std::size_t n = 96;
            IntRows r = int_rows(rows, n, 32, 21, false);
            const void* values = dtype == DType::q8_0 ? static_cast<const void*>(r.q8.data()) : r.q4.data();
            WeightView w{dtype, values, r.w_scales.data(), 32};
            const PackedMatrix packed = PackedMatrix::pack(w, rows, n);
            const auto x0 = slm::test::normal(n, 1.0f, 1), x1 = slm::test::normal(n, 1.0f, 2);

            // The reference: the int8 form of x, then the scalar row kernel.
            auto reference = [&](const std::vector<float>& x) {
                std::vector<std::int8_t> q(n);
                std::vector<float> d(n / 32), out(rows);
                set->quantize_act_q8_0(x.data(), n, 32, q.data(), d.data());
                if (dtype == DType::q8_0) {
                    rows_q8_0_q8_0_ref(r.q8.data(), r.w_scales.data(), q.data(), d.data(), 32, n, rows, out.data());
                } else {
                    rows_q4_0_q8_0_ref(r.q4.data(), r.w_scales.data(), q.data(), d.data(), 32, n, rows, out.data());
                }
                return out;
            };
            const auto want0 = reference(x0), want1 = reference(x1);
            w.packed = &packed;
            for (unsigned threads : {1u, 2u, 3u}) {
                CAPTURE(threads);
                ThreadPool pool(threads);
                std::vector<std::int8_t> q0(n), q1(n);
                std::vector<float> s0(n), s1(n), out(rows), batch(2 * rows);
                MatvecInput in0(x0.data(), n, ActivationMode::q8_0, q0.data(), s0.data());
                matvec(out.data(), w, in0, rows, &pool);
                CHECK(std::memcmp(out.data(), want0.data(), rows * sizeof(float)) == 0);

                MatvecInput ins[] = {MatvecInput(x0.data(), n, ActivationMode::q8_0, q0.data(), s0.data()),
                                     MatvecInput(x1.data(), n, ActivationMode::q8_0, q1.data(), s1.data())};
                const MatmulOutput product{batch.data(), rows, w, rows};
                matmul(std::span<const MatmulOutput>(&product, 1), ins, &pool);
                CHECK(std::memcmp(batch.data(), want0.data(), rows * sizeof(float)) == 0);
                CHECK(std::memcmp(batch.data() + rows, want1.data(), rows * sizeof(float)) == 0);
            }
        }
    }
}
