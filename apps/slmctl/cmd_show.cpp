// slmctl show REF: one version: stage, aliases, digests, lineage, evidence.
#include <memory>

#include "commands.hpp"
#include "core/json_canonical.hpp"
#include "output.hpp"
#include "registry/resolve.hpp"
#include "registry_args.hpp"
#include "registry_view.hpp"

namespace slmctl {
namespace {

struct ShowArgs {
    std::string ref;
    RegistryArgs registry;
    bool json = false;
};

void print_human(const nlohmann::json& v, const nlohmann::json& manifest) {
    fmt::print("{}  ({})\n", v["reference"].get<std::string>(), v["stage"].get<std::string>());
    std::string aliases;
    for (const auto& a : v["aliases"]) aliases += (aliases.empty() ? "" : ", ") + a.get<std::string>();
    fmt::print("  aliases       {}\n", aliases.empty() ? "-" : aliases);
    fmt::print("  artifact      {} ({})\n", v["artifact"]["digest"].get<std::string>(),
               human_bytes(v["artifact"]["size"].get<std::uint64_t>()));
    fmt::print("  manifest id   {}\n", v["manifest_id"].get<std::string>());
    fmt::print("  oci manifest  {}\n", v["oci_manifest"]["digest"].get<std::string>());
    fmt::print("  added         {}\n", v["added_at"].get<std::string>());
    fmt::print("  contract      {} -> {}\n", manifest.value("input_contract", "?"), manifest.value("output_contract", "?"));
    fmt::print("  runtime       {} {}, tokenizer {}\n", manifest["runtime"].value("backend", "?"),
               manifest["runtime"].value("quantization", "?"), manifest["runtime"]["tokenizer"].value("kind", "?"));
    fmt::print("  lineage       {}\n", manifest.value("operator", "?"));
    for (const auto& p : manifest.value("parents", nlohmann::json::array()))
        fmt::print("    {:<16} {}{}\n", p.value("role", ""), p.value("digest", ""),
                   p.contains("format") ? " (" + p["format"].get<std::string>() + ")" : "");
    if (v["referrers"].empty()) fmt::print("  evidence      none attached\n");
    for (const auto& r : v["referrers"]) {
        const auto& s = r["summary"];
        if (r["kind"] == "eval")
            fmt::print("  eval          {} {} ({} passed, {} failed, {})\n", s.value("suite", "?"),
                       s.value("decision", "?"), s.value("cases_passed", 0), s.value("cases_failed", 0),
                       s.value("generated_at_utc", ""));
        else
            fmt::print("  signature     key {}\n", s.value("key_id", "?"));
    }
}

int run_show(const ShowArgs& a) {
    auto ref = slm::registry::parse_reference(a.ref);
    if (!ref) return report_error(ref.error());
    auto registry = open_registry(a.registry, false);
    if (!registry) return report_error(registry.error());
    auto state = registry->read_state();
    if (!state) return report_error(state.error());
    if (ref->kind == slm::registry::Reference::Kind::name) ref->kind = slm::registry::Reference::Kind::alias, ref->value = "latest";
    auto v = slm::registry::resolve(*state, *ref);
    if (!v) return report_error(v.error());
    auto bytes = registry->blobs().read_verified(v->entry.config);
    if (!bytes) return report_error(bytes.error());
    auto manifest = slm::parse_json(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()),
                                    registry->blobs().path(v->entry.config.digest));
    if (!manifest) return report_error(manifest.error());
    nlohmann::json out = version_json(v->name, state->skills.at(v->name), v->entry);
    if (a.json) {
        out["skill_manifest"] = *manifest;
        print_json(out);
    } else {
        print_human(out, *manifest);
    }
    return 0;
}

}  // namespace

void register_show(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<ShowArgs>();
    auto* cmd = app.add_subcommand("show", "Show one version: stage, aliases, digests, lineage and evidence");
    cmd->add_option("ref", a->ref, "NAME (latest), NAME:VERSION, NAME@ALIAS or NAME@sha256:...")->required();
    add_registry_options(cmd, a->registry, false);
    cmd->add_flag("--json", a->json, "Print JSON (with the skill manifest) on stdout");
    cmd->callback([a, &ctx] { ctx.exit_code = run_show(*a); });
}

}  // namespace slmctl
