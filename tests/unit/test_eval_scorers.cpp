// Eval scorers, the decision rule and shard merging.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "eval/scorers.hpp"
#include "eval/sidecar.hpp"
#include "format/reader.hpp"
#include "runtime/model_compare.hpp"
#include "support/tiny_model.hpp"

using nlohmann::json;
using slm::eval::Expectation;
using slm::eval::Scorer;

namespace {

Scorer make(const json& spec, const Expectation& e = {}) {
    auto s = slm::eval::compile_scorer(spec, "suite.yaml:3");
    REQUIRE(s.ok());
    REQUIRE(slm::eval::prepare_case_scorer(*s, e, "suite.yaml:3").ok());
    return *s;
}

Expectation text(std::string t) {
    Expectation e;
    e.text = std::move(t);
    return e;
}

bool passes(const Scorer& s, const Expectation& e, std::string_view out, std::vector<std::uint32_t> tokens = {}) {
    return slm::eval::score(s, e, out, tokens).passed;
}

}  // namespace

TEST_CASE("eval scorers: exact, prefix and contains trim and optionally ignore case") {
    const auto e = text("Paris");
    CHECK(passes(make("exact", e), e, "  Paris\n"));
    CHECK_FALSE(passes(make("exact", e), e, "paris"));
    CHECK(passes(make(json{{"kind", "exact"}, {"case_sensitive", false}}, e), e, "PARIS"));
    CHECK_FALSE(passes(make(json{{"kind", "exact"}, {"trim", false}}, e), e, " Paris"));
    CHECK(passes(make("prefix", e), e, "Paris is the capital"));
    CHECK_FALSE(passes(make("prefix", e), e, "The capital is Paris"));
    CHECK(passes(make("contains", e), e, "The capital is Paris."));
    const auto fail = slm::eval::score(make("exact", e), e, "Lyon", {});
    CHECK(fail.message == "expected \"Paris\", got \"Lyon\"");
}

TEST_CASE("eval scorers: regex from the scorer or from the case") {
    const Expectation none;
    CHECK(passes(make(json{{"kind", "regex"}, {"pattern", "^[0-9]{3}-[0-9]{4}$"}}, none), none, "555-1234"));
    CHECK_FALSE(passes(make(json{{"kind", "regex"}, {"pattern", "^[0-9]{3}-[0-9]{4}$"}}, none), none, "555-12345"));
    const auto e = text("col(o|ou)r");
    CHECK(passes(make("regex", e), e, "what colour is it"));
    auto bad = slm::eval::compile_scorer(json{{"kind", "regex"}, {"pattern", "(unclosed"}}, "suite.yaml:9");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().id == "eval.bad_scorer");
    CHECK(bad.error().message.find("suite.yaml:9") == 0);
}

TEST_CASE("eval scorers: one_of needs a listed answer that is the expected label") {
    const auto e = text("positive");
    const Scorer s = make(json{{"kind", "one_of"}, {"labels", {"positive", "negative", "neutral"}}}, e);
    CHECK(passes(s, e, "positive\n"));
    CHECK(slm::eval::score(s, e, "negative", {}).message == "expected label \"positive\", got \"negative\"");
    CHECK(slm::eval::score(s, e, "great", {}).message == "\"great\" is not one of the labels");
    auto unlisted = slm::eval::compile_scorer(json{{"kind", "one_of"}, {"labels", {"a", "b"}}}, "s");
    REQUIRE(unlisted.ok());
    CHECK_FALSE(slm::eval::prepare_case_scorer(*unlisted, text("c"), "s").ok());
}

TEST_CASE("eval scorers: json_schema parses and validates the output") {
    const Expectation none;
    const Scorer s = make(json{{"kind", "json_schema"},
                               {"schema", {{"type", "object"}, {"required", {"answer"}},
                                           {"properties", {{"answer", {{"type", "integer"}}}}}}}},
                          none);
    CHECK(passes(s, none, R"({"answer": 42})"));
    CHECK(slm::eval::score(s, none, R"({"answer": "42"})", {}).message.find("/answer") != std::string::npos);
    CHECK(slm::eval::score(s, none, "answer: 42", {}).message.rfind("output is not JSON", 0) == 0);
    CHECK_FALSE(slm::eval::compile_scorer(json{{"kind", "json_schema"}, {"schema", {{"type", "nonsense"}}}}, "s").ok());
}

