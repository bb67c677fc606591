// File access: read-only memory maps and crash-safe (atomic) writes.
// Native only: the WASM runtime receives model bytes from its host.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
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

    // Drops the pages wholly inside [p, p + n) from this process's memory, for
    // bytes that have been copied elsewhere; touched again, they are read back
    // from the file. A hint: ranges outside the mapping are ignored. The first
    // call also stops the mapping from using 2 MiB pages, so that a later
    // read of a few bytes (a norm, the tokenizer) maps 4 KiB again and not a
    // whole large folio. Not thread-safe: meant for loading.
    void release(const void* p, std::size_t n);

private:
    std::string path_;
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    bool small_pages_ = false;  // release() has turned 2 MiB mappings off
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

// The two halves of write_file_atomic, for a caller with other work to do
// before it decides to publish: write() creates and fills (and, if durable,
// fsyncs) the temporary file; commit() renames it over `path` and fsyncs the
// directory. A staged file never committed is removed when destroyed.
class StagedFile {
public:
    static Result<StagedFile> write(const std::string& path, Bytes data, bool durable = true);

    StagedFile(StagedFile&& other) noexcept;
    StagedFile& operator=(StagedFile&& other) noexcept;
    StagedFile(const StagedFile&) = delete;
    StagedFile& operator=(const StagedFile&) = delete;
    ~StagedFile();

    Status commit();
    const std::string& path() const { return path_; }

private:
    StagedFile(std::string path, std::string tmp, bool durable)
        : path_(std::move(path)), tmp_(std::move(tmp)), durable_(durable) {}
    void discard();

    std::string path_, tmp_;  // tmp_ empty once committed or discarded
    bool durable_ = true;
};

}  // namespace slm
