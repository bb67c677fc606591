#include "package/skill_spec.hpp"

#include "package/schemas.hpp"
#include "package/yaml_json.hpp"

namespace slm::package {
namespace {

std::string resolve(const std::string& spec_path, const std::string& rel) {
    if (!rel.empty() && rel[0] == '/') return rel;
    auto slash = spec_path.find_last_of('/');
    if (slash == std::string::npos) return rel;
    return spec_path.substr(0, slash + 1) + rel;
}

std::string str(const nlohmann::json& j, const char* key, std::string fallback = {}) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

}  // namespace

int safety_tier_rank(std::string_view tier) {
    if (tier == "low") return 0;
    if (tier == "medium") return 1;
    if (tier == "high") return 2;
    if (tier == "critical") return 3;
    return -1;
}

Result<SkillSpec> load_skill_spec(const std::string& path) {
    auto doc = load_yaml_file(path);
    if (!doc) return doc.take_error();
    SLM_TRY(validate_against_schema(doc->value, "skill-spec.schema.json",
                                    [&](const std::string& p) { return doc->locate(p); }));
    const nlohmann::json& j = doc->value;
    SkillSpec s;
    s.path = path;
    s.info.name = j["name"];
    s.info.version = j["version"];
    s.info.description = str(j, "description");
    s.info.input_contract = j["contracts"]["input"];
    s.info.output_contract = j["contracts"]["output"];
    s.info.license = j["license"];
    s.info.data_lineage = j["risk"]["data_lineage"];
    s.info.safety_tier = j["risk"]["safety_tier"];
    if (j.contains("evaluation_card")) s.info.evaluation_card = j["evaluation_card"].get<std::string>();
    if (j.contains("resource_profile") && j["resource_profile"].contains("expected_p95_ms"))
        s.info.expected_p95_ms = j["resource_profile"]["expected_p95_ms"].get<double>();

    const nlohmann::json& m = j["model"];
    format::ModelConfig& c = s.config;
    c.n_layers = m["n_layers"];
    c.n_heads = m["n_heads"];
    c.n_kv_heads = m.value("n_kv_heads", c.n_heads);
    c.head_dim = m["head_dim"];
    c.ffn_dim = m["ffn_dim"];
    c.context_length = m["context_length"];
    c.rope_theta = m.value("rope_theta", 10000.0f);
    c.rms_eps = m.value("rms_eps", 1e-5f);
    c.tied_output = m.value("tied_output", false);
    if (m.contains("vocab_size")) s.vocab_size = m["vocab_size"].get<std::uint32_t>();
    if (c.n_heads % c.n_kv_heads != 0)
        return make_error(ErrorCode::invalid_input, "spec.bad_gqa",
                          doc->locate("/model/n_kv_heads") + ": model.n_kv_heads must divide n_heads " +
                              std::to_string(c.n_heads) + ", found " + std::to_string(c.n_kv_heads));

    s.weights_format = j["weights"]["format"];
    s.weights_path = resolve(path, j["weights"]["path"]);

    const nlohmann::json& t = j["tokenizer"];
    s.tokenizer_kind = t["kind"];
    if (s.tokenizer_kind == "bpe") {
        if (!t.contains("vocab") || !t.contains("merges"))
            return make_error(ErrorCode::invalid_input, "spec.missing_field",
                              doc->locate("/tokenizer") +
                                  ": tokenizer of kind bpe needs 'vocab' (vocab.json) and 'merges' (merges.txt)");
        s.vocab_path = resolve(path, t["vocab"]);
        s.merges_path = resolve(path, t["merges"]);
    }
    if (t.contains("bos")) s.bos_token = t["bos"].get<std::string>();
    if (t.contains("eos")) s.eos_token = t["eos"].get<std::string>();
    if (t.contains("add_bos")) s.add_bos = t["add_bos"].get<bool>();
    return s;
}

}  // namespace slm::package
