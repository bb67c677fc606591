#include "runtime/model_compare.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "runtime/sampler.hpp"
#include "runtime/session.hpp"

namespace slm::runtime {
namespace {

Status check_sequence(const Model& model, std::span<const std::uint32_t> tokens) {
    if (tokens.size() < 2)
        return make_error(ErrorCode::invalid_input, "runtime.compare_too_short",
                          "need at least 2 tokens to score next-token predictions, found " +
                              std::to_string(tokens.size()));
    if (tokens.size() > model.config().context_length)
        return make_error(ErrorCode::invalid_input, "runtime.compare_too_long",
                          std::to_string(tokens.size()) + " tokens exceed the context length " +
                              std::to_string(model.config().context_length));
    return {};
}

double kl_from_log_probs(const std::vector<double>& lp, const std::vector<double>& lq) {
    double kl = 0.0;
    for (std::size_t i = 0; i < lp.size(); ++i) kl += std::exp(lp[i]) * (lp[i] - lq[i]);
    return std::max(kl, 0.0);  // rounding can leave a tiny negative for identical inputs
}

}  // namespace

void log_softmax(std::span<const float> logits, std::span<double> out) {
    double max = -INFINITY;
    for (float l : logits) max = std::max(max, static_cast<double>(l));
    double sum = 0.0;
    for (float l : logits) sum += std::exp(static_cast<double>(l) - max);
    const double log_z = max + std::log(sum);
    for (std::size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<double>(logits[i]) - log_z;
}

double kl_divergence(std::span<const float> p_logits, std::span<const float> q_logits) {
    std::vector<double> lp(p_logits.size()), lq(q_logits.size());
    log_softmax(p_logits, lp);
    log_softmax(q_logits, lq);
    return kl_from_log_probs(lp, lq);
}

Result<ComparisonReport> compare_models(const Model& parent, const Model& derived,
                                        std::span<const std::uint32_t> tokens, unsigned threads) {
    if (parent.config().vocab_size != derived.config().vocab_size ||
        parent.config().context_length != derived.config().context_length)
        return make_error(ErrorCode::incompatible, "runtime.compare_mismatch",
                          "models differ in vocab size or context length and cannot be compared");
    SLM_TRY(check_sequence(parent, tokens));
    auto a = Session::create(parent, {threads});
    if (!a) return a.take_error();
    auto b = Session::create(derived, {threads});
    if (!b) return b.take_error();

    ComparisonReport r;
    double nll_parent = 0.0, nll_derived = 0.0, kl_sum = 0.0;
    std::uint32_t agree = 0;
    const std::size_t vocab = parent.config().vocab_size;
    std::vector<double> lp(vocab), lq(vocab);
    // The parent's logits of one batch of positions, compared as the derived
    // model produces its own for the same positions.
    std::vector<float> parent_logits;
    const std::span<const std::uint32_t> inputs = tokens.first(tokens.size() - 1);
    for (std::size_t begin = 0; begin < inputs.size(); begin += k_prefill_batch) {
        const auto chunk = inputs.subspan(begin, std::min<std::size_t>(k_prefill_batch, inputs.size() - begin));
        parent_logits.clear();
        auto pl = a->feed_prompt(chunk, [&](std::uint32_t, std::span<const float> l) {
            parent_logits.insert(parent_logits.end(), l.begin(), l.end());
        });
        if (!pl) return pl.take_error();
        auto ql = b->feed_prompt(chunk, [&](std::uint32_t pos, std::span<const float> q) {
            const std::span<const float> p(parent_logits.data() + (pos - begin) * vocab, vocab);
            log_softmax(p, lp);
            log_softmax(q, lq);
            const double kl = kl_from_log_probs(lp, lq);
            kl_sum += kl;
            r.max_kl = std::max(r.max_kl, kl);
            agree += argmax(p) == argmax(q) ? 1 : 0;
            nll_parent -= lp[tokens[pos + 1]];
            nll_derived -= lq[tokens[pos + 1]];
            for (std::size_t v = 0; v < vocab; ++v)
                r.max_abs_logit_diff = std::max(r.max_abs_logit_diff, std::fabs(double(p[v]) - double(q[v])));
        });
        if (!ql) return ql.take_error();
    }
    r.positions = static_cast<std::uint32_t>(tokens.size() - 1);
    r.mean_kl = kl_sum / r.positions;
    r.same_top1 = static_cast<double>(agree) / r.positions;
    r.perplexity_parent = std::exp(nll_parent / r.positions);
    r.perplexity_derived = std::exp(nll_derived / r.positions);
    return r;
}

Result<double> perplexity(const Model& model, std::span<const std::uint32_t> tokens, unsigned threads) {
    SLM_TRY(check_sequence(model, tokens));
    auto s = Session::create(model, {threads});
    if (!s) return s.take_error();
    std::vector<double> lp(model.config().vocab_size);
    double nll = 0.0;
    auto last = s->feed_prompt(tokens.first(tokens.size() - 1), [&](std::uint32_t pos, std::span<const float> l) {
        log_softmax(l, lp);
        nll -= lp[tokens[pos + 1]];
    });
    if (!last) return last.take_error();
    return std::exp(nll / static_cast<double>(tokens.size() - 1));
}

Sequences context_windows(std::span<const std::uint32_t> tokens, std::uint32_t context) {
    Sequences out;
    if (context < 2) return out;
    for (std::size_t begin = 0; begin + 1 < tokens.size(); begin += context - 1) {
        const std::size_t end = std::min<std::size_t>(tokens.size(), begin + context);
        out.emplace_back(tokens.begin() + static_cast<std::ptrdiff_t>(begin),
                         tokens.begin() + static_cast<std::ptrdiff_t>(end));
    }
    return out;
}

Result<ComparisonReport> compare_models(const Model& parent, const Model& derived, const Sequences& sequences,
                                        unsigned threads) {
    if (sequences.empty())
        return make_error(ErrorCode::invalid_input, "runtime.compare_too_short", "no sequence to score");
    ComparisonReport total;
    double kl_sum = 0.0, agree = 0.0, nll_parent = 0.0, nll_derived = 0.0;
    for (const auto& tokens : sequences) {
        auto r = compare_models(parent, derived, tokens, threads);
        if (!r) return r.take_error();
        const double n = r->positions;
        total.positions += r->positions;
        kl_sum += r->mean_kl * n;
        agree += r->same_top1 * n;
        nll_parent += std::log(r->perplexity_parent) * n;
        nll_derived += std::log(r->perplexity_derived) * n;
        total.max_kl = std::max(total.max_kl, r->max_kl);
        total.max_abs_logit_diff = std::max(total.max_abs_logit_diff, r->max_abs_logit_diff);
    }
    const double n = total.positions;
    total.mean_kl = kl_sum / n;
    total.same_top1 = agree / n;
    total.perplexity_parent = std::exp(nll_parent / n);
    total.perplexity_derived = std::exp(nll_derived / n);
    return total;
}

Result<double> perplexity(const Model& model, const Sequences& sequences, unsigned threads) {
    if (sequences.empty())
        return make_error(ErrorCode::invalid_input, "runtime.compare_too_short", "no sequence to score");
    double nll = 0.0, positions = 0.0;
    for (const auto& tokens : sequences) {
        auto p = perplexity(model, tokens, threads);
        if (!p) return p.take_error();
        const double n = static_cast<double>(tokens.size() - 1);
        nll += std::log(*p) * n;
        positions += n;
    }
    return std::exp(nll / positions);
}

}  // namespace slm::runtime