TEST_CASE("eval scorers: numeric takes the first number, absolute or relative tolerance") {
    Expectation e;
    e.number = 3.14;
    e.text = "3.14";
    CHECK(passes(make(json{{"kind", "numeric"}, {"tolerance", 0.01}}, e), e, "pi is about 3.141 or so"));
    CHECK_FALSE(passes(make(json{{"kind", "numeric"}, {"tolerance", 0.001}}, e), e, "3.2"));
    CHECK(passes(make(json{{"kind", "numeric"}, {"tolerance", 0.05}, {"relative", true}}, e), e, "3.2"));
    CHECK(slm::eval::score(make(json{{"kind", "numeric"}, {"tolerance", 1}}, e), e, "x=-1e1", {}).passed == false);
    CHECK(slm::eval::score(make("numeric", e), e, "no digits", {}).message == "no number in \"no digits\"");
    auto numeric = slm::eval::compile_scorer("numeric", "s");
    REQUIRE(numeric.ok());
    CHECK_FALSE(slm::eval::prepare_case_scorer(*numeric, text("four"), "s").ok());
}

TEST_CASE("eval scorers: exact_tokens compares ids and says where they differ") {
    Expectation e;
    e.tokens = std::vector<std::uint32_t>{5, 6, 7};
    const Scorer s = make("exact_tokens", e);
    CHECK(passes(s, e, "", {5, 6, 7}));
    const std::vector<std::uint32_t> other = {5, 9, 7};
    CHECK(slm::eval::score(s, e, "", other).message.rfind("token ids differ at position 1", 0) == 0);
    CHECK_FALSE(passes(s, e, "", {5, 6}));
    CHECK_FALSE(slm::eval::compile_scorer("bleu", "s").ok());
}

namespace {

json sidecar_with(std::vector<bool> passed, const json& metrics, const json& thresholds, bool model_metrics = true) {
    json cases = json::array();
    for (std::size_t i = 0; i < passed.size(); ++i) cases.push_back({{"index", i}, {"passed", passed[i]}});
    json s = {{"cases", cases},
              {"metrics", metrics},
              {"thresholds", thresholds},
              {"evaluation_scope", {{"model_metrics", model_metrics}}}};
    slm::eval::decide(s);
    return s;
}

const json k_no_gates = {{"pass_rate", 0.75}, {"perplexity_max", nullptr}, {"kl_max", nullptr}, {"same_top1_min", nullptr}};

}  // namespace

TEST_CASE("eval decision: pass rate and metric thresholds") {
    CHECK(sidecar_with({true, true, true, false}, json::object(), k_no_gates)["decision"] == "pass");
    const json failing = sidecar_with({true, true, false, false}, json::object(), k_no_gates);
    CHECK(failing["decision"] == "fail");
    CHECK(failing["decision_reasons"][0] == "pass rate 0.5 < 0.75");
    CHECK(failing["cases_failed"] == 2);

    json gates = k_no_gates;
    gates["kl_max"] = 0.05;
    gates["same_top1_min"] = 0.9;
    CHECK(sidecar_with({true}, {{"kl_vs_parent", 0.01}, {"same_top1_vs_parent", 0.95}}, gates)["decision"] == "pass");
    const json kl = sidecar_with({true}, {{"kl_vs_parent", 0.2}, {"same_top1_vs_parent", 0.95}}, gates);
    CHECK(kl["decision_reasons"] == json::array({"kl_vs_parent 0.2 > 0.05"}));
    // A shard without the model metrics judges only its cases.
    CHECK(sidecar_with({true}, json::object(), gates, false)["decision"] == "pass");
    CHECK(sidecar_with({true}, json::object(), gates, true)["decision"] == "fail");  // metrics missing
}

TEST_CASE("eval merge: shards combine into the single-run result, in case order") {
    auto shard = [&](std::string which, std::vector<std::pair<std::size_t, bool>> cases) {
        json s = sidecar_with({}, json::object(), k_no_gates);
        s["model_digest"] = "sha256:aa";
        s["evaluation_scope"]["shard"] = which;
        s["generated_at_utc"] = "2026-11-24T10:00:0" + which.substr(0, 1) + "Z";
        s["timings"] = {{"total_ms", 5.0}, {"threads", 1}, {"cases_ms", json::object()}};
        for (auto [i, p] : cases) s["cases"].push_back({{"index", i}, {"id", "c" + std::to_string(i)}, {"passed", p}});
        return s;
    };
    auto merged = slm::eval::merge_sidecars({shard("2/2", {{1, true}, {3, false}}), shard("1/2", {{0, true}, {2, true}})});
    REQUIRE(merged.ok());
    CHECK((*merged)["cases"].size() == 4);
    CHECK((*merged)["cases"][1]["index"] == 1);
    CHECK((*merged)["cases_passed"] == 3);
    CHECK((*merged)["decision"] == "pass");
    CHECK((*merged)["evaluation_scope"]["shard"] == "1/1");
    CHECK((*merged)["generated_at_utc"] == "2026-11-24T10:00:02Z");

    CHECK_FALSE(slm::eval::merge_sidecars({shard("1/2", {{0, true}})}).ok());
    CHECK_FALSE(slm::eval::merge_sidecars({shard("1/2", {{0, true}}), shard("1/2", {{2, true}})}).ok());
    json other = shard("2/2", {{1, true}});
    other["model_digest"] = "sha256:bb";
    auto mismatch = slm::eval::merge_sidecars({shard("1/2", {{0, true}}), other});
    REQUIRE_FALSE(mismatch.ok());
    CHECK(mismatch.error().id == "eval.merge_mismatch");
}

