// A weights source that is a plain directory: one file per tensor, named
// "<canonical tensor name>.bin" (e.g. "layers.0.attention.wq.weight.bin"),
// holding the tensor's values as raw little-endian f32 with no header, in
// the tensor's storage order. Handy for exporting from any framework with a
// few lines of numpy (`arr.astype('<f4').tofile(...)`).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace slm::interop {

// "<dir>/<name>.bin".
std::string raw_f32_path(const std::string& dir, std::string_view name);

// Reads <dir>/<name>.bin, which must hold exactly expected_elements f32 values.
// Errors:
//   ErrorCode::not_found      raw_f32.not_found       the file does not exist
//   ErrorCode::invalid_input  raw_f32.size_mismatch   file size != expected_elements * 4
//                             (the message names the file, expected and found bytes)
//   ErrorCode::invalid_input  raw_f32.bad_name        name is empty, or holds '/', '\\' or
//                             NUL, or is "." / "..": it must not leave the directory
//   ErrorCode::invalid_input  raw_f32.too_large       expected_elements * 4 overflows
// plus the io.* errors of MappedFile::open for unreadable files.
Result<std::vector<float>> read_raw_f32(const std::string& dir, std::string_view name,
                                        std::uint64_t expected_elements);

// Writes <dir>/<name>.bin atomically (the directory must exist); the inverse of read_raw_f32.
Status write_raw_f32(const std::string& dir, std::string_view name, std::span<const float> values);

}  // namespace slm::interop
