#include "artifact_writer.hpp"

#include <filesystem>

#include "core/io.hpp"
#include "output.hpp"
#include "package/manifest.hpp"
#include "package/provenance.hpp"
#include "package/schemas.hpp"
#include "registry/add.hpp"

namespace slmctl {

void add_add_options(CLI::App* cmd, AddArgs& args) {
    cmd->add_flag("--add", args.add, "Also add the result to the registry as a candidate version");
    add_registry_options(cmd, args.registry, true);
}

namespace {

// A last guard for every command that derives a manifest from options
// (--name, --version): nothing is published unless the manifest is valid.
slm::Status check_manifest(const nlohmann::json& manifest, const std::string& output) {
    return slm::package::validate_against_schema(manifest, "skill-manifest.schema.json",
                                                 [&](const std::string&) { return "manifest for " + output; });
}

}  // namespace

slm::Result<WrittenArtifact> write_artifact_files(slm::Bytes slm, const nlohmann::json& manifest,
                                                  const std::string& output, const std::string& manifest_path) {
    SLM_TRY(check_manifest(manifest, output));
    auto staged = slm::StagedFile::write(output, slm);
    if (!staged) return staged.take_error();
    return commit_artifact_files(std::move(*staged), manifest, manifest_path);
}

slm::Result<WrittenArtifact> commit_artifact_files(slm::StagedFile artifact, const nlohmann::json& manifest,
                                                   const std::string& manifest_path) {
    const std::string& output = artifact.path();
    SLM_TRY(check_manifest(manifest, output));
    WrittenArtifact w;
    w.artifact = output;
    w.manifest = manifest_path.empty() ? slm::package::default_manifest_path(output) : manifest_path;
    w.provenance = slm::package::default_provenance_path(output);
    w.provenance_bytes = slm::package::provenance_bytes(
        slm::package::provenance_statement(manifest, std::filesystem::path(output).filename().string()));
    SLM_TRY(artifact.commit());
    SLM_TRY(slm::write_file_atomic(w.manifest, slm::package::manifest_bytes(manifest)));
    SLM_TRY(slm::write_file_atomic(w.provenance, std::string_view(w.provenance_bytes)));
    return w;
}

int add_to_registry(const AddArgs& args, slm::Bytes slm, const nlohmann::json& manifest,
                    const WrittenArtifact& written, nlohmann::json& summary) {
    if (!args.add) return 0;
    auto registry = open_registry(args.registry, true);
    if (!registry) return report_error(registry.error());
    auto added = slm::registry::add_version(*registry, {slm, manifest, written.provenance_bytes},
                                            slm::registry::current_actor(args.registry.reason));
    if (!added) return report_error(added.error());
    const std::string ref = added->name + ":" + added->entry.version;
    summary["registry"] = {{"root", registry->layout().root},
                           {"reference", ref},
                           {"oci_manifest", added->entry.manifest.digest},
                           {"stage", slm::registry::stage_name(added->entry.stage)},
                           {"already_present", added->already_present}};
    return 0;
}

void note_registry(const nlohmann::json& summary) {
    if (!summary.contains("registry")) return;
    const auto& r = summary["registry"];
    note("  registry  {} {} in {} ({})\n", r["already_present"].get<bool>() ? "already had" : "added",
         r["reference"].get<std::string>(), r["root"].get<std::string>(), r["stage"].get<std::string>());
}

int write_artifact(const slm::package::PackedArtifact& artifact, const std::string& output,
                   const std::string& manifest_path, bool json, const std::string& verb, const AddArgs& add,
                   const nlohmann::json& extra) {
    auto written = write_artifact_files(slm::Bytes(artifact.slm), artifact.manifest, output, manifest_path);
    if (!written) return report_error(written.error());
    const std::string name = artifact.manifest.value("name", "");
    const std::string version = artifact.manifest.value("version", "");
    nlohmann::json out = {{"artifact", output},
                          {"artifact_digest", artifact.artifact_digest},
                          {"size", artifact.slm.size()},
                          {"manifest", written->manifest},
                          {"manifest_id", artifact.manifest_id},
                          {"provenance", written->provenance},
                          {"name", name},
                          {"version", version}};
    if (!json) {
        note("{} {} {} -> {} ({})\n", verb, name, version, output, human_bytes(artifact.slm.size()));
        note("  artifact  {}\n", artifact.artifact_digest);
        note("  manifest  {} (id {})\n", written->manifest, artifact.manifest_id);
        note("  in-toto   {}\n", written->provenance);
    }
    if (int rc = add_to_registry(add, slm::Bytes(artifact.slm), artifact.manifest, *written, out); rc != 0)
        return rc;
    if (!json) note_registry(out);
    if (json) {
        out.update(extra);
        print_json(out);
    }
    return 0;
}

}  // namespace slmctl
