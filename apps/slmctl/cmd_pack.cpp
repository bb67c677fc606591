// slmctl pack SPEC.yaml -o OUT.slm: build a container and its skill manifest.
#include <memory>

#include "artifact_writer.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "package/skill_spec.hpp"

namespace slmctl {
namespace {

struct PackArgs {
    std::string spec;
    std::string out;
    std::string manifest;
    bool json = false;
    AddArgs add;
};

int run_pack(const PackArgs& a) {
    auto spec = slm::package::load_skill_spec(a.spec);
    if (!spec) return report_error(spec.error());
    auto packed = slm::package::pack_skill(*spec);
    if (!packed) return report_error(packed.error());
    return write_artifact(*packed, a.out, a.manifest, a.json, "packed", a.add);
}

}  // namespace

void register_pack(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<PackArgs>();
    auto* cmd = app.add_subcommand("pack", "Pack a YAML skill spec and its weights into a .slm plus manifest");
    cmd->add_option("spec", args->spec, "Skill spec (YAML, see docs/skill-spec.md)")->required();
    cmd->add_option("-o,--output", args->out, "Output .slm path")->required();
    cmd->add_option("--manifest", args->manifest, "Manifest output path (default: <output>.manifest.json)");
    cmd->add_flag("--json", args->json, "Print a JSON summary on stdout");
    add_add_options(cmd, args->add);
    cmd->callback([args, &ctx] { ctx.exit_code = run_pack(*args); });
}

}  // namespace slmctl
