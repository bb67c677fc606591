// The human-written YAML skill spec that `slmctl pack` turns into a .slm and
// a manifest. Schema: schemas/skill-spec.schema.json; docs/skill-spec.md.
#pragma once

#include <optional>
#include <string>

#include "core/result.hpp"
#include "format/layout.hpp"

namespace slm::package {

// Skill-level facts carried into every manifest derived from the skill.
struct SkillInfo {
    std::string name;
    std::string version;
    std::string description;
    std::string input_contract;
    std::string output_contract;
    std::string license;
    std::string data_lineage;
    std::string safety_tier;
    std::optional<std::string> evaluation_card;
    std::optional<double> expected_p95_ms;
};

struct SkillSpec {
    std::string path;  // the spec file, for messages
    SkillInfo info;
    format::ModelConfig config;               // vocab_size filled from the tokenizer by pack
    std::optional<std::uint32_t> vocab_size;  // as written in the spec, if at all
    std::string weights_format;               // "safetensors" | "raw-f32-dir"
    std::string weights_path;                 // resolved against the spec's folder
    std::string tokenizer_kind;               // "byte-level" | "bpe"
    std::string vocab_path, merges_path;      // bpe only, resolved
    std::optional<std::string> bos_token, eos_token;
    std::optional<bool> add_bos;
};

Result<SkillSpec> load_skill_spec(const std::string& path);

// Orders safety tiers: low < medium < high < critical; -1 if unknown.
int safety_tier_rank(std::string_view tier);

}  // namespace slm::package
