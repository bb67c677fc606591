#include "registry/blob_store.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include "core/hash.hpp"
#include "registry/crash_points.hpp"
#include "registry/reference.hpp"

namespace slm::registry {

Result<Descriptor> BlobStore::put(Bytes data, std::string media_type) {
    Descriptor d{std::move(media_type), sha256_ref(data), data.size()};
    if (exists(d.digest)) return d;  // immutable: same digest, same bytes
    crash_point("blob.before_write");
    SLM_TRY(write_file_atomic(path(d.digest), data));
    crash_point("blob.after_write");
    return d;
}

bool BlobStore::exists(const std::string& digest) const {
    struct stat st {};
    return is_digest(digest) && ::stat(path(digest).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<MappedFile> BlobStore::open_verified(const Descriptor& expected) const {
    if (!is_digest(expected.digest))
        return make_error(ErrorCode::invalid_input, "registry.bad_digest", "not a sha256 digest: " + expected.digest);
    auto file = MappedFile::open(path(expected.digest));
    if (!file) {
        if (file.error().code == ErrorCode::not_found)
            return make_error(ErrorCode::not_found, "registry.blob_missing",
                              "blob " + expected.digest + " is missing from " + layout_.blobs_dir() +
                                  " (run `slmctl fsck`)");
        return file.take_error();
    }
    if (file->bytes().size() != expected.size)
        return make_error(ErrorCode::invalid_input, "registry.blob_corrupt",
                          path(expected.digest) + ": size " + std::to_string(file->bytes().size()) +
                              ", expected " + std::to_string(expected.size) + " (the blob is corrupt)");
    const std::string actual = sha256_ref(file->bytes());
    if (actual != expected.digest)
        return make_error(ErrorCode::invalid_input, "registry.blob_corrupt",
                          path(expected.digest) + ": content hashes to " + actual + ", expected " +
                              expected.digest + " (the blob is corrupt)");
    return file;
}

Result<std::vector<std::uint8_t>> BlobStore::read_verified(const Descriptor& expected) const {
    auto file = open_verified(expected);
    if (!file) return file.take_error();
    Bytes b = file->bytes();
    return std::vector<std::uint8_t>(b.begin(), b.end());
}

BlobStore::Listing BlobStore::list() const {
    Listing out;
    DIR* dir = ::opendir(layout_.blobs_dir().c_str());
    if (dir == nullptr) return out;
    while (const dirent* e = ::readdir(dir)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        if (is_digest("sha256:" + name))
            out.digests.push_back(name);
        else if (name.find(".tmp-") != std::string::npos)
            out.temporaries.push_back(name);
    }
    ::closedir(dir);
    return out;
}

}  // namespace slm::registry
