// Runs a suite's cases (and model-level metrics) against a model.
//
// Cases run in parallel, one case per worker at a time, each with its own
// session and single-threaded matrix products, and results are kept in case
// order: a run gives the same outputs and scores for any thread count.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/progress.hpp"
#include "core/result.hpp"
#include "eval/suite.hpp"
#include "quant/kernels.hpp"
#include "runtime/model.hpp"
#include "tokenizer/tokenizer.hpp"

namespace slm::eval {

struct CaseResult {
    const EvalCase* eval_case = nullptr;
    bool passed = false;
    std::string output;                  // decoded text (raw bytes)
    std::vector<std::uint32_t> tokens;   // generated ids
    std::string message;                 // why it failed
    std::string stop_reason;
    double ms = 0.0;
};

struct ModelMetrics {
    std::optional<double> perplexity;
    std::optional<double> kl_vs_parent;         // mean KL(parent || model), nats
    std::optional<double> same_top1_vs_parent;  // share of positions
    std::optional<double> parent_perplexity;
    std::uint32_t positions = 0;                // scored positions of metrics.text
};

struct RunOptions {
    unsigned threads = 0;                   // workers; 0: one per hardware thread
    quant::ActivationMode activations = quant::ActivationMode::f32;
    std::uint32_t shard = 1, shards = 1;    // --shard i/n
    const runtime::Model* parent = nullptr; // for metrics.parent
    ProgressFn progress;                    // ("cases", done, total)
};

struct EvalRun {
    std::vector<CaseResult> cases;  // this shard's cases, in suite order
    ModelMetrics metrics;           // computed by shard 1 only
    double total_ms = 0.0;
    unsigned threads = 1;
};

// Errors: ErrorCode::usage for a parent needed but not given; generation
// errors of a case (e.g. its prompt does not fit the context) name the case.
Result<EvalRun> run_suite(const Suite& suite, const runtime::Model& model, const tokenizer::Tokenizer& tokenizer,
                          const RunOptions& options);

}  // namespace slm::eval
