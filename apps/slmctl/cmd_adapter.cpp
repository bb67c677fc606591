// slmctl adapter create BASE TUNED --kind dense|sparse|lowrank -o A.adp: the
// difference between two models of one layout as an ADP1 / ASP1 / ALR1 file,
// with the error it leaves (measured by applying it).
#include <memory>

#include "adapter/create.hpp"
#include "commands.hpp"
#include "core/io.hpp"
#include "format/slm_file.hpp"
#include "model_ref.hpp"
#include "output.hpp"

namespace slmctl {
namespace {

struct CreateArgs {
    std::string base, tuned, kind = "dense", output;
    double threshold = 0.0;
    std::uint32_t rank = 8;
    bool json = false;
    RegistryArgs registry;
};

std::string shape_text(const std::vector<std::uint32_t>& shape) {
    std::string s;
    for (auto d : shape) s += (s.empty() ? "" : " x ") + std::to_string(d);
    return s;
}

nlohmann::json report_json(const slm::adapter::CreatedAdapter& c, const CreateArgs& a) {
    nlohmann::json tensors = nlohmann::json::array();
    for (const auto& t : c.tensors) {
        nlohmann::json entry = {{"name", t.name}, {"shape", t.shape}, {"encoding", t.encoding},
                                {"elements", t.elements}, {"stored", t.stored}, {"delta_norm", t.delta_norm},
                                {"error_norm", t.error_norm}, {"rel_error", t.rel_error},
                                {"max_abs_error", t.max_abs_error}, {"inexact", t.inexact}};
        if (t.encoding == "lowrank") entry["rank"] = t.rank;
        tensors.push_back(std::move(entry));
    }
    return {{"adapter", a.output}, {"digest", c.digest}, {"size", c.bytes.size()},
            {"kind", slm::adapter::kind_name(c.kind)}, {"base", a.base}, {"tuned", a.tuned},
            {"threshold", a.threshold}, {"max_rank", a.rank}, {"dequantized", c.dequantized},
            {"delta_norm", c.delta_norm}, {"error_norm", c.error_norm}, {"rel_error", c.rel_error},
            {"max_abs_error", c.max_abs_error}, {"inexact", c.inexact}, {"tensors", tensors}};
}

void print_human(const slm::adapter::CreatedAdapter& c, const CreateArgs& a) {
    std::size_t stored = 0;
    for (const auto& t : c.tensors) stored += t.stored > 0 ? 1 : 0;
    note("adapter {} {} -> {}: {} ({}, {} of {} tensors)\n", slm::adapter::kind_name(c.kind), a.base, a.tuned,
         a.output, human_bytes(c.bytes.size()), stored, c.tensors.size());
    note("  digest    {}\n", c.digest);
    note("  error     relative Frobenius {:.3g} overall, max |diff| {:.3g}, {} elements not bit-exact{}\n",
         c.rel_error, c.max_abs_error, c.inexact, c.dequantized ? " (quantized inputs dequantized)" : "");
    note("  {:<36} {:<14} {:<9} {:>8} {:>5} {:>10}\n", "tensor", "shape", "encoding", "stored", "rank", "rel.error");
    for (const auto& t : c.tensors)
        note("  {:<36} {:<14} {:<9} {:>8} {:>5} {:>10.3g}\n", t.name, shape_text(t.shape), t.encoding, t.stored,
             t.encoding == "lowrank" ? std::to_string(t.rank) : std::string("-"), t.rel_error);
}

int run_create(const CreateArgs& a) {
    slm::adapter::CreateOptions opt;
    if (!slm::adapter::kind_from_name(a.kind, opt.kind))
        return report_error(slm::make_error(slm::ErrorCode::usage, "cli.bad_kind",
                                            "--kind: expected dense, sparse or lowrank, found " + a.kind));
    opt.threshold = a.threshold;
    opt.rank = a.rank;
    auto base_in = resolve_model(a.base, a.registry);
    if (!base_in) return report_error(base_in.error());
    auto tuned_in = resolve_model(a.tuned, a.registry);
    if (!tuned_in) return report_error(tuned_in.error());
    auto base = slm::format::SlmFile::open(base_in->path);
    if (!base) return report_error(base.error());
    auto tuned = slm::format::SlmFile::open(tuned_in->path);
    if (!tuned) return report_error(tuned.error());
    auto created = slm::adapter::create_adapter(base->view(), base_in->label, tuned->view(), tuned_in->label, opt);
    if (!created) return report_error(created.error());
    if (auto st = slm::write_file_atomic(a.output, slm::Bytes(created->bytes)); !st) return report_error(st.error());
    if (a.json) print_json(report_json(*created, a));
    else print_human(*created, a);
    return 0;
}

}  // namespace

void register_adapter(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand("adapter", "Adapters (ADP1 dense, ASP1 sparse, ALR1 low-rank weight deltas)");
    group->require_subcommand(1);
    auto a = std::make_shared<CreateArgs>();
    auto* cmd = group->add_subcommand("create", "Write the difference TUNED - BASE as an adapter");
    cmd->add_option("base", a->base, "Base .slm or registry reference")->required();
    cmd->add_option("tuned", a->tuned, "Tuned .slm with the same layout and tokenizer")->required();
    cmd->add_option("--kind", a->kind, "dense, sparse or lowrank")->capture_default_str();
    cmd->add_option("--threshold", a->threshold, "sparse: keep elements with |delta| > T")->capture_default_str();
    cmd->add_option("--rank", a->rank, "lowrank: maximum factor rank per matrix")->capture_default_str();
    cmd->add_option("-o,--output", a->output, "Adapter file to write")->required();
    cmd->add_flag("--json", a->json, "Print the report as JSON on stdout");
    add_registry_options(cmd, a->registry, false);
    cmd->footer("Exit codes: 0 ok; 2 usage; 3 invalid model; 4 BASE and TUNED differ in layout, flags or tokenizer;\n"
                "5 not found.");
    cmd->callback([a, &ctx] { ctx.exit_code = run_create(*a); });
}

}  // namespace slmctl
