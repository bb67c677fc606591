// Matrix-vector product over a stored weight matrix:
//
//   out (rows,) = W (rows, n) @ x (n,)
//
// W is a view of a tensor in .slm row storage (dtype_traits.hpp): row r's
// values start at r * value_bytes(n) and its scales at r * (n / block_size).
// Each output element is one dot-kernel call from the active kernel set
// (kernels.hpp), so the result is the same for any thread count.
#pragma once

#include <cstddef>
#include <cstdint>

#include "format/layout.hpp"

namespace slm::quant {

class ThreadPool;

struct WeightView {
    format::DType dtype = format::DType::f32;
    const void* values = nullptr;   // rows x n elements in the dtype's encoding
    const float* scales = nullptr;  // rows x (n / block_size); unused for f32
    std::uint32_t block_size = 0;   // 0 for f32
};

// Rows are split across `pool` (nullptr: the calling thread only); small
// products run on the calling thread alone. The view must be consistent
// with n (checked by assertions, as the .slm reader validates it first).
void matvec(float* out, const WeightView& w, const float* x, std::size_t rows, std::size_t n,
            ThreadPool* pool);

}  // namespace slm::quant
