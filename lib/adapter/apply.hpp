// Applying a stack of adapters to a base model.
//
// Arithmetic (docs/adapters.md): for every element of a changed tensor,
//   out = f32( double(base) + double(S) * double(payload.scale) * delta )
// where S is ApplyOptions::scale and delta is the dense / sparse value or,
// for a low-rank payload, sum_k A[i,k] * B[k,j] accumulated in double. With
// S = 1 and scale 1 a dense delta d gives exactly the f32 sum base + d.
// Adapters apply in stack order and each one rounds to f32, so applying A
// then B in one call gives the bytes of applying A, writing the model, then
// applying B (for an f32 base). Quantized tensors are dequantized first and
// re-quantized once at the end (same dtype and block size, the ggml-exact
// quantizers of lib/quant), only with `requantize`.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/delta.hpp"
#include "adapter/format.hpp"
#include "format/reader.hpp"

namespace slm::adapter {

// The tensor's values as f32, element order (quantized tensors dequantized).
std::vector<float> tensor_values(const format::TensorView& tensor);

struct StackEntry {
    const AdapterView* adapter = nullptr;
    std::string label;  // a path, for messages
};

struct ApplyOptions {
    double scale = 1.0;
    bool requantize = false;
};

struct AppliedTensor {
    std::string name;
    std::string dtype;
    std::size_t adapters = 0;  // how many adapters of the stack change it
    bool requantized = false;
};

struct AppliedModel {
    std::vector<std::uint8_t> slm;
    std::vector<AppliedTensor> changed;  // canonical order
};

// Checks every adapter's identity against the base before touching anything
// (ErrorCode::incompatible, see identity.hpp). Errors of its own:
// adapter.bad_apply_scale (usage) for a non-finite scale,
// adapter.quantized_base (usage) when a changed tensor is quantized and
// requantize is off, adapter.non_finite_result (invalid_input) when a sum
// overflows, and the quantizers' errors.
Result<AppliedModel> apply_adapters(const format::SlmView& base, std::string_view base_label,
                                    const std::vector<StackEntry>& stack, const ApplyOptions& options);

// The sidecar's adapter_digest for a stack: the adapter's own digest for one
// adapter; for several, "sha256:" of the UTF-8 text made of each digest
// ("sha256:<hex>") followed by "\n", in stack order. Empty for no adapters.
std::string stack_digest(const std::vector<std::string>& adapter_digests);

}  // namespace slm::adapter
