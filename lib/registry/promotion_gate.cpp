#include "registry/promotion_gate.hpp"

#include <cstdio>
#include <ctime>
#include <map>

#include "core/json_canonical.hpp"
#include "package/signature.hpp"

namespace slm::registry {

using nlohmann::json;

namespace {

Result<json> read_json_blob(const Registry& registry, const Descriptor& d) {
    auto bytes = registry.blobs().read_verified(d);
    if (!bytes) return bytes.take_error();
    return parse_json(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()),
                      registry.blobs().path(d.digest));
}

void check_evals(const Registry& registry, const VersionEntry& v, const package::Policy& policy,
                 const std::string& now_utc, GateReport& report) {
    // Newest sidecar per suite: a later failing run overrides an earlier pass.
    std::map<std::string, json> newest;
    for (const auto& r : v.referrers) {
        if (r.kind != "eval") continue;
        auto doc = read_json_blob(registry, r.blob);
        if (!doc) {
            report.findings.push_back({"gate.eval", false, "sidecar " + r.blob.digest + ": " + doc.error().message});
            continue;
        }
        const std::string suite = (*doc)["suite"].value("id", std::string("?"));
        const std::string when = doc->value("generated_at_utc", "");
        if (!newest.count(suite) || newest[suite].value("generated_at_utc", "") <= when) newest[suite] = *doc;
    }
    if (newest.empty()) {
        report.findings.push_back({"gate.eval", false,
                                   "no eval sidecar is attached to this version (run `slmctl eval REF --suite S --add`)"});
        return;
    }
    const long long now = parse_utc(now_utc);
    for (const auto& [suite, doc] : newest) {
        const std::string when = doc.value("generated_at_utc", "");
        const double age_h = (now - parse_utc(when)) / 3600.0;
        std::string problem;
        if (doc.value("model_digest", "") != v.artifact.digest)
            problem = "is about " + doc.value("model_digest", std::string("?")) + ", not this artifact";
        else if (doc.value("decision", "") != "pass")
            problem = "decision is " + doc.value("decision", std::string("?"));
        else if (parse_utc(when) < 0 || age_h > policy.max_eval_age_hours)
            problem = "is " + std::to_string(static_cast<long long>(age_h)) + " h old (max_eval_age_hours " +
                      std::to_string(static_cast<long long>(policy.max_eval_age_hours)) + ")";
        else if (age_h < -0.1)
            problem = "is dated in the future (" + when + ")";
        report.findings.push_back({"gate.eval." + suite, problem.empty(),
                                   "newest sidecar of suite " + suite + " (" + when + ") " +
                                       (problem.empty() ? "passed, " + std::to_string(doc.value("cases_passed", 0)) +
                                                              " cases"
                                                        : problem)});
    }
    for (const auto& required : policy.required_eval_suites)
        if (!newest.count(required))
            report.findings.push_back({"gate.eval." + required, false, "required suite " + required + " has no sidecar"});
}

void check_signatures(const Registry& registry, const VersionEntry& v, const package::Policy& policy,
                      GateReport& report) {
    if (!policy.require_signature) return;
    std::string last = "no signature is attached (slmctl sign REF --key K)";
    for (const auto& r : v.referrers) {
        if (r.kind != "signature") continue;
        auto doc = read_json_blob(registry, r.blob);
        if (!doc) {
            last = doc.error().message;
            continue;
        }
        auto check = package::check_signature(*doc, v.config.digest, policy.trusted_keys);
        if (check.valid) {
            report.findings.push_back({"gate.signature", true, check.detail});
            return;
        }
        last = check.detail;
    }
    report.findings.push_back({"gate.signature", false, last});
}

}  // namespace

bool GateReport::passed() const {
    for (const auto& f : findings)
        if (!f.passed) return false;
    return true;
}

long long parse_utc(const std::string& iso) {
    std::tm tm{};
    char z = 0;
    if (iso.size() != 20 || std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                        &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 || z != 'Z')
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<long long>(timegm(&tm));
}

GateReport check_promotion(const Registry& registry, const std::string& name, const VersionEntry& v,
                           const package::Policy& policy, const std::string& now_utc) {
    GateReport report;
    auto artifact = registry.blobs().open_verified(v.artifact);
    if (!artifact) {
        report.artifact_corrupt = artifact.error().code == ErrorCode::invalid_input;
        report.findings.push_back({"gate.artifact", false, artifact.error().message});
        return report;
    }
    report.findings.push_back({"gate.artifact", true, v.artifact.digest + " verified"});
    auto manifest = read_json_blob(registry, v.config);
    if (!manifest) {
        report.findings.push_back({"gate.manifest", false, manifest.error().message});
        return report;
    }
    if (manifest->value("name", "") != name || manifest->value("version", "") != v.version)
        report.findings.push_back({"gate.manifest", false, "the skill manifest names another version"});
    check_evals(registry, v, policy, now_utc, report);
    for (const auto& f : package::evaluate_policy(policy, *manifest))
        report.findings.push_back({f.check, f.passed, f.detail});
    check_signatures(registry, v, policy, report);
    return report;
}

}  // namespace slm::registry
