// Keeping a registry healthy: gc (remove blobs nothing refers to) and fsck
// (check every digest, every reference, the journal chain and the views).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "registry/registry.hpp"

namespace slm::registry {

struct GcOptions {
    // Only blobs and temporary files older than this are removed: an `add`
    // writes its blobs before it takes the lock to journal them, and gc must
    // not delete those in between.
    std::int64_t min_age_seconds = 600;
    bool dry_run = false;
};

struct GcResult {
    std::vector<std::string> removed;  // file names under blobs/sha256
    std::uint64_t bytes = 0;
    std::uint64_t kept_young = 0;  // unreferenced but younger than min_age
};

Result<GcResult> collect_garbage(Registry& registry, const GcOptions& options);

struct FsckFinding {
    enum class Level { error, repaired, note };
    Level level = Level::note;
    std::string check;
    std::string detail;
};

struct FsckOptions {
    bool repair = true;  // roll stale views forward, cut an uncommitted journal tail
    bool verify_blobs = true;
};

struct FsckReport {
    std::vector<FsckFinding> findings;
    std::uint64_t records = 0, versions = 0, blobs_checked = 0;
    bool clean() const;
};

FsckReport fsck(Registry& registry, const FsckOptions& options);

const char* fsck_level_name(FsckFinding::Level level);

}  // namespace slm::registry
