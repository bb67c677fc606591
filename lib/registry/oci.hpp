// OCI documents the registry writes: a version is an image manifest whose
// config is the skill manifest and whose layers are the .slm (and its
// in-toto provenance); eval sidecars and signatures are image manifests whose
// `subject` is the version (the OCI 1.1 referrers model). index.json lists
// them all, so OCI tools (skopeo, oras, registries) can read and copy them.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "registry/blob_store.hpp"
#include "registry/state.hpp"

namespace slm::registry {

inline constexpr const char* k_manifest_media_type = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* k_index_media_type = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* k_skill_artifact_type = "application/vnd.slmctl.skill.v1";
inline constexpr const char* k_skill_manifest_media_type = "application/vnd.slmctl.skill-manifest.v1+json";
inline constexpr const char* k_provenance_media_type = "application/vnd.in-toto+json";
inline constexpr const char* k_eval_media_type = "application/vnd.slmctl.eval-sidecar.v1+json";
inline constexpr const char* k_signature_media_type = "application/vnd.slmctl.signature.v1+json";
inline constexpr const char* k_empty_media_type = "application/vnd.oci.empty.v1+json";
inline constexpr const char* k_ref_name_annotation = "org.opencontainers.image.ref.name";

// Canonical JSON bytes of the OCI manifest of one skill version.
std::string version_manifest(const std::string& name, const std::string& version, const Descriptor& config,
                             const Descriptor& artifact, const std::optional<Descriptor>& provenance,
                             const std::string& created);

// Canonical JSON bytes of a referrer (sidecar or signature) manifest.
std::string referrer_manifest(const std::string& artifact_type, const Descriptor& subject, const Descriptor& blob,
                              const nlohmann::json& annotations);

// The `{}` blob that referrer manifests use as config (OCI 1.1 empty descriptor).
Descriptor empty_config();

// index.json for the whole registry: versions named "<name>:<version>",
// referrers after their subjects, in journal order.
std::string index_json(const RegistryState& state);

}  // namespace slm::registry
