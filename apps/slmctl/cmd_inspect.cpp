// slmctl inspect FILE: a .slm's header, tensors, tokenizer and digests, or an
// adapter's (ADP1 / ASP1 / ALR1) kind, identity and payloads.
#include <memory>

#include "adapter/describe.hpp"
#include "commands.hpp"
#include "core/io.hpp"
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

void print_adapter(const nlohmann::json& d, bool all_payloads) {
    const auto& id = d["identity"];
    fmt::print("format      {} v{} ({} adapter)  {}\n", d["format"]["magic"].get<std::string>(),
               d["format"]["version"].get<int>(), d["kind"].get<std::string>(), human_bytes(d["file_bytes"]));
    fmt::print("base        {} tensors  {} parameters  flags {}{}\n", id["tensor_count"].get<std::uint64_t>(),
               id["parameter_count"].get<std::uint64_t>(), id["flags"].get<std::uint32_t>(),
               id["tied_output"].get<bool>() ? " (tied output)" : "");
    fmt::print("layout      {}\n", id["tensor_layout_checksum"].get<std::string>());
    fmt::print("tokenizer   {}\n", id["tokenizer_checksum"].get<std::string>());
    fmt::print("digest      {}\n", d["digest"].get<std::string>());
    fmt::print("checksum    xxh64 {} (verified)\n", d["checksum"]["xxh64"].get<std::string>());
    const auto& payloads = d["payloads"];
    fmt::print("payloads    {}  ({} of deltas)\n", payloads.size(), human_bytes(d["payload_bytes"]));
    const std::size_t shown = all_payloads ? payloads.size() : std::min<std::size_t>(payloads.size(), 12);
    for (std::size_t i = 0; i < shown; ++i) {
        const auto& p = payloads[i];
        std::string shape;
        for (const auto& s : p["shape"]) shape += (shape.empty() ? "" : " x ") + std::to_string(s.get<std::uint64_t>());
        std::string detail = p.contains("nnz")    ? "nnz " + std::to_string(p["nnz"].get<std::uint64_t>())
                             : p.contains("rank") ? "rank " + std::to_string(p["rank"].get<std::uint64_t>())
                                                  : "";
        fmt::print("  {:<36} {:<8} {:<14} {:<10} {:>10}\n",
                   p["name"].is_null() ? "0x" + p["name_hash"].get<std::string>() : p["name"].get<std::string>(),
                   p["encoding"].get<std::string>(), shape, detail, human_bytes(p["bytes"]));
    }
    if (shown < payloads.size()) fmt::print("  ... {} more (--tensors lists all)\n", payloads.size() - shown);
}

// Adapters are recognized by their magic; everything else is read as a .slm.
int inspect_adapter(const std::string& path, const InspectArgs& a) {
    auto file = slm::MappedFile::open(path);
    if (!file) return report_error(file.error());
    auto view = slm::adapter::parse_adapter(file->bytes(), path);
    if (!view) return report_error(view.error());
    const auto description = slm::adapter::describe_adapter(*view);
    if (a.json) print_json(description);
    else print_adapter(description, a.tensors);
    return 0;
}

int run_inspect(const InspectArgs& a) {
    auto input = resolve_model(a.file, a.registry);
    if (!input) return report_error(input.error());
    if (auto head = slm::MappedFile::open(input->path); head && slm::adapter::has_adapter_magic(head->bytes()))
        return inspect_adapter(input->path, a);
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
    auto* cmd = app.add_subcommand(
        "inspect", "Show a .slm file's header, tensors, tokenizer and digests (or an adapter's identity and payloads)");
    cmd->add_option("file", args->file, "The .slm or adapter file to inspect, or a registry reference")->required();
    add_registry_options(cmd, args->registry, false);
    cmd->add_flag("--json", args->json, "Print the description as JSON on stdout");
    cmd->add_flag("--tensors", args->tensors, "List every tensor (human output)");
    cmd->callback([args, &ctx] { ctx.exit_code = run_inspect(*args); });
}

}  // namespace slmctl
