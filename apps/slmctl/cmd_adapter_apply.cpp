// slmctl adapter-apply BASE A.adp [A2.adp ...] -o OUT.slm: checks each
// adapter's identity against BASE, applies the stack in order and writes the
// new .slm, its manifest (parents: base + adapters, operator adapter-apply)
// and in-toto provenance.
#include <memory>
#include <optional>

#include "adapter/apply.hpp"
#include "artifact_writer.hpp"
#include "commands.hpp"
#include "core/hash.hpp"
#include "core/io.hpp"
#include "format/slm_file.hpp"
#include "model_ref.hpp"
#include "output.hpp"
#include "package/manifest.hpp"
#include "registry/reference.hpp"

namespace slmctl {
namespace {

struct ApplyArgs {
    std::string base, output, manifest_in, manifest_out, name, version;
    std::vector<std::string> adapters;
    double scale = 1.0;
    bool requantize = false, json = false;
    AddArgs add;
};

struct LoadedAdapter {
    slm::MappedFile file;
    slm::adapter::AdapterView view;
    std::string digest;
};

// "0.1.0" -> "0.1.0+adapted-<12 hex>"; "0.1.0+q8-0" -> "0.1.0+q8-0.adapted-<12 hex>".
std::string derived_version(const std::string& base, const std::string& stack) {
    const std::string tag = "adapted-" + stack.substr(std::string("sha256:").size(), 12);
    return base + (base.find('+') == std::string::npos ? "+" : ".") + tag;
}

int run_apply(const ApplyArgs& a) {
    if (!a.name.empty() && !slm::registry::is_skill_name(a.name))
        return report_error(slm::make_error(slm::ErrorCode::usage, "cli.bad_name",
                                            "--name: expected a skill name (lower-case dotted segments such as "
                                            "skill.arith-sub), found '" + a.name + "'"));
    if (!a.version.empty() && !slm::registry::is_version(a.version))
        return report_error(slm::make_error(slm::ErrorCode::usage, "cli.bad_version",
                                            "--version: expected a semantic version such as 1.0.0, found '" +
                                                a.version + "'"));
    auto input = resolve_model(a.base, a.add.registry);
    if (!input) return report_error(input.error());
    auto base = slm::format::SlmFile::open(input->path);
    if (!base) return report_error(base.error());
    const std::string manifest_in =
        !a.manifest_in.empty() ? a.manifest_in
        : input->manifest_path.empty() ? slm::package::default_manifest_path(input->path) : input->manifest_path;
    auto base_manifest = slm::package::load_manifest(manifest_in);
    if (!base_manifest) return report_error(base_manifest.error());
    const std::string base_digest = slm::sha256_ref(base->bytes());
    if ((*base_manifest)["artifact"]["digest"] != base_digest)
        return report_error(slm::make_error(slm::ErrorCode::check_failed, "adapter_apply.manifest_mismatch",
                                            manifest_in + " describes another artifact than " + a.base));

    std::vector<LoadedAdapter> loaded;
    loaded.reserve(a.adapters.size());  // views point into the mappings, which do not move
    for (const std::string& path : a.adapters) {
        auto file = slm::MappedFile::open(path);
        if (!file) return report_error(file.error());
        auto view = slm::adapter::parse_adapter(file->bytes(), path);
        if (!view) return report_error(view.error());
        std::string digest = slm::sha256_ref(file->bytes());
        loaded.push_back({std::move(*file), std::move(*view), std::move(digest)});
    }
    std::vector<slm::adapter::StackEntry> stack;
    std::vector<std::string> digests;
    for (std::size_t i = 0; i < loaded.size(); ++i) {
        stack.push_back({&loaded[i].view, a.adapters[i]});
        digests.push_back(loaded[i].digest);
    }
    auto applied = slm::adapter::apply_adapters(base->view(), input->label, stack, {a.scale, a.requantize});
    if (!applied) return report_error(applied.error());
    auto view = slm::format::parse_slm(applied->slm, a.output, slm::format::ReadOptions{false});
    if (!view) return report_error(view.error());

    const std::string stack_digest = slm::adapter::stack_digest(digests);
    slm::package::SkillInfo info = slm::package::skill_info_from_manifest(*base_manifest);
    info.version = a.version.empty() ? derived_version(info.version, stack_digest) : a.version;
    if (!a.name.empty()) info.name = a.name;  // the adapted model as a skill of its own
    slm::package::Provenance prov;
    prov.operator_name = "adapter-apply";
    prov.parents.push_back({base_digest, "base", "slm"});
    nlohmann::json kinds = nlohmann::json::array();
    for (const auto& l : loaded) {
        prov.parents.push_back({l.digest, "adapter", std::string(slm::adapter::kind_magic(l.view.kind))});
        kinds.push_back(slm::adapter::kind_name(l.view.kind));
    }
    prov.parameters = {{"scale", a.scale}, {"requantize", a.requantize}, {"adapter_kinds", kinds},
                       {"adapter_stack_digest", stack_digest}};
    const nlohmann::json manifest = slm::package::make_manifest(info, prov, *view);
    const std::string manifest_id = slm::package::manifest_id(manifest);

    auto written = write_artifact_files(slm::Bytes(applied->slm), manifest, a.output, a.manifest_out);
    if (!written) return report_error(written.error());
    nlohmann::json summary = nlohmann::json::object();
    if (int rc = add_to_registry(a.add, slm::Bytes(applied->slm), manifest, *written, summary); rc != 0) return rc;
    if (a.json) {
        nlohmann::json changed = nlohmann::json::array();
        for (const auto& t : applied->changed)
            changed.push_back({{"name", t.name}, {"dtype", t.dtype}, {"adapters", t.adapters},
                               {"requantized", t.requantized}});
        nlohmann::json out = {{"artifact", a.output}, {"artifact_digest", manifest["artifact"]["digest"]},
                              {"size", applied->slm.size()}, {"manifest", written->manifest},
                              {"manifest_id", manifest_id}, {"provenance", written->provenance},
                              {"name", info.name}, {"version", info.version}, {"base_digest", base_digest}, {"adapters", digests},
                              {"adapter_stack_digest", stack_digest}, {"scale", a.scale}, {"changed", changed}};
        out.update(summary);
        print_json(out);
        return 0;
    }
    note("applied {} adapter{} to {} -> {} ({} tensors changed, scale {})\n", loaded.size(),
         loaded.size() == 1 ? "" : "s", a.base, a.output, applied->changed.size(), a.scale);
    note("  artifact  {}\n  manifest  {} (id {})\n  in-toto   {}\n", manifest["artifact"]["digest"].get<std::string>(),
         written->manifest, manifest_id, written->provenance);
    note("  adapters  {}\n", stack_digest);
    note_registry(summary);
    return 0;
}

}  // namespace

void register_adapter_apply(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<ApplyArgs>();
    auto* cmd = app.add_subcommand("adapter-apply", "Apply a stack of adapters to a base model, writing a new .slm");
    cmd->add_option("base", a->base, "Base .slm or registry reference (NAME:VERSION, NAME@ALIAS)")->required();
    cmd->add_option("adapters", a->adapters, "Adapter files, applied in this order")->required();
    cmd->add_option("-o,--output", a->output, "Output .slm")->required();
    cmd->add_option("--scale", a->scale, "Multiplies every adapter's delta")->capture_default_str();
    cmd->add_flag("--requantize", a->requantize,
                  "Allow a quantized base: apply in f32, then re-quantize to the base's dtype");
    cmd->add_option("--manifest", a->manifest_in, "Base's manifest (default: sibling <base>.manifest.json)");
    cmd->add_option("--manifest-out", a->manifest_out, "Output manifest (default: <output>.manifest.json)");
    cmd->add_option("--name", a->name, "Skill name of the new manifest (default: the base's)");
    cmd->add_option("--version", a->version, "Version of the new manifest (default: <base version>+adapted-<hex>)");
    cmd->add_flag("--json", a->json, "Print a JSON summary on stdout");
    add_add_options(cmd, a->add);
    cmd->footer("Exit codes: 0 ok; 1 the base's manifest describes another artifact; 2 usage (also: a quantized\n"
                "base without --requantize); 3 corrupt adapter or model; 4 an adapter does not fit the base;\n"
                "5 not found.");
    cmd->callback([a, &ctx] { ctx.exit_code = run_apply(*a); });
}

}  // namespace slmctl
