#include "package/provenance.hpp"

#include "core/json_canonical.hpp"

namespace slm::package {

using nlohmann::json;

namespace {

// "sha256:<hex>" -> {"sha256": "<hex>"} (in-toto DigestSet)
json digest_set(const std::string& digest) { return {{"sha256", digest.substr(digest.find(':') + 1)}}; }

}  // namespace

json provenance_statement(const json& m, const std::string& artifact_name) {
    json deps = json::array();
    for (const auto& p : m.value("parents", json::array())) {
        json d = {{"digest", digest_set(p.value("digest", ""))}, {"name", p.value("role", "input")}};
        if (p.contains("format")) d["annotations"] = {{"format", p["format"]}};
        deps.push_back(d);
    }
    const std::string op = m.value("operator", "pack");
    json params = {{"operator", op}, {"name", m.value("name", "")}, {"version", m.value("version", "")}};
    if (m.contains("operator_parameters")) params["parameters"] = m["operator_parameters"];
    return {{"_type", k_intoto_statement_type},
            {"subject", json::array({{{"name", artifact_name}, {"digest", digest_set(m["artifact"].value("digest", ""))}}})},
            {"predicateType", k_slsa_provenance_type},
            {"predicate",
             {{"buildDefinition",
               {{"buildType", "https://slmctl.dev/provenance/" + op + "/v1"},
                {"externalParameters", params},
                {"resolvedDependencies", deps}}},
              {"runDetails",
               {{"builder", {{"id", "https://slmctl.dev/slmctl"}, {"version", {{"slmctl", SLM_VERSION}}}}},
                {"metadata", {{"invocationId", m.value("created_by", "")}}}}}}}};
}

std::string provenance_bytes(const json& statement) { return canonical_json(statement); }

std::string default_provenance_path(const std::string& artifact_path) {
    const std::string suffix = ".slm";
    if (artifact_path.size() > suffix.size() &&
        artifact_path.compare(artifact_path.size() - suffix.size(), suffix.size(), suffix) == 0)
        return artifact_path.substr(0, artifact_path.size() - suffix.size()) + ".intoto.json";
    return artifact_path + ".intoto.json";
}

}  // namespace slm::package
