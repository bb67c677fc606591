// Hugging Face safetensors: a reader that validates the whole file before any
// tensor is touched, and an F32 writer for fixtures and exports.
//
// File grammar (all integers little-endian):
//
//   file        := header_len:u64 header:byte[header_len] data:byte[*]
//   header      := UTF-8 JSON object, first byte '{', optionally padded with
//                  trailing spaces (writers pad to a multiple of 8):
//                  { "__metadata__"?: { string: string, ... },
//                    <tensor name>: { "dtype": DTYPE,
//                                     "shape": [u64, ...],          // outermost first, row-major
//                                     "data_offsets": [begin, end] }, ... }
//   DTYPE       := BOOL U8 I8 F8_E5M2 F8_E4M3 F8_E8M0 I16 U16 F16 BF16 I32 U32
//                  F32 F64 I64 U64 C64 (whole bytes) | F4 F6_E2M3 F6_E3M2 (bits)
//
// Rules checked by SafetensorsFile::open (each violation is a distinct error
// id, ErrorCode::invalid_input unless noted):
//   - the file holds the 8-byte length, and 8 + header_len <= file size    safetensors.truncated
//   - header_len <= 100,000,000 (the reference implementation's limit)     safetensors.header_too_large
//   - the header starts with '{' and is valid JSON (no duplicate keys, so
//     no duplicate tensor names) and is an object                          safetensors.bad_header
//   - "__metadata__", if present, maps strings to strings                  safetensors.bad_metadata
//   - every entry has exactly dtype (string), shape (array of
//     non-negative integers) and data_offsets (two non-negative integers,
//     begin <= end)                                                        safetensors.bad_entry
//   - dtype is one of DTYPE                                                safetensors.unknown_dtype
//   - product(shape) x element bits / 8 == end - begin, computed without
//     overflow, in whole bytes                                             safetensors.size_mismatch
//   - end <= data size (file size - 8 - header_len)                        safetensors.offset_out_of_range
//   - sorted by offset, tensors tile the data region exactly, as the
//     reference implementation requires: no overlap, no gap, nothing after safetensors.overlap / .gap /
//     the last tensor                                                      .trailing_data
// Tensors of a known dtype other than F32/F16/BF16 pass open(); read_f32 on
// them fails with ErrorCode::incompatible, id safetensors.unsupported_dtype.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/io.hpp"
#include "core/result.hpp"

namespace slm::interop {

inline constexpr std::uint64_t k_safetensors_max_header = 100'000'000;

struct SafetensorsTensorInfo {
    std::string name;
    std::string dtype;                  // as written in the file, e.g. "BF16"
    std::vector<std::uint64_t> shape;   // outermost dimension first (row-major), [] for a scalar
    std::uint64_t element_count = 0;    // product of shape (1 for a scalar)
    std::uint64_t begin = 0, end = 0;   // data_offsets: relative to the start of the data region
};

class SafetensorsFile {
public:
    // Maps the file and validates all of it (see the rules above).
    static Result<SafetensorsFile> open(const std::string& path);
    // The same validation over bytes already in memory; `where` names them in errors.
    static Result<SafetensorsFile> from_bytes(std::vector<std::uint8_t> bytes, std::string where);

    // Tensor names in storage order (by data offset, then name).
    std::vector<std::string> names() const;
    // nullptr when there is no tensor of that name.
    const SafetensorsTensorInfo* find(std::string_view name) const;
    // ErrorCode::not_found (id safetensors.tensor_not_found, with a "did you
    // mean" suggestion when a name is close) for unknown names.
    Result<std::vector<std::uint64_t>> shape(std::string_view name) const;
    // The tensor's bytes inside the mapping (zero-copy; unaligned in general).
    Result<Bytes> data(std::string_view name) const;
    // The values as f32 in storage order; F16 and BF16 are widened exactly.
    Result<std::vector<float>> read_f32(std::string_view name) const;

    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    const std::string& path() const { return where_; }
    // Absolute file offset of the data region (8 + header_len).
    std::uint64_t data_offset() const { return data_offset_; }

private:
    SafetensorsFile() = default;
    static Result<SafetensorsFile> parse(SafetensorsFile file);
    Bytes bytes() const { return owned_.empty() ? mapped_.bytes() : Bytes(owned_); }
    Result<const SafetensorsTensorInfo*> lookup(std::string_view name) const;

    std::string where_;
    MappedFile mapped_;
    std::vector<std::uint8_t> owned_;
    std::uint64_t data_offset_ = 0;
    std::map<std::string, SafetensorsTensorInfo, std::less<>> tensors_;
    std::vector<std::string> order_;
    std::map<std::string, std::string> metadata_;
};

// One F32 tensor to write.
struct SafetensorsTensor {
    std::string name;
    std::vector<std::uint64_t> shape;  // outermost first; product must equal data.size()
    std::vector<float> data;
};

// Serializes tensors (data in the given order, contiguous) with an optional
// "__metadata__" map. The header is canonical JSON padded with spaces to a
// multiple of 8 bytes, so the data region starts 8-byte aligned. Errors
// (invalid_input, id safetensors.bad_tensor): empty, reserved ("__metadata__")
// or duplicate names, and shapes whose element count differs from data.size().
Result<std::vector<std::uint8_t>> write_safetensors(const std::vector<SafetensorsTensor>& tensors,
                                                    const std::map<std::string, std::string>& metadata = {});

// Exact widening of IEEE binary16 and bfloat16 bit patterns (NaN payloads kept).
float widen_f16(std::uint16_t bits);
float widen_bf16(std::uint16_t bits);

}  // namespace slm::interop
