// The OCI distribution API for one repository: blobs (HEAD, monolithic
// POST+PUT upload, streamed GET), manifests by tag or digest, and referrers
// (GET /v2/<repo>/referrers/<digest> where the registry has it, else the OCI
// 1.1 referrers tag schema "sha256-<hex>", as cosign and oras do).
//
// Everything fetched is checked against its digest (and size, when known)
// before it is returned. HTTP statuses become errors with the URL, the status
// and the registry's error JSON: 404 not_found, 401/403 incompatible (access
// refused), 400 invalid_input, 409/412 conflict, anything else internal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.hpp"
#include "core/progress.hpp"
#include "core/result.hpp"
#include "registry/blob_store.hpp"
#include "registry/http_client.hpp"

namespace slm::registry {

// Manifests and documents this client holds in memory are capped here (the
// OCI distribution spec has registries accept manifests of at least 4 MiB).
inline constexpr std::uint64_t k_max_manifest_bytes = 4u << 20;

struct RemoteManifest {
    std::string media_type;  // Content-Type, else the document's mediaType
    std::string bytes;       // exactly as served
    std::string digest;      // sha256 of `bytes`
};

class OciClient {
public:
    OciClient(HttpClient& http, std::string host, std::string repository);

    const std::string& repository() const { return repository_; }

    // True when the repository has a blob with this digest (and size).
    Result<bool> has_blob(const Descriptor& d);
    Status push_blob(const Descriptor& d, Bytes data, const ProgressFn& progress);
    // Streams the blob into `sink`; more bytes than d.size, fewer, or another
    // digest is an error (invalid_input, registry.remote_corrupt) raised
    // before the caller can use what the sink received.
    Status fetch_blob(const Descriptor& d, const BodySink& sink, const ProgressFn& progress);
    Result<std::string> fetch_small_blob(const Descriptor& d);

    // By tag or digest. By digest the bytes must hash to it; by tag they must
    // match the registry's Docker-Content-Digest when it sends one.
    Result<RemoteManifest> fetch_manifest(const std::string& reference);

    struct Pushed {
        std::string digest;
        bool subject_processed = false;  // the registry answered with OCI-Subject
    };
    Result<Pushed> push_manifest(const std::string& reference, const std::string& media_type, std::string_view bytes);

    // Referrer descriptors of `subject` (an image index's "manifests").
    // `via` is set to "api" or "tag".
    Result<std::vector<nlohmann::json>> referrers(const std::string& subject, std::string& via);
    // Adds the descriptors to the referrers tag of `subject`, merged with the
    // index already there. Returns false when nothing was missing.
    Result<bool> add_to_referrers_tag(const std::string& subject, const std::vector<nlohmann::json>& descriptors);

private:
    std::string url(const std::string& path) const;  // scheme://host/v2/<repository>/<path>
    Result<std::vector<nlohmann::json>> referrers_tag_entries(const std::string& subject);

    HttpClient& http_;
    std::string host_, repository_;
};

// Turns a non-2xx response into an error naming the request, the status and
// the registry's error codes; `what` says what was being done.
Error http_error(const HttpResponse& response, const std::string& what);

}  // namespace slm::registry
