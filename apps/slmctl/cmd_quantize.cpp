// slmctl quantize IN.slm --to q8_0|q4_0 -o OUT.slm: ggml-exact quantization
// plus a quality report against the parent.
#include <future>
#include <memory>
#include <optional>

#include "artifact_writer.hpp"
#include "commands.hpp"
#include "model_ref.hpp"
#include "core/hash.hpp"
#include "core/io.hpp"
#include "format/reader.hpp"
#include "format/slm_file.hpp"
#include "output.hpp"
#include "package/manifest.hpp"
#include "package/quantize.hpp"

namespace slmctl {
namespace {

// Scored when no --report-text is given: plain English, so BPE and byte
// tokenizers both see ordinary text.
constexpr const char* k_default_report_text =
    "A skill package carries a tiny model, its tokenizer and the evidence that it works. "
    "Release engineers promote a candidate to canary, then to champion, and roll it back when "
    "an evaluation fails. The quick brown fox jumps over the lazy dog.";

struct QuantizeArgs {
    std::string input, output, manifest_in, manifest_out, to = "q8_0", version, report_text_file;
    std::uint32_t block_size = 32;
    unsigned threads = 1;
    bool requantize = false, no_report = false, json = false;
    AddArgs add;
};

slm::Result<nlohmann::json> quality_report(const slm::format::SlmView& parent, const std::vector<std::uint8_t>& child,
                                           const QuantizeArgs& a) {
    std::string text = k_default_report_text;
    if (!a.report_text_file.empty()) {
        auto t = slm::read_text_file(a.report_text_file);
        if (!t) return t.take_error();
        text = std::move(*t);
    }
    auto child_view = slm::format::parse_slm(child, a.output);
    if (!child_view) return child_view.take_error();
    auto report = slm::package::quantization_quality(parent, *child_view, text, a.threads);
    if (!report) return report;
    (*report)["text"] = a.report_text_file.empty() ? "built-in" : a.report_text_file;
    return report;
}

int run_quantize(const QuantizeArgs& a) {
    slm::format::DType target;
    if (!slm::format::dtype_from_name(a.to, target) || !slm::format::dtype_is_quantized(target))
        return report_error(slm::make_error(slm::ErrorCode::usage, "cli.bad_dtype",
                                            "--to: expected q8_0 or q4_0, found " + a.to));
    // Structure only: the input's SHA-256, which must equal its manifest's,
    // covers every byte, so the XXH64 pass runs only to explain a mismatch.
    slm::format::ReadOptions structure_only;
    structure_only.verify_checksum = false;
    auto input = resolve_model(a.input, a.add.registry, false);  // its SHA-256 is checked below
    if (!input) return report_error(input.error());
    auto file = slm::format::SlmFile::open(input->path, structure_only);
    if (!file) return report_error(file.error());
    const std::string manifest_in =
        !a.manifest_in.empty() ? a.manifest_in
        : input->manifest_path.empty() ? slm::package::default_manifest_path(input->path) : input->manifest_path;
    auto parent_manifest = slm::package::load_manifest(manifest_in);
    if (!parent_manifest) return report_error(parent_manifest.error());

    // The input's SHA-256 (checked against its manifest, recorded as the
    // parent) is computed on a second thread while the tensors are converted;
    // nothing is written before the check.
    const std::shared_future<std::string> input_digest =
        std::async(std::launch::async, [&file] { return slm::sha256_ref(file->bytes()); }).share();
    // The output is written and fsynced under a temporary name on a third
    // thread while both digests are computed, and published only once the
    // input has checked out.
    std::future<slm::Result<slm::StagedFile>> staged;
    slm::package::QuantizeOptions opt{target, a.block_size, a.requantize, [input_digest] { return input_digest.get(); },
                                      [&staged, &a](slm::Bytes image) {
                                          staged = std::async(std::launch::async, [image, &a] {
                                              return slm::StagedFile::write(a.output, image);
                                          });
                                      }};
    auto q = slm::package::quantize_artifact(file->view(), slm::package::skill_info_from_manifest(*parent_manifest),
                                             opt, a.version.empty() ? std::nullopt : std::optional(a.version));
    // The stager reads q's image: it finishes before q can go out of scope.
    std::optional<slm::Result<slm::StagedFile>> artifact;
    if (staged.valid()) artifact = staged.get();
    if ((*parent_manifest)["artifact"]["digest"] != input_digest.get()) {
        // A corrupt input is reported as such; an intact one belongs to another manifest.
        if (auto full = slm::format::parse_slm(file->bytes(), a.input); !full) return report_error(full.error());
        return report_error(slm::make_error(slm::ErrorCode::check_failed, "quantize.manifest_mismatch",
                                            manifest_in + " describes another artifact than " + a.input));
    }
    if (!q) return report_error(q.error());
    if (!*artifact) return report_error(artifact->error());  // set: on_image runs when q succeeds

    nlohmann::json report = nullptr;
    if (!a.no_report) {
        auto r = quality_report(file->view(), q->slm, a);
        if (!r) return report_error(r.error());
        report = std::move(*r);
    }
    auto written = commit_artifact_files(std::move(**artifact), q->manifest, a.manifest_out);
    if (!written) return report_error(written.error());
    nlohmann::json summary = nlohmann::json::object();
    if (int rc = add_to_registry(a.add, slm::Bytes(q->slm), q->manifest, *written, summary); rc != 0)
        return rc;
    const std::string& manifest_out = written->manifest;

    std::size_t converted = 0;
    for (const auto& d : q->decisions) converted += d.reason.empty() ? 1 : 0;
    if (a.json) {
        nlohmann::json tensors = nlohmann::json::array();
        for (const auto& d : q->decisions)
            tensors.push_back({{"name", d.name}, {"from", d.from}, {"to", d.to}, {"note", d.reason}});
        nlohmann::json out = {{"artifact", a.output}, {"artifact_digest", q->artifact_digest}, {"size", q->slm.size()},
                    {"input_size", file->bytes().size()}, {"manifest", manifest_out}, {"manifest_id", q->manifest_id},
                    {"dtype", a.to}, {"block_size", a.block_size}, {"tensors_converted", converted},
                    {"tensors", tensors}, {"quality", report}, {"provenance", written->provenance}};
        out.update(summary);
        print_json(out);
        return 0;
    }
    note("quantized {} -> {} ({}, {} -> {}, {} of {} tensors)\n", a.input, a.output, a.to,
         human_bytes(file->bytes().size()), human_bytes(q->slm.size()), converted, q->decisions.size());
    note("  artifact  {}\n  manifest  {} (id {})\n", q->artifact_digest, manifest_out, q->manifest_id);
    if (!report.is_null())
        note("  quality   mean KL {:.6f} nats  same-top-1 {:.1f}%  perplexity {:.3f} -> {:.3f}  ({} positions)\n",
             report["mean_kl"].get<double>(), 100.0 * report["same_top1"].get<double>(),
             report["perplexity_parent"].get<double>(), report["perplexity_quantized"].get<double>(),
             report["positions"].get<int>());
    note_registry(summary);
    return 0;
}

}  // namespace

void register_quantize(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<QuantizeArgs>();
    auto* cmd = app.add_subcommand("quantize", "Quantize weight matrices to q8_0 or q4_0 (ggml reference quantizers)");
    cmd->add_option("input", a->input, "Input .slm or registry reference (NAME:VERSION, NAME@ALIAS)")->required();
    cmd->add_option("--to", a->to, "Target dtype: q8_0 or q4_0")->required();
    cmd->add_option("-o,--output", a->output, "Output .slm")->required();
    cmd->add_option("--block-size", a->block_size, "Elements per scale (must divide each row)")->capture_default_str();
    cmd->add_option("--manifest", a->manifest_in, "Input's manifest (default: sibling <input>.manifest.json)");
    cmd->add_option("--manifest-out", a->manifest_out, "Output manifest (default: <output>.manifest.json)");
    cmd->add_option("--version", a->version, "Version of the new manifest (default: <input version>+q8-0|q4-0)");
    cmd->add_flag("--requantize", a->requantize, "Allow re-quantizing tensors that are already quantized");
    cmd->add_option("--report-text", a->report_text_file, "Text file scored for the quality report");
    cmd->add_flag("--no-report", a->no_report, "Skip the quality report");
    cmd->add_option("--threads", a->threads, "Threads for the quality report")->capture_default_str();
    cmd->add_flag("--json", a->json, "Print a JSON summary on stdout");
    add_add_options(cmd, a->add);
    cmd->callback([a, &ctx] { ctx.exit_code = run_quantize(*a); });
}

}  // namespace slmctl
