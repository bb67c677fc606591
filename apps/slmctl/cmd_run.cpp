// slmctl run MODEL.slm [-p PROMPT | -f FILE]: generate text with the native
// runtime. The container is verified (structure, and the checksum unless
// --no-verify) before any weight is read; text streams to stdout as it is
// produced, statistics go to stderr, --json prints one object at the end.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "commands.hpp"
#include "model_ref.hpp"
#include "interrupt.hpp"
#include "core/hash.hpp"
#include "core/io.hpp"
#include "format/slm_file.hpp"
#include "output.hpp"
#include "quant/ggml_compat.hpp"
#include "quant/kernels.hpp"
#include "quant/matvec.hpp"
#include "runtime/generate.hpp"
#include "runtime/model.hpp"
#include "tokenizer/tokenizer.hpp"

namespace slmctl {
namespace {

struct RunArgs {
    std::string model;
    std::string prompt;
    std::string prompt_file;
    std::string prompt_ids;  // "1,2,3": bypasses the tokenizer
    std::uint32_t max_tokens = 64;
    slm::runtime::SamplerOptions sampling;  // default temperature 0: greedy
    unsigned threads = 1;
    std::uint32_t batch_size = slm::runtime::k_prefill_batch;
    bool no_verify = false;
    bool ignore_eos = false;
    bool json = false;
    std::string kernel = "auto";
    RegistryArgs registry;
    std::string activations = "f32";
    std::string numerics = "native";
    std::string kv_cache = "f32";
    bool no_repack = false;
    std::string dump_logits;
};

std::uint64_t peak_rss_bytes() {
    rusage usage{};
    if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
    return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

void write_stdout(const std::string& text) {
    if (text.empty()) return;
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

// "1, 2,3" -> {1, 2, 3}; every id must be below vocab_size.
slm::Result<std::vector<std::uint32_t>> parse_token_ids(const std::string& text, std::uint32_t vocab_size) {
    std::vector<std::uint32_t> ids;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == ',' || text[i] == ' ') { ++i; continue; }
        std::size_t j = i;
        std::uint64_t v = 0;
        while (j < text.size() && text[j] >= '0' && text[j] <= '9' && v <= 0xFFFFFFFFull)
            v = v * 10 + static_cast<std::uint64_t>(text[j++] - '0');
        if (j == i || v >= vocab_size)
            return slm::make_error(slm::ErrorCode::usage, "cli.bad_prompt_ids",
                                   "--prompt-ids: expected comma-separated token ids below the vocabulary size " +
                                       std::to_string(vocab_size) + ", found '" + text.substr(i, 12) + "'");
        ids.push_back(static_cast<std::uint32_t>(v));
        i = j;
    }
    return ids;
}

int run_run(const RunArgs& a) {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();

    if (auto st = slm::quant::select_kernels(a.kernel); !st) return report_error(st.error());
    std::string prompt = a.prompt;
    if (!a.prompt_file.empty()) {
        auto text = slm::read_text_file(a.prompt_file);
        if (!text) return report_error(text.error());
        prompt = std::move(*text);
    }

    slm::format::ReadOptions read_options;
    read_options.verify_checksum = !a.no_verify;
    auto input = resolve_model(a.model, a.registry, !a.no_verify);
    if (!input) return report_error(input.error());
    auto file = slm::format::SlmFile::open(input->path, read_options);
    if (!file) return report_error(file.error());
    const slm::format::SlmView& view = file->view();
    auto tokenizer = slm::tokenizer::Tokenizer::create(view.tokenizer());
    if (!tokenizer) return report_error(tokenizer.error());
    // Digested now, while verification has the file's pages in memory: packing
    // below lets the packed matrices' pages go. Not part of the load time.
    const auto digest_start = Clock::now();
    const std::string digest = a.json ? slm::sha256_ref(file->bytes()) : std::string();
    const auto digest_time = Clock::now() - digest_start;
    const bool ggml = a.numerics == "ggml";
    // ggml numerics always use llama.cpp's int8 activations (--activations is excluded by CLI11).
    const std::string activations = ggml ? "q8_0" : a.activations;
    slm::runtime::ModelOptions model_options;
    model_options.pack_for_int8 = !ggml && activations == "q8_0" && !a.no_repack;
    model_options.release = [&file](const void* p, std::size_t n) { file->release(p, n); };
    auto model = slm::runtime::Model::create(view, model_options);
    if (!model) return report_error(model.error());
    const double open_ms = std::chrono::duration<double, std::milli>(Clock::now() - start - digest_time).count();

    std::vector<std::uint32_t> prompt_ids;
    if (!a.prompt_ids.empty()) {
        auto ids = parse_token_ids(a.prompt_ids, view.config().vocab_size);
        if (!ids) return report_error(ids.error());
        prompt_ids = std::move(*ids);
    } else {
        prompt_ids = tokenizer->encode(prompt, tokenizer->add_bos_default());
    }

    slm::runtime::GenerateOptions options;
    options.max_tokens = a.max_tokens;
    options.sampling = a.sampling;
    options.threads = a.threads;
    options.prefill_batch = a.batch_size;
    options.numerics = *slm::runtime::find_numerics(a.numerics);  // checked by CLI11
    if (ggml && !slm::quant::ggml::host_runs_haswell_build())
        note("slmctl: --numerics ggml reproduces llama.cpp's AVX2 (haswell) CPU build; on this CPU llama.cpp "
             "loads another build, so its logits may differ\n");
    options.activations = *slm::quant::find_activation_mode(activations);  // checked by CLI11
    options.kv_cache = *slm::runtime::find_kv_type(a.kv_cache);              // checked by CLI11
    options.stop_at_eos = !a.ignore_eos;
    std::vector<float> dumped;
    if (!a.dump_logits.empty()) {
        options.on_logits = [&dumped](std::uint32_t, std::span<const float> logits) {
            dumped.insert(dumped.end(), logits.begin(), logits.end());
        };
    }

    slm::tokenizer::StreamDecoder decoder(*tokenizer);
    std::string text;  // everything decoded, for --json
    auto on_token = [&](std::uint32_t id) {
        std::string piece = decoder.push(id);
        if (a.json) text += piece;
        else write_stdout(piece);
        return !InterruptGuard::requested();  // Ctrl-C: stop after this token
    };
    InterruptGuard interrupt;
    auto result = slm::runtime::generate(*model, *tokenizer, prompt_ids, options, on_token);
    if (!result) return report_error(result.error());
    const std::string rest = decoder.finish();
    if (a.json) text += rest;
    else write_stdout(rest);

    if (!a.dump_logits.empty()) {
        const slm::Bytes bytes(reinterpret_cast<const std::uint8_t*>(dumped.data()), dumped.size() * sizeof(float));
        if (auto st = slm::write_file_atomic(a.dump_logits, bytes); !st) return report_error(st.error());
    }

    const slm::runtime::Timings& t = result->timings;
    const double load_ms = open_ms + t.load_ms;
    const std::string stop(slm::runtime::stop_reason_name(result->stop_reason));
    if (a.json) {
        nlohmann::json out;
        out["model"] = a.model;
        out["artifact_digest"] = digest;
        out["prompt_tokens"] = prompt_ids;
        out["generated_tokens"] = result->tokens;
        out["text"] = text;
        out["stop_reason"] = stop;
        out["load_ms"] = load_ms;
        out["prefill_ms"] = t.prefill_ms;
        out["decode_ms"] = t.decode_ms;
        out["prefill_tok_s"] = t.prefill_tok_s;
        out["decode_tok_s"] = t.decode_tok_s;
        out["peak_rss_bytes"] = peak_rss_bytes();
        out["packed_bytes"] = model->packed_bytes();
        out["threads"] = result->threads;
        out["batch_size"] = a.batch_size;
        out["kernel"] = std::string(slm::quant::kernel_name());
        out["activations"] = activations;
        out["numerics"] = a.numerics;
        out["kv_cache"] = a.kv_cache;
        out["checksum_verified"] = view.checksum_verified();
        out["sampling"] = {{"temperature", a.sampling.temperature}, {"top_k", a.sampling.top_k},
                           {"top_p", a.sampling.top_p},       {"repeat_penalty", a.sampling.repeat_penalty},
                           {"repeat_last_n", a.sampling.repeat_last_n}, {"seed", a.sampling.seed}};
        print_json(out);
    } else {
        if (::isatty(STDOUT_FILENO) == 1) write_stdout("\n");
        note("slmctl: {} prompt + {} generated tokens, stop: {}; load {:.1f} ms, prefill {:.1f} tok/s, "
             "decode {:.1f} tok/s; {} thread{}, {} kernels, {} activations, {} KV cache, {} numerics\n",
             prompt_ids.size(), result->tokens.size(), stop, load_ms, t.prefill_tok_s, t.decode_tok_s,
             result->threads, result->threads == 1 ? "" : "s", slm::quant::kernel_name(), activations,
             a.kv_cache, a.numerics);
    }
    return InterruptGuard::requested() ? k_exit_interrupted : 0;
}

}  // namespace

void register_run(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<RunArgs>();
    auto* cmd = app.add_subcommand("run", "Generate text from a prompt with the native runtime");
    cmd->add_option("model", args->model, "The .slm model, or a registry reference (NAME@champion, NAME:VERSION, NAME@sha256:...)")->required();
    add_registry_options(cmd, args->registry, false);
    auto* prompt = cmd->add_option("-p,--prompt", args->prompt, "Prompt text (default: empty, i.e. just BOS)");
    auto* file = cmd->add_option("-f,--file", args->prompt_file, "Read the prompt from a file")->type_name("FILE")->excludes(prompt);
    cmd->add_option("--prompt-ids", args->prompt_ids, "Prompt as token ids (\"1,2,3\"), bypassing the tokenizer and BOS")
        ->excludes(prompt)
        ->excludes(file);
    cmd->add_option("-n,--max-tokens", args->max_tokens, "Tokens to generate at most")
        ->capture_default_str();
    cmd->add_option("--seed", args->sampling.seed, "Seed of the sampler's random generator")->capture_default_str();
    cmd->add_option("--temp", args->sampling.temperature, "Temperature; 0 picks the most likely token (greedy)")
        ->capture_default_str();
    cmd->add_option("--top-k", args->sampling.top_k, "Keep the K most likely tokens (0: off)")->capture_default_str();
    cmd->add_option("--top-p", args->sampling.top_p, "Keep the smallest set of tokens with this mass (1: off)")
        ->capture_default_str();
    cmd->add_option("--repeat-penalty", args->sampling.repeat_penalty,
                    "Penalise tokens seen in the last --repeat-last-n (1: off)")
        ->capture_default_str();
    cmd->add_option("--repeat-last-n", args->sampling.repeat_last_n, "How many recent tokens the penalty covers")
        ->capture_default_str();
    cmd->add_option("--threads", args->threads, "Threads (0: one per hardware thread); output does not depend on it")
        ->capture_default_str();
    cmd->add_option("--batch-size", args->batch_size,
                    "Prompt positions fed per batch, each weight read once per batch (1: one at a time); "
                    "output does not depend on it")
        ->check(CLI::Range(1u, 1u << 20))
        ->capture_default_str();
    cmd->add_flag("--ignore-eos", args->ignore_eos, "Keep generating after EOS (benchmarks)");
    cmd->add_flag("--no-verify", args->no_verify, "Skip the whole-file checksum (the structure is always checked)");
    cmd->add_flag("--json", args->json, "Print one JSON object at the end instead of streaming text");
    cmd->add_option("--kernel", args->kernel, "Matvec kernels")
        ->check(CLI::IsMember({"auto", "scalar", "avx2", "avxvnni", "avx512", "avx512vnni"}))
        ->capture_default_str();
    auto* activations =
        cmd->add_option("--activations", args->activations,
                        "Activations of q8_0/q4_0 matrix products: f32 (exact to the dequantized weights) or "
                        "q8_0 (int8 like llama.cpp; faster, ~1e-3 relative error)")
            ->check(CLI::IsMember({"f32", "q8_0"}))
            ->capture_default_str();
    auto* kv_cache = cmd->add_option("--kv-cache", args->kv_cache,
                                     "KV cache type: f32 (exact) or f16 (half the memory and the bytes attention "
                                     "reads; keys and values rounded to f16, as llama.cpp's default cache)")
                         ->check(CLI::IsMember({"f32", "f16"}))
                         ->capture_default_str();
    cmd->add_option("--numerics", args->numerics,
                    "Arithmetic: native (slmctl's kernels) or ggml (llama.cpp's CPU backend op by op: logits "
                    "bit-identical to llama.cpp's AVX2 build with an f32 KV cache; implies --activations q8_0)")
        ->check(CLI::IsMember({"native", "ggml"}))
        ->excludes(activations)
        ->excludes(kv_cache)
        ->capture_default_str();
    cmd->add_flag("--no-repack", args->no_repack,
                  "With --activations q8_0, keep q8_0/q4_0 matrices in the file's layout instead of a packed "
                  "copy: slower int8 products, summed in the kernel set's row order (llama.cpp's with --kernel "
                  "avx2)")
        ->group("Diagnostics");
    cmd->add_option("--dump-logits", args->dump_logits,
                    "Write every step's logits (prompt positions included) to FILE as raw "
                    "little-endian f32, vocab_size values per step (compared with tests/reference/llama_ref.py)")
        ->type_name("FILE")
        ->group("Diagnostics");
    cmd->footer(
        "Sampling: greedy by default (--temp 0); with --temp > 0 the order is repeat penalty, temperature,\n"
        "top-k, top-p, then a seeded draw, so the same seed gives the same text.\n"
        "Exit codes: 0 ok; 2 usage (bad option values); 3 invalid or corrupt model, prompt too long;\n"
        "4 unsupported model; 5 file not found; 130 stopped by Ctrl-C (the text so far and the statistics\n"
        "are still printed, stop reason \"cancelled\"; a second Ctrl-C ends at once).");
    cmd->callback([args, &ctx] { ctx.exit_code = run_run(*args); });
}

}  // namespace slmctl
