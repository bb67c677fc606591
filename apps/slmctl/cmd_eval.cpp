// slmctl eval MODEL --suite SUITE.yaml: run an eval suite, write the sidecar
// (and JUnit), exit 0 on a pass decision and 1 on a fail.
// slmctl eval merge SHARD.json... -o OUT.json: combine --shard runs.
#include <filesystem>
#include <memory>

#include "adapter/apply.hpp"
#include "commands.hpp"
#include "core/hash.hpp"
#include "core/io.hpp"
#include "core/json_canonical.hpp"
#include "eval/sidecar.hpp"
#include "format/slm_file.hpp"
#include "output.hpp"
#include "package/manifest.hpp"
#include "package/schemas.hpp"
#include "model_ref.hpp"
#include "progress.hpp"
#include "sidecar_attach.hpp"

namespace slmctl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct EvalArgs {
    std::string model, suite, out_dir, sidecar, junit, manifest, parent, shard = "1/1", activations = "f32";
    unsigned threads = 0;
    bool json_out = false, no_verify = false, add = false;
    RegistryArgs registry;
};

struct MergeArgs {
    std::vector<std::string> inputs;
    std::string output, junit;
    bool json_out = false, add = false;
    RegistryArgs registry;
};

slm::Result<std::pair<std::uint32_t, std::uint32_t>> parse_shard(const std::string& text) {
    const auto slash = text.find('/');
    std::uint32_t i = 0, n = 0;
    bool ok = slash != std::string::npos && slash > 0 && slash + 1 < text.size();
    for (std::size_t k = 0; ok && k < text.size(); ++k) ok = k == slash || (text[k] >= '0' && text[k] <= '9');
    if (ok && slash <= 6 && text.size() - slash <= 7) {
        i = static_cast<std::uint32_t>(std::stoul(text.substr(0, slash)));
        n = static_cast<std::uint32_t>(std::stoul(text.substr(slash + 1)));
    }
    if (!ok || i < 1 || n < 1 || i > n)
        return slm::make_error(slm::ErrorCode::usage, "cli.bad_shard",
                               "--shard: expected i/n with 1 <= i <= n (e.g. 2/4), found '" + text + "'");
    return std::pair{i, n};
}

std::string source_kind(const std::string& op) {
    if (op == "pack") return "packed";
    if (op == "quantize") return "quantized";
    if (op == "import") return "imported";
    if (op == "adapter-apply") return "adapted";
    if (op == "merge") return "merged";
    return "unknown";
}

slm::Status write_outputs(const json& sidecar, const std::string& sidecar_path, const std::string& junit) {
    SLM_TRY(slm::package::validate_against_schema(sidecar, "eval-sidecar.schema.json",
                                                  [&](const std::string&) { return sidecar_path; },
                                                  slm::ErrorCode::internal));
    SLM_TRY(slm::write_file_atomic(sidecar_path, sidecar.dump(2) + "\n"));
    if (!junit.empty()) SLM_TRY(slm::write_file_atomic(junit, slm::eval::junit_xml(sidecar)));
    return {};
}

void print_summary(const json& s, const std::string& sidecar_path) {
    const json& t = s["thresholds"];
    const json& m = s["metrics"];
    note("eval {} on {}: {} of {} cases passed (pass rate {:.3f}, needs >= {:.3f})\n",
         s["evaluation_scope"]["suite"].get<std::string>(), s["model_digest"].get<std::string>().substr(0, 19),
         s["cases_passed"].get<std::size_t>(), s["cases"].size(), s["pass_rate"].get<double>(),
         t["pass_rate"].get<double>());
    for (auto [metric, threshold, op] : {std::tuple{"perplexity", "perplexity_max", "<="},
                                         std::tuple{"kl_vs_parent", "kl_max", "<="},
                                         std::tuple{"same_top1_vs_parent", "same_top1_min", ">="}}) {
        const json v = m.value(metric, json(nullptr));
        if (v.is_null() && t[threshold].is_null()) continue;
        note("  {:<20} {:>12}   {}\n", metric, v.is_null() ? std::string("-") : fmt::format("{:.6g}", v.get<double>()),
             t[threshold].is_null() ? std::string("(no threshold)") : fmt::format("needs {} {}", op, t[threshold].dump()));
    }
    for (const json& c : s["cases"])
        if (!c["passed"].get<bool>()) note("  FAIL {}: {}\n", c["id"].get<std::string>(), c["message"].get<std::string>());
    note("decision: {}{}\n  sidecar  {}\n", s["decision"].get<std::string>(),
         s["decision_reasons"].empty() ? "" : " (" + s["decision_reasons"][0].get<std::string>() + ")", sidecar_path);
}

