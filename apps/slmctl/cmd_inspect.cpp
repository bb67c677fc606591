// slmctl inspect FILE.slm: header, tensors, tokenizer and digests.
#include <memory>

#include "commands.hpp"
#include "model_ref.hpp"
#include "format/slm_file.hpp"
#include "output.hpp"
#include "package/inspect.hpp"

namespace slmctl {
namespace {

struct InspectArgs {
    std::string file;
    bool json = false;
    bool tensors = false;
    RegistryArgs registry;
};

void print_human(const nlohmann::json& d, bool all_tensors) {
    const auto& m = d["model"];
    fmt::print("format      SLM1 v{}  {}\n", d["format"]["version"].get<int>(), human_bytes(d["file_bytes"]));
    fmt::print("model       llama  dim {}  layers {}  heads {}/{} kv  head_dim {}  ffn {}  ctx {}{}\n",
               m["dim"].get<int>(), m["n_layers"].get<int>(), m["n_heads"].get<int>(), m["n_kv_heads"].get<int>(),
               m["head_dim"].get<int>(), m["ffn_dim"].get<int>(), m["context_length"].get<int>(),
               m["tied_output"].get<bool>() ? "  tied output" : "");
    fmt::print("            rope_theta {}  rms_eps {}\n", m["rope_theta"].get<double>(), m["rms_eps"].get<double>());
    fmt::print("parameters  {}  ({})\n", d["parameter_count"].get<std::uint64_t>(), d["quantization"].get<std::string>());
    const auto& t = d["tokenizer"];
    fmt::print("tokenizer   {}  {} tokens  {} merges  bos {}  eos {}\n", t["kind"].get<std::string>(),
               t["tokens"].get<int>(), t["merges"].get<int>(),
               t["bos"].is_null() ? "none" : t["bos"]["text"].get<std::string>(),
               t["eos"].is_null() ? "none" : t["eos"]["text"].get<std::string>());
    fmt::print("digest      {}\n", d["digest"].get<std::string>());
    fmt::print("tokenizer   {}\n", t["digest"].get<std::string>());
    fmt::print("checksum    xxh64 {} ({})\n", d["checksum"]["xxh64"].get<std::string>(),
               d["checksum"]["verified"].get<bool>() ? "verified" : "not verified");
    const auto& tensors = d["tensors"];
    fmt::print("tensors     {}\n", tensors.size());
    const std::size_t shown = all_tensors ? tensors.size() : std::min<std::size_t>(tensors.size(), 12);
    for (std::size_t i = 0; i < shown; ++i) {
        const auto& x = tensors[i];
        std::string shape;
        for (const auto& s : x["shape"]) shape += (shape.empty() ? "" : " x ") + std::to_string(s.get<std::uint64_t>());
        fmt::print("  {:<36} {:<5} {:<14} {:>10}\n", x["name"].get<std::string>(), x["dtype"].get<std::string>(),
                   shape, human_bytes(x["bytes"]));
    }
    if (shown < tensors.size()) fmt::print("  ... {} more (--tensors lists all)\n", tensors.size() - shown);
}

int run_inspect(const InspectArgs& a) {
    auto input = resolve_model(a.file, a.registry);
    if (!input) return report_error(input.error());
    auto file = slm::format::SlmFile::open(input->path);
    if (!file) return report_error(file.error());
    const auto description = slm::package::describe_artifact(file->view());
    if (a.json) print_json(description);
    else print_human(description, a.tensors);
    return 0;
}

}  // namespace

void register_inspect(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<InspectArgs>();
    auto* cmd = app.add_subcommand("inspect", "Show a .slm file's header, tensors, tokenizer and digests");
    cmd->add_option("file", args->file, "The .slm to inspect, or a registry reference")->required();
    add_registry_options(cmd, args->registry, false);
    cmd->add_flag("--json", args->json, "Print the description as JSON on stdout");
    cmd->add_flag("--tensors", args->tensors, "List every tensor (human output)");
    cmd->callback([args, &ctx] { ctx.exit_code = run_inspect(*args); });
}

}  // namespace slmctl
