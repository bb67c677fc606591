// Adapter files: weight deltas for one base model layout (all integers
// little-endian, f32 = IEEE-754 binary32). Three kinds share one container:
//
//   adapter     := header payload_table payload_data
//   header      := 128 bytes (header_length may be larger; readers skip the rest)
//     0   magic                  4 bytes  "ADP1" dense | "ASP1" sparse | "ALR1" low-rank
//     4   version                u32      1
//     8   header_length          u32      >= 128, <= file size
//     12  reserved               u32      0
//     16  base_flags             u32      the base's .slm header flags
//     20  base_tensor_count      u32      the base's tensor_count
//     24  base_parameter_count   u64      sum of the base's tensor element counts
//     32  tensor_layout_checksum 32 bytes SHA-256, see identity.hpp
//     64  tokenizer_checksum     32 bytes SHA-256 of the base's tokenizer section
//     96  payload_count          u32
//     100 reserved               u32      0
//     104 table_offset           u64      payload_count x 64-byte entries, after the header
//     112 reserved               u64      0
//     120 checksum               u64      XXH64 (seed 0) of the file, bytes 120..127 read as 0
//   payload_table := payload_count x entry, one per changed tensor (a tensor at most once)
//   entry (64 bytes):
//     0  name_hash   u64   FNV-1a 64 of the canonical tensor name
//     8  rank        u32   1..4, the tensor's rank
//     12 dims[4]     u32   the tensor's dims (dims[0] innermost; 0 beyond rank)
//     28 count       u32   ASP1: nnz; ALR1 on rank >= 2: the factor rank r;
//                          dense payloads: the number of residuals (often 0)
//     32 scale       f32   finite; delta = scale * payload
//     36 reserved    u32   0
//     40 data_offset u64   multiple of 64, after the header, inside the file
//     48 data_length u64   exactly the size the kind implies (below)
//     56 reserved    u64   0
//   payload_data (n = element count, cols = dims[0], rows = n / cols):
//     ADP1                 n x f32 delta, element order, then     data_length = 4n + 8 count
//                          count x (index u32, residual f32): indices strictly increasing,
//                          < n, n < 2^32 when count > 0; element i with a residual r gets
//                          f32((base + scale*d) + scale*r), summed in double, which reaches
//                          values one f32 delta cannot (base 1, tuned 1e-8)
//     ASP1                 count x (index u32, delta f32),        data_length = 8 count
//                          indices strictly increasing, < n, n < 2^32
//     ALR1, rank 1         as ADP1 (norms are stored dense, residuals included)
//     ALR1, rank >= 2      A: rows x r f32 then B: r x cols f32,  data_length = 4 r (rows + cols)
//                          row-major; 1 <= r <= min(rows, cols); delta = scale * A.B
//
// Every value (deltas, factors, scales) is finite. Payloads and the table do
// not overlap each other or the header. docs/adapters.md describes the rules
// and their error ids (all "adapter.*", ErrorCode::invalid_input).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/hash.hpp"
#include "core/result.hpp"

namespace slm::adapter {

enum class Kind : std::uint32_t { dense = 1, sparse = 2, lowrank = 3 };

inline constexpr std::uint32_t k_version = 1;
inline constexpr std::uint32_t k_header_size = 128;
inline constexpr std::uint32_t k_entry_size = 64;
inline constexpr std::uint32_t k_alignment = 64;
inline constexpr std::size_t k_checksum_offset = 120;
inline constexpr std::uint32_t k_max_rank = 4;

namespace off {
inline constexpr std::size_t magic = 0, version = 4, header_length = 8, reserved0 = 12, base_flags = 16,
                             base_tensor_count = 20, base_parameter_count = 24, layout_checksum = 32,
                             tokenizer_checksum = 64, payload_count = 96, reserved1 = 100, table_offset = 104,
                             reserved2 = 112, checksum = 120;
}

// "ADP1" / "ASP1" / "ALR1" and "dense" / "sparse" / "lowrank".
std::string_view kind_magic(Kind kind);
std::string_view kind_name(Kind kind);
bool kind_from_name(std::string_view name, Kind& out);
// True when the first four bytes are one of the three magics.
bool has_adapter_magic(Bytes file);

// What an adapter requires of its base model (ARCHITECTURE.md §4).
struct Identity {
    std::uint32_t flags = 0;
    std::uint32_t tensor_count = 0;
    std::uint64_t parameter_count = 0;
    Sha256Digest layout_checksum{};
    Sha256Digest tokenizer_checksum{};
};

// One validated table entry and its bytes (a span into the file).
struct Payload {
    std::uint64_t name_hash = 0;
    std::uint32_t rank = 0;
    std::array<std::uint32_t, 4> dims{};
    std::uint32_t count = 0;  // nnz (sparse), factor rank (low-rank matrix) or residuals (dense)
    float scale = 1.0f;
    std::uint64_t data_offset = 0;
    Bytes data;

    std::uint64_t element_count() const;
    std::uint64_t cols() const { return dims[0]; }
    std::uint64_t rows() const { return element_count() / dims[0]; }
    // How the bytes are laid out: ALR1 stores rank-1 tensors dense.
    Kind encoding(Kind file_kind) const;
};

struct AdapterView {
    Kind kind = Kind::dense;
    std::uint32_t header_length = 0;
    Identity identity;
    std::vector<Payload> payloads;  // table order
    std::uint64_t checksum = 0;
    Bytes file;
};

// Validates every rule above before returning; the view points into `file`.
// `where` names the source in messages ("<where>: <field> at offset N:
// expected X, found Y").
Result<AdapterView> parse_adapter(Bytes file, std::string_view where);

// XXH64 of the file with bytes 120..127 read as zero (file size >= 128).
std::uint64_t compute_checksum(Bytes file);

// Writer input: one payload per changed tensor, written in the given order.
struct PayloadInput {
    std::uint64_t name_hash = 0;
    std::uint32_t rank = 0;
    std::array<std::uint32_t, 4> dims{};
    std::uint32_t count = 0;
    float scale = 1.0f;
    // dense: n deltas then `count` residuals; sparse: deltas; low-rank: A then B
    std::vector<float> values;
    std::vector<std::uint32_t> indices;  // sparse: one per delta; dense: one per residual
};

struct AdapterInput {
    Kind kind = Kind::dense;
    Identity identity;
    std::vector<PayloadInput> payloads;
};

// Deterministic bytes; the result is parsed again before it is returned so a
// writer bug surfaces as ErrorCode::internal, never as a corrupt file.
Result<std::vector<std::uint8_t>> write_adapter(const AdapterInput& input);

}  // namespace slm::adapter
