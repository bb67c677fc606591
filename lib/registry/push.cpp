#include "core/json_canonical.hpp"
#include "registry/add.hpp"
#include "registry/oci.hpp"
#include "registry/oci_client.hpp"
#include "registry/transfer.hpp"

namespace slm::registry {

using nlohmann::json;

namespace {

std::string_view text_of(const std::vector<std::uint8_t>& v) { return {reinterpret_cast<const char*>(v.data()), v.size()}; }

// The descriptor of a referrer in an image index (OCI 1.1: with its
// artifactType and annotations).
json index_descriptor(const Descriptor& manifest, const std::string& artifact_type, std::string_view bytes) {
    json d = {{"mediaType", manifest.media_type}, {"digest", manifest.digest}, {"size", manifest.size},
              {"artifactType", artifact_type}};
    if (auto doc = parse_json(bytes, manifest.digest); doc && doc->is_object() && doc->contains("annotations") &&
                                                       (*doc)["annotations"].is_object() && !(*doc)["annotations"].empty())
        d["annotations"] = (*doc)["annotations"];
    return d;
}

}  // namespace

Result<PushResult> push_version(const Registry& registry, const ResolvedVersion& version, RemoteRef target,
                                HttpClient& http, const ProgressFn& progress) {
    if (!target.digest.empty())
        return make_error(ErrorCode::usage, "registry.bad_remote",
                          target.to_string() + ": push to a tag (or to no tag: the version is the default), not a digest");
    const VersionEntry& v = version.entry;
    if (target.tag.empty()) target.tag = tag_for_version(v.version);
    PushResult out;
    out.name = version.name;
    out.version = v.version;
    out.target = target;
    out.manifest = v.manifest;

    // Everything read locally and checked first: nothing corrupt leaves.
    auto manifest = registry.blobs().read_verified(v.manifest);
    if (!manifest) return manifest.take_error();
    struct Ref {
        const Referrer* entry;
        std::vector<std::uint8_t> bytes;
    };
    std::vector<Ref> refs;
    std::vector<TransferredBlob> blobs = {{"config", v.config, false}, {"artifact", v.artifact, false}};
    if (v.provenance) blobs.push_back({"provenance", *v.provenance, false});
    for (const auto& r : v.referrers) {
        auto bytes = registry.blobs().read_verified(r.manifest);
        if (!bytes) return bytes.take_error();
        auto parsed = parse_referrer_manifest(text_of(*bytes), registry.blobs().path(r.manifest.digest));
        if (!parsed) return parsed.take_error();
        blobs.push_back({r.kind, parsed->blob, false});
        refs.push_back({&r, std::move(*bytes)});
    }
    if (!refs.empty()) blobs.push_back({"empty-config", empty_config(), false});

    OciClient client(http, target.host, target.repository);
    for (auto& b : blobs) {
        bool seen = false;
        for (const auto& o : out.blobs) seen = seen || o.descriptor.digest == b.descriptor.digest;
        if (seen) continue;
        auto file = registry.blobs().open_verified(b.descriptor);
        if (!file) return file.take_error();
        auto there = client.has_blob(b.descriptor);
        if (!there) return there.take_error();
        if (!*there) {
            SLM_TRY(client.push_blob(b.descriptor, file->bytes(),
                                     b.descriptor.size >= k_progress_min_bytes ? progress : ProgressFn{}));
            b.transferred = true;
            out.bytes_uploaded += b.descriptor.size;
        }
        out.blobs.push_back(b);
    }

    auto pushed = client.push_manifest(target.tag, k_manifest_media_type, text_of(*manifest));
    if (!pushed) return pushed.take_error();
    out.bytes_uploaded += v.manifest.size;

    std::vector<json> index_entries;
    bool registry_indexes = true;
    for (const auto& r : refs) {
        auto p = client.push_manifest(r.entry->manifest.digest, k_manifest_media_type, text_of(r.bytes));
        if (!p) return p.take_error();
        registry_indexes = registry_indexes && p->subject_processed;
        index_entries.push_back(index_descriptor(r.entry->manifest, r.entry->blob.media_type, text_of(r.bytes)));
        out.referrers.push_back({r.entry->kind, r.entry->manifest, true});
        out.bytes_uploaded += r.entry->manifest.size;
    }
    if (!refs.empty()) {
        out.referrers_via = registry_indexes ? "api" : "tag";
        if (!registry_indexes) {
            auto updated = client.add_to_referrers_tag(v.manifest.digest, index_entries);
            if (!updated) return updated.take_error();
        }
    }
    return out;
}

}  // namespace slm::registry
