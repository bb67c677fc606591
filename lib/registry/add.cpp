#include "registry/add.hpp"

#include "core/hash.hpp"
#include "core/json_canonical.hpp"
#include "format/reader.hpp"
#include "package/manifest.hpp"
#include "package/schemas.hpp"
#include "registry/oci.hpp"
#include "registry/reference.hpp"

namespace slm::registry {

using nlohmann::json;

namespace {

json descriptor(const Descriptor& d) { return {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}}; }

Error bad_manifest(const std::string& why) {
    return make_error(ErrorCode::invalid_input, "registry.bad_manifest", "skill manifest: " + why);
}

Error not_ours(const std::string& where, const std::string& why) {
    return make_error(ErrorCode::invalid_input, "registry.not_a_skill", where + ": " + why);
}

// A descriptor object with a media type, a sha256 digest and a size.
Result<Descriptor> parse_descriptor(const json& j, const std::string& where, const std::string& field) {
    if (!j.is_object() || !j.contains("mediaType") || !j["mediaType"].is_string() || !j.contains("digest") ||
        !j["digest"].is_string() || !is_digest(j["digest"].get<std::string>()) || !j.contains("size") ||
        !j["size"].is_number_unsigned())
        return not_ours(where, field + " is not a descriptor with mediaType, a sha256 digest and a size");
    return Descriptor{j["mediaType"].get<std::string>(), j["digest"].get<std::string>(), j["size"].get<std::uint64_t>()};
}

Result<json> parse_manifest_json(std::string_view bytes, const std::string& where) {
    auto doc = parse_json(bytes, where);
    if (!doc) return doc.take_error();
    if (!doc->is_object() || doc->value("schemaVersion", 0) != 2 || doc->value("mediaType", "") != k_manifest_media_type)
        return not_ours(where, std::string("not an OCI image manifest (schemaVersion 2, mediaType ") +
                                   k_manifest_media_type + ")");
    if (!(*doc)["layers"].is_array()) return not_ours(where, "no layers array");
    return doc;
}

std::string_view text_of(const std::vector<std::uint8_t>& v) { return {reinterpret_cast<const char*>(v.data()), v.size()}; }

// Documents from elsewhere may hold any JSON: a mistyped field makes
// nlohmann throw, which becomes an invalid_input error naming the document.
template <class F>
auto guarded(const std::string& where, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const json::exception& e) {
        return not_ours(where, std::string("unexpected JSON: ") + e.what());
    }
}

// The journal part of add_version and admit_version. An existing version is
// the same one when its config (add) or OCI manifest (admit) digest matches.
Result<AddResult> record_add(Registry& registry, const std::string& name, const std::string& version,
                             const Descriptor& oci, const Descriptor& config, const Descriptor& artifact,
                             const std::optional<Descriptor>& provenance, bool same_by_manifest, const Actor& actor) {
    AddResult out;
    out.name = name;
    Status st = registry.write(actor, [&](Transaction& txn) -> Status {
        auto skill = txn.state().skills.find(name);
        if (skill != txn.state().skills.end()) {
            auto existing = skill->second.versions.find(version);
            if (existing != skill->second.versions.end()) {
                const Descriptor& have = same_by_manifest ? existing->second.manifest : existing->second.config;
                const Descriptor& want = same_by_manifest ? oci : config;
                if (have.digest != want.digest)
                    return make_error(ErrorCode::conflict, "registry.version_exists",
                                      name + ":" + version + " already exists with " +
                                          (same_by_manifest ? "OCI manifest " : "manifest ") + have.digest +
                                          (same_by_manifest ? " (this one is " + want.digest + ")" : "") +
                                          "; versions are immutable, pick a new version");
                out.entry = existing->second;
                out.already_present = true;
                return {};
            }
        }
        json event = {{"event", "add"},         {"name", name},
                      {"version", version},     {"manifest", descriptor(oci)},
                      {"config", descriptor(config)}, {"artifact", descriptor(artifact)}};
        if (provenance) event["provenance"] = descriptor(*provenance);
        SLM_TRY(txn.append(event));
        out.entry = txn.state().skills.at(name).versions.at(version);
        return {};
    });
    if (!st) return st.take_error();
    return out;
}

// The journal part of attach_referrer and admit_referrer: the same document
// of the same kind is attached once.
Result<AttachResult> record_attach(Registry& registry, const std::string& name, const std::string& version,
                                   const std::string& kind, const Descriptor& oci, const Descriptor& doc,
                                   const json& summary, const Actor& actor) {
    AttachResult out;
    Status st = registry.write(actor, [&](Transaction& txn) -> Status {
        const auto& v = txn.state().skills.at(name).versions.at(version);
        for (const auto& r : v.referrers)
            if (r.blob.digest == doc.digest && r.kind == kind) {
                out.referrer = r;
                out.already_present = true;
                return {};
            }
        SLM_TRY(txn.append({{"event", "attach"}, {"name", name}, {"version", version}, {"kind", kind},
                            {"manifest", descriptor(oci)}, {"blob", descriptor(doc)}, {"summary", summary}}));
        out.referrer = txn.state().skills.at(name).versions.at(version).referrers.back();
        return {};
    });
    if (!st) return st.take_error();
    return out;
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
    return record_add(registry, name, version, *oci, *config, *artifact, provenance, false, actor);
}

