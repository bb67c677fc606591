#include "engine.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "core/hash.hpp"
#include "format/reader.hpp"
#include "quant/kernels.hpp"
#include "runtime/generator.hpp"
#include "runtime/model.hpp"
#include "slm_abi.h"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/unicode.hpp"

namespace slm::wasm {

struct Engine::Loaded {
    std::vector<std::uint8_t> bytes;  // the view and the model point into this buffer
    format::SlmView view;
    runtime::Model model;
    tokenizer::Tokenizer tokenizer;
    std::string digest;
};

struct Engine::Generation {
    runtime::Generator generator;
    tokenizer::StreamDecoder decoder;
};

namespace {

// Seeds travel as a JS number: integers up to 2^53 are exact.
constexpr double k_max_seed = 9007199254740992.0;

// Without exceptions a failed `new` aborts the instance (and with it the
// loaded model), so big allocations are tried with malloc first.
bool can_allocate(std::uint64_t bytes) {
    if (bytes > SIZE_MAX) return false;
    void* p = std::malloc(static_cast<std::size_t>(bytes));
    if (p == nullptr) return false;
    std::free(p);
    return true;
}

std::uint64_t state_bytes(const format::ModelConfig& c) {
    const std::uint64_t cache = 2ull * c.n_layers * c.context_length * c.kv_dim();
    const std::uint64_t rest = 6ull * c.dim() + 4ull * c.ffn_dim + std::uint64_t{c.n_heads} * c.context_length +
                               c.vocab_size + c.head_dim;
    return (cache + rest) * sizeof(float);
}

bool valid_utf8(std::string_view text) {
    for (std::size_t pos = 0; pos < text.size();) {
        const tokenizer::Utf8Unit u = tokenizer::decode_utf8(text, pos);
        if (u.cpt == tokenizer::k_invalid_codepoint) return false;
        pos += u.length;
    }
    return true;
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += ch;
        }
    }
    out += '"';
}

std::string number(double v) {
    if (!std::isfinite(v)) return "null";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

// Shortest text that reads back as the same float.
std::string number(float v) {
    if (!std::isfinite(v)) return "null";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
    return buf;
}

int status_for_model_error(const Error& e) {
    if (e.code == ErrorCode::incompatible) return SLM_E_UNSUPPORTED;
    if (e.code == ErrorCode::invalid_input) return SLM_E_BAD_MODEL;
    return SLM_E_INTERNAL;
}

}  // namespace

Engine::Engine() = default;
Engine::~Engine() = default;

int Engine::ok() {
    error_.clear();
    return SLM_OK;
}

int Engine::fail(int status, std::string message) {
    error_ = std::move(message);
    return status;
}

int Engine::fail(const Error& error, int status) { return fail(status, error.id + ": " + error.message); }

int Engine::load_model(Bytes bytes) {
    if (!can_allocate(bytes.size()))
        return fail(SLM_E_OUT_OF_MEMORY, "wasm.out_of_memory: no room for a copy of the " +
                                             std::to_string(bytes.size()) + "-byte model");
    std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
    // Structure and the whole-file checksum, as `slmctl run` does by default.
    auto view = format::parse_slm(copy, "model");
    if (!view) return fail(view.error(), status_for_model_error(view.error()));
    auto tok = tokenizer::Tokenizer::create(view->tokenizer());
    if (!tok) return fail(tok.error(), status_for_model_error(tok.error()));
    auto model = runtime::Model::create(*view);
    if (!model) return fail(model.error(), status_for_model_error(model.error()));
    if (!can_allocate(state_bytes(view->config())))
        return fail(SLM_E_OUT_OF_MEMORY, "wasm.out_of_memory: the KV cache and activations (" +
                                             std::to_string(state_bytes(view->config())) + " bytes) do not fit");
    const std::string digest = sha256_ref(sha256(copy));
    // Moving the vector keeps its buffer, so the view and the model stay valid.
    generation_.reset();
    model_ = std::make_unique<Loaded>(Loaded{std::move(copy), std::move(*view), std::move(*model), std::move(*tok), digest});
    tokens_.clear();
    result_.clear();
    has_last_ = false;
    return ok();
}

int Engine::release_model() {
    if (!model_) return fail(SLM_E_NO_MODEL, "wasm.no_model: no model is loaded (already released?)");
    generation_.reset();
    model_.reset();
    tokens_.clear();
    result_.clear();
    has_last_ = false;
    return ok();
}

int Engine::reset() {
    if (!model_) return fail(SLM_E_NO_MODEL, "wasm.no_model: no model is loaded");
    generation_.reset();
    return ok();
}

int Engine::configure(std::uint32_t max_tokens, float temperature, std::int32_t top_k, float top_p,
                      float repeat_penalty, double seed) {
    if (!(seed >= 0.0 && seed <= k_max_seed && std::floor(seed) == seed))
        return fail(SLM_E_BAD_OPTION, "runtime.bad_sampler_option: seed must be an integer in [0, 2^53], got " +
                                          number(seed));
    runtime::SamplerOptions s = options_.sampling;
    s.temperature = temperature;
    s.top_k = top_k;
    s.top_p = top_p;
    s.repeat_penalty = repeat_penalty;
    s.seed = static_cast<std::uint64_t>(seed);
    if (auto st = runtime::validate(s); !st) return fail(st.error(), SLM_E_BAD_OPTION);
    options_.sampling = s;
    options_.max_tokens = max_tokens;
    return ok();
}

