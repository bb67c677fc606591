#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <set>

#include "registry/maintenance.hpp"

namespace slm::registry {

Result<GcResult> collect_garbage(Registry& registry, const GcOptions& options) {
    GcResult result;
    Status st = registry.write(current_actor("gc"), [&](Transaction& txn) -> Status {
        std::set<std::string> live;
        for (const auto& d : referenced_blobs(txn.state())) live.insert(d.digest.substr(7));
        const auto listing = registry.blobs().list();
        const std::time_t now = std::time(nullptr);
        auto consider = [&](const std::string& file) {
            const std::string path = registry.layout().blobs_dir() + "/" + file;
            struct stat info {};
            if (::stat(path.c_str(), &info) != 0) return;
            if (now - info.st_mtime < options.min_age_seconds) {
                ++result.kept_young;
                return;
            }
            if (!options.dry_run && ::unlink(path.c_str()) != 0) return;
            result.removed.push_back(file);
            result.bytes += static_cast<std::uint64_t>(info.st_size);
        };
        for (const auto& hex : listing.digests)
            if (!live.count(hex)) consider(hex);
        for (const auto& tmp : listing.temporaries) consider(tmp);
        return Status{};
    });
    if (!st) return st.take_error();
    return result;
}

}  // namespace slm::registry
