// `adapter create`: the difference between a base and a tuned model with the
// same identity (flags, tensor count, parameter count, layout, tokenizer), as
// a dense (ADP1), sparse (ASP1) or low-rank (ALR1) adapter.
//
// - Quantized inputs are dequantized: the delta is taken between the values
//   the runtime computes with.
// - dense: every changed tensor; each delta is chosen so that apply's f32 sum
//   gives the tuned value bit for bit where any f32 delta can (exact_delta());
//   where none can, a residual completes it (exact_residual()). The report
//   counts elements that still differ as `inexact` (none seen in practice).
// - sparse: the elements with |tuned - base| > threshold (real difference),
//   each exact as above; the others keep the base value, so the error of each
//   element is at most the threshold.
// - lowrank: 2-D tensors as a rank-r truncated SVD (lowrank.hpp); 1-D tensors
//   (norms) dense and exact.
// Tensors that do not change get no payload. The report is measured by
// applying the written adapter to the base with apply's own arithmetic.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapter/format.hpp"
#include "format/reader.hpp"

namespace slm::adapter {

struct CreateOptions {
    Kind kind = Kind::dense;
    double threshold = 0.0;      // sparse: keep |delta| > threshold
    std::uint32_t rank = 8;      // lowrank: maximum factor rank per matrix
};

struct TensorReport {
    std::string name;
    std::vector<std::uint32_t> shape;  // dims[0] first, as `inspect` shows them
    std::string encoding;              // dense, sparse, lowrank, unchanged or omitted (sparse: nothing > T)
    std::uint64_t elements = 0;
    std::uint64_t stored = 0;          // dense: elements; sparse: nnz; lowrank: factor values
    std::uint32_t rank = 0;            // lowrank factor rank
    double delta_norm = 0;             // ||tuned - base||_F
    double error_norm = 0;             // ||apply(base, adapter) - tuned||_F
    double rel_error = 0;              // error_norm / delta_norm (0 when nothing changed)
    double max_abs_error = 0;
    std::uint64_t inexact = 0;         // elements not bit-identical to tuned after apply
};

struct CreatedAdapter {
    std::vector<std::uint8_t> bytes;
    std::string digest;  // sha256:<hex> of `bytes`
    Kind kind = Kind::dense;
    bool dequantized = false;  // an input had quantized tensors
    std::vector<TensorReport> tensors;  // canonical order, every tensor
    double delta_norm = 0, error_norm = 0, rel_error = 0, max_abs_error = 0;
    std::uint64_t inexact = 0;
};

// The f32 delta d with f32(double(base) + d) == tuned bit for bit, when one
// exists (always when tuned - base is an f32 value; not always when |tuned|
// is much smaller than |base|); otherwise the rounded difference. `exact`
// tells which.
float exact_delta(float base, float tuned, bool& exact);

// The f32 residual r with f32((double(base) + delta) + r) == tuned, for an
// element exact_delta() could not reach; `exact` false when none exists.
float exact_residual(float base, float delta, float tuned, bool& exact);

// Errors: identity mismatches as in identity.hpp (ErrorCode::incompatible,
// naming the tuned model as found and the base as expected);
// adapter.bad_option (usage) for a negative/non-finite threshold or rank 0;
// adapter.non_finite_input / adapter.non_finite_delta (invalid_input).
Result<CreatedAdapter> create_adapter(const format::SlmView& base, std::string_view base_label,
                                      const format::SlmView& tuned, std::string_view tuned_label,
                                      const CreateOptions& options);

}  // namespace slm::adapter
