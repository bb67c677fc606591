// Validating, zero-copy reader for .slm v1. parse_slm() checks every rule in
// docs/slm-format.md before handing out a view; afterwards tensor payloads are
// spans into the caller's bytes (normally a MappedFile) and nothing is copied.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/progress.hpp"
#include "core/result.hpp"
#include "format/layout.hpp"
#include "format/tokenizer_section.hpp"

namespace slm::format {

struct TensorView {
    std::string name;  // canonical name resolved from name_hash
    TensorEntry entry;
    DType dtype = DType::f32;
    Bytes data;    // payload: f32 values, int8 values, or packed nibbles
    Bytes scales;  // f32 scales, one per block (empty for f32)

    std::uint64_t element_count() const { return entry.element_count(); }
    std::uint32_t row_length() const { return entry.dims[0]; }
    std::uint64_t row_count() const { return element_count() / entry.dims[0]; }
    const float* f32() const { return reinterpret_cast<const float*>(data.data()); }
    const float* scale_values() const { return reinterpret_cast<const float*>(scales.data()); }
};

struct ReadOptions {
    // Skip the whole-file XXH64 (structure is always validated).
    bool verify_checksum = true;
};

class SlmView {
public:
    const Header& header() const { return header_; }
    const ModelConfig& config() const { return header_.config; }
    const std::vector<TensorView>& tensors() const { return tensors_; }  // canonical order
    const TensorView* find(std::string_view name) const;
    const TokenizerSection& tokenizer() const { return tokenizer_; }
    Bytes tokenizer_bytes() const { return tokenizer_bytes_; }
    Bytes file_bytes() const { return file_; }
    std::uint64_t parameter_count() const;
    bool checksum_verified() const { return checksum_verified_; }

private:
    friend Result<SlmView> parse_slm(Bytes, std::string_view, const ReadOptions&);
    Bytes file_;
    Header header_;
    std::vector<TensorView> tensors_;
    TokenizerSection tokenizer_;
    Bytes tokenizer_bytes_;
    bool checksum_verified_ = false;
};

// `where` names the source (a path) in error messages.
Result<SlmView> parse_slm(Bytes file, std::string_view where, const ReadOptions& options = {});

// XXH64 of the file with bytes 100..107 treated as zero. Requires size >= 108.
// Reports progress (stage "checksum", bytes) when a callback is given.
std::uint64_t compute_checksum(Bytes file, const ProgressFn& progress = {});

}  // namespace slm::format