Result<AttachResult> attach_referrer(Registry& registry, const AttachRequest& req, const Actor& actor) {
    auto doc = registry.blobs().put(req.document, req.media_type);
    if (!doc) return doc.take_error();
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
    return record_attach(registry, req.name, req.version, req.kind, *oci, *doc, req.summary, actor);
}

// ---- OCI manifests made elsewhere -------------------------------------------

Result<VersionManifest> parse_version_manifest(std::string_view bytes, const std::string& where) {
    return guarded(where, [&]() -> Result<VersionManifest> {
        auto doc = parse_manifest_json(bytes, where);
        if (!doc) return doc.take_error();
        json& m = *doc;
        if (m.value("artifactType", "") != k_skill_artifact_type)
            return not_ours(where, "artifactType is '" + m.value("artifactType", std::string()) + "', not " +
                                       k_skill_artifact_type + " (not a slmctl skill version)");
        if (m.contains("subject")) return not_ours(where, "a skill version must not have a subject");
        VersionManifest out;
        auto config = parse_descriptor(m["config"], where, "config");
        if (!config) return config.take_error();
        if (config->media_type != k_skill_manifest_media_type)
            return not_ours(where, "config.mediaType is '" + config->media_type + "', not " + k_skill_manifest_media_type);
        out.config = *config;
        const json& layers = m["layers"];
        if (layers.empty() || layers.size() > 2) return not_ours(where, "a skill version has 1 or 2 layers, not " + std::to_string(layers.size()));
        auto artifact = parse_descriptor(layers[0], where, "layers[0]");
        if (!artifact) return artifact.take_error();
        if (artifact->media_type != package::k_model_media_type)
            return not_ours(where, "layers[0].mediaType is '" + artifact->media_type + "', not " + package::k_model_media_type);
        out.artifact = *artifact;
        if (layers.size() == 2) {
            auto provenance = parse_descriptor(layers[1], where, "layers[1]");
            if (!provenance) return provenance.take_error();
            if (provenance->media_type != k_provenance_media_type)
                return not_ours(where, "layers[1].mediaType is '" + provenance->media_type + "', not " + k_provenance_media_type);
            out.provenance = *provenance;
        }
        if (m.contains("annotations") && m["annotations"].is_object()) {
            out.name = m["annotations"].value("org.opencontainers.image.title", "");
            out.version = m["annotations"].value("org.opencontainers.image.version", "");
        }
        return out;
    });
}

Result<json> check_skill_config(std::string_view config, const VersionManifest& m, const std::string& where) {
    return guarded(where, [&]() -> Result<json> {
        auto doc = parse_json(config, where);
        if (!doc) return doc.take_error();
        SLM_TRY(package::validate_against_schema(*doc, "skill-manifest.schema.json", [&](const std::string&) { return where; }));
        if (canonical_json(*doc) != config)
            return bad_manifest(where + ": not canonical JSON, so its id (" + m.config.digest + ") would not hold");
        const std::string name = doc->value("name", ""), version = doc->value("version", "");
        if (!is_skill_name(name)) return bad_manifest(where + ": name '" + name + "' is not a skill name");
        if (!is_version(version)) return bad_manifest(where + ": version '" + version + "' is not a semantic version");
        if ((!m.name.empty() && m.name != name) || (!m.version.empty() && m.version != version))
            return bad_manifest(where + ": names " + name + ":" + version + " but the OCI manifest's annotations say " +
                                m.name + ":" + m.version);
        const json& a = (*doc)["artifact"];
        if (a.value("digest", "") != m.artifact.digest || a.value("size", std::uint64_t{0}) != m.artifact.size ||
            a.value("media_type", "") != m.artifact.media_type)
            return bad_manifest(where + ": artifact " + a.value("digest", std::string("?")) + " (" +
                                std::to_string(a.value("size", std::uint64_t{0})) + " bytes) is not layer 0 of the OCI manifest, " +
                                m.artifact.digest + " (" + std::to_string(m.artifact.size) + " bytes)");
        return doc;
    });
}

std::string referrer_kind(std::string_view artifact_type) {
    if (artifact_type == k_eval_media_type) return "eval";
    if (artifact_type == k_signature_media_type) return "signature";
    return "";
}