TEST_CASE("eval metrics: KL of identical logits is 0, and a hand-computed case") {
    const std::vector<float> p = {1.0f, 2.0f, 0.5f, -1.0f};
    CHECK(slm::runtime::kl_divergence(p, p) == 0.0);
    // p = softmax(0, 0) = (1/2, 1/2), q = softmax(0, ln 3) = (1/4, 3/4):
    // KL = 1/2 ln(2) + 1/2 ln(2/3).
    const std::vector<float> a = {0.0f, 0.0f};
    const std::vector<float> b = {0.0f, static_cast<float>(std::log(3.0))};
    CHECK(slm::runtime::kl_divergence(a, b) == doctest::Approx(0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0)).epsilon(1e-7));
}

TEST_CASE("eval metrics: perplexity of a model that predicts uniformly is the vocabulary size") {
    // Zero embeddings (tied output) make every hidden state and logit 0, so
    // each next token has probability 1/258: perplexity = 258 exactly.
    auto m = slm::test::make_tiny_input();
    for (auto& t : m.input.tensors) {
        if (t.name != "tok_embeddings.weight") continue;
        std::fill(const_cast<std::uint8_t*>(t.data.data()), const_cast<std::uint8_t*>(t.data.data()) + t.data.size(), 0);
    }
    auto image = slm::format::write_slm(m.input);
    REQUIRE(image.ok());
    auto view = slm::format::parse_slm(*image, "uniform.slm");
    REQUIRE(view.ok());
    auto model = slm::runtime::Model::create(*view);
    REQUIRE(model.ok());
    const std::vector<std::uint32_t> ids = {256, 104, 105, 33, 10};
    auto ppl = slm::runtime::perplexity(*model, ids);
    REQUIRE(ppl.ok());
    CHECK(*ppl == doctest::Approx(258.0).epsilon(1e-9));
    auto same = slm::runtime::compare_models(*model, *model, ids);
    REQUIRE(same.ok());
    CHECK(same->mean_kl == 0.0);
    CHECK(same->same_top1 == 1.0);
}

TEST_CASE("eval metrics: a long text is scored in windows that cover every prediction once") {
    using slm::runtime::context_windows;
    std::vector<std::uint32_t> ids(10);
    for (std::uint32_t i = 0; i < ids.size(); ++i) ids[i] = i;
    const auto w = context_windows(ids, 4);  // [0..3] [3..6] [6..9]
    REQUIRE(w.size() == 3);
    CHECK(w[0] == std::vector<std::uint32_t>{0, 1, 2, 3});
    CHECK(w[1] == std::vector<std::uint32_t>{3, 4, 5, 6});
    CHECK(w[2] == std::vector<std::uint32_t>{6, 7, 8, 9});
    std::size_t predictions = 0;
    for (const auto& s : w) predictions += s.size() - 1;
    CHECK(predictions == ids.size() - 1);
    CHECK(context_windows(std::vector<std::uint32_t>(11, 1), 4).back().size() == 2);  // a short tail
    CHECK(context_windows(std::vector<std::uint32_t>(3, 1), 4).size() == 1);
    CHECK(context_windows(std::vector<std::uint32_t>(1, 1), 4).empty());
}

TEST_CASE("eval metrics: several sequences aggregate per position") {
    // The uniform model: perplexity 258 and KL 0 whatever the split.
    auto m = slm::test::make_tiny_input();
    for (auto& t : m.input.tensors) {
        if (t.name != "tok_embeddings.weight") continue;
        std::fill(const_cast<std::uint8_t*>(t.data.data()), const_cast<std::uint8_t*>(t.data.data()) + t.data.size(), 0);
    }
    auto image = slm::format::write_slm(m.input);
    REQUIRE(image.ok());
    auto view = slm::format::parse_slm(*image, "uniform.slm");
    REQUIRE(view.ok());
    auto model = slm::runtime::Model::create(*view);
    REQUIRE(model.ok());
    const slm::runtime::Sequences seqs = {{256, 104, 105}, {256, 33, 10, 10, 10}};
    auto ppl = slm::runtime::perplexity(*model, seqs);
    REQUIRE(ppl.ok());
    CHECK(*ppl == doctest::Approx(258.0).epsilon(1e-9));
    auto same = slm::runtime::compare_models(*model, *model, seqs);
    REQUIRE(same.ok());
    CHECK(same->positions == 6);
    CHECK(same->mean_kl == 0.0);
    CHECK(same->same_top1 == 1.0);
    CHECK_FALSE(slm::runtime::perplexity(*model, slm::runtime::Sequences{}).ok());
}
