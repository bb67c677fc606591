// Eval sidecars (schemas/eval-sidecar.schema.json): the evidence a release
// carries. Everything but generated_at_utc and the timings is a function of
// the model, the suite and the runtime, so two runs (any thread count) give
// the same content. The decision is recomputed from the recorded numbers and
// thresholds by decide(), so merged shards decide exactly like one run.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "eval/runner.hpp"
#include "eval/suite.hpp"

namespace slm::eval {

inline constexpr const char* k_sidecar_schema_id = "slmctl.eval-sidecar/v1";

struct SidecarContext {
    std::string model_digest;                  // sha256:... of the .slm
    std::optional<std::string> adapter_digest;  // from the manifest parents with role adapter (docs/adapters.md)
    std::string source_kind;                   // from the manifest operator: packed, quantized, imported, ...
    nlohmann::json model = nullptr;            // {name, version, manifest_id} when a manifest is known
    std::optional<std::string> parent_digest;  // the --parent model
    std::string kernel;                        // runtime kernel set
    std::string activations;                   // f32 | q8_0
    std::string generated_at_utc;              // ISO 8601, e.g. 2026-11-24T10:00:00Z
};

// "slmctl <version> (<compiler>, <kernel> kernels, <activations> activations)".
std::string evaluator_id(const std::string& kernel, const std::string& activations);

nlohmann::json make_sidecar(const Suite& suite, const EvalRun& run, const SidecarContext& context,
                            std::uint32_t shard, std::uint32_t shards);

// Sets cases_passed, cases_failed, pass_rate, decision and decision_reasons
// from the sidecar's cases, metrics and thresholds.
void decide(nlohmann::json& sidecar);

// Combines the sidecars of all shards of one run (same model, suite, cases,
// settings; each shard exactly once) into the sidecar of the whole run.
// Errors: ErrorCode::invalid_input, id eval.merge_mismatch / eval.merge_shards.
Result<nlohmann::json> merge_sidecars(const std::vector<nlohmann::json>& shards);

// JUnit XML: one testcase per eval case (failure: expected vs got) plus one
// per threshold on a model-level metric.
std::string junit_xml(const nlohmann::json& sidecar);

// Current UTC time as ISO 8601 with seconds.
std::string utc_now();

}  // namespace slm::eval