Result<ReferrerManifest> parse_referrer_manifest(std::string_view bytes, const std::string& where) {
    return guarded(where, [&]() -> Result<ReferrerManifest> {
        auto doc = parse_manifest_json(bytes, where);
        if (!doc) return doc.take_error();
        json& m = *doc;
        ReferrerManifest out;
        out.artifact_type = m.value("artifactType", "");
        out.kind = referrer_kind(out.artifact_type);
        if (out.kind.empty())
            return not_ours(where, "artifactType '" + out.artifact_type + "' is neither an eval sidecar nor a signature");
        auto config = parse_descriptor(m["config"], where, "config");
        if (!config) return config.take_error();
        const Descriptor empty = empty_config();
        if (config->digest != empty.digest || config->size != empty.size || config->media_type != empty.media_type)
            return not_ours(where, "the config of a referrer is the empty descriptor");
        if (m["layers"].size() != 1) return not_ours(where, "a referrer has exactly one layer");
        auto blob = parse_descriptor(m["layers"][0], where, "layers[0]");
        if (!blob) return blob.take_error();
        if (blob->media_type != out.artifact_type)
            return not_ours(where, "layers[0].mediaType '" + blob->media_type + "' differs from the artifactType");
        out.blob = *blob;
        auto subject = parse_descriptor(m.value("subject", json()), where, "subject");
        if (!subject) return subject.take_error();
        out.subject = *subject;
        return out;
    });
}

Result<json> check_referrer_document(const std::string& kind, std::string_view document, const VersionEntry& subject,
                                     const std::string& where) {
    return guarded(where, [&]() -> Result<json> {
        auto doc = parse_json(document, where);
        if (!doc) return doc.take_error();
        if (kind == "eval") {
            SLM_TRY(package::validate_against_schema(*doc, "eval-sidecar.schema.json", [&](const std::string&) { return where; }));
            if ((*doc)["model_digest"] != subject.artifact.digest)
                return not_ours(where, "the eval sidecar is about model " + (*doc)["model_digest"].get<std::string>() +
                                           ", not this version's artifact " + subject.artifact.digest);
            return json{{"suite", (*doc)["suite"]["id"]},
                        {"decision", (*doc)["decision"]},
                        {"generated_at_utc", (*doc)["generated_at_utc"]},
                        {"cases_passed", (*doc)["cases_passed"]},
                        {"cases_failed", (*doc)["cases_failed"]}};
        }
        if (!doc->is_object() || doc->value("schema", "") != "slmctl.signature/v1" || !(*doc)["key_id"].is_string() ||
            !(*doc)["signature"].is_string())
            return not_ours(where, "not a slmctl.signature/v1 document");
        if ((*doc)["signed"] != subject.config.digest)
            return not_ours(where, "the signature is over " + doc->value("signed", std::string("?")) +
                                       ", not this version's skill manifest id " + subject.config.digest);
        return json{{"key_id", (*doc)["key_id"]}};
    });
}

Result<AddResult> admit_version(Registry& registry, std::string_view manifest, const Actor& actor) {
    const std::string digest = sha256_ref(as_bytes(manifest));
    const std::string where = "OCI manifest " + digest;
    auto m = parse_version_manifest(manifest, where);
    if (!m) return m.take_error();
    auto config = registry.blobs().read_verified(m->config);
    if (!config) return config.take_error();
    auto skill = check_skill_config(text_of(*config), *m, "skill manifest " + m->config.digest);
    if (!skill) return skill.take_error();
    auto artifact = registry.blobs().open_verified(m->artifact);
    if (!artifact) return artifact.take_error();
    if (auto view = format::parse_slm(artifact->bytes(), registry.blobs().path(m->artifact.digest)); !view)
        return view.take_error();
    if (m->provenance)
        if (auto p = registry.blobs().open_verified(*m->provenance); !p) return p.take_error();
    auto oci = registry.blobs().put(as_bytes(manifest), k_manifest_media_type);
    if (!oci) return oci.take_error();
    return record_add(registry, (*skill)["name"].get<std::string>(), (*skill)["version"].get<std::string>(), *oci,
                      m->config, m->artifact, m->provenance, true, actor);
}

Result<AttachResult> admit_referrer(Registry& registry, std::string_view manifest, const Actor& actor) {
    const std::string where = "OCI manifest " + sha256_ref(as_bytes(manifest));
    auto m = parse_referrer_manifest(manifest, where);
    if (!m) return m.take_error();
    auto state = registry.read_state();
    if (!state) return state.take_error();
    const VersionEntry* subject = nullptr;
    std::string name;
    for (const auto& [skill_name, skill] : state->skills)
        for (const auto& [ver, v] : skill.versions)
            if (v.manifest.digest == m->subject.digest) subject = &v, name = skill_name;
    if (subject == nullptr)
        return make_error(ErrorCode::not_found, "registry.not_found",
                          where + ": its subject " + m->subject.digest + " is not a version of this registry");
    auto doc = registry.blobs().read_verified(m->blob);
    if (!doc) return doc.take_error();
    auto summary = check_referrer_document(m->kind, text_of(*doc), *subject,
                                           m->kind + " document " + m->blob.digest);
    if (!summary) return summary.take_error();
    auto empty = registry.blobs().put(as_bytes(std::string_view("{}")), k_empty_media_type);
    if (!empty) return empty.take_error();
    auto oci = registry.blobs().put(as_bytes(manifest), k_manifest_media_type);
    if (!oci) return oci.take_error();
    return record_attach(registry, name, subject->version, m->kind, *oci, m->blob, *summary, actor);
}

}  // namespace slm::registry
