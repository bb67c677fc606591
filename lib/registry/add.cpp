#include "registry/add.hpp"

#include "core/hash.hpp"
#include "package/manifest.hpp"
#include "registry/oci.hpp"
#include "registry/reference.hpp"

namespace slm::registry {

using nlohmann::json;

namespace {

json descriptor(const Descriptor& d) { return {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}}; }

Error bad_manifest(const std::string& why) {
    return make_error(ErrorCode::invalid_input, "registry.bad_manifest", "skill manifest: " + why);
}

}  // namespace

Result<AddResult> add_version(Registry& registry, const AddRequest& req, const Actor& actor) {
    const std::string name = req.manifest.value("name", "");
    const std::string version = req.manifest.value("version", "");
    if (!is_skill_name(name)) return bad_manifest("name '" + name + "' is not a skill name");
    if (!is_version(version)) return bad_manifest("version '" + version + "' is not a semantic version");
    const std::string digest = sha256_ref(req.slm);
    if (req.manifest["artifact"].value("digest", "") != digest)
        return bad_manifest("artifact.digest is " + req.manifest["artifact"].value("digest", std::string("missing")) +
                            " but the .slm hashes to " + digest);

    // Blobs first (outside the lock: they are immutable and content-named).
    auto artifact = registry.blobs().put(req.slm, package::k_model_media_type);
    if (!artifact) return artifact.take_error();
    auto config = registry.blobs().put(as_bytes(package::manifest_bytes(req.manifest)), k_skill_manifest_media_type);
    if (!config) return config.take_error();
    std::optional<Descriptor> provenance;
    if (req.provenance) {
        auto p = registry.blobs().put(as_bytes(*req.provenance), k_provenance_media_type);
        if (!p) return p.take_error();
        provenance = *p;
    }
    const std::string created = req.manifest.value("created_at", "");
    auto oci = registry.blobs().put(
        as_bytes(version_manifest(name, version, *config, *artifact, provenance, created)), k_manifest_media_type);
    if (!oci) return oci.take_error();

    AddResult out;
    out.name = name;
    Status st = registry.write(actor, [&](Transaction& txn) -> Status {
        auto skill = txn.state().skills.find(name);
        if (skill != txn.state().skills.end()) {
            auto existing = skill->second.versions.find(version);
            if (existing != skill->second.versions.end()) {
                if (existing->second.config.digest != config->digest)
                    return make_error(ErrorCode::conflict, "registry.version_exists",
                                      name + ":" + version + " already exists with manifest " +
                                          existing->second.config.digest + "; versions are immutable, pick a new version");
                out.entry = existing->second;
                out.already_present = true;
                return {};
            }
        }
        json event = {{"event", "add"},         {"name", name},
                      {"version", version},     {"manifest", descriptor(*oci)},
                      {"config", descriptor(*config)}, {"artifact", descriptor(*artifact)}};
        if (provenance) event["provenance"] = descriptor(*provenance);
        SLM_TRY(txn.append(event));
        out.entry = txn.state().skills.at(name).versions.at(version);
        return {};
    });
    if (!st) return st.take_error();
    return out;
}

Result<AttachResult> attach_referrer(Registry& registry, const AttachRequest& req, const Actor& actor) {
    auto doc = registry.blobs().put(req.document, req.media_type);
    if (!doc) return doc.take_error();
    auto empty = registry.blobs().put(as_bytes(std::string_view("{}")), k_empty_media_type);
    if (!empty) return empty.take_error();
    auto empty = registry.blobs().put(as_bytes(std::string_view("{}")), k_empty_media_type);
    if (!empty) return empty.take_error();
    auto state = registry.read_state();
    if (!state) return state.take_error();
    auto skill = state->skills.find(req.name);
    if (skill == state->skills.end() || !skill->second.versions.count(req.version))
        return make_error(ErrorCode::not_found, "registry.not_found", "no version " + req.name + ":" + req.version);
    const Descriptor subject = skill->second.versions.at(req.version).manifest;
    json annotations = {{"org.opencontainers.image.created", clock_now_utc()}};
    auto oci = registry.blobs().put(as_bytes(referrer_manifest(req.media_type, subject, *doc, annotations)),
                                    k_manifest_media_type);
    if (!oci) return oci.take_error();

    AttachResult out;
    Status st = registry.write(actor, [&](Transaction& txn) -> Status {
        const auto& v = txn.state().skills.at(req.name).versions.at(req.version);
        for (const auto& r : v.referrers)
            if (r.blob.digest == doc->digest && r.kind == req.kind) {
                out.referrer = r;
                out.already_present = true;
                return {};
            }
        SLM_TRY(txn.append({{"event", "attach"}, {"name", req.name}, {"version", req.version}, {"kind", req.kind},
                            {"manifest", descriptor(*oci)}, {"blob", descriptor(*doc)}, {"summary", req.summary}}));
        out.referrer = txn.state().skills.at(req.name).versions.at(req.version).referrers.back();
        return {};
    });
    if (!st) return st.take_error();
    return out;
}

}  // namespace slm::registry