int Engine::set_flags(std::uint32_t flags) {
    constexpr std::uint32_t known = SLM_FLAG_IGNORE_EOS | SLM_FLAG_INT8_ACTIVATIONS;
    if ((flags & ~known) != 0)
        return fail(SLM_E_BAD_OPTION, "wasm.bad_flags: unknown flag bits " + std::to_string(flags & ~known) +
                                          " (known: 1 ignore EOS, 2 int8 activations)");
    options_.stop_at_eos = (flags & SLM_FLAG_IGNORE_EOS) == 0;
    options_.activations =
        (flags & SLM_FLAG_INT8_ACTIVATIONS) != 0 ? quant::ActivationMode::q8_0 : quant::ActivationMode::f32;
    return ok();
}

int Engine::start(std::string_view prompt) {
    if (!model_) return fail(SLM_E_NO_MODEL, "wasm.no_model: load a model first");
    if (!valid_utf8(prompt)) return fail(SLM_E_BAD_UTF8, "wasm.bad_utf8: the prompt is not valid UTF-8");
    const tokenizer::Tokenizer& tok = model_->tokenizer;
    const std::vector<std::uint32_t> ids = tok.encode(prompt, tok.add_bos_default());
    auto generator = runtime::Generator::start(model_->model, tok.eos_id(), ids, options_);
    if (!generator) {
        const ErrorCode code = generator.error().code;
        return fail(generator.error(), code == ErrorCode::internal ? SLM_E_INTERNAL : SLM_E_BAD_PROMPT);
    }
    generation_ = std::make_unique<Generation>(Generation{std::move(*generator), tokenizer::StreamDecoder(tok)});
    prompt_tokens_ = ids.size();
    tokens_.clear();
    result_.clear();
    return ok();
}

void Engine::finish_generation() {
    last_ = generation_->generator.take_result();
    has_last_ = true;
    generation_.reset();
}

int Engine::begin(std::string_view prompt) { return start(prompt); }

int Engine::step() {
    if (!model_) return fail(SLM_E_NO_MODEL, "wasm.no_model: no model is loaded");
    if (!generation_) return fail(SLM_E_NO_GENERATION, "wasm.no_generation: call slm_begin first");
    auto token = generation_->generator.next();
    if (!token) {
        generation_.reset();
        return fail(token.error(), SLM_E_INTERNAL);
    }
    if (!*token) {
        result_ = generation_->decoder.finish();
        finish_generation();
        error_.clear();
        return SLM_OK;
    }
    tokens_.push_back(**token);
    result_ = generation_->decoder.push(**token);
    error_.clear();
    return SLM_STEP_TOKEN;
}

int Engine::generate(std::string_view prompt) {
    if (int st = start(prompt); st != SLM_OK) return st;
    std::string text;
    for (;;) {
        const int st = step();
        if (st < 0) return st;
        text += result_;
        if (st == SLM_OK) break;
    }
    result_ = std::move(text);
    return ok();
}

int Engine::diagnostics() {
    std::string j = "{\"abi_version\":" + std::to_string(SLM_ABI_VERSION) + ",\"runtime_version\":";
    append_json_string(j, SLM_VERSION);
    j += ",\"kernel\":";
    append_json_string(j, quant::kernel_name());
    j += ",\"model\":";
    if (model_) {
        const format::ModelConfig& c = model_->view.config();
        j += "{\"digest\":";
        append_json_string(j, model_->digest);
        j += ",\"bytes\":" + std::to_string(model_->bytes.size()) +
             ",\"parameters\":" + std::to_string(model_->view.parameter_count()) +
             ",\"vocab_size\":" + std::to_string(c.vocab_size) + ",\"n_layers\":" + std::to_string(c.n_layers) +
             ",\"dim\":" + std::to_string(c.dim()) + ",\"n_heads\":" + std::to_string(c.n_heads) +
             ",\"n_kv_heads\":" + std::to_string(c.n_kv_heads) +
             ",\"context_length\":" + std::to_string(c.context_length) + "}";
    } else {
        j += "null";
    }
    const runtime::SamplerOptions& s = options_.sampling;
    j += ",\"options\":{\"max_tokens\":" + std::to_string(options_.max_tokens) +
         ",\"temperature\":" + number(s.temperature) + ",\"top_k\":" + std::to_string(s.top_k) +
         ",\"top_p\":" + number(s.top_p) + ",\"repeat_penalty\":" + number(s.repeat_penalty) +
         ",\"seed\":" + std::to_string(s.seed) +
         ",\"ignore_eos\":" + (options_.stop_at_eos ? "false" : "true") + ",\"activations\":" +
         (options_.activations == quant::ActivationMode::q8_0 ? "\"q8_0\"" : "\"f32\"") + "}";
    j += ",\"generating\":";
    j += generation_ ? "true" : "false";
    j += ",\"last_generation\":";
    if (has_last_) {
        const runtime::Timings& t = last_.timings;
        j += "{\"prompt_tokens\":" + std::to_string(prompt_tokens_) +
             ",\"generated_tokens\":" + std::to_string(last_.tokens.size()) + ",\"stop_reason\":";
        append_json_string(j, runtime::stop_reason_name(last_.stop_reason));
        j += ",\"load_ms\":" + number(t.load_ms) + ",\"prefill_ms\":" + number(t.prefill_ms) +
             ",\"decode_ms\":" + number(t.decode_ms) + ",\"prefill_tok_s\":" + number(t.prefill_tok_s) +
             ",\"decode_tok_s\":" + number(t.decode_tok_s) + "}";
    } else {
        j += "null";
    }
    j += "}";
    result_ = std::move(j);
    return ok();
}

}  // namespace slm::wasm
