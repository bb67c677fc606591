// Adapter identity: an adapter made for one model is refused by a model that
// differs in any identity field, each with its own error id (exit code 4).
#include <doctest/doctest.h>

#include "adapter/apply.hpp"
#include "adapter/create.hpp"
#include "adapter/identity.hpp"
#include "test_adapter_helpers.hpp"

using namespace slm;
using namespace slm::adapter;

namespace {

std::vector<std::uint8_t> dense_adapter_for(const test::TinySpec& spec) {
    const auto base = test::make_tiny_slm(spec);
    const auto tuned = test::make_perturbed(spec, test::finetune);
    auto created = create_adapter(test::view_of(base), "base", test::view_of(tuned), "tuned", CreateOptions{});
    REQUIRE_MESSAGE(created.ok(), (created.ok() ? "" : created.error().message));
    return std::move(created->bytes);
}

Error refusal(const std::vector<std::uint8_t>& adapter_bytes, const test::TinySpec& other) {
    const auto model = test::make_tiny_slm(other);
    const auto view = test::view_of(model);
    const AdapterView a = test::adapter_of(adapter_bytes);
    auto applied = apply_adapters(view, "other.slm", {{&a, "a.adp"}}, {});
    REQUIRE_FALSE(applied.ok());
    return applied.take_error();
}

void check_refused(const Error& e, const char* id, const char* field) {
    CHECK(e.code == ErrorCode::incompatible);
    CHECK_MESSAGE(e.id == id, e.id << ": " << e.message);
    CHECK_MESSAGE(e.message.find(field) != std::string::npos, e.message);
    CHECK(e.message.find("a.adp does not fit other.slm") == 0);
    CHECK(e.message.find("expected") != std::string::npos);
    CHECK(e.message.find("found") != std::string::npos);
}

}  // namespace

TEST_CASE("adapter identity: the layout checksum covers names and shapes, not dtypes") {
    test::TinySpec f32;
    test::TinySpec q8 = f32;
    q8.matrix_dtype = format::DType::q8_0;
    const auto a = test::make_tiny_slm(f32), b = test::make_tiny_slm(q8);
    const Identity ia = identity_of(test::view_of(a)), ib = identity_of(test::view_of(b));
    CHECK(ia.layout_checksum == ib.layout_checksum);
    CHECK(check_identity(ia, "a", ib, "b").ok());
    test::TinySpec other_seed = f32;
    other_seed.seed = 99;  // other weights, same identity
    CHECK(check_identity(ia, "a", identity_of(test::view_of(test::make_tiny_slm(other_seed))), "c").ok());
    // The tokenizer checksum is the manifest's tokenizer digest.
    const auto view = test::view_of(a);
    CHECK(sha256_ref(ia.tokenizer_checksum) == sha256_ref(view.tokenizer_bytes()));
}

TEST_CASE("adapter identity: flags, tensor count, parameter count, layout and tokenizer each refuse") {
    test::TinySpec base;  // tied, 1 layer, dim 8, ffn 16
    const auto adapter = dense_adapter_for(base);

    test::TinySpec untied = base;
    untied.config.tied_output = false;
    check_refused(refusal(adapter, untied), "adapter.flags_mismatch", "flags");

    test::TinySpec two_layers = base;
    two_layers.config.n_layers = 2;
    check_refused(refusal(adapter, two_layers), "adapter.tensor_count_mismatch", "tensor_count");

    test::TinySpec mqa = base;
    mqa.config.n_kv_heads = 1;
    check_refused(refusal(adapter, mqa), "adapter.parameter_count_mismatch", "parameter_count");

    // Same flags, tensor count and parameter count, other shapes: 4 heads of 2,
    // one KV head, ffn 20 has exactly as many parameters as 2 heads of 4, ffn 16.
    test::TinySpec reshaped = base;
    reshaped.config.n_heads = 4;
    reshaped.config.head_dim = 2;
    reshaped.config.n_kv_heads = 1;
    reshaped.config.ffn_dim = 20;
    CHECK(identity_of(test::view_of(test::make_tiny_slm(reshaped))).parameter_count ==
          identity_of(test::view_of(test::make_tiny_slm(base))).parameter_count);
    check_refused(refusal(adapter, reshaped), "adapter.layout_mismatch", "tensor_layout_checksum");

    test::TinySpec add_bos = base;
    add_bos.tokenizer_flags = format::k_tokflag_add_bos;
    check_refused(refusal(adapter, add_bos), "adapter.tokenizer_mismatch", "tokenizer_checksum");
}

TEST_CASE("adapter identity: payloads must name a base tensor with its shape") {
    test::TinySpec spec;
    const auto model = test::make_tiny_slm(spec);
    const auto view = test::view_of(model);
    AdapterInput in;
    in.identity = identity_of(view);
    PayloadInput p;
    p.name_hash = fnv1a64("layers.0.ffn_norm.weight");
    p.rank = 1;
    p.dims = {8, 0, 0, 0};
    p.values.assign(8, 0.5f);
    in.payloads.push_back(p);
    {
        auto bytes = write_adapter(in);
        REQUIRE(bytes.ok());
        const AdapterView a = test::adapter_of(*bytes);
        auto matched = match_base(a, "a.adp", view, "base.slm");
        REQUIRE(matched.ok());
        CHECK(view.tensors()[(*matched)[0]].name == "layers.0.ffn_norm.weight");
    }
    in.payloads[0].name_hash = fnv1a64("layers.7.ffn_norm.weight");
    {
        auto bytes = write_adapter(in);
        REQUIRE(bytes.ok());
        const AdapterView a = test::adapter_of(*bytes);
        auto matched = match_base(a, "a.adp", view, "base.slm");
        REQUIRE_FALSE(matched.ok());
        CHECK(matched.error().id == "adapter.unknown_tensor");
        CHECK(matched.error().code == ErrorCode::incompatible);
    }
    in.payloads[0].name_hash = fnv1a64("layers.0.ffn_norm.weight");
    in.payloads[0].dims = {4, 0, 0, 0};
    in.payloads[0].values.assign(4, 0.5f);
    {
        auto bytes = write_adapter(in);
        REQUIRE(bytes.ok());
        const AdapterView a = test::adapter_of(*bytes);
        auto matched = match_base(a, "a.adp", view, "base.slm");
        REQUIRE_FALSE(matched.ok());
        CHECK(matched.error().id == "adapter.shape_mismatch");
        CHECK(matched.error().message.find("expected [8], found [4]") != std::string::npos);
    }
}

TEST_CASE("adapter identity: create refuses a tuned model of another identity") {
    test::TinySpec base;
    test::TinySpec untied = base;
    untied.config.tied_output = false;
    const auto a = test::make_tiny_slm(base), b = test::make_tiny_slm(untied);
    auto r = create_adapter(test::view_of(a), "base.slm", test::view_of(b), "tuned.slm", CreateOptions{});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::incompatible);
    CHECK(r.error().id == "adapter.flags_mismatch");
    CHECK(r.error().message.find("tuned.slm does not fit base.slm: flags") == 0);
}
