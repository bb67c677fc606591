// Matrix products of a batch of activation vectors (prompt prefill):
//
//   for t in [0, batch):  out_t (rows,) = W (rows, n) @ x_t (n,)
//
// Each output element is the same kernel call matvec() makes for x_t alone,
// so a batch gives bit-identical results to feeding its vectors one at a
// time. What changes is memory traffic: the rows are walked in tiles small
// enough to stay in cache, and each tile serves every vector of the batch
// before the next one is read, so the weights stream from memory once per
// batch instead of once per token.
#pragma once

#include <cstddef>
#include <span>
#include <type_traits>

#include "quant/matvec.hpp"

namespace slm::quant {

// Vector t's result goes to out + t * stride.
struct MatmulOutput {
    float* out;
    std::size_t stride;
    WeightView w;
    std::size_t rows;
};

// Several products (at most k_max_products) of the same batch in one
// parallel pass, split by rows. xs holds one input per vector of the batch,
// each with its own int8 scratch in q8_0 mode.
void matmul(std::span<const MatmulOutput> products, std::span<MatvecInput> xs, ThreadPool* pool);

// Products with the same number of rows; whichever thread computes rows
// [begin, end) of every product for every vector then calls
// finish(begin, end) (matvec_zip's contract, for the whole batch).
void matmul_zip(std::span<const MatmulOutput> products, std::span<MatvecInput> xs, ThreadPool* pool,
                RowsDone finish, void* ctx);
template <class F>
void matmul_zip(std::span<const MatmulOutput> products, std::span<MatvecInput> xs, ThreadPool* pool,
                F&& finish) {
    using Fn = std::remove_reference_t<F>;
    matmul_zip(
        products, xs, pool,
        [](void* ctx, std::size_t begin, std::size_t end) { (*static_cast<Fn*>(ctx))(begin, end); },
        const_cast<void*>(static_cast<const void*>(&finish)));
}

}  // namespace slm::quant
