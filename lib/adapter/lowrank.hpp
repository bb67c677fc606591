// Truncated SVD of a delta matrix (Eigen's BDCSVD), for ALR1 adapters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace slm::adapter {

// delta ~= A . B with A: (rows, r) and B: (r, cols), both row-major f32, where
// r = min(max_rank, rows, cols, numerical rank of delta). The singular values
// are split evenly, A = U_r sqrt(S_r) and B = sqrt(S_r) V_r^T, so both
// factors have the same scale. `delta` is row-major (rows, cols).
struct Factors {
    std::uint32_t rank = 0;
    std::vector<float> a, b;
};

Factors truncated_svd(const std::vector<double>& delta, std::size_t rows, std::size_t cols, std::uint32_t max_rank);

}  // namespace slm::adapter
