// create then apply: dense reproduces the tuned model byte for byte, sparse
// within the threshold, low-rank within the reported error (and within float
// rounding at full rank).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "adapter/apply.hpp"
#include "adapter/create.hpp"
#include "test_adapter_helpers.hpp"

using namespace slm;
using namespace slm::adapter;

namespace {

struct Pair {
    std::vector<std::uint8_t> base, tuned;
};

Pair model_pair(const test::TinySpec& spec = {}, const test::Perturb& perturb = test::finetune) {
    return {test::make_tiny_slm(spec), test::make_perturbed(spec, perturb)};
}

CreatedAdapter create(const Pair& p, Kind kind, double threshold = 0, std::uint32_t rank = 8) {
    CreateOptions opt;
    opt.kind = kind;
    opt.threshold = threshold;
    opt.rank = rank;
    auto c = create_adapter(test::view_of(p.base), "base", test::view_of(p.tuned), "tuned", opt);
    REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
    return std::move(*c);
}

std::vector<std::uint8_t> apply(const std::vector<std::uint8_t>& base, const std::vector<std::uint8_t>& adapter,
                                double scale = 1.0) {
    const AdapterView a = test::adapter_of(adapter);
    auto r = apply_adapters(test::view_of(base), "base", {{&a, "a.adp"}}, {scale, false});
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    return std::move(r->slm);
}

}  // namespace

TEST_CASE("adapter create: dense reproduces the tuned model byte for byte") {
    for (bool tied : {true, false}) {
        test::TinySpec spec;
        spec.config.tied_output = tied;
        const Pair p = model_pair(spec, test::finetune_dyadic);
        const CreatedAdapter c = create(p, Kind::dense);
        CHECK(c.inexact == 0);
        CHECK(c.error_norm == 0.0);
        CHECK(c.delta_norm > 0.0);
        CHECK(c.digest == sha256_ref(Bytes(c.bytes)));
        // The writer is deterministic, so identical tensors give an identical file.
        CHECK(apply(p.base, c.bytes) == p.tuned);
    }
}

TEST_CASE("adapter create: dense on arbitrary f32 changes is byte-exact, with residuals where no f32 delta can be") {
    // finetune() moves some weights to near zero; tuned - base then needs more
    // bits than f32 has and no single f32 delta gives the tuned value.
    const Pair p = model_pair();
    const CreatedAdapter c = create(p, Kind::dense);
    const auto bv = test::view_of(p.base), tv = test::view_of(p.tuned);
    std::uint64_t impossible = 0;
    for (const auto& t : bv.tensors()) {
        const auto b = test::f32_values(bv, t.name), x = test::f32_values(tv, t.name);
        for (std::size_t i = 0; i < b.size(); ++i) {
            bool exact = false;
            exact_delta(b[i], x[i], exact);
            impossible += exact ? 0 : 1;
        }
    }
    const AdapterView a = test::adapter_of(c.bytes);
    std::uint64_t residuals = 0;
    for (const Payload& pl : a.payloads) residuals += pl.count;
    CHECK(impossible > 0);  // the case this test is about does occur
    CHECK(residuals == impossible);
    CHECK(c.inexact == 0);
    CHECK(c.error_norm == 0.0);
    CHECK(apply(p.base, c.bytes) == p.tuned);
    MESSAGE("dense on finetune(): " << residuals << " elements needed a residual");
}

TEST_CASE("adapter create: exact_delta claims exactness only where it holds") {
    bool exact = false;
    CHECK(exact_delta(0.75f, 0.5f, exact) == -0.25f);
    CHECK(exact);
    // 1 + d can only hit multiples of 2^-24 near 0: 1e-8 is not reachable.
    exact_delta(1.0f, 1e-8f, exact);
    CHECK_FALSE(exact);
    // Random pairs of very different magnitudes: every exact claim holds.
    test::SplitMix64 rng(7);
    int inexact = 0;
    for (int i = 0; i < 20000; ++i) {
        const float b = rng.uniform(-1, 1) * std::ldexp(1.0f, int(rng.next() % 20) - 10);
        const float t = rng.uniform(-1, 1) * std::ldexp(1.0f, int(rng.next() % 20) - 10);
        const float d = exact_delta(b, t, exact);
        if (exact) CHECK(static_cast<float>(double(b) + double(d)) == t);
        inexact += exact ? 0 : 1;
    }
    MESSAGE("exact_delta: " << inexact << " of 20000 wide-range pairs have no exact f32 delta");
}

TEST_CASE("adapter create: exact_residual completes what exact_delta cannot") {
    bool exact = false;
    const float d = exact_delta(1.0f, 1e-8f, exact);
    const float r = exact_residual(1.0f, d, 1e-8f, exact);
    CHECK(exact);
    CHECK(static_cast<float>((1.0 + double(d)) + double(r)) == 1e-8f);
    // Wide-range random pairs, including signs flipping and huge ratios.
    test::SplitMix64 rng(11);
    int needed = 0, left = 0;
    for (int i = 0; i < 20000; ++i) {
        const float b = rng.uniform(-1, 1) * std::ldexp(1.0f, int(rng.next() % 40) - 20);
        const float t = rng.uniform(-1, 1) * std::ldexp(1.0f, int(rng.next() % 40) - 20);
        const float d1 = exact_delta(b, t, exact);
        if (exact) continue;
        ++needed;
        const float r1 = exact_residual(b, d1, t, exact);
        if (exact) CHECK(static_cast<float>((double(b) + double(d1)) + double(r1)) == t);
        left += exact ? 0 : 1;
    }
    CHECK(needed > 0);
    MESSAGE("exact_residual: " << needed << " of 20000 pairs needed a residual, " << left << " stayed inexact");
}

