#include "registry/oci.hpp"

#include <algorithm>

#include "core/json_canonical.hpp"

namespace slm::registry {

using nlohmann::json;

namespace {

json descriptor_json(const Descriptor& d) { return {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}}; }

}  // namespace

Descriptor empty_config() {
    return {k_empty_media_type, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", 2};
}

std::string version_manifest(const std::string& name, const std::string& version, const Descriptor& config,
                             const Descriptor& artifact, const std::optional<Descriptor>& provenance,
                             const std::string& created) {
    json model = descriptor_json(artifact);
    model["annotations"] = {{"org.opencontainers.image.title", name + "-" + version + ".slm"}};
    json layers = json::array({model});
    if (provenance) layers.push_back(descriptor_json(*provenance));
    json m = {{"schemaVersion", 2},
              {"mediaType", k_manifest_media_type},
              {"artifactType", k_skill_artifact_type},
              {"config", descriptor_json(config)},
              {"layers", layers},
              {"annotations", {{"org.opencontainers.image.title", name}, {"org.opencontainers.image.version", version}}}};
    if (!created.empty()) m["annotations"]["org.opencontainers.image.created"] = created;
    return canonical_json(m);
}

std::string referrer_manifest(const std::string& artifact_type, const Descriptor& subject, const Descriptor& blob,
                              const json& annotations) {
    json m = {{"schemaVersion", 2},
              {"mediaType", k_manifest_media_type},
              {"artifactType", artifact_type},
              {"config", descriptor_json(empty_config())},
              {"layers", json::array({descriptor_json(blob)})},
              {"subject", descriptor_json(subject)}};
    if (!annotations.empty()) m["annotations"] = annotations;
    return canonical_json(m);
}

std::string index_json(const RegistryState& state) {
    struct Entry {
        std::uint64_t seq;
        json descriptor;
    };
    std::vector<Entry> entries;
    for (const auto& [name, skill] : state.skills) {
        for (const auto& [ver, v] : skill.versions) {
            json d = descriptor_json(v.manifest);
            d["artifactType"] = k_skill_artifact_type;
            d["annotations"] = {{k_ref_name_annotation, name + ":" + ver}};
            entries.push_back({v.added_seq, d});
            for (const auto& r : v.referrers) {
                json rd = descriptor_json(r.manifest);
                rd["artifactType"] = r.blob.media_type;
                entries.push_back({r.seq, rd});
            }
        }
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.seq < b.seq; });
    json manifests = json::array();
    for (auto& e : entries) manifests.push_back(std::move(e.descriptor));
    return canonical_json({{"schemaVersion", 2}, {"mediaType", k_index_media_type}, {"manifests", manifests}});
}

}  // namespace slm::registry