// Writes the outputs, attaches the sidecar with --add (a failing one too:
// it is the newest evidence and blocks promotion), prints the summary.
int finish(const json& sidecar, const std::string& sidecar_path, const std::string& junit, bool json_out,
           const RegistryArgs* add_to, const std::optional<slm::registry::ResolvedVersion>& version = std::nullopt) {
    if (auto st = write_outputs(sidecar, sidecar_path, junit); !st) return report_error(st.error());
    json summary = {{"sidecar", sidecar_path}, {"decision", sidecar["decision"]},
                    {"cases_passed", sidecar["cases_passed"]}, {"cases_failed", sidecar["cases_failed"]},
                    {"pass_rate", sidecar["pass_rate"]}, {"metrics", sidecar["metrics"]},
                    {"decision_reasons", sidecar["decision_reasons"]}};
    if (add_to != nullptr)
        if (int rc = attach_sidecar(*add_to, sidecar, version, summary); rc != 0) return rc;
    if (json_out) {
        print_json(summary);
    } else {
        print_summary(sidecar, sidecar_path);
        if (summary.contains("registry"))
            note("  attached to {} in the registry\n", summary["registry"]["reference"].get<std::string>());
    }
    return sidecar["decision"] == "pass" ? 0 : 1;
}

int run_eval(const EvalArgs& a) {
    auto shard = parse_shard(a.shard);
    if (!shard) return report_error(shard.error());
    auto suite = slm::eval::load_suite(a.suite);
    if (!suite) return report_error(suite.error());

    slm::format::ReadOptions read_options;
    read_options.verify_checksum = !a.no_verify;
    if (a.add && shard->second > 1)
        return report_error(slm::make_error(slm::ErrorCode::usage, "cli.add_shard",
                                            "--add takes a whole run: attach the merged sidecar (slmctl eval merge --add)"));
    auto input = resolve_model(a.model, a.registry);
    if (!input) return report_error(input.error());
    auto file = slm::format::SlmFile::open(input->path, read_options);
    if (!file) return report_error(file.error());
    slm::eval::SidecarContext ctx;
    ctx.model_digest = slm::sha256_ref(file->bytes());
    ctx.source_kind = "unknown";
    const std::string manifest_path = !a.manifest.empty() ? a.manifest : input->manifest_path;
    if (!manifest_path.empty()) {
        auto m = slm::package::load_manifest(manifest_path);
        if (!m) return report_error(m.error());
        if ((*m)["artifact"]["digest"] != ctx.model_digest)
            return report_error(slm::make_error(slm::ErrorCode::check_failed, "eval.manifest_mismatch",
                                                manifest_path + " describes another artifact than " + a.model));
        if ((*m)["input_contract"] != suite->input_contract || (*m)["output_contract"] != suite->output_contract)
            return report_error(slm::make_error(
                slm::ErrorCode::incompatible, "eval.contract_mismatch",
                a.suite + ": the suite covers " + suite->input_contract + " -> " + suite->output_contract +
                    " but " + a.model + " implements " + (*m)["input_contract"].get<std::string>() + " -> " +
                    (*m)["output_contract"].get<std::string>()));
        ctx.source_kind = source_kind((*m)["operator"]);
        // The adapter stack that made this model (docs/adapters.md: one
        // adapter gives its own digest, several a digest of the list).
        std::vector<std::string> adapters;
        for (const json& p : (*m)["parents"])
            if (p["role"] == "adapter") adapters.push_back(p["digest"].get<std::string>());
        if (!adapters.empty()) ctx.adapter_digest = slm::adapter::stack_digest(adapters);
        ctx.model = {{"name", (*m)["name"]}, {"version", (*m)["version"]},
                     {"manifest_id", slm::package::manifest_id(*m)}};
    } else {
        note("slmctl: no manifest next to {}: contracts not checked, sidecar without a model name\n", a.model);
    }

    auto tokenizer = slm::tokenizer::Tokenizer::create(file->view().tokenizer());
    if (!tokenizer) return report_error(tokenizer.error());
    slm::runtime::ModelOptions model_options;
    model_options.pack_for_int8 = a.activations == "q8_0";
    model_options.release = [&file](const void* p, std::size_t n) { file->release(p, n); };
    auto model = slm::runtime::Model::create(file->view(), model_options);
    if (!model) return report_error(model.error());
    std::optional<slm::format::SlmFile> parent_file;
    std::optional<slm::runtime::Model> parent_model;
    slm::eval::RunOptions options;
    if (!a.parent.empty()) {
        auto parent_input = resolve_model(a.parent, a.registry);
        if (!parent_input) return report_error(parent_input.error());
        auto pf = slm::format::SlmFile::open(parent_input->path, read_options);
        if (!pf) return report_error(pf.error());
        parent_file.emplace(std::move(*pf));
        ctx.parent_digest = slm::sha256_ref(parent_file->bytes());  // before packing releases pages
        slm::runtime::ModelOptions parent_options = model_options;
        parent_options.release = [&parent_file](const void* p, std::size_t n) { parent_file->release(p, n); };
        auto pm = slm::runtime::Model::create(parent_file->view(), parent_options);
        if (!pm) return report_error(pm.error());
        parent_model.emplace(std::move(*pm));
        options.parent = &*parent_model;
    }
    options.threads = a.threads;
    options.activations = *slm::quant::find_activation_mode(a.activations);
    options.shard = shard->first;
    options.shards = shard->second;
    ctx.kernel = std::string(slm::quant::kernel_name());
    ctx.activations = a.activations;

    slm::Result<slm::eval::EvalRun> run = slm::make_error(slm::ErrorCode::internal, "eval.not_run", "not run");
    {
        ProgressBar bar;  // cleared before the summary is printed
        options.progress = bar.callback();
        run = slm::eval::run_suite(*suite, *model, *tokenizer, options);
    }
    if (!run) return report_error(run.error());
    ctx.generated_at_utc = slm::eval::utc_now();
    const json sidecar = slm::eval::make_sidecar(*suite, *run, ctx, shard->first, shard->second);

    std::string path = a.sidecar;
    if (path.empty()) {
        const fs::path dir = !a.out_dir.empty() ? fs::path(a.out_dir)
                             : input->version       ? fs::path(".")
                                                    : fs::path(a.model).parent_path();
        const std::string stem = input->version ? input->version->name + "-" + input->version->entry.version
                                                : fs::path(a.model).stem().string();
        std::string name = stem + ".eval." + suite->id;
        if (shard->second > 1) name += ".shard" + std::to_string(shard->first) + "of" + std::to_string(shard->second);
        path = (dir / (name + ".json")).string();
        if (!a.out_dir.empty()) fs::create_directories(a.out_dir);
    }
    return finish(sidecar, path, a.junit, a.json_out, a.add ? &a.registry : nullptr, input->version);
}

