#include "runtime/sampler.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace slm::runtime {

namespace {

Error bad_option(const char* name, const char* rule, double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return make_error(ErrorCode::usage, "runtime.bad_sampler_option",
                      std::string(name) + " must be " + rule + ", got " + text);
}

// Larger logit first, lower id on ties: a total order, so sorting is deterministic.
bool before(const std::pair<float, std::uint32_t>& a, const std::pair<float, std::uint32_t>& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
}

}  // namespace

Status validate(const SamplerOptions& o) {
    if (!std::isfinite(o.temperature) || o.temperature < 0.0f)
        return bad_option("temperature", "a finite number >= 0", static_cast<double>(o.temperature));
    if (o.top_k < 0) return bad_option("top_k", ">= 0 (0 disables it)", o.top_k);
    if (!std::isfinite(o.top_p) || o.top_p <= 0.0f || o.top_p > 1.0f)
        return bad_option("top_p", "in (0, 1] (1 disables it)", static_cast<double>(o.top_p));
    if (!std::isfinite(o.repeat_penalty) || o.repeat_penalty <= 0.0f)
        return bad_option("repeat_penalty", "a finite number > 0 (1 disables it)",
                          static_cast<double>(o.repeat_penalty));
    if (o.repeat_last_n < 0) return bad_option("repeat_last_n", ">= 0", o.repeat_last_n);
    return {};
}

std::uint32_t argmax(std::span<const float> values) {
    assert(!values.empty());
    // The first largest non-NaN value, in two passes: the maximum, then its
    // first index. Greedy decoding runs this over the whole vocabulary for
    // every token on the calling thread, so both passes use SSE2 where it
    // exists (every x86-64 CPU); GCC does not vectorise the scalar forms.
    const std::size_t n = values.size();
    const float* v = values.data();
    float max = -std::numeric_limits<float>::infinity();
    std::size_t i = 0;
#if defined(__SSE2__)
    // maxps(x, m) returns m where x is NaN, like the scalar loop below.
    __m128 m0 = _mm_set1_ps(max), m1 = m0, m2 = m0, m3 = m0;
    for (; i + 16 <= n; i += 16) {
        m0 = _mm_max_ps(_mm_loadu_ps(v + i), m0);
        m1 = _mm_max_ps(_mm_loadu_ps(v + i + 4), m1);
        m2 = _mm_max_ps(_mm_loadu_ps(v + i + 8), m2);
        m3 = _mm_max_ps(_mm_loadu_ps(v + i + 12), m3);
    }
    float lanes[4];
    _mm_storeu_ps(lanes, _mm_max_ps(_mm_max_ps(m0, m1), _mm_max_ps(m2, m3)));
    for (float l : lanes) max = l > max ? l : max;
#endif
    for (; i < n; ++i) max = v[i] > max ? v[i] : max;
    i = 0;
#if defined(__SSE2__)
    const __m128 wanted = _mm_set1_ps(max);
    while (i + 4 <= n && _mm_movemask_ps(_mm_cmpeq_ps(_mm_loadu_ps(v + i), wanted)) == 0) i += 4;
#endif
    for (; i < n; ++i) {
        if (v[i] == max) return static_cast<std::uint32_t>(i);
    }
    return static_cast<std::uint32_t>(n - 1);  // all NaN
}

Result<Sampler> Sampler::create(const SamplerOptions& options) {
    SLM_TRY(validate(options));
    return Sampler(options);
}

std::uint32_t Sampler::sample(std::span<const float> logits, std::span<const std::uint32_t> history) {
    assert(!logits.empty());
    const std::size_t n = logits.size();

    // 1. Repetition penalty, once per distinct recent token.
    std::span<const float> scores = logits;
    if (options_.repeat_penalty != 1.0f && options_.repeat_last_n > 0 && !history.empty()) {
        adjusted_.assign(logits.begin(), logits.end());
        const std::size_t window = std::min(history.size(), static_cast<std::size_t>(options_.repeat_last_n));
        std::vector<std::uint32_t> recent(history.end() - static_cast<std::ptrdiff_t>(window), history.end());
        std::sort(recent.begin(), recent.end());
        recent.erase(std::unique(recent.begin(), recent.end()), recent.end());
        for (std::uint32_t id : recent) {
            if (id >= n) continue;
            float& v = adjusted_[id];
            v = v > 0.0f ? v / options_.repeat_penalty : v * options_.repeat_penalty;
        }
        scores = adjusted_;
    }

    // 2. Greedy.
    if (options_.temperature == 0.0f) return argmax(scores);

    // 3. Temperature.
    candidates_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        candidates_[i] = {scores[i] / options_.temperature, static_cast<std::uint32_t>(i)};
    }

    // 4. Top-k; top-p needs the candidates sorted too.
    std::size_t kept = n;
    if (options_.top_k > 0 && static_cast<std::size_t>(options_.top_k) < n) {
        kept = static_cast<std::size_t>(options_.top_k);
        std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(kept),
                          candidates_.end(), before);
    } else if (options_.top_p < 1.0f) {
        std::sort(candidates_.begin(), candidates_.end(), before);
    }

    // 5. Softmax over the kept candidates.
    float max = candidates_[0].first;
    for (std::size_t i = 1; i < kept; ++i) max = std::max(max, candidates_[i].first);
    probs_.resize(kept);
    double total = 0.0;
    for (std::size_t i = 0; i < kept; ++i) {
        probs_[i] = std::exp(static_cast<double>(candidates_[i].first) - static_cast<double>(max));
        total += probs_[i];
    }
    for (auto& p : probs_) p /= total;

    // 6. Top-p: candidates are sorted by decreasing probability here.
    double mass = 1.0;
    if (options_.top_p < 1.0f) {
        double cumulative = 0.0;
        std::size_t i = 0;
        while (i < kept) {
            cumulative += probs_[i++];
            if (cumulative >= static_cast<double>(options_.top_p)) break;
        }
        kept = i;
        mass = cumulative;
    }

    // 7. Draw.
    const double r = rng_.uniform() * mass;
    double cumulative = 0.0;
    for (std::size_t i = 0; i < kept; ++i) {
        cumulative += probs_[i];
        if (r < cumulative) return candidates_[i].second;
    }
    return candidates_[kept - 1].second;  // rounding left r at the very top
}

}  // namespace slm::runtime
