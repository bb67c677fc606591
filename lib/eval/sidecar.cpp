#include "eval/sidecar.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <set>

namespace slm::eval {
namespace {

using nlohmann::json;

// Valid UTF-8 is kept; each byte of an invalid sequence becomes U+FFFD, so the
// sidecar is always valid JSON (the exact output stays in output_tokens).
std::string printable_utf8(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        bool ok = len != 0 && i + len <= s.size();
        for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 0x2;
        if (ok && len > 1) {
            std::uint32_t cp = c & (0x7F >> len);
            for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
            ok = cp >= (len == 2 ? 0x80u : len == 3 ? 0x800u : 0x10000u) && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
        }
        if (ok) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

std::string fixed(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

}  // namespace

std::string evaluator_id(const std::string& kernel, const std::string& activations) {
#if defined(__clang__)
    const std::string compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
    const std::string compiler = "gcc " __VERSION__;
#else
    const std::string compiler = "unknown compiler";
#endif
    return "slmctl " SLM_VERSION " (" + compiler + ", " + kernel + " kernels, " + activations + " activations)";
}

std::string utc_now() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

json make_sidecar(const Suite& suite, const EvalRun& run, const SidecarContext& ctx, std::uint32_t shard,
                  std::uint32_t shards) {
    json cases = json::array();
    json case_ms = json::object();
    for (const CaseResult& r : run.cases) {
        const EvalCase& c = *r.eval_case;
        json entry = {{"index", c.index},
                      {"id", c.id},
                      {"passed", r.passed},
                      {"scorer", std::string(scorer_kind_name(c.scorer.kind))},
                      {"output", printable_utf8(r.output)},
                      {"output_tokens", r.tokens},
                      {"stop_reason", r.stop_reason},
                      {"message", printable_utf8(r.message)}};
        if (c.expected.text) entry["expected"] = printable_utf8(*c.expected.text);
        if (c.expected.tokens) entry["expected_tokens"] = *c.expected.tokens;
        cases.push_back(std::move(entry));
        case_ms[c.id] = r.ms;
    }
    const GenerationSettings& g = suite.generation;
    json generation = {{"max_tokens", g.max_tokens}, {"temperature", g.temperature}, {"top_k", g.top_k},
                       {"top_p", g.top_p},           {"seed", g.seed},               {"stop_at_eos", g.stop_at_eos},
                       {"add_bos", g.add_bos ? json(*g.add_bos) : json("tokenizer default")}};
    json thresholds = {{"pass_rate", suite.thresholds.pass_rate},
                       {"perplexity_max", optional_number(suite.thresholds.perplexity_max)},
                       {"kl_max", optional_number(suite.thresholds.kl_max)},
                       {"same_top1_min", optional_number(suite.thresholds.same_top1_min)}};
    const bool has_metrics = shard == 1 && (suite.metrics.perplexity || suite.metrics.parent);
    json metrics = json::object();
    if (has_metrics) {
        metrics = {{"perplexity", optional_number(run.metrics.perplexity)},
                   {"kl_vs_parent", optional_number(run.metrics.kl_vs_parent)},
                   {"same_top1_vs_parent", optional_number(run.metrics.same_top1_vs_parent)},
                   {"parent_perplexity", optional_number(run.metrics.parent_perplexity)},
                   {"parent_digest", ctx.parent_digest ? json(*ctx.parent_digest) : json(nullptr)},
                   {"positions", run.metrics.positions}};
    }
    json sidecar = {
        {"schema", k_sidecar_schema_id},
        {"model_digest", ctx.model_digest},
        {"adapter_digest", ctx.adapter_digest ? json(*ctx.adapter_digest) : json(nullptr)},
        {"source_kind", ctx.source_kind},
        {"model", ctx.model},
        {"evaluator_id", evaluator_id(ctx.kernel, ctx.activations)},
        {"runtime", {{"backend", "cpu"}, {"kernel", ctx.kernel}, {"activations", ctx.activations}}},
        {"suite", {{"id", suite.id}, {"version", suite.version}, {"digest", suite.suite_digest}}},
        {"eval_cases_digest", suite.cases_digest},
        {"evaluation_scope",
         {{"suite", suite.id + "@" + suite.version},
          {"contracts", {{"input", suite.input_contract}, {"output", suite.output_contract}}},
          {"cases_total", suite.cases.size()},
          {"shard", std::to_string(shard) + "/" + std::to_string(shards)},
          {"cases_in_scope", run.cases.size()},
          {"model_metrics", has_metrics}}},
        {"generation", generation},
        {"thresholds", thresholds},
        {"metrics", metrics},
        {"cases", cases},
        {"generated_at_utc", ctx.generated_at_utc},
        {"timings", {{"total_ms", run.total_ms}, {"threads", run.threads}, {"cases_ms", case_ms}}},
    };
    decide(sidecar);
    return sidecar;
}

void decide(json& s) {
    std::size_t passed = 0;
    for (const json& c : s["cases"]) passed += c["passed"].get<bool>() ? 1 : 0;
    const std::size_t total = s["cases"].size();
    const double rate = total == 0 ? 1.0 : static_cast<double>(passed) / static_cast<double>(total);
    s["cases_passed"] = passed;
    s["cases_failed"] = total - passed;
    s["pass_rate"] = rate;

    json reasons = json::array();
    const json& t = s["thresholds"];
    const json& m = s["metrics"];
    if (total > 0 && rate < t["pass_rate"].get<double>())
        reasons.push_back("pass rate " + fixed(rate) + " < " + fixed(t["pass_rate"].get<double>()));
    const bool whole = s["evaluation_scope"]["model_metrics"].get<bool>();
    auto check = [&](const char* metric, const char* threshold, bool at_most) {
        if (t[threshold].is_null() || !whole) return;
        const json& v = m.value(metric, json(nullptr));
        const double limit = t[threshold].get<double>();
        if (v.is_null() || !std::isfinite(v.get<double>())) {
            reasons.push_back(std::string(metric) + " could not be computed");
        } else if (at_most ? v.get<double>() > limit : v.get<double>() < limit) {
            reasons.push_back(std::string(metric) + " " + fixed(v.get<double>()) + (at_most ? " > " : " < ") + fixed(limit));
        }
    };
    check("perplexity", "perplexity_max", true);
    check("kl_vs_parent", "kl_max", true);
    check("same_top1_vs_parent", "same_top1_min", false);
    // Shards other than 1 judge only their cases: the metric gates are
    // decided by shard 1 and again by the merged sidecar.
    s["decision"] = reasons.empty() ? "pass" : "fail";
    s["decision_reasons"] = reasons;
}

Result<json> merge_sidecars(const std::vector<json>& parts) {
    auto mismatch = [](const std::string& what) {
        return make_error(ErrorCode::invalid_input, "eval.merge_mismatch",
                          "the sidecars do not come from one run: their " + what + " differ");
    };
    if (parts.empty())
        return make_error(ErrorCode::usage, "eval.merge_shards", "no sidecars to merge");
    const json& first = parts.front();
    std::set<std::uint32_t> seen;
    std::uint32_t shards = 0;
    json merged = first;
    merged["cases"] = json::array();
    merged["metrics"] = json::object();
    double total_ms = 0.0;
    std::string latest;
    for (const json& p : parts) {
        for (const char* key : {"model_digest", "adapter_digest", "suite", "eval_cases_digest", "generation",
                                "thresholds", "runtime", "evaluator_id"})
            if (p.value(key, json()) != first.value(key, json())) return mismatch(key);
        const std::string shard = p["evaluation_scope"]["shard"];
        const auto slash = shard.find('/');
        const auto i = static_cast<std::uint32_t>(std::stoul(shard.substr(0, slash)));
        const auto n = static_cast<std::uint32_t>(std::stoul(shard.substr(slash + 1)));
        if (shards == 0) shards = n;
        if (n != shards) return mismatch("shard counts");
        if (!seen.insert(i).second)
            return make_error(ErrorCode::invalid_input, "eval.merge_shards", "shard " + shard + " appears twice");
        for (const json& c : p["cases"]) merged["cases"].push_back(c);
        if (p["evaluation_scope"]["model_metrics"].get<bool>()) merged["metrics"] = p["metrics"];
        total_ms += p["timings"]["total_ms"].get<double>();
        latest = std::max(latest, p["generated_at_utc"].get<std::string>());
        for (auto& [id, ms] : p["timings"]["cases_ms"].items()) merged["timings"]["cases_ms"][id] = ms;
    }
    if (seen.size() != shards)
        return make_error(ErrorCode::invalid_input, "eval.merge_shards",
                          "got " + std::to_string(seen.size()) + " of " + std::to_string(shards) + " shards");
    std::sort(merged["cases"].begin(), merged["cases"].end(),
              [](const json& a, const json& b) { return a["index"].get<std::size_t>() < b["index"].get<std::size_t>(); });
    merged["evaluation_scope"]["shard"] = "1/1";
    merged["evaluation_scope"]["cases_in_scope"] = merged["cases"].size();
    merged["evaluation_scope"]["model_metrics"] = !merged["metrics"].empty();
    merged["generated_at_utc"] = latest;
    merged["timings"]["total_ms"] = total_ms;
    decide(merged);
    return merged;
}

}  // namespace slm::eval
