// slmctl pack SPEC.yaml -o OUT.slm: build a container and its skill manifest.
#include <memory>

#include "commands.hpp"
#include "core/io.hpp"
#include "output.hpp"
#include "package/manifest.hpp"
#include "package/pack.hpp"

namespace slmctl {
namespace {

struct PackArgs {
    std::string spec;
    std::string out;
    std::string manifest;
    bool json = false;
};

int run_pack(const PackArgs& a) {
    auto spec = slm::package::load_skill_spec(a.spec);
    if (!spec) return report_error(spec.error());
    auto packed = slm::package::pack_skill(*spec);
    if (!packed) return report_error(packed.error());
    const std::string manifest_path = a.manifest.empty() ? slm::package::default_manifest_path(a.out) : a.manifest;
    // Artifact first, then the manifest that names it: a crash in between
    // leaves an artifact without a manifest, never a manifest without its artifact.
    if (auto st = slm::write_file_atomic(a.out, slm::Bytes(packed->slm)); !st) return report_error(st.error());
    const std::string text = slm::package::manifest_bytes(packed->manifest);
    if (auto st = slm::write_file_atomic(manifest_path, text); !st) return report_error(st.error());

    if (a.json) {
        print_json({{"artifact", a.out},
                    {"artifact_digest", packed->artifact_digest},
                    {"size", packed->slm.size()},
                    {"manifest", manifest_path},
                    {"manifest_id", packed->manifest_id},
                    {"name", spec->info.name},
                    {"version", spec->info.version}});
    } else {
        note("packed {} {} -> {} ({})\n", spec->info.name, spec->info.version, a.out, human_bytes(packed->slm.size()));
        note("  artifact  {}\n", packed->artifact_digest);
        note("  manifest  {} (id {})\n", manifest_path, packed->manifest_id);
    }
    return 0;
}

}  // namespace

void register_pack(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<PackArgs>();
    auto* cmd = app.add_subcommand("pack", "Pack a YAML skill spec and its weights into a .slm plus manifest");
    cmd->add_option("spec", args->spec, "Skill spec (YAML, see docs/skill-spec.md)")->required();
    cmd->add_option("-o,--output", args->out, "Output .slm path")->required();
    cmd->add_option("--manifest", args->manifest, "Manifest output path (default: <output>.manifest.json)");
    cmd->add_flag("--json", args->json, "Print a JSON summary on stdout");
    cmd->callback([args, &ctx] { ctx.exit_code = run_pack(*args); });
}

}  // namespace slmctl
