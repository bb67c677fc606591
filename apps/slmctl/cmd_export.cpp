// slmctl export MODEL.slm --format gguf -o OUT.gguf: a GGUF llama.cpp loads.
#include <filesystem>
#include <memory>

#include "commands.hpp"
#include "model_ref.hpp"
#include "core/io.hpp"
#include "format/slm_file.hpp"
#include "interop/gguf_llama.hpp"
#include "output.hpp"
#include "package/manifest.hpp"

namespace slmctl {
namespace {

struct ExportArgs {
    std::string model, output, format = "gguf", name;
    bool json = false;
    RegistryArgs registry;
};

// general.name / general.version: --name, else the sibling manifest's, else the file stem.
slm::interop::GgufExportOptions naming(const ExportArgs& a, const ModelInput& input) {
    const std::string& manifest_path = input.manifest_path;
    slm::interop::GgufExportOptions o{std::filesystem::path(a.model).stem().string(), ""};
    if (!manifest_path.empty()) {
        if (auto m = slm::package::load_manifest(manifest_path); m)
            o = {(*m)["name"].get<std::string>(), (*m)["version"].get<std::string>()};
    }
    if (!a.name.empty()) o.model_name = a.name;
    return o;
}

int run_export(const ExportArgs& a) {
    auto input = resolve_model(a.model, a.registry);
    if (!input) return report_error(input.error());
    auto file = slm::format::SlmFile::open(input->path);
    if (!file) return report_error(file.error());
    auto image = slm::interop::export_gguf_llama(file->view(), naming(a, *input));
    if (!image) return report_error(image.error());
    if (auto st = slm::write_file_atomic(a.output, slm::Bytes(*image)); !st) return report_error(st.error());
    if (a.json) {
        print_json({{"model", a.model}, {"output", a.output}, {"format", a.format}, {"size", image->size()}});
    } else {
        note("exported {} -> {} ({}, {})\n", a.model, a.output, a.format, human_bytes(image->size()));
    }
    return 0;
}

}  // namespace

void register_export(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<ExportArgs>();
    auto* cmd = app.add_subcommand("export", "Export a .slm model to another format (GGUF for llama.cpp)");
    cmd->add_option("model", a->model, "The .slm model or a registry reference")->required();
    add_registry_options(cmd, a->registry, false);
    cmd->add_option("--format", a->format, "Target format")->check(CLI::IsMember({"gguf"}))->capture_default_str();
    cmd->add_option("-o,--output", a->output, "Output file")->required();
    cmd->add_option("--name", a->name, "general.name (default: from the model's manifest)");
    cmd->add_flag("--json", a->json, "Print a JSON summary on stdout");
    cmd->footer(
        "f32 tensors are written as F32, q8_0/q4_0 as ggml Q8_0/Q4_0 blocks (block size 32, f16 scales);\n"
        "`slmctl import` of the result gives back the same .slm bytes.\n"
        "Exit codes: 0 ok; 3 invalid model; 4 not expressible in GGUF (e.g. block size != 32); 5 not found.");
    cmd->callback([a, &ctx] { ctx.exit_code = run_export(*a); });
}

}  // namespace slmctl
