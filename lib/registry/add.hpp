// Putting content into the registry: a new skill version (the .slm, its
// skill manifest, its provenance) and documents attached to a version (eval
// sidecars, signatures). Blobs are written before the journal record that
// references them, so a crash leaves at worst unreferenced blobs (gc).
//
// add_version/attach_referrer build the OCI manifests themselves;
// admit_version/admit_referrer take exact OCI manifest bytes made elsewhere
// (slmctl pull) whose blobs are already stored, validate them and journal the
// same add/attach records, so digests are equal on both sides.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "registry/registry.hpp"

namespace slm::registry {

struct AddRequest {
    Bytes slm;                              // the artifact bytes
    nlohmann::json manifest;                // its skill manifest (validated by the caller)
    std::optional<std::string> provenance;  // in-toto statement, if any
};

struct AddResult {
    std::string name;
    VersionEntry entry;
    bool already_present = false;  // the same manifest was added before
};

// Errors: invalid_input (manifest does not describe these bytes, bad name or
// version), conflict (NAME:VERSION exists with another manifest).
Result<AddResult> add_version(Registry& registry, const AddRequest& request, const Actor& actor);

struct AttachRequest {
    std::string name, version;
    std::string kind;        // eval | signature
    std::string media_type;  // of the document
    Bytes document;
    nlohmann::json summary = nlohmann::json::object();  // copied into the journal
};

struct AttachResult {
    Referrer referrer;
    bool already_present = false;
};

Result<AttachResult> attach_referrer(Registry& registry, const AttachRequest& request, const Actor& actor);

// ---- OCI manifests made elsewhere (pull) -----------------------------------

struct VersionManifest {
    std::string name, version;  // annotations org.opencontainers.image.title / .version ("" if absent)
    Descriptor config, artifact;
    std::optional<Descriptor> provenance;
};

// The shape of a skill version's OCI image manifest: schemaVersion 2, the
// image manifest media type, artifactType application/vnd.slmctl.skill.v1, a
// config of the skill manifest media type, layer 0 the .slm, an optional
// layer 1 the in-toto provenance, nothing else, no subject. No blob is read.
// Errors: invalid_input, id registry.not_a_skill.
Result<VersionManifest> parse_version_manifest(std::string_view manifest, const std::string& where);

// The config blob of `m`: canonical JSON valid against the skill manifest
// schema, a valid name and version (equal to the annotations), and an
// artifact (digest, size, media type) that is layer 0. Returns it parsed.
Result<nlohmann::json> check_skill_config(std::string_view config, const VersionManifest& m, const std::string& where);

// "eval", "signature", or "" for an artifact type slmctl does not attach.
std::string referrer_kind(std::string_view artifact_type);

struct ReferrerManifest {
    std::string kind;           // eval | signature
    std::string artifact_type;  // the document's media type
    Descriptor subject, blob;
};

// An eval sidecar or signature manifest: artifactType one of ours, the empty
// config, one layer of that media type, a subject. Errors: invalid_input.
Result<ReferrerManifest> parse_referrer_manifest(std::string_view manifest, const std::string& where);

// The document checked against the version it is attached to (a sidecar's
// model_digest is the artifact, a signature signs the skill manifest id);
// returns the summary the journal records (as `eval --add` and `sign` do).
Result<nlohmann::json> check_referrer_document(const std::string& kind, std::string_view document,
                                               const VersionEntry& subject, const std::string& where);

// Admits a version from exact OCI manifest bytes whose config and layers are
// already in the blob store: validated as above (the .slm must also parse),
// blobs read back verified, the manifest stored byte for byte. Errors:
// invalid_input, not_found (a blob is not in the store), conflict
// (NAME:VERSION exists with another OCI manifest; the same one is
// already_present).
Result<AddResult> admit_version(Registry& registry, std::string_view manifest, const Actor& actor);

// Admits a referrer manifest whose document blob is already stored and whose
// subject is a version of this registry (else not_found). The same document
// of the same kind already attached counts as already_present.
Result<AttachResult> admit_referrer(Registry& registry, std::string_view manifest, const Actor& actor);

}  // namespace slm::registry