int run_merge(const MergeArgs& a) {
    std::vector<json> parts;
    for (const std::string& path : a.inputs) {
        auto text = slm::read_text_file(path);
        if (!text) return report_error(text.error());
        auto doc = slm::parse_json(*text, path);
        if (!doc) return report_error(doc.error());
        if (auto st = slm::package::validate_against_schema(*doc, "eval-sidecar.schema.json",
                                                            [&](const std::string&) { return path; });
            !st)
            return report_error(st.error());
        parts.push_back(std::move(*doc));
    }
    auto merged = slm::eval::merge_sidecars(parts);
    if (!merged) return report_error(merged.error());
    return finish(*merged, a.output, a.junit, a.json_out, a.add ? &a.registry : nullptr);
}

}  // namespace

void register_eval(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<EvalArgs>();
    auto m = std::make_shared<MergeArgs>();
    auto* cmd = app.add_subcommand("eval", "Run an eval suite on a model; write the eval sidecar; exit 1 on a fail decision");
    auto* merge = cmd->add_subcommand("merge", "Combine the sidecars of --shard runs into the sidecar of the whole run");
    cmd->require_subcommand(0, 1);
    cmd->add_option("model", a->model, "The .slm model or a registry reference (NAME:VERSION, NAME@ALIAS)");
    cmd->add_option("--suite", a->suite, "Eval suite (YAML, see docs/eval.md)");
    cmd->add_option("--out", a->out_dir, "Directory for the sidecar (default: the model's directory)");
    cmd->add_option("--sidecar", a->sidecar, "Sidecar path (default: <out>/<model>.eval.<suite>.json)");
    cmd->add_option("--junit", a->junit, "Also write JUnit XML here");
    cmd->add_option("--manifest", a->manifest, "The model's manifest (default: sibling <model>.manifest.json)");
    cmd->add_option("--parent", a->parent, "Parent model for KL / same-top-1 metrics");
    cmd->add_option("--shard", a->shard, "Run the slice i/n of the cases (merge with `slmctl eval merge`)")
        ->capture_default_str();
    cmd->add_option("--threads", a->threads, "Cases evaluated in parallel (0: one per core); results do not depend on it")
        ->capture_default_str();
    cmd->add_option("--activations", a->activations, "Activations of q8_0/q4_0 products (see slmctl run)")
        ->check(CLI::IsMember({"f32", "q8_0"}))
        ->capture_default_str();
    cmd->add_flag("--no-verify", a->no_verify, "Skip the whole-file checksum (the structure is always checked)");
    cmd->add_flag("--json", a->json_out, "Print a JSON summary on stdout");
    cmd->add_flag("--add", a->add, "Attach the sidecar to the model's version in the registry (promote's evidence)");
    add_registry_options(cmd, a->registry, true);
    cmd->footer("Exit codes: 0 decision pass; 1 decision fail; 2 usage; 3 malformed suite, cases or model;\n"
                "4 suite contracts do not match the model's manifest; 5 file not found.");

    merge->add_option("sidecars", m->inputs, "Sidecars of shards 1/n .. n/n")->required();
    merge->add_option("-o,--output", m->output, "Merged sidecar")->required();
    merge->add_option("--junit", m->junit, "Also write JUnit XML here");
    merge->add_flag("--json", m->json_out, "Print a JSON summary on stdout");
    merge->add_flag("--add", m->add, "Attach the merged sidecar to the model's version in the registry");
    add_registry_options(merge, m->registry, true);
    merge->callback([m, &ctx] { ctx.exit_code = run_merge(*m); });

    cmd->callback([a, merge, cmd, &ctx] {
        if (merge->parsed()) return;
        if (a->model.empty() || a->suite.empty()) {
            ctx.exit_code = report_error(slm::make_error(slm::ErrorCode::usage, "cli.missing_argument",
                                                         "eval needs MODEL and --suite SUITE.yaml\n" + cmd->help()));
            return;
        }
        ctx.exit_code = run_eval(*a);
    });
}

}  // namespace slmctl
