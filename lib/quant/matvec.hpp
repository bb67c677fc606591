// Matrix-vector product over a stored weight matrix:
//
//   out (rows,) = W (rows, n) @ x (n,)
//
// W is a view of a tensor in .slm row storage (dtype_traits.hpp): row r's
// values start at r * value_bytes(n) and its scales at r * (n / block_size).
// Each output element is one dot-kernel call from the active kernel set
// (kernels.hpp), so the result is the same for any thread count.
//
// Activations are f32, or, in ActivationMode::q8_0, quantized to int8 once
// per input vector for q8_0/q4_0 matrices (as llama.cpp does; about twice as
// fast, error ~1e-3 relative instead of ~1e-7, see docs/quantization.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "format/layout.hpp"

namespace slm::quant {

class ThreadPool;
class PackedMatrix;

struct WeightView {
    format::DType dtype = format::DType::f32;
    const void* values = nullptr;   // rows x n elements in the dtype's encoding
    const float* scales = nullptr;  // rows x (n / block_size); unused for f32
    std::uint32_t block_size = 0;   // 0 for f32
    // The same matrix in packed layout (packed.hpp), or nullptr. Used instead
    // of values/scales with int8 activations when the active kernel set has
    // packed kernels, which give the scalar reference rows' bits.
    const PackedMatrix* packed = nullptr;
};

enum class ActivationMode { f32, q8_0 };

std::string_view activation_mode_name(ActivationMode mode);  // "f32", "q8_0"
std::optional<ActivationMode> find_activation_mode(std::string_view name);

// An activation vector read by one or more matvecs. In q8_0 mode it is
// quantized (quantize_act_q8_0) when the first q8_0/q4_0 matrix reads it,
// with that matrix's block size, and the int8 form is reused by later
// matrices with the same block size. f32 matrices and block sizes above
// k_max_act_block read the f32 values.
class MatvecInput {
public:
    // x: n floats. q: n bytes and scales: n floats of scratch space for the
    // int8 form (unused in f32 mode). All must outlive the input.
    MatvecInput(const float* x, std::size_t n, ActivationMode mode, std::int8_t* q, float* scales)
        : x_(x), n_(n), mode_(mode), q_(q), scales_(scales) {}

    const float* f32() const { return x_; }
    std::size_t size() const { return n_; }
    ActivationMode mode() const { return mode_; }

    // Whether a matrix of this dtype and block size reads the int8 form.
    bool wants_q8(const WeightView& w) const;
    // The int8 form with `block_size`, quantized now unless it already is.
    const std::int8_t* q8(std::uint32_t block_size);
    const float* q8_scales() const { return scales_; }

private:
    const float* x_;
    std::size_t n_;
    ActivationMode mode_;
    std::int8_t* q_;
    float* scales_;
    std::uint32_t quantized_block_ = 0;  // 0: not quantized yet
};

// Rows are split across `pool` (nullptr: the calling thread only); small
// products run on the calling thread alone. The view must be consistent
// with n (checked by assertions, as the .slm reader validates it first).
void matvec(float* out, const WeightView& w, MatvecInput& x, std::size_t rows, ThreadPool* pool);

// f32 activations.
void matvec(float* out, const WeightView& w, const float* x, std::size_t rows, std::size_t n,
            ThreadPool* pool);

// Several products of the same input in one parallel pass (one hand-off to
// the pool instead of one per matrix); each row is computed exactly as by
// matvec(). At most k_max_products. If the q8_0-mode matrices have different
// block sizes, those differing from the first one read f32 activations.
struct MatvecOutput {
    float* out;
    WeightView w;
    std::size_t rows;
};
inline constexpr std::size_t k_max_products = 4;
void matvec(std::span<const MatvecOutput> products, MatvecInput& x, ThreadPool* pool);

// Products with the same number of rows, split by row index: whichever thread
// computes rows [begin, end) of every product then calls finish(begin, end),
// so an element-wise combination of the outputs runs in parallel too.
using RowsDone = void (*)(void* ctx, std::size_t begin, std::size_t end);
void matvec_zip(std::span<const MatvecOutput> products, MatvecInput& x, ThreadPool* pool, RowsDone finish,
                void* ctx);
template <class F>
void matvec_zip(std::span<const MatvecOutput> products, MatvecInput& x, ThreadPool* pool, F&& finish) {
    using Fn = std::remove_reference_t<F>;
    matvec_zip(
        products, x, pool,
        [](void* ctx, std::size_t begin, std::size_t end) { (*static_cast<Fn*>(ctx))(begin, end); },
        const_cast<void*>(static_cast<const void*>(&finish)));
}

// Products cut into `units` equal slices (each product's rows a multiple of
// units), for work that needs matching slices of several outputs, such as
// attention heads with their q, k and v rows: whichever thread computes
// units [begin, end), i.e. rows [begin * rows / units, end * rows / units) of
// every product, then calls finish(begin, end). Saves the hand-off to the
// pool that a second parallel pass would cost.
void matvec_units(std::span<const MatvecOutput> products, std::size_t units, MatvecInput& x, ThreadPool* pool,
                  RowsDone finish, void* ctx);
template <class F>
void matvec_units(std::span<const MatvecOutput> products, std::size_t units, MatvecInput& x, ThreadPool* pool,
                  F&& finish) {
    using Fn = std::remove_reference_t<F>;
    matvec_units(
        products, units, x, pool,
        [](void* ctx, std::size_t begin, std::size_t end) { (*static_cast<Fn*>(ctx))(begin, end); },
        const_cast<void*>(static_cast<const void*>(&finish)));
}

}  // namespace slm::quant
