// Packed-layout kernels (quant/packed.hpp) against the .slm-layout scalar
// reference, bit for bit: shared by test_quant_packed.cpp (native sets) and
// test_quant_avx512_emulated.cpp (the AVX-512 VNNI text under SIMDe).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "quant/kernels.hpp"
#include "quant/matvec.hpp"
#include "quant/packed.hpp"
#include "quant_rows.hpp"

namespace slm::test {

inline bool same_float_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Random rows (some trials at the extremes of the weights and activations),
// row counts that leave the last group part-filled, lengths of 1 to 40
// blocks. Rows past the matrix must come out as +0.
inline void check_packed_kernels(quant::RowsPackedFn q8, quant::RowsPackedFn q4, std::uint32_t seed) {
    std::mt19937 rng(seed);
    constexpr std::size_t bs = quant::k_packed_block;
    const std::size_t row_counts[] = {1, 7, 15, 16, 17, 31, 33, 48, 50};
    for (int trial = 0; trial < 120; ++trial) {
        const std::size_t rows = row_counts[trial % std::size(row_counts)];
        const std::size_t n = bs * (1 + rng() % 40);
        CAPTURE(trial);
        CAPTURE(rows);
        CAPTURE(n);
        IntRows r = int_rows(rows, n, bs, static_cast<std::uint32_t>(rng()), trial % 5 == 0);
        if (trial % 6 == 1) {  // every product at its largest magnitude, same sign or opposite
            const bool negative = trial % 12 == 1;
            std::fill(r.q8.begin(), r.q8.end(), static_cast<std::int8_t>(negative ? -128 : 127));
            std::fill(r.q4.begin(), r.q4.end(), static_cast<std::uint8_t>(negative ? 0x00 : 0xFF));
            std::fill(r.a.begin(), r.a.end(), std::int8_t{127});
        }
        if (trial % 6 == 2) {  // a zero activation block, as quantize_act_q8_0 makes it
            std::fill(r.a.begin(), r.a.begin() + static_cast<std::ptrdiff_t>(bs), std::int8_t{0});
            r.a_scales[0] = 0.0f;
        }
        const quant::WeightView v8{format::DType::q8_0, r.q8.data(), r.w_scales.data(), bs};
        const quant::WeightView v4{format::DType::q4_0, r.q4.data(), r.w_scales.data(), bs};
        const quant::PackedMatrix p8 = quant::PackedMatrix::pack(v8, rows, n);
        const quant::PackedMatrix p4 = quant::PackedMatrix::pack(v4, rows, n);
        REQUIRE(p8.groups() == (rows + 15) / 16);
        std::vector<float> want8(rows), want4(rows);
        quant::rows_q8_0_q8_0_ref(r.q8.data(), r.w_scales.data(), r.a.data(), r.a_scales.data(), bs, n, rows,
                                  want8.data());
        quant::rows_q4_0_q8_0_ref(r.q4.data(), r.w_scales.data(), r.a.data(), r.a_scales.data(), bs, n, rows,
                                  want4.data());
        std::vector<float> got8(p8.groups() * 16, -1.0f), got4(p4.groups() * 16, -1.0f);
        q8(p8.group(0), p8.groups(), r.a.data(), r.a_scales.data(), n, got8.data());
        q4(p4.group(0), p4.groups(), r.a.data(), r.a_scales.data(), n, got4.data());
        for (std::size_t i = 0; i < got8.size(); ++i) {
            CAPTURE(i);
            CHECK(same_float_bits(got8[i], i < rows ? want8[i] : 0.0f));
            CHECK(same_float_bits(got4[i], i < rows ? want4[i] : 0.0f));
        }
    }
}

}  // namespace slm::test
