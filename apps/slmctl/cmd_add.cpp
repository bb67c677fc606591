// slmctl add FILE.slm [--manifest M]: put an existing artifact into the registry.
#include <memory>

#include "artifact_writer.hpp"
#include "commands.hpp"
#include "core/io.hpp"
#include "format/reader.hpp"
#include "output.hpp"
#include "package/manifest.hpp"
#include "package/provenance.hpp"

namespace slmctl {
namespace {

struct AddCmdArgs {
    std::string file, manifest;
    AddArgs add{true, {}};
    bool json = false;
};

int run_add(const AddCmdArgs& a) {
    auto file = slm::MappedFile::open(a.file);
    if (!file) return report_error(file.error());
    if (auto view = slm::format::parse_slm(file->bytes(), a.file); !view) return report_error(view.error());
    const std::string manifest_path = a.manifest.empty() ? slm::package::default_manifest_path(a.file) : a.manifest;
    auto manifest = slm::package::load_manifest(manifest_path);
    if (!manifest) return report_error(manifest.error());
    WrittenArtifact existing{a.file, manifest_path, "", ""};
    const std::string provenance_path = slm::package::default_provenance_path(a.file);
    if (auto text = slm::read_text_file(provenance_path)) existing.provenance_bytes = *text;
    else existing.provenance_bytes = slm::package::provenance_bytes(slm::package::provenance_statement(*manifest, a.file));
    nlohmann::json out = {{"artifact", a.file}, {"manifest", manifest_path}};
    if (int rc = add_to_registry(a.add, file->bytes(), *manifest, existing, out); rc != 0) return rc;
    if (a.json) print_json(out);
    else note_registry(out);
    return 0;
}

}  // namespace

void register_add(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<AddCmdArgs>();
    auto* cmd = app.add_subcommand("add", "Add an existing .slm and its manifest to the registry as a candidate version");
    cmd->add_option("file", a->file, "The .slm")->required();
    cmd->add_option("--manifest", a->manifest, "Its manifest (default: sibling <name>.manifest.json)");
    add_registry_options(cmd, a->add.registry, true);
    cmd->add_flag("--json", a->json, "Print JSON on stdout");
    cmd->footer("Exit codes: 0 added (or already present); 3 invalid artifact or manifest; 5 not found;\n"
                "6 NAME:VERSION exists with another manifest, or the registry is locked.");
    cmd->callback([a, &ctx] { ctx.exit_code = run_add(*a); });
}

}  // namespace slmctl
