#include "adapter/create.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "adapter/apply.hpp"
#include "adapter/identity.hpp"
#include "adapter/lowrank.hpp"

namespace slm::adapter {
namespace {

std::uint32_t bits(float v) {
    std::uint32_t u;
    std::memcpy(&u, &v, 4);
    return u;
}

Error non_finite(const char* id, std::string_view label, const std::string& tensor, std::size_t i, float v) {
    return make_error(ErrorCode::invalid_input, std::string("adapter.") + id,
                      std::string(label) + ": tensor " + tensor + " element " + std::to_string(i) +
                          ": expected a finite value, found " + std::to_string(v));
}

PayloadInput payload_for(const format::TensorView& t) {
    PayloadInput p;
    p.name_hash = t.entry.name_hash;
    p.rank = t.entry.rank;
    p.dims = t.entry.dims;
    return p;
}

// Appends the payload of one changed tensor (if any survives the threshold).
Status add_payload_input(const format::TensorView& t, const std::vector<float>& b, const std::vector<float>& x,
                         const CreateOptions& opt, std::string_view tuned_label, AdapterInput& out,
                         TensorReport& report) {
    const Kind encoding = opt.kind == Kind::lowrank && t.entry.rank < 2 ? Kind::dense : opt.kind;
    PayloadInput p = payload_for(t);
    if (encoding == Kind::lowrank) {
        std::vector<double> d(b.size());
        for (std::size_t i = 0; i < b.size(); ++i) d[i] = double(x[i]) - double(b[i]);
        Factors f = truncated_svd(d, t.row_count(), t.row_length(), opt.rank);
        p.count = f.rank;
        p.values = std::move(f.a);
        p.values.insert(p.values.end(), f.b.begin(), f.b.end());
        for (std::size_t i = 0; i < p.values.size(); ++i)
            if (!std::isfinite(p.values[i])) return non_finite("non_finite_delta", tuned_label, t.name, i, p.values[i]);
        report.rank = f.rank;
    } else {
        if (encoding == Kind::sparse && b.size() > 0xFFFFFFFFull)
            return make_error(ErrorCode::incompatible, "adapter.too_large",
                              "tensor " + t.name + " has 2^32 or more elements; ASP1 indices are u32");
        std::vector<float> residuals;
        for (std::size_t i = 0; i < b.size(); ++i) {
            if (encoding == Kind::sparse && !(std::fabs(double(x[i]) - double(b[i])) > opt.threshold)) continue;
            bool exact = false;
            const float d = exact_delta(b[i], x[i], exact);
            if (!std::isfinite(d)) return non_finite("non_finite_delta", tuned_label, t.name, i, d);
            p.values.push_back(d);
            if (encoding == Kind::sparse) p.indices.push_back(static_cast<std::uint32_t>(i));
            if (encoding == Kind::dense && !exact && b.size() <= 0xFFFFFFFFull) {  // u32 residual indices
                const float r = exact_residual(b[i], d, x[i], exact);
                if (exact) {  // otherwise the element stays inexact, within half an ulp
                    p.indices.push_back(static_cast<std::uint32_t>(i));
                    residuals.push_back(r);
                }
            }
        }
        if (encoding == Kind::dense) {
            p.count = static_cast<std::uint32_t>(residuals.size());
            p.values.insert(p.values.end(), residuals.begin(), residuals.end());
        }
        if (encoding == Kind::sparse) {
            if (p.values.empty()) {
                report.encoding = "omitted";  // changed, but nothing above the threshold
                return {};
            }
            p.count = static_cast<std::uint32_t>(p.values.size());
        }
    }
    report.encoding = std::string(kind_name(encoding));
    report.stored = p.values.size();
    out.payloads.push_back(std::move(p));
    return {};
}

}  // namespace

float exact_delta(float base, float tuned, bool& exact) {
    // apply computes f32(double(base) + d). The rounded difference is exact in
    // most cases; a neighbour a few ulps away covers ties and double rounding.
    // When neither hits, base + d cannot reach tuned's finer grid at all.
    const auto hits = [&](float d) { return bits(static_cast<float>(double(base) + double(d))) == bits(tuned); };
    const float d0 = static_cast<float>(double(tuned) - double(base));
    exact = true;
    if (hits(d0)) return d0;
    float up = d0, down = d0;
    for (int k = 0; k < 4; ++k) {
        up = std::nextafter(up, INFINITY);
        if (hits(up)) return up;
        down = std::nextafter(down, -INFINITY);
        if (hits(down)) return down;
    }
    exact = false;
    return d0;
}

float exact_residual(float base, float delta, float tuned, bool& exact) {
    // apply computes f32((double(base) + d) + r); base + d is exact in double
    // unless their exponents are more than 28 apart.
    const double t = double(base) + double(delta);
    const auto hits = [&](float r) { return bits(static_cast<float>(t + double(r))) == bits(tuned); };
    const float r0 = static_cast<float>(double(tuned) - t);
    exact = true;
    if (std::isfinite(r0) && hits(r0)) return r0;
    float up = r0, down = r0;
    for (int k = 0; k < 4 && std::isfinite(r0); ++k) {
        up = std::nextafter(up, INFINITY);
        if (hits(up)) return up;
        down = std::nextafter(down, -INFINITY);
        if (hits(down)) return down;
    }
    exact = false;
    return 0.0f;
}

Result<CreatedAdapter> create_adapter(const format::SlmView& base, std::string_view base_label,
                                      const format::SlmView& tuned, std::string_view tuned_label,
                                      const CreateOptions& opt) {
    if (!std::isfinite(opt.threshold) || opt.threshold < 0)
        return make_error(ErrorCode::usage, "adapter.bad_option",
                          "--threshold: expected a finite value >= 0, found " + std::to_string(opt.threshold));
    if (opt.rank == 0)
        return make_error(ErrorCode::usage, "adapter.bad_option", "--rank: expected a value >= 1, found 0");
    AdapterInput in;
    in.kind = opt.kind;
    in.identity = identity_of(base);
    SLM_TRY(check_identity(in.identity, base_label, identity_of(tuned), tuned_label));

    CreatedAdapter out;
    out.kind = opt.kind;
    std::vector<std::size_t> payload_tensor;  // base tensor index per payload
    for (std::size_t t = 0; t < base.tensors().size(); ++t) {
        const format::TensorView& bt = base.tensors()[t];
        const format::TensorView& tt = tuned.tensors()[t];  // same name and shape: the layouts match
        out.dequantized |= bt.dtype != format::DType::f32 || tt.dtype != format::DType::f32;
        const std::vector<float> b = tensor_values(bt), x = tensor_values(tt);
        TensorReport r;
        r.name = bt.name;
        r.shape.assign(bt.entry.dims.begin(), bt.entry.dims.begin() + bt.entry.rank);
        r.elements = b.size();
        r.encoding = "unchanged";
        bool changed = false;
        for (std::size_t i = 0; i < b.size(); ++i) {
            if (!std::isfinite(b[i])) return non_finite("non_finite_input", base_label, bt.name, i, b[i]);
            if (!std::isfinite(x[i])) return non_finite("non_finite_input", tuned_label, bt.name, i, x[i]);
            changed |= bits(b[i]) != bits(x[i]);
        }
        const std::size_t before = in.payloads.size();
        if (changed) SLM_TRY(add_payload_input(bt, b, x, opt, tuned_label, in, r));
        if (in.payloads.size() > before) payload_tensor.push_back(t);
        out.tensors.push_back(std::move(r));
    }
    auto bytes = write_adapter(in);
    if (!bytes) return bytes.take_error();
    auto view = parse_adapter(*bytes, "<new adapter>");
    if (!view) return view.take_error();

    // Measure what apply will produce, tensor by tensor.
    std::vector<std::size_t> payload_of(base.tensors().size(), SIZE_MAX);
    for (std::size_t k = 0; k < payload_tensor.size(); ++k) payload_of[payload_tensor[k]] = k;
    double delta2 = 0, error2 = 0;
    for (std::size_t t = 0; t < base.tensors().size(); ++t) {
        std::vector<float> y = tensor_values(base.tensors()[t]);
        const std::vector<float> x = tensor_values(tuned.tensors()[t]);
        TensorReport& r = out.tensors[t];
        double d2 = 0, e2 = 0;
        for (std::size_t i = 0; i < y.size(); ++i) {
            const double d = double(x[i]) - double(y[i]);
            d2 += d * d;
        }
        if (payload_of[t] != SIZE_MAX) add_payload(view->payloads[payload_of[t]], view->kind, 1.0, y);
        for (std::size_t i = 0; i < y.size(); ++i) {
            const double e = double(y[i]) - double(x[i]);
            e2 += e * e;
            r.max_abs_error = std::max(r.max_abs_error, std::fabs(e));
            r.inexact += bits(y[i]) != bits(x[i]);
        }
        r.delta_norm = std::sqrt(d2);
        r.error_norm = std::sqrt(e2);
        r.rel_error = d2 > 0 ? r.error_norm / r.delta_norm : 0.0;
        delta2 += d2;
        error2 += e2;
        out.max_abs_error = std::max(out.max_abs_error, r.max_abs_error);
        out.inexact += r.inexact;
    }
    out.delta_norm = std::sqrt(delta2);
    out.error_norm = std::sqrt(error2);
    out.rel_error = delta2 > 0 ? out.error_norm / out.delta_norm : 0.0;
    out.digest = sha256_ref(Bytes(*bytes));
    out.bytes = std::move(*bytes);
    return out;
}

}  // namespace slm::adapter
