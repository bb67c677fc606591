#include "package/manifest.hpp"

#include "core/hash.hpp"
#include "core/io.hpp"
#include "core/json_canonical.hpp"
#include "package/schemas.hpp"

namespace slm::package {
namespace {

constexpr std::uint64_t k_process_allowance = 4ull << 20;

}  // namespace

std::string quantization_label(const format::SlmView& view) {
    std::string label;
    for (const auto& t : view.tensors()) {
        if (t.entry.rank < 2) continue;
        std::string name(format::dtype_name(t.dtype));
        if (label.empty()) label = name;
        else if (label != name) return "mixed";
    }
    return label.empty() ? "f32" : label;
}

std::uint64_t estimate_peak_ram(const format::SlmView& view) {
    const auto& c = view.config();
    const std::uint64_t kv = 2ull * c.n_layers * c.context_length * c.kv_dim() * 4;
    const std::uint64_t scratch =
        (6ull * c.dim() + 3ull * c.ffn_dim + c.vocab_size + std::uint64_t(c.n_heads) * c.context_length) * 4;
    return view.file_bytes().size() + kv + scratch + k_process_allowance;
}

nlohmann::json model_facts(const format::SlmView& view) {
    const auto& c = view.config();
    return {{"architecture", "llama"},
            {"vocab_size", c.vocab_size},
            {"n_layers", c.n_layers},
            {"n_heads", c.n_heads},
            {"n_kv_heads", c.n_kv_heads},
            {"head_dim", c.head_dim},
            {"ffn_dim", c.ffn_dim},
            {"context_length", c.context_length},
            {"tied_output", c.tied_output},
            {"parameter_count", view.parameter_count()}};
}

nlohmann::json make_manifest(const SkillInfo& info, const Provenance& prov, const format::SlmView& view) {
    return make_manifest(info, prov, view, sha256_ref(view.file_bytes()));
}

nlohmann::json make_manifest(const SkillInfo& info, const Provenance& prov, const format::SlmView& view,
                             const std::string& artifact_digest) {
    using nlohmann::json;
    const auto& c = view.config();
    json parents = json::array();
    for (const auto& p : prov.parents) {
        json entry = {{"digest", p.digest}, {"role", p.role}};
        if (!p.format.empty()) entry["format"] = p.format;
        parents.push_back(std::move(entry));
    }
    json m = {
        {"schema", k_manifest_schema_id},
        {"name", info.name},
        {"version", info.version},
        {"artifact",
         {{"digest", artifact_digest},
          {"size", view.file_bytes().size()},
          {"media_type", k_model_media_type}}},
        {"parents", parents},
        {"operator", prov.operator_name},
        {"input_contract", info.input_contract},
        {"output_contract", info.output_contract},
        {"runtime",
         {{"backend", "cpu"},
          {"format", "slm"},
          {"format_version", format::k_version},
          {"tokenizer",
           {{"kind", std::string(format::tokenizer_kind_tag(view.tokenizer().kind))},
            {"digest", sha256_ref(view.tokenizer_bytes())},
            {"vocab_size", c.vocab_size}}},
          {"quantization", quantization_label(view)}}},
        {"model", model_facts(view)},
        {"resource_profile",
         {{"bytes", view.file_bytes().size()},
          {"peak_ram_bytes", estimate_peak_ram(view)},
          {"expected_p95_ms", info.expected_p95_ms ? json(*info.expected_p95_ms) : json(nullptr)}}},
        {"risk_profile",
         {{"data_lineage", info.data_lineage}, {"license", info.license}, {"safety_tier", info.safety_tier}}},
        {"evaluation_card", info.evaluation_card ? json(*info.evaluation_card) : json(nullptr)},
        {"lifecycle_state", "candidate"},
        {"created_by", std::string("slmctl ") + SLM_VERSION},
    };
    if (!info.description.empty()) m["description"] = info.description;
    if (!prov.parameters.empty()) m["operator_parameters"] = prov.parameters;
    return m;
}

std::string manifest_bytes(const nlohmann::json& manifest) { return canonical_json(manifest); }

std::string manifest_id(const nlohmann::json& manifest) { return sha256_ref(as_bytes(manifest_bytes(manifest))); }

SkillInfo skill_info_from_manifest(const nlohmann::json& m) {
    SkillInfo info;
    info.name = m.at("name");
    info.version = m.at("version");
    info.description = m.value("description", "");
    info.input_contract = m.at("input_contract");
    info.output_contract = m.at("output_contract");
    info.license = m.at("risk_profile").at("license");
    info.data_lineage = m.at("risk_profile").at("data_lineage");
    info.safety_tier = m.at("risk_profile").at("safety_tier");
    if (m.at("evaluation_card").is_string()) info.evaluation_card = m.at("evaluation_card").get<std::string>();
    const auto& p95 = m.at("resource_profile").at("expected_p95_ms");
    if (p95.is_number()) info.expected_p95_ms = p95.get<double>();
    return info;
}

Result<nlohmann::json> load_manifest(const std::string& path) {
    auto text = read_text_file(path);
    if (!text) return text.take_error();
    auto doc = parse_json(*text, path);
    if (!doc) return doc.take_error();
    SLM_TRY(validate_against_schema(*doc, "skill-manifest.schema.json",
                                    [&](const std::string&) { return path; }));
    if (canonical_json(*doc) != *text)
        return make_error(ErrorCode::invalid_input, "manifest.not_canonical",
                          path + ": manifest bytes are not canonical JSON (sorted keys, no whitespace); "
                                 "it was edited or re-serialized, so its id no longer holds");
    return doc;
}

std::string default_manifest_path(const std::string& artifact_path) {
    const std::string ext = ".slm";
    if (artifact_path.size() > ext.size() &&
        artifact_path.compare(artifact_path.size() - ext.size(), ext.size(), ext) == 0)
        return artifact_path.substr(0, artifact_path.size() - ext.size()) + ".manifest.json";
    return artifact_path + ".manifest.json";
}

}  // namespace slm::package
