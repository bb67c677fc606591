// slmctl push / pull: one skill version, with its eval sidecars and
// signatures, between the local registry and a registry speaking the OCI
// distribution API (docs/registry.md, "Push and pull"). The OCI manifests
// travel byte for byte, so every digest is the same on both sides.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/progress.hpp"
#include "core/result.hpp"
#include "registry/http_client.hpp"
#include "registry/registry.hpp"
#include "registry/remote_ref.hpp"
#include "registry/resolve.hpp"

namespace slm::registry {

// Blobs of at least this size report progress.
inline constexpr std::uint64_t k_progress_min_bytes = 8u << 20;

struct TransferredBlob {
    std::string role;  // config | artifact | provenance | eval | signature | empty-config
    Descriptor descriptor;
    bool transferred = false;  // false: the other side had it already
};

struct TransferredReferrer {
    std::string kind;  // eval | signature
    Descriptor manifest;
    bool transferred = false;  // push: manifest uploaded; pull: newly attached (false: already attached)
};

struct PushResult {
    std::string name, version;
    RemoteRef target;  // with the tag pushed
    Descriptor manifest;
    std::vector<TransferredBlob> blobs;
    std::vector<TransferredReferrer> referrers;
    std::string referrers_via;  // "api" (the registry indexes subjects), "tag" (referrers tag), "" (none)
    std::uint64_t bytes_uploaded = 0;
};

// Uploads the blobs the remote lacks (each checked against its digest here
// first), the version's OCI manifest under target.tag (default
// tag_for_version), then each referrer manifest by digest. A registry that
// does not answer a referrer push with OCI-Subject gets the referrers tag
// "sha256-<hex>" updated instead. Errors: usage (a digest as target),
// invalid_input (a local blob is corrupt, the registry refused content),
// not_found, incompatible (access refused), internal (network).
Result<PushResult> push_version(const Registry& registry, const ResolvedVersion& version, RemoteRef target,
                                HttpClient& http, const ProgressFn& progress);

struct PullResult {
    RemoteRef source;
    std::string root;  // the local registry
    std::string name, version;
    Descriptor manifest;
    bool already_present = false;  // the same version (same OCI manifest) was there
    std::vector<TransferredBlob> blobs;          // transferred: downloaded
    std::vector<TransferredReferrer> referrers;  // transferred: newly attached
    std::vector<std::string> skipped;            // other referrers: "<artifactType> <digest>"
    std::string referrers_via;                   // "api" or "tag"
    std::uint64_t bytes_downloaded = 0;
};

// Fetches the manifest, its config and layers and every referrer into a
// staging folder ($TMPDIR), checking each against its digest and size and
// checking that it is a slmctl skill version with slmctl documents, and only
// then opens the local registry (creating it) and admits them. Errors:
// invalid_input (corrupt or foreign content; nothing admitted), not_found,
// conflict (NAME:VERSION exists with another manifest), incompatible,
// internal (network).
Result<PullResult> pull_version(const OpenOptions& local, const RemoteRef& source, HttpClient& http, const Actor& actor,
                                const ProgressFn& progress);

}  // namespace slm::registry
