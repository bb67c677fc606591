// Content-addressed, immutable blobs under ROOT/blobs/sha256. A blob is
// written once (temp file, fsync, rename, directory fsync) and checked
// against its digest whenever it is read for use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/io.hpp"
#include "core/result.hpp"
#include "registry/layout.hpp"

namespace slm::registry {

struct Descriptor {
    std::string media_type;
    std::string digest;  // sha256:<hex>
    std::uint64_t size = 0;
};

class BlobStore {
public:
    explicit BlobStore(Layout layout) : layout_(std::move(layout)) {}

    // Stores `data` unless a blob with its digest is already there.
    Result<Descriptor> put(Bytes data, std::string media_type);

    bool exists(const std::string& digest) const;
    std::string path(const std::string& digest) const { return layout_.blob(digest); }

    // Maps a blob and checks size and SHA-256. Errors: not_found
    // (registry.blob_missing), invalid_input (registry.blob_corrupt).
    Result<MappedFile> open_verified(const Descriptor& expected) const;
    Result<std::vector<std::uint8_t>> read_verified(const Descriptor& expected) const;

    // Every blob file name (hex digests) and stale temporary files.
    struct Listing {
        std::vector<std::string> digests;
        std::vector<std::string> temporaries;
    };
    Listing list() const;

private:
    Layout layout_;
};

}  // namespace slm::registry
