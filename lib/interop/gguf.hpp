// GGUF (ggml's model file, versions 2 and 3): a reader that validates the
// whole file before any tensor is touched, and a deterministic writer.
//
// File grammar (all integers little-endian):
//
//   file      := magic "GGUF" version:u32 tensor_count:u64 kv_count:u64
//                kv{kv_count} tensor_info{tensor_count} pad data
//   kv        := key:string type:u32 value
//   value     := scalar of `type` | string | array
//   array     := element_type:u32 count:u64 element{count}
//   string    := length:u64 bytes[length]          (UTF-8, no terminator)
//   tensor_info := name:string n_dims:u32 ne:u64{n_dims} ggml_type:u32 offset:u64
//   pad       := zero bytes up to a multiple of general.alignment (default 32)
//
// ne[0] is the innermost (row) dimension, as in .slm dims. A tensor's data
// starts at data_offset + offset. Rules checked by GgufFile::open (each
// violation a distinct id, ErrorCode::invalid_input):
//   - magic and version 2 or 3                          gguf.bad_magic / gguf.unsupported_version
//   - every read stays inside the file (counts, string
//     and array lengths are checked against the bytes
//     left before anything is allocated)                gguf.truncated / gguf.bad_length
//   - value types are known; arrays are not nested      gguf.bad_type
//   - keys and tensor names are unique                  gguf.duplicate_key / gguf.duplicate_tensor
//   - general.alignment, if present, is a u32 power
//     of two                                            gguf.bad_alignment
//   - 1 <= n_dims <= 4, every ne > 0, the byte size
//     fits in 64 bits, ne[0] is a whole number of blocks gguf.bad_shape
//   - the ggml type is one this reader knows the size of gguf.unknown_type
//   - offset is a multiple of the alignment             gguf.misaligned
//   - data lies inside the file                         gguf.out_of_range
//   - no two tensors' data overlap                      gguf.overlap
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "core/io.hpp"
#include "core/result.hpp"

namespace slm::interop {

inline constexpr std::uint32_t k_gguf_default_alignment = 32;

enum class GgufType : std::uint32_t {
    u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7,
    string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12,
};

// ggml tensor types this project reads or writes (the reader knows the sizes
// of more, see gguf_types.cpp, so it can validate files that hold them).
enum class GgmlType : std::uint32_t { f32 = 0, f16 = 1, q4_0 = 2, q8_0 = 8, bf16 = 30 };

struct GgmlTypeInfo {
    std::uint32_t id;
    const char* name;
    std::uint32_t block_elements;  // elements per block (1 for plain types)
    std::uint32_t block_bytes;
};
const GgmlTypeInfo* ggml_type_info(std::uint32_t id);  // nullptr when unknown

// One metadata value. Scalars use the member of their kind; arrays hold
// their elements in `array` (never nested).
struct GgufValue {
    GgufType type = GgufType::u32;
    std::uint64_t u = 0;  // u8 .. u64
    std::int64_t i = 0;   // i8 .. i64
    double f = 0.0;       // f32 (exact), f64
    bool b = false;
    std::string s;
    GgufType array_type = GgufType::u32;
    std::vector<GgufValue> array;

    static GgufValue make_u32(std::uint32_t v) { GgufValue x; x.type = GgufType::u32; x.u = v; return x; }
    static GgufValue make_i32(std::int32_t v) { GgufValue x; x.type = GgufType::i32; x.i = v; return x; }
    static GgufValue make_f32(float v) { GgufValue x; x.type = GgufType::f32; x.f = static_cast<double>(v); return x; }
    static GgufValue make_bool(bool v) { GgufValue x; x.type = GgufType::boolean; x.b = v; return x; }
    static GgufValue make_string(std::string v) { GgufValue x; x.type = GgufType::string; x.s = std::move(v); return x; }
    static GgufValue make_array(GgufType element_type, std::vector<GgufValue> items) {
        GgufValue x; x.type = GgufType::array; x.array_type = element_type; x.array = std::move(items); return x;
    }

    bool is_integer() const;
    bool is_number() const { return is_integer() || type == GgufType::f32 || type == GgufType::f64; }
};

std::string_view gguf_type_name(GgufType t);

struct GgufTensorInfo {
    std::string name;
    std::uint32_t ggml_type = 0;
    std::vector<std::uint64_t> ne;  // ne[0] innermost
    std::uint64_t offset = 0;       // relative to the data section
    std::uint64_t byte_size = 0;
    std::uint64_t element_count() const;
};

class GgufFile {
public:
    static Result<GgufFile> open(const std::string& path);
    static Result<GgufFile> from_bytes(std::vector<std::uint8_t> bytes, std::string where);

    std::uint32_t version() const { return version_; }
    std::uint32_t alignment() const { return alignment_; }
    const std::string& path() const { return where_; }
    Bytes bytes() const { return owned_.empty() ? mapped_.bytes() : Bytes(owned_); }

    // Metadata in file order.
    const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return kv_; }
    const GgufValue* find(std::string_view key) const;
    // Tensors in file order.
    const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
    const GgufTensorInfo* find_tensor(std::string_view name) const;
    // The tensor's bytes inside the file (validated by open).
    Bytes tensor_data(const GgufTensorInfo& t) const;

    // Typed lookups for importers; errors name the file and key.
    Result<std::string> get_string(std::string_view key) const;
    Result<std::uint64_t> get_uint(std::string_view key) const;  // any non-negative integer type
    Result<double> get_float(std::string_view key) const;        // f32/f64 (or an integer)
    Result<bool> get_bool(std::string_view key) const;

private:
    GgufFile() = default;
    static Result<GgufFile> parse(GgufFile file);
    Result<const GgufValue*> require(std::string_view key) const;

    std::string where_;
    MappedFile mapped_;
    std::vector<std::uint8_t> owned_;
    std::uint32_t version_ = 0;
    std::uint32_t alignment_ = k_gguf_default_alignment;
    std::uint64_t data_offset_ = 0;
    std::vector<std::pair<std::string, GgufValue>> kv_;
    std::map<std::string, std::size_t, std::less<>> kv_index_;
    std::vector<GgufTensorInfo> tensors_;
    std::map<std::string, std::size_t, std::less<>> tensor_index_;
};

// One tensor to write; data must hold exactly the type's bytes for ne.
struct GgufTensorInput {
    std::string name;
    std::uint32_t ggml_type = 0;
    std::vector<std::uint64_t> ne;
    Bytes data;
};

// Version 3 image: metadata in the given order, tensors in the given order,
// each aligned to `alignment` (which is also written as general.alignment
// unless the metadata holds it). The image is parsed back before returning.
Result<std::vector<std::uint8_t>> write_gguf(const std::vector<std::pair<std::string, GgufValue>>& metadata,
                                             const std::vector<GgufTensorInput>& tensors,
                                             std::uint32_t alignment = k_gguf_default_alignment);

}  // namespace slm::interop
