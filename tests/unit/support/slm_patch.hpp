// Helpers for handcrafting corrupt or unusual .slm files from a valid one.
//
// A structural rule can only be tested on a file that is otherwise valid, so
// the patch_* helpers store the new value and then refresh the checksum: the
// reader then trips on the structure, not on the XXH64. put_* leave the
// checksum alone (use them for several edits, then call refresh_checksum()).
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.hpp"
#include "format/layout.hpp"
#include "format/reader.hpp"

namespace slm::test {

using FileBytes = std::vector<std::uint8_t>;

template <class T>
void put(FileBytes& f, std::uint64_t at, T v) {
    if (at + sizeof(T) > f.size()) throw std::out_of_range("put: offset " + std::to_string(at) + " past the file");
    std::memcpy(f.data() + at, &v, sizeof(T));
}

template <class T>
T get(const FileBytes& f, std::uint64_t at) {
    if (at + sizeof(T) > f.size()) throw std::out_of_range("get: offset " + std::to_string(at) + " past the file");
    T v;
    std::memcpy(&v, f.data() + at, sizeof(T));
    return v;
}

inline std::uint32_t get_u32(const FileBytes& f, std::uint64_t at) { return get<std::uint32_t>(f, at); }
inline std::uint64_t get_u64(const FileBytes& f, std::uint64_t at) { return get<std::uint64_t>(f, at); }

inline void refresh_checksum(FileBytes& f) {
    put<std::uint64_t>(f, format::k_checksum_offset, format::compute_checksum(f));
}

inline void patch_u8(FileBytes& f, std::uint64_t at, std::uint8_t v) { put(f, at, v); refresh_checksum(f); }
inline void patch_u32(FileBytes& f, std::uint64_t at, std::uint32_t v) { put(f, at, v); refresh_checksum(f); }
inline void patch_u64(FileBytes& f, std::uint64_t at, std::uint64_t v) { put(f, at, v); refresh_checksum(f); }
inline void patch_f32(FileBytes& f, std::uint64_t at, float v) { put(f, at, v); refresh_checksum(f); }

// Offsets of one directory entry's fields, relative to the entry.
namespace entry_off {
inline constexpr std::uint64_t name_hash = 0, dtype = 8, rank = 12, dims = 16, data_offset = 32,
                               data_length = 40, scale_offset = 48, block_size = 56, reserved = 60;
}

inline std::uint64_t directory_offset(const FileBytes& f) { return get_u64(f, format::off::directory_offset); }
inline std::uint32_t tensor_count(const FileBytes& f) { return get_u32(f, format::off::tensor_count); }

inline std::uint64_t entry_at(const FileBytes& f, std::uint32_t index) {
    return directory_offset(f) + std::uint64_t(index) * format::k_entry_size;
}

// Absolute offset of the directory entry whose name_hash is the hash of `name`.
inline std::uint64_t entry_of(const FileBytes& f, std::string_view name) {
    const std::uint64_t hash = fnv1a64(name);
    for (std::uint32_t i = 0; i < tensor_count(f); ++i)
        if (get_u64(f, entry_at(f, i)) == hash) return entry_at(f, i);
    throw std::invalid_argument("entry_of: no entry for " + std::string(name));
}

// Pads to `alignment`, appends `bytes` and returns where they start. The
// checksum is not refreshed.
inline std::uint64_t append_aligned(FileBytes& f, const std::vector<std::uint8_t>& bytes,
                                    std::uint64_t alignment = format::k_alignment) {
    f.resize((f.size() + alignment - 1) / alignment * alignment, 0);
    const std::uint64_t at = f.size();
    f.insert(f.end(), bytes.begin(), bytes.end());
    return at;
}

// Moves the tokenizer section to a new copy of `section` appended at the end
// of the file (the old bytes stay behind as an unused gap), then refreshes
// the checksum. Lets tests give a file any tokenizer section, valid or not.
inline void replace_tokenizer(FileBytes& f, const std::vector<std::uint8_t>& section) {
    const std::uint64_t at = append_aligned(f, section, 8);
    put<std::uint64_t>(f, format::off::tokenizer_offset, at);
    put<std::uint64_t>(f, format::off::tokenizer_length, section.size());
    refresh_checksum(f);
}

// Returns a copy of a valid file whose header is `extra` bytes longer
// (header_length = 108 + extra, extra a multiple of 64 keeps every alignment).
// The extra bytes are filled with `fill`; every absolute offset is shifted and
// the checksum refreshed.
inline FileBytes with_longer_header(const FileBytes& f, std::uint32_t extra, std::uint8_t fill = 0xA5) {
    if (f.size() < format::k_header_size) throw std::invalid_argument("with_longer_header: no header");
    FileBytes g(f.size() + extra, fill);
    std::memcpy(g.data(), f.data(), format::k_header_size);
    std::memcpy(g.data() + format::k_header_size + extra, f.data() + format::k_header_size,
                f.size() - format::k_header_size);
    put<std::uint32_t>(g, format::off::header_length, format::k_header_size + extra);
    for (std::uint64_t field : {format::off::tokenizer_offset, format::off::directory_offset,
                                format::off::tensor_data_offset})
        put<std::uint64_t>(g, field, get_u64(g, field) + extra);
    for (std::uint32_t i = 0; i < tensor_count(g); ++i) {
        const std::uint64_t e = entry_at(g, i);
        put<std::uint64_t>(g, e + entry_off::data_offset, get_u64(g, e + entry_off::data_offset) + extra);
        const std::uint64_t scale = get_u64(g, e + entry_off::scale_offset);
        if (scale != 0) put<std::uint64_t>(g, e + entry_off::scale_offset, scale + extra);
    }
    refresh_checksum(g);
    return g;
}

}  // namespace slm::test
