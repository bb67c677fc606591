// Eval suites: a YAML file (schemas/eval-suite.schema.json, docs/eval.md)
// with generation settings, cases (inline and/or a JSONL file), model-level
// metrics and decision thresholds. Loading checks everything a run needs, so
// a bad suite fails before any model work starts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "eval/scorers.hpp"

namespace slm::eval {

struct EvalCase {
    std::size_t index = 0;  // position in the suite (inline cases first, then the JSONL file)
    std::string id;
    std::string input;
    Expectation expected;
    Scorer scorer;
    std::string where;         // "file:line" for messages
    nlohmann::json source;     // the case as written (hashed into cases_digest)
};

struct GenerationSettings {
    std::uint32_t max_tokens = 32;
    float temperature = 0.0f;  // greedy
    std::uint32_t top_k = 0;
    float top_p = 1.0f;
    std::uint64_t seed = 0;
    std::optional<bool> add_bos;  // default: the tokenizer's
    bool stop_at_eos = true;
};

struct Thresholds {
    double pass_rate = 1.0;
    std::optional<double> perplexity_max;
    std::optional<double> kl_max;
    std::optional<double> same_top1_min;
};

struct MetricsSpec {
    std::string text;        // scored text for perplexity / parent comparison
    bool perplexity = false;
    bool parent = false;     // KL and same-top-1 against a parent model (eval --parent)
    bool per_line = false;   // score each line as its own sequence (with BOS) instead of the whole text
};

struct Suite {
    std::string path;
    std::string id;
    std::string version;
    std::string description;
    std::string input_contract;
    std::string output_contract;
    GenerationSettings generation;
    std::vector<EvalCase> cases;
    MetricsSpec metrics;
    Thresholds thresholds;
    std::string suite_digest;  // sha256 of the suite file's bytes
    std::string cases_digest;  // sha256 of the canonical JSON array of all cases
};

// Errors: ErrorCode::invalid_input (ids eval.*, yaml.*, json_schema.*) naming
// the file and line or case; not_found for missing files.
Result<Suite> load_suite(const std::string& path);

// Deterministic slice for --shard i/n: the cases whose index % n == i - 1.
std::vector<const EvalCase*> shard_cases(const Suite& suite, std::uint32_t shard, std::uint32_t shards);

}  // namespace slm::eval
