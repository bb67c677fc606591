#include "eval/runner.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "runtime/generate.hpp"
#include "runtime/model_compare.hpp"

namespace slm::eval {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

Result<CaseResult> run_case(const EvalCase& c, const Suite& suite, const runtime::Model& model,
                            const tokenizer::Tokenizer& tok, const RunOptions& o) {
    const auto start = Clock::now();
    const GenerationSettings& g = suite.generation;
    runtime::GenerateOptions options;
    options.max_tokens = g.max_tokens;
    options.sampling.temperature = g.temperature;
    options.sampling.top_k = static_cast<int>(g.top_k);
    options.sampling.top_p = g.top_p;
    options.sampling.seed = g.seed;
    options.threads = 1;
    options.activations = o.activations;
    options.stop_at_eos = g.stop_at_eos;
    const auto prompt = tok.encode(c.input, g.add_bos.value_or(tok.add_bos_default()));
    auto generated = runtime::generate(model, tok, prompt, options);
    if (!generated) {
        Error e = generated.take_error();
        e.message = c.where + ": case '" + c.id + "': " + e.message;
        return e;
    }
    CaseResult r;
    r.eval_case = &c;
    r.tokens = std::move(generated->tokens);
    for (std::uint32_t id : r.tokens) r.output += tok.token_piece(id);
    r.stop_reason = std::string(runtime::stop_reason_name(generated->stop_reason));
    const Score s = score(c.scorer, c.expected, r.output, r.tokens);
    r.passed = s.passed;
    r.message = s.message;
    r.ms = ms_since(start);
    return r;
}

Result<ModelMetrics> model_metrics(const Suite& suite, const runtime::Model& model, const tokenizer::Tokenizer& tok,
                                   const RunOptions& o) {
    ModelMetrics m;
    if (!suite.metrics.perplexity && !suite.metrics.parent) return m;
    runtime::Sequences seqs;
    const std::uint32_t context = model.config().context_length;
    if (suite.metrics.per_line) {
        // Each line as the model sees a prompt: its own sequence, with BOS.
        std::size_t begin = 0;
        while (begin < suite.metrics.text.size()) {
            std::size_t end = suite.metrics.text.find('\n', begin);
            if (end == std::string::npos) end = suite.metrics.text.size();
            const std::string_view line(suite.metrics.text.data() + begin, end - begin);
            if (!line.empty())
                for (auto& w : runtime::context_windows(tok.encode(std::string(line), true), context))
                    seqs.push_back(std::move(w));
            begin = end + 1;
        }
    } else {
        seqs = runtime::context_windows(tok.encode(suite.metrics.text, true), context);
    }
    const unsigned threads = o.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : o.threads;
    if (suite.metrics.parent) {
        if (o.parent == nullptr)
            return make_error(ErrorCode::usage, "eval.parent_required",
                              suite.path + ": the suite compares against a parent model (metrics.parent or "
                                           "kl_max/same_top1_min): pass --parent PARENT.slm");
        auto r = runtime::compare_models(*o.parent, model, seqs, threads);
        if (!r) return r.take_error();
        m.kl_vs_parent = r->mean_kl;
        m.same_top1_vs_parent = r->same_top1;
        m.parent_perplexity = r->perplexity_parent;
        m.perplexity = r->perplexity_derived;
        m.positions = r->positions;
        return m;
    }
    auto p = runtime::perplexity(model, seqs, threads);
    if (!p) return p.take_error();
    m.perplexity = *p;
    m.positions = 0;
    for (const auto& s : seqs) m.positions += static_cast<std::uint32_t>(s.size() - 1);
    return m;
}

}  // namespace

Result<EvalRun> run_suite(const Suite& suite, const runtime::Model& model, const tokenizer::Tokenizer& tok,
                          const RunOptions& o) {
    const auto start = Clock::now();
    const auto cases = shard_cases(suite, o.shard, o.shards);
    EvalRun run;
    run.cases.resize(cases.size());
    unsigned workers = o.threads == 0 ? std::thread::hardware_concurrency() : o.threads;
    workers = std::max(1u, std::min<unsigned>(workers, static_cast<unsigned>(std::max<std::size_t>(cases.size(), 1))));
    run.threads = workers;

    std::atomic<std::size_t> next{0};
    std::size_t done = 0;
    std::mutex error_mutex;
    std::optional<Error> first_error;  // the error of the lowest failing case index
    std::size_t error_index = cases.size();
    auto work = [&] {
        for (std::size_t k; (k = next.fetch_add(1)) < cases.size();) {
            auto r = run_case(*cases[k], suite, model, tok, o);
            if (r) {
                run.cases[k] = std::move(*r);
            } else {
                std::lock_guard<std::mutex> lock(error_mutex);
                if (k < error_index) {
                    error_index = k;
                    first_error = r.take_error();
                }
            }
            if (o.progress) {
                std::lock_guard<std::mutex> lock(error_mutex);  // callers need not be thread-safe
                o.progress("cases", ++done, cases.size());
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < workers; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (first_error) return *first_error;

    if (o.shard == 1) {
        auto metrics = model_metrics(suite, model, tok, o);
        if (!metrics) return metrics.take_error();
        run.metrics = *metrics;
    }
    run.total_ms = ms_since(start);
    return run;
}

}  // namespace slm::eval
