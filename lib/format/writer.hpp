// Deterministic .slm v1 writer: the same inputs always give the same bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "format/layout.hpp"
#include "format/tokenizer_section.hpp"

namespace slm::format {

// Writes a tensor's payload straight into the image: `data` and `scales`
// are exactly the sizes dtype, dims and block size imply (scales empty for
// f32). An error stops the writer and is returned as it is.
using TensorFill = std::function<Status(std::span<std::uint8_t> data, std::span<float> scales)>;

struct TensorInput {
    std::string name;  // canonical name
    DType dtype = DType::f32;
    std::vector<std::uint32_t> dims;  // dims[0] innermost
    Bytes data;                       // payload bytes, see dtype_payload_bytes()
    Bytes scales;                     // f32 per block, empty for f32
    std::uint32_t block_size = 0;     // 0 for f32
    TensorFill fill;                  // if set, used instead of data and scales
};

struct SlmInput {
    ModelConfig config;
    TokenizerSection tokenizer;
    std::vector<TensorInput> tensors;  // any order; written in canonical order
};

// Builds the file image and validates it with the reader before returning, so
// a writer bug surfaces as an internal error instead of a corrupt artifact.
Result<std::vector<std::uint8_t>> write_slm(const SlmInput& input);

}  // namespace slm::format
