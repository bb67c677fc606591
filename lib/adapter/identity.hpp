// Adapter identity: what a base model must be for an adapter to attach.
//
//   tensor_layout_checksum = SHA-256 over the base's tensors in container
//     (canonical) order, per tensor: name_length u32 | name bytes |
//     rank u32 | dims[4] u32 (little-endian, unused dims 0). Dtypes are left
//     out on purpose: deltas live in f32 value space, so an adapter made on
//     the f32 model also fits its q8_0 / q4_0 siblings; applying to those is
//     an explicit choice (--requantize), see docs/adapters.md.
//   tokenizer_checksum = SHA-256 of the base's tokenizer section bytes (the
//     manifest's runtime.tokenizer.digest without the "sha256:" prefix).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "adapter/format.hpp"
#include "format/reader.hpp"

namespace slm::adapter {

Sha256Digest tensor_layout_checksum(const format::SlmView& model);
Identity identity_of(const format::SlmView& model);

// Field by field: flags, tensor_count, parameter_count, tensor_layout_checksum,
// tokenizer_checksum. The first difference is an ErrorCode::incompatible error
// with its own id (adapter.flags_mismatch, adapter.tensor_count_mismatch,
// adapter.parameter_count_mismatch, adapter.layout_mismatch,
// adapter.tokenizer_mismatch) naming both sides, the expected and found value.
Status check_identity(const Identity& expected, std::string_view expected_label, const Identity& found,
                      std::string_view found_label);

// check_identity() of the adapter against the base, then per payload: its
// name hash names a base tensor (adapter.unknown_tensor) and its shape is
// that tensor's (adapter.shape_mismatch). Returns, per payload, the index of
// the base tensor it changes.
Result<std::vector<std::size_t>> match_base(const AdapterView& adapter, std::string_view adapter_label,
                                            const format::SlmView& base, std::string_view base_label);

}  // namespace slm::adapter
