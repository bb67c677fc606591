// File access: read-only memory maps and crash-safe (atomic) writes.
// Native only: the WASM runtime receives model bytes from its host.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace slm {

// A read-only mapping of a whole file. Move-only; unmaps on destruction.
class MappedFile {
public:
    static Result<MappedFile> open(const std::string& path);

    MappedFile() = default;
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    Bytes bytes() const { return {data_, size_}; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

Result<std::string> read_text_file(const std::string& path);
Result<std::vector<std::uint8_t>> read_binary_file(const std::string& path);

// Writes through "<path>.tmp-<pid>-<n>", fsyncs it, renames it over `path` and
// fsyncs the directory: readers see the old file or the new one, never a mix.
// `durable` = false skips both fsyncs: still all-or-nothing for readers and
// after a process crash, but not after a power loss (for caches that can be
// rebuilt, such as the registry's views).
Status write_file_atomic(const std::string& path, Bytes data, bool durable = true);
inline Status write_file_atomic(const std::string& path, std::string_view text, bool durable = true) {
    return write_file_atomic(path, as_bytes(text), durable);
}

}  // namespace slm
