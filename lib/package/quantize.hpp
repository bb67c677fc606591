// `quantize`: f32 (or, when asked, already quantized) weight matrices ->
// q8_0 / q4_0 with ggml's reference quantizers; a new artifact and manifest
// whose parent is the input.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "format/layout.hpp"
#include "format/reader.hpp"
#include "package/skill_spec.hpp"

namespace slm::package {

struct QuantizeOptions {
    format::DType target = format::DType::q8_0;
    std::uint32_t block_size = 32;
    // Re-quantize tensors that are already quantized (dequantize first).
    bool requantize = false;
    // The input file's "sha256:<hex>" for the manifest's parent link. Called
    // once, after the tensors are converted, so a caller that needs the digest
    // anyway can compute it concurrently; unset: computed here.
    std::function<std::string()> input_digest;
    // Called with the finished output image before it is hashed, e.g. to
    // start writing it out while the manifest is made. Only called when
    // quantize_artifact then succeeds: the bytes are those of the returned
    // artifact's `slm` and stay valid while the caller keeps it.
    std::function<void(Bytes image)> on_image;
};

struct TensorDecision {
    std::string name;
    std::string from, to;  // dtype names
    std::string reason;    // why a tensor was left as it was ("" when converted)
};

struct QuantizedArtifact {
    std::vector<std::uint8_t> slm;
    nlohmann::json manifest;
    std::string artifact_digest;
    std::string manifest_id;
    std::vector<TensorDecision> decisions;
};

// `info` carries the skill facts (from the parent manifest). Version gets a
// "+q8-0" / "+q4-0" build suffix unless `version_override` is given.
// Errors: "quant.already_quantized" (usage) for a quantized input tensor
// without requantize; quantizer errors (non-finite values) as invalid_input.
Result<QuantizedArtifact> quantize_artifact(const format::SlmView& input, const SkillInfo& info,
                                            const QuantizeOptions& options,
                                            const std::optional<std::string>& version_override = {});

// Quality of a quantized artifact against its parent on `text` (encoded with
// the parent's tokenizer, cut to the context length): mean/max KL, same-top-1,
// perplexity of both, max |delta logit|, as JSON for reports.
Result<nlohmann::json> quantization_quality(const format::SlmView& parent, const format::SlmView& quantized,
                                            std::string_view text, unsigned threads = 1);

}  // namespace slm::package
