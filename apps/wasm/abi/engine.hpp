// What slm_runtime.wasm's exports drive: one loaded model, the sampling
// settings and at most one generation in progress. Plain C++ (no WASM
// specifics), so the rules of docs/wasm-abi.md live in one place:
//   - a failed call changes nothing (a loaded model stays loaded);
//   - without a model, every call that needs one fails with SLM_E_NO_MODEL;
//   - every failure leaves its message in last_error().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "runtime/generate.hpp"

namespace slm::wasm {

class Engine {
public:
    Engine();
    ~Engine();

    int load_model(Bytes bytes);
    int release_model();
    int reset();
    int configure(std::uint32_t max_tokens, float temperature, std::int32_t top_k, float top_p,
                  float repeat_penalty, double seed);
    int set_flags(std::uint32_t flags);  // SLM_FLAG_* bits
    int generate(std::string_view prompt);  // whole text in result(), ids in tokens()
    int begin(std::string_view prompt);     // prefill; then step() until it returns 0
    int step();                             // 1: a token (its text in result()), 0: finished
    int diagnostics();                      // JSON in result()

    // Records a failure of the ABI layer itself (bad pointers).
    int fail(int status, std::string message);

    const std::string& result() const { return result_; }
    const std::vector<std::uint32_t>& tokens() const { return tokens_; }
    const std::string& last_error() const { return error_; }

private:
    struct Loaded;
    struct Generation;

    int ok();
    int fail(const Error& error, int status);
    int start(std::string_view prompt);
    void finish_generation();

    std::unique_ptr<Loaded> model_;
    std::unique_ptr<Generation> generation_;
    runtime::GenerateOptions options_;
    std::string result_;
    std::vector<std::uint32_t> tokens_;
    std::string error_;
    // The last generation, for diagnostics().
    std::size_t prompt_tokens_ = 0;
    runtime::GenerationResult last_;
    bool has_last_ = false;
};

}  // namespace slm::wasm
