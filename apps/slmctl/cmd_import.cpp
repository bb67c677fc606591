// slmctl import PATH -o OUT.slm: GGUF, llama2.c or Hugging Face -> .slm + manifest.
#include <memory>

#include "artifact_writer.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "package/import.hpp"

namespace slmctl {
namespace {

struct ImportArgs {
    std::string input, output, manifest;
    slm::package::ImportOptions options;
    bool json = false;
    AddArgs add;
};

int run_import(const ImportArgs& a) {
    std::string format = a.options.format;
    if (format == "auto") {
        auto detected = slm::package::detect_import_format(a.input);
        if (!detected) return report_error(detected.error());
        format = *detected;
    }
    slm::package::ImportOptions options = a.options;
    options.format = format;
    auto imported = slm::package::import_model(a.input, options);
    if (!imported) return report_error(imported.error());
    return write_artifact(*imported, a.output, a.manifest, a.json, "imported", a.add,
                          {{"source", a.input}, {"source_format", format}});
}

}  // namespace

void register_import(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<ImportArgs>();
    auto* cmd = app.add_subcommand("import", "Import a GGUF, llama2.c or Hugging Face llama model into a .slm");
    cmd->add_option("input", a->input, "GGUF file, llama2.c checkpoint (.bin) or Hugging Face directory")->required();
    cmd->add_option("-o,--output", a->output, "Output .slm path")->required();
    cmd->add_option("--format", a->options.format, "Source format")
        ->check(CLI::IsMember({"auto", "gguf", "llama2c", "hf"}))
        ->capture_default_str();
    cmd->add_option("--name", a->options.name, "Skill name (default: the source's name if it is a skill name, else imported.<name>)");
    cmd->add_option("--version", a->options.version, "Skill version (default: the source's general.version, else 0.1.0)");
    cmd->add_option("--tokenizer", a->options.tokenizer_path,
                    "llama2.c: tokenizer.bin (default: tokenizer.bin next to the checkpoint)");
    cmd->add_option("--manifest", a->manifest, "Manifest output path (default: <output>.manifest.json)");
    cmd->add_flag("--json", a->json, "Print a JSON summary on stdout");
    add_add_options(cmd, a->add);
    cmd->footer(
        "GGUF: architecture llama, tensors F32/F16/BF16/Q8_0/Q4_0 (quantized blocks are kept, not requantized),\n"
        "tokenizer llama (-> SPM1) or gpt2 (-> BPE1). llama2.c: legacy or version-1 f32 checkpoints.\n"
        "Hugging Face: config.json (LlamaForCausalLM), model.safetensors, tokenizer.json.\n"
        "Exit codes: 0 ok; 2 usage; 3 malformed source; 4 unsupported architecture, type or tokenizer; 5 not found.");
    cmd->callback([a, &ctx] { ctx.exit_code = run_import(*a); });
}

}  // namespace slmctl