TEST_CASE("adapter create: sparse keeps |delta| > T and stays within T") {
    const Pair p = model_pair({}, test::finetune_dyadic);
    for (double t : {0.0, 0.01, 0.1, 1.0}) {
        CAPTURE(t);
        const CreatedAdapter c = create(p, Kind::sparse, t);
        CHECK(c.max_abs_error <= t);
        const auto out = apply(p.base, c.bytes);
        const auto ov = test::view_of(out), tv = test::view_of(p.tuned);
        std::uint64_t stored = 0;
        for (const auto& r : c.tensors) stored += r.stored;
        double max_diff = 0;
        for (const auto& tensor : tv.tensors()) {
            const auto a = test::f32_values(ov, tensor.name), b = test::f32_values(tv, tensor.name);
            for (std::size_t i = 0; i < a.size(); ++i)
                max_diff = std::max(max_diff, std::fabs(double(a[i]) - double(b[i])));
        }
        CHECK(max_diff <= t);
        CHECK(max_diff == doctest::Approx(c.max_abs_error));
        if (t == 0.0) CHECK(out == p.tuned);
        if (t == 0.1) CHECK(stored > 0);  // the 0.3 spikes in wq
        if (t == 1.0) CHECK(stored == 0);
    }
}

TEST_CASE("adapter create: low-rank error falls with rank and matches what apply gives") {
    const Pair p = model_pair();
    double previous = 2.0;
    for (std::uint32_t rank : {1u, 2u, 4u, 8u}) {
        CAPTURE(rank);
        const CreatedAdapter c = create(p, Kind::lowrank, 0, rank);
        CHECK(c.rel_error <= previous + 1e-12);
        previous = c.rel_error;
        const auto out = apply(p.base, c.bytes);
        const auto ov = test::view_of(out), tv = test::view_of(p.tuned), bv = test::view_of(p.base);
        for (const auto& r : c.tensors) {
            const auto a = test::f32_values(ov, r.name), t = test::f32_values(tv, r.name),
                       b = test::f32_values(bv, r.name);
            double e2 = 0, d2 = 0;
            for (std::size_t i = 0; i < a.size(); ++i) {
                e2 += (double(a[i]) - double(t[i])) * (double(a[i]) - double(t[i]));
                d2 += (double(t[i]) - double(b[i])) * (double(t[i]) - double(b[i]));
            }
            const double measured = d2 > 0 ? std::sqrt(e2 / d2) : 0.0;
            CHECK(measured == doctest::Approx(r.rel_error).epsilon(1e-9));
            if (r.shape.size() == 1) CHECK(r.inexact == 0);  // norms are dense and exact
        }
        MESSAGE("rank " << rank << ": relative Frobenius error " << c.rel_error);
    }
    // Rank 2 captures the rank-2 update of the matrices without spikes.
    const CreatedAdapter r2 = create(p, Kind::lowrank, 0, 2);
    for (const auto& r : r2.tensors)
        if (r.shape.size() == 2 && r.name.find("wq") == std::string::npos) CHECK(r.rel_error < 1e-5);
}

TEST_CASE("adapter create: full rank reproduces the tuned model within float rounding") {
    const Pair p = model_pair();
    const CreatedAdapter c = create(p, Kind::lowrank, 0, 1000);
    CHECK(c.rel_error < 1e-5);
    CHECK(c.max_abs_error < 1e-6);
}

TEST_CASE("adapter create: quantized inputs are compared dequantized; options are checked") {
    test::TinySpec q8;
    q8.matrix_dtype = format::DType::q8_0;
    test::TinySpec q8_other = q8;
    q8_other.seed = 5;
    const Pair p{test::make_tiny_slm(q8), test::make_tiny_slm(q8_other)};
    const CreatedAdapter c = create(p, Kind::dense);
    CHECK(c.dequantized);
    CHECK(c.max_abs_error < 1e-6);  // f32 deltas between dequantized values

    const Pair f = model_pair();
    CreateOptions bad;
    bad.kind = Kind::sparse;
    bad.threshold = -1;
    auto r = create_adapter(test::view_of(f.base), "b", test::view_of(f.tuned), "t", bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::usage);
    bad.threshold = 0;
    bad.kind = Kind::lowrank;
    bad.rank = 0;
    r = create_adapter(test::view_of(f.base), "b", test::view_of(f.tuned), "t", bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().id == "adapter.bad_option");
    // Identical models: no payload at all.
    const CreatedAdapter same = create(Pair{f.base, f.base}, Kind::dense);
    CHECK(test::adapter_of(same.bytes).payloads.empty());
    CHECK(apply(f.base, same.bytes) == f.base);
}
