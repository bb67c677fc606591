#include "artifact_writer.hpp"

#include "core/io.hpp"
#include "output.hpp"
#include "package/manifest.hpp"

namespace slmctl {

int write_artifact(const slm::package::PackedArtifact& artifact, const std::string& output,
                   const std::string& manifest_path_in, bool json, const std::string& verb,
                   const nlohmann::json& extra) {
    const std::string manifest_path =
        manifest_path_in.empty() ? slm::package::default_manifest_path(output) : manifest_path_in;
    if (auto st = slm::write_file_atomic(output, slm::Bytes(artifact.slm)); !st) return report_error(st.error());
    if (auto st = slm::write_file_atomic(manifest_path, slm::package::manifest_bytes(artifact.manifest)); !st)
        return report_error(st.error());

    const std::string name = artifact.manifest.value("name", "");
    const std::string version = artifact.manifest.value("version", "");
    if (json) {
        nlohmann::json out = {{"artifact", output},
                              {"artifact_digest", artifact.artifact_digest},
                              {"size", artifact.slm.size()},
                              {"manifest", manifest_path},
                              {"manifest_id", artifact.manifest_id},
                              {"name", name},
                              {"version", version}};
        out.update(extra);
        print_json(out);
    } else {
        note("{} {} {} -> {} ({})\n", verb, name, version, output, human_bytes(artifact.slm.size()));
        note("  artifact  {}\n", artifact.artifact_digest);
        note("  manifest  {} (id {})\n", manifest_path, artifact.manifest_id);
    }
    return 0;
}

}  // namespace slmctl
