#include "package/verify.hpp"

#include <sys/stat.h>

#include "core/hash.hpp"
#include "core/io.hpp"
#include "format/reader.hpp"
#include "package/manifest.hpp"
#include "package/policy.hpp"

namespace slm::package {
namespace {

bool file_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::string sha256_with_progress(Bytes data, const ProgressFn& progress) {
    static constexpr std::size_t k_chunk = 16u << 20;
    Sha256 h;
    for (std::size_t at = 0; at < data.size(); at += k_chunk) {
        h.update(data.subspan(at, std::min(k_chunk, data.size() - at)));
        if (progress) progress("sha256", std::min(at + k_chunk, data.size()), data.size());
    }
    return sha256_ref(h.finish());
}

class Checklist {
public:
    explicit Checklist(VerifyReport& report) : report_(report) {}

    void pass(std::string name, std::string detail) {
        report_.checks.push_back({std::move(name), CheckOutcome::pass, std::move(detail), ErrorCode::check_failed, {}});
    }
    void fail(std::string name, std::string detail, ErrorCode code, std::string id = {}) {
        report_.checks.push_back({std::move(name), CheckOutcome::fail, std::move(detail), code, std::move(id)});
    }
    void fail(std::string name, const Error& e) { fail(std::move(name), e.message, e.code, e.id); }
    void skip(std::string name, std::string why) {
        report_.checks.push_back({std::move(name), CheckOutcome::skipped, std::move(why), ErrorCode::check_failed, {}});
    }
    void expect(std::string name, bool ok, std::string detail, ErrorCode code = ErrorCode::check_failed) {
        if (ok) pass(std::move(name), std::move(detail));
        else fail(std::move(name), std::move(detail), code);
    }

private:
    VerifyReport& report_;
};

void check_manifest_against_artifact(Checklist& c, const nlohmann::json& m, const format::SlmView& view,
                                     const std::string& digest) {
    const std::string want_digest = m["artifact"]["digest"];
    c.expect("manifest.artifact_digest", want_digest == digest,
             want_digest == digest ? digest : "manifest says " + want_digest + ", file is " + digest);
    const std::uint64_t want_size = m["artifact"]["size"];
    const std::uint64_t size = view.file_bytes().size();
    c.expect("manifest.artifact_size", want_size == size,
             "manifest says " + std::to_string(want_size) + " bytes, file has " + std::to_string(size));

    const auto& mm = m["model"];
    const auto& cfg = view.config();
    const bool model_ok = mm["vocab_size"] == cfg.vocab_size && mm["n_layers"] == cfg.n_layers &&
                          mm["n_heads"] == cfg.n_heads && mm["n_kv_heads"] == cfg.n_kv_heads &&
                          mm["head_dim"] == cfg.head_dim && mm["ffn_dim"] == cfg.ffn_dim &&
                          mm["context_length"] == cfg.context_length && mm["tied_output"] == cfg.tied_output &&
                          mm["parameter_count"] == view.parameter_count();
    c.expect("manifest.model", model_ok,
             model_ok ? "hyper-parameters match the header" : "manifest model section differs from the header");

    const auto& tok = m["runtime"]["tokenizer"];
    const std::string kind(format::tokenizer_kind_tag(view.tokenizer().kind));
    const std::string tok_digest = sha256_ref(view.tokenizer_bytes());
    const bool tok_ok = tok["kind"] == kind && tok["digest"] == tok_digest;
    c.expect("manifest.tokenizer", tok_ok,
             tok_ok ? kind + " " + tok_digest
                    : "manifest says " + tok["kind"].get<std::string>() + " " + tok["digest"].get<std::string>() +
                          ", file has " + kind + " " + tok_digest);
    const std::string quant = quantization_label(view);
    c.expect("manifest.quantization", m["runtime"]["quantization"] == quant,
             "manifest says " + m["runtime"]["quantization"].get<std::string>() + ", file is " + quant);
}

}  // namespace

const char* outcome_name(CheckOutcome o) {
    switch (o) {
        case CheckOutcome::pass: return "pass";
        case CheckOutcome::fail: return "fail";
        case CheckOutcome::skipped: return "skipped";
    }
    return "skipped";
}

bool VerifyReport::passed() const { return exit_code() == 0; }

int VerifyReport::exit_code() const {
    for (const auto& c : checks)
        if (c.outcome == CheckOutcome::fail) return static_cast<int>(c.failure_code);
    return 0;
}

nlohmann::json VerifyReport::to_json() const {
    nlohmann::json checks_json = nlohmann::json::array();
    for (const auto& c : checks) {
        nlohmann::json j = {{"name", c.name}, {"outcome", outcome_name(c.outcome)}, {"detail", c.detail}};
        if (c.outcome == CheckOutcome::fail) {
            j["exit_code"] = static_cast<int>(c.failure_code);
            if (!c.error_id.empty()) j["error_id"] = c.error_id;
        }
        checks_json.push_back(std::move(j));
    }
    return {{"artifact", artifact_path},
            {"manifest", manifest_path ? nlohmann::json(*manifest_path) : nlohmann::json(nullptr)},
            {"digest", artifact_digest.empty() ? nlohmann::json(nullptr) : nlohmann::json(artifact_digest)},
            {"passed", passed()},
            {"exit_code", exit_code()},
            {"checks", checks_json}};
}

VerifyReport verify_artifact(const VerifyOptions& opt) {
    VerifyReport report;
    report.artifact_path = opt.artifact_path;
    Checklist c(report);

    auto map = MappedFile::open(opt.artifact_path);
    if (!map) {
        c.fail("container.read", map.error());
        return report;
    }
    format::ReadOptions structural;
    structural.verify_checksum = false;
    auto view = format::parse_slm(map->bytes(), opt.artifact_path, structural);
    if (!view) {
        c.fail("container.structure", view.error());
        return report;
    }
    c.pass("container.structure", std::to_string(view->tensors().size()) + " tensors, " +
                                      std::to_string(view->config().vocab_size) + " tokens");
    const std::uint64_t actual = format::compute_checksum(map->bytes(), opt.progress);
    if (actual != view->header().checksum) {
        auto full = format::parse_slm(map->bytes(), opt.artifact_path);
        c.fail("container.checksum", full ? Error{} : full.error());
        return report;
    }
    c.pass("container.checksum", "XXH64 matches");
    report.artifact_digest = sha256_with_progress(map->bytes(), opt.progress);
    c.pass("artifact.sha256", report.artifact_digest);

    std::optional<std::string> manifest_path = opt.manifest_path;
    if (!manifest_path && file_exists(default_manifest_path(opt.artifact_path)))
        manifest_path = default_manifest_path(opt.artifact_path);
    report.manifest_path = manifest_path;
    if (!manifest_path) {
        c.skip("manifest", "no manifest given and no " + default_manifest_path(opt.artifact_path));
        if (opt.policy_path)
            c.fail("policy", "a policy needs a manifest to check (use --manifest)", ErrorCode::usage);
        return report;
    }
    auto manifest = load_manifest(*manifest_path);
    if (!manifest) {
        c.fail("manifest.valid", manifest.error());
        return report;
    }
    c.pass("manifest.valid", "schema-valid canonical manifest " + manifest_id(*manifest));
    check_manifest_against_artifact(c, *manifest, *view, report.artifact_digest);

    if (!opt.policy_path) return report;
    auto policy = load_policy(*opt.policy_path);
    if (!policy) {
        c.fail("policy.valid", policy.error());
        return report;
    }
    for (const auto& f : evaluate_policy(*policy, *manifest))
        c.expect(f.check, f.passed, f.detail, ErrorCode::incompatible);
    return report;
}

}  // namespace slm::package
