// apply: stacks, --scale, quantized bases (refused, or re-quantized with the
// ggml-exact quantizers), and the sidecar's stack digest.
#include <doctest/doctest.h>

#include "adapter/apply.hpp"
#include "adapter/create.hpp"
#include "quant/dtype_traits.hpp"
#include "test_adapter_helpers.hpp"

using namespace slm;
using namespace slm::adapter;

namespace {

std::vector<std::uint8_t> created(const std::vector<std::uint8_t>& base, const std::vector<std::uint8_t>& tuned,
                                  Kind kind = Kind::dense, std::uint32_t rank = 8) {
    CreateOptions opt;
    opt.kind = kind;
    opt.rank = rank;
    auto c = create_adapter(test::view_of(base), "base", test::view_of(tuned), "tuned", opt);
    REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
    return std::move(c->bytes);
}

Result<AppliedModel> apply(const std::vector<std::uint8_t>& base, const std::vector<const AdapterView*>& stack,
                           ApplyOptions opt = {}) {
    std::vector<StackEntry> entries;
    for (const AdapterView* a : stack) entries.push_back({a, "a.adp"});
    return apply_adapters(test::view_of(base), "base", entries, opt);
}

void shift(const std::string&, std::size_t, std::size_t, std::vector<float>& v) {
    for (std::size_t i = 0; i < v.size(); i += 3) v[i] -= 0.125f;
}

}  // namespace

TEST_CASE("adapter apply: a stack applies in order, like applying one at a time") {
    test::TinySpec spec;
    const auto base = test::make_tiny_slm(spec);
    const auto tuned = test::make_perturbed(spec, test::finetune);
    const auto a1 = created(base, tuned, Kind::lowrank, 2);
    const auto a2 = created(base, test::make_perturbed(spec, shift), Kind::sparse);
    const AdapterView v1 = test::adapter_of(a1), v2 = test::adapter_of(a2);

    auto both = apply(base, {&v1, &v2});
    REQUIRE(both.ok());
    auto first = apply(base, {&v1});
    REQUIRE(first.ok());
    auto second = apply(first->slm, {&v2});
    REQUIRE(second.ok());
    CHECK(both->slm == second->slm);
    std::size_t twice = 0;
    for (const auto& t : both->changed) twice += t.adapters == 2 ? 1 : 0;
    CHECK(twice > 0);
}

TEST_CASE("adapter apply: scale multiplies the delta") {
    test::TinySpec spec;
    const auto base = test::make_tiny_slm(spec);
    const auto tuned = test::make_perturbed(spec, shift);
    const auto bytes = created(base, tuned);
    const AdapterView a = test::adapter_of(bytes);
    auto zero = apply(base, {&a}, {0.0, false});
    REQUIRE(zero.ok());
    CHECK(zero->slm == base);
    auto half = apply(base, {&a}, {0.5, false});
    REQUIRE(half.ok());
    const auto hv = test::view_of(half->slm), bv = test::view_of(base);
    const auto h = test::f32_values(hv, "layers.0.attention.wq.weight");
    const auto b = test::f32_values(bv, "layers.0.attention.wq.weight");
    CHECK(h[0] == doctest::Approx(b[0] - 0.0625f));
    CHECK(h[1] == b[1]);
    auto nan = apply(base, {&a}, {NAN, false});
    REQUIRE_FALSE(nan.ok());
    CHECK(nan.error().id == "adapter.bad_apply_scale");
    auto huge = apply(base, {&a}, {1e40, false});
    REQUIRE_FALSE(huge.ok());
    CHECK(huge.error().id == "adapter.non_finite_result");
}

TEST_CASE("adapter apply: a quantized base needs requantize, then keeps its dtype") {
    test::TinySpec spec;
    spec.config.ffn_dim = 32;  // rows of 8 and 32 elements
    const auto base = test::make_tiny_slm(spec);
    const auto tuned = test::make_perturbed(spec, test::finetune);
    const auto adapter = created(base, tuned);
    const AdapterView a = test::adapter_of(adapter);

    test::TinySpec q8 = spec;
    q8.matrix_dtype = format::DType::q8_0;
    const auto qbase = test::make_tiny_slm(q8);  // same identity: dtypes are not part of it
    auto refused = apply(qbase, {&a});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::usage);
    CHECK(refused.error().id == "adapter.quantized_base");
    CHECK(refused.error().message.find("--requantize") != std::string::npos);

    auto done = apply(qbase, {&a}, {1.0, true});
    REQUIRE_MESSAGE(done.ok(), (done.ok() ? "" : done.error().message));
    const auto out = test::view_of(done->slm), qv = test::view_of(qbase);
    for (const auto& t : out.tensors()) {
        const auto* q = qv.find(t.name);
        CHECK(t.dtype == q->dtype);
        CHECK(t.entry.block_size == q->entry.block_size);
    }
    // Each re-quantized tensor is the reference quantizer's output for the f32 sum.
    const auto& w = *out.find("layers.0.feed_forward.w1.weight");
    std::vector<float> x = tensor_values(*qv.find(w.name));
    for (std::size_t k = 0; k < a.payloads.size(); ++k)
        if (a.payloads[k].name_hash == w.entry.name_hash) add_payload(a.payloads[k], a.kind, 1.0, x);
    const auto& traits = quant::dtype_traits(format::DType::q8_0);
    std::vector<std::uint8_t> values(traits.value_bytes(w.row_length()));
    std::vector<float> scales(traits.scale_count(w.row_length(), w.entry.block_size));
    REQUIRE(traits.quantize_row_ref(x.data(), w.row_length(), w.entry.block_size, values.data(), scales.data()).ok());
    CHECK(std::equal(values.begin(), values.end(), w.data.begin()));
    for (const auto& c : done->changed)
        if (c.dtype != "f32") CHECK(c.requantized);
}

TEST_CASE("adapter apply: the stack digest") {
    const std::string d1 = "sha256:" + std::string(64, 'a'), d2 = "sha256:" + std::string(64, 'b');
    CHECK(stack_digest({}).empty());
    CHECK(stack_digest({d1}) == d1);
    CHECK(stack_digest({d1, d2}) == sha256_ref(as_bytes(d1 + "\n" + d2 + "\n")));
    CHECK(stack_digest({d1, d2}) != stack_digest({d2, d1}));
}
