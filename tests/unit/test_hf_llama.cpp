// Hugging Face llama import: config.json, model.safetensors (names, shapes,
// the q/k row permutation) and tokenizer.json (byte-level BPE and
// sentencepiece-style BPE), plus the errors for what is not supported.
#include <doctest/doctest.h>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/io.hpp"
#include "interop/hf_llama.hpp"
#include "interop/hf_tokenizer_json.hpp"
#include "interop/safetensors.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"
#include "tokenizer/gpt2_bytes.hpp"
#include "tokenizer/gpt2_import.hpp"
#include "tokenizer/tokenizer.hpp"

using slm::ErrorCode;
using slm::format::TokenType;
using slm::interop::import_hf_llama;
using slm::interop::SafetensorsTensor;
using slm::interop::tokenizer_from_hf_json;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string k_space = "\xE2\x96\x81";  // ▁

using TempDir = slm::test::TempDir;

void write_text(const fs::path& path, const std::string& text) {
    REQUIRE(slm::write_file_atomic(path.string(), slm::as_bytes(text)).ok());
}

std::string read_source(const std::string& relative) {
    auto text = slm::read_text_file(std::string(SLM_SOURCE_DIR) + "/" + relative);
    REQUIRE_MESSAGE(text.ok(), relative);
    return *text;
}

std::vector<float> floats_of(slm::Bytes b) {
    std::vector<float> out(b.size() / 4);
    std::memcpy(out.data(), b.data(), b.size());
    return out;
}

// transformers' convert_llama_weights_to_hf.py permute, written out as the
// index map of w.view(heads, rows/heads/2, 2, cols).transpose(1, 2).reshape(rows, cols):
// element [h][a][b] of the view lands at [h][b][a].
std::vector<float> hf_permute(const std::vector<float>& w, std::uint32_t heads, std::uint32_t rows,
                              std::uint32_t cols) {
    const std::uint32_t hd = rows / heads, half = hd / 2;
    std::vector<float> out(w.size());
    for (std::uint32_t h = 0; h < heads; ++h)
        for (std::uint32_t a = 0; a < half; ++a)
            for (std::uint32_t b = 0; b < 2; ++b)
                for (std::uint32_t col = 0; col < cols; ++col)
                    out[(h * hd + b * half + a) * cols + col] = w[(h * hd + a * 2 + b) * cols + col];
    return out;
}

// A byte-level tokenizer.json whose ids equal the tiny model's BTOK ids:
// 256 byte tokens, <s> = 256, </s> = 257, no merges.
json byte_tokenizer_json(bool add_bos = true) {
    json vocab = json::object();
    for (unsigned b = 0; b < 256; ++b) vocab[slm::tokenizer::gpt2_bytes_to_text(std::string(1, static_cast<char>(b)))] = b;
    vocab["<s>"] = 256;
    vocab["</s>"] = 257;
    json t = {
        {"version", "1.0"},
        {"added_tokens",
         json::array({{{"id", 256}, {"content", "<s>"}, {"special", true}, {"normalized", false}},
                      {{"id", 257}, {"content", "</s>"}, {"special", true}, {"normalized", false}}})},
        {"normalizer", nullptr},
        {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
        {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
        {"model",
         {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
          {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
          {"vocab", vocab}, {"merges", json::array()}}},
    };
    if (add_bos) {
        t["post_processor"] = {
            {"type", "TemplateProcessing"},
            {"single", json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                    {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
            {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {256}}, {"tokens", {"<s>"}}}}}},
        };
    } else {
        t["post_processor"] = nullptr;
    }
    return t;
}

// A Hugging Face directory made from a canonical tiny model.
struct HfDir {
    TempDir dir;
    json config;
    json tokenizer;
    std::vector<SafetensorsTensor> tensors;

    SafetensorsTensor& tensor(const std::string& name) {
        for (auto& t : tensors)
            if (t.name == name) return t;
        throw std::runtime_error("no tensor " + name);
    }
    void erase(const std::string& name) {
        std::erase_if(tensors, [&](const SafetensorsTensor& t) { return t.name == name; });
    }
    void write() const {
        write_text(dir.path / "config.json", config.dump(2));
        write_text(dir.path / "tokenizer.json", tokenizer.dump(2));
        auto bytes = slm::interop::write_safetensors(tensors, {{"format", "pt"}});
        REQUIRE(bytes.ok());
        REQUIRE(slm::write_file_atomic((dir.path / "model.safetensors").string(), slm::Bytes(*bytes)).ok());
    }
    slm::Result<slm::interop::ImportedModel> import() const {
        write();
        return import_hf_llama(dir.str());
    }
};

// HF name of a canonical tensor name ("" for names without one).
std::string hf_name(const std::string& name) {
    static const std::map<std::string, std::string> globals = {{"tok_embeddings.weight", "model.embed_tokens.weight"},
                                                               {"norm.weight", "model.norm.weight"},
                                                               {"output.weight", "lm_head.weight"}};
    static const std::map<std::string, std::string> layer = {
        {"attention_norm.weight", "input_layernorm.weight"},     {"attention.wq.weight", "self_attn.q_proj.weight"},
        {"attention.wk.weight", "self_attn.k_proj.weight"},      {"attention.wv.weight", "self_attn.v_proj.weight"},
        {"attention.wo.weight", "self_attn.o_proj.weight"},      {"ffn_norm.weight", "post_attention_layernorm.weight"},
        {"feed_forward.w1.weight", "mlp.gate_proj.weight"},      {"feed_forward.w2.weight", "mlp.down_proj.weight"},
        {"feed_forward.w3.weight", "mlp.up_proj.weight"}};
    if (auto it = globals.find(name); it != globals.end()) return it->second;
    const std::size_t dot = name.find('.', 7);  // "layers.N.rest"
    const std::string layer_no = name.substr(7, dot - 7);
    return "model.layers." + layer_no + "." + layer.at(name.substr(dot + 1));
}

slm::format::ModelConfig gqa_config(bool tied = false) {
    slm::format::ModelConfig c = slm::test::tiny_config();
    c.n_layers = 2;
    c.n_heads = 4;
    c.n_kv_heads = 2;
    c.head_dim = 4;
    c.ffn_dim = 24;
    c.context_length = 32;
    c.rope_theta = 500000.0f;
    c.rms_eps = 1e-6f;
    c.tied_output = tied;
    return c;
}

void fill_hf_dir(HfDir& d, const slm::test::TinyModel& m) {
    const auto& c = m.input.config;
    d.config = {{"architectures", {"LlamaForCausalLM"}},
                {"model_type", "llama"},
                {"hidden_act", "silu"},
                {"hidden_size", c.dim()},
                {"intermediate_size", c.ffn_dim},
                {"num_attention_heads", c.n_heads},
                {"num_key_value_heads", c.n_kv_heads},
                {"num_hidden_layers", c.n_layers},
                {"max_position_embeddings", c.context_length},
                {"rms_norm_eps", static_cast<double>(c.rms_eps)},
                {"rope_theta", static_cast<double>(c.rope_theta)},
                {"rope_scaling", nullptr},
                {"tie_word_embeddings", c.tied_output},
                {"vocab_size", c.vocab_size},
                {"bos_token_id", 256},
                {"eos_token_id", 257},
                {"torch_dtype", "float32"}};
    d.tokenizer = byte_tokenizer_json();
    for (const auto& t : m.input.tensors) {
        SafetensorsTensor s;
        s.name = hf_name(t.name);
        for (auto it = t.dims.rbegin(); it != t.dims.rend(); ++it) s.shape.push_back(*it);  // [out, in]
        s.data = floats_of(t.data);
        if (t.name.ends_with("attention.wq.weight")) s.data = hf_permute(s.data, c.n_heads, c.dim(), c.dim());
        if (t.name.ends_with("attention.wk.weight")) s.data = hf_permute(s.data, c.n_kv_heads, c.kv_dim(), c.dim());
        d.tensors.push_back(std::move(s));
    }
}

struct Fixture {
    slm::test::TinyModel model;
    HfDir hf;
    explicit Fixture(bool tied = false) {
        slm::test::TinySpec spec;
        spec.config = gqa_config(tied);
        spec.seed = 7;
        spec.tokenizer_flags = slm::format::k_tokflag_add_bos;
        model = slm::test::make_tiny_input(spec);
        fill_hf_dir(hf, model);
    }
};

void expect_error(const slm::Result<slm::interop::ImportedModel>& r, ErrorCode code, const std::string& id,
                  const std::string& fragment) {
    REQUIRE_FALSE(r.ok());
    CAPTURE(r.error().message);
    CHECK(r.error().code == code);
    CHECK(r.error().id == id);
    CHECK(r.error().message.find(fragment) != std::string::npos);
}

void expect_same_tensors(const slm::interop::ImportedModel& got, const slm::test::TinyModel& want) {
    REQUIRE(got.input.tensors.size() == want.input.tensors.size());
    for (const auto& w : want.input.tensors) {
        CAPTURE(w.name);
        const auto it = std::find_if(got.input.tensors.begin(), got.input.tensors.end(),
                                     [&](const auto& t) { return t.name == w.name; });
        REQUIRE(it != got.input.tensors.end());
        CHECK(it->dtype == slm::format::DType::f32);
        CHECK(it->dims == w.dims);
        REQUIRE(it->data.size() == w.data.size());
        CHECK(std::memcmp(it->data.data(), w.data.data(), w.data.size()) == 0);
    }
}

std::vector<std::vector<std::uint32_t>> encode_all(const slm::format::TokenizerSection& s,
                                                   const std::vector<std::string>& texts) {
    auto tok = slm::tokenizer::Tokenizer::create(s);
    REQUIRE_MESSAGE(tok.ok(), (tok.ok() ? "" : tok.error().message));
    std::vector<std::vector<std::uint32_t>> out;
    for (const auto& t : texts) out.push_back(tok->encode(t, tok->add_bos_default()));
    return out;
}

const std::vector<std::string> k_texts = {"the quick brown fox", "",       " leading", "a  b\n\tc", "caf\xC3\xA9",
                                          "\xF0\x9F\x99\x82 ok",  "it's 42", "<s>",      "\xFF\xFE bytes"};

}  // namespace

TEST_CASE("hf: a GQA checkpoint imports to the original tensors, config and token ids") {
    Fixture f;
    auto r = f.hf.import();
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    const auto& c = r->input.config;
    const auto& want = f.model.input.config;
    CHECK(r->source_format == "hf-safetensors");
    CHECK(r->model_name == f.hf.dir.path.filename().string());
    CHECK(c.vocab_size == want.vocab_size);
    CHECK(c.n_layers == 2);
    CHECK(c.n_heads == 4);
    CHECK(c.n_kv_heads == 2);
    CHECK(c.head_dim == 4);
    CHECK(c.ffn_dim == want.ffn_dim);
    CHECK(c.context_length == 32);
    CHECK(c.rope_theta == 500000.0f);
    CHECK(c.rms_eps == 1e-6f);
    CHECK_FALSE(c.tied_output);
    expect_same_tensors(*r, f.model);
    // The file writes too (the writer re-validates everything).
    CHECK(slm::format::write_slm(r->input).ok());

    // Same ids as the original byte-level tokenizer, BOS included.
    const auto& s = r->input.tokenizer;
    CHECK(s.kind == slm::format::TokenizerKind::bpe);
    CHECK(s.bos_id == 256);
    CHECK(s.eos_id == 257);
    CHECK(s.flags == slm::format::k_tokflag_add_bos);
    CHECK(s.tokens[256].type == TokenType::control);
    CHECK(s.tokens[256].text == "<s>");
    CHECK(s.tokens[32].text == " ");  // "Ġ" unmapped to the raw byte
    CHECK(encode_all(s, k_texts) == encode_all(f.model.input.tokenizer, k_texts));
}

TEST_CASE("hf: the q/k permutation is undone row by row") {
    // One head of width 4 in Meta order holds rows m0 m1 | m2 m3 (pairs
    // (m0, m1), (m2, m3)); Hugging Face stores m0 m2 m1 m3.
    const std::vector<float> meta = {0, 1, 2, 3};
    CHECK(hf_permute(meta, 1, 4, 1) == std::vector<float>{0, 2, 1, 3});
    // Head 1 of a GQA k_proj (2 KV heads of width 4, 16 columns) in the fixture.
    Fixture f;
    const auto& hf_k = f.hf.tensor("model.layers.1.self_attn.k_proj.weight").data;
    auto r = f.hf.import();
    REQUIRE(r.ok());
    const auto it = std::find_if(r->input.tensors.begin(), r->input.tensors.end(),
                                 [](const auto& t) { return t.name == "layers.1.attention.wk.weight"; });
    REQUIRE(it != r->input.tensors.end());
    const auto wk = floats_of(it->data);
    const std::uint32_t cols = 16;
    for (std::uint32_t col = 0; col < cols; ++col) {
        CHECK(wk[(4 + 0) * cols + col] == hf_k[(4 + 0) * cols + col]);
        CHECK(wk[(4 + 1) * cols + col] == hf_k[(4 + 2) * cols + col]);
        CHECK(wk[(4 + 2) * cols + col] == hf_k[(4 + 1) * cols + col]);
        CHECK(wk[(4 + 3) * cols + col] == hf_k[(4 + 3) * cols + col]);
    }
}

TEST_CASE("hf: tied embeddings") {
    SUBCASE("no lm_head") {
        Fixture f(true);
        auto r = f.hf.import();
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
        CHECK(r->input.config.tied_output);
        expect_same_tensors(*r, f.model);
    }
    SUBCASE("an lm_head equal to the embeddings is dropped") {
        Fixture f(true);
        SafetensorsTensor head = f.hf.tensor("model.embed_tokens.weight");
        head.name = "lm_head.weight";
        f.hf.tensors.push_back(head);
        auto r = f.hf.import();
        REQUIRE(r.ok());
        expect_same_tensors(*r, f.model);
    }
    SUBCASE("an lm_head that differs is an error") {
        Fixture f(true);
        SafetensorsTensor head = f.hf.tensor("model.embed_tokens.weight");
        head.name = "lm_head.weight";
        head.data[5] += 0.25f;
        f.hf.tensors.push_back(head);
        expect_error(f.hf.import(), ErrorCode::invalid_input, "hf.tied_mismatch", "tie_word_embeddings");
    }
    SUBCASE("untied without lm_head is an error") {
        Fixture f;
        f.hf.erase("lm_head.weight");
        expect_error(f.hf.import(), ErrorCode::invalid_input, "hf.missing_tensor", "'lm_head.weight' is missing");
    }
}

TEST_CASE("hf: config.json is checked field by field") {
    struct Case {
        const char* what;
        void (*edit)(json&);
        ErrorCode code;
        const char* id;
        const char* fragment;
    };
    const Case cases[] = {
        {"missing field", [](json& c) { c.erase("hidden_size"); }, ErrorCode::invalid_input, "hf.bad_config",
         "config.json: hidden_size: missing"},
        {"missing eps", [](json& c) { c.erase("rms_norm_eps"); }, ErrorCode::invalid_input, "hf.bad_config",
         "rms_norm_eps: missing"},
        {"string count", [](json& c) { c["num_hidden_layers"] = "2"; }, ErrorCode::invalid_input, "hf.bad_config",
         "num_hidden_layers: expected a positive integer"},
        {"zero count", [](json& c) { c["intermediate_size"] = 0; }, ErrorCode::invalid_input, "hf.bad_config",
         "intermediate_size"},
        {"kv heads", [](json& c) { c["num_key_value_heads"] = 3; }, ErrorCode::invalid_input, "hf.bad_config",
         "num_key_value_heads: 3 does not divide"},
        {"architecture", [](json& c) { c["architectures"] = {"MistralForCausalLM"}; }, ErrorCode::incompatible,
         "hf.unsupported_architecture", "MistralForCausalLM"},
        {"model type", [](json& c) { c.erase("architectures"); c["model_type"] = "gpt2"; }, ErrorCode::incompatible,
         "hf.unsupported_architecture", "\"gpt2\""},
        {"rope scaling", [](json& c) { c["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}}; },
         ErrorCode::incompatible, "hf.unsupported_config", "rope_scaling"},
        {"rope type", [](json& c) { c["rope_parameters"] = {{"rope_type", "yarn"}}; }, ErrorCode::incompatible,
         "hf.unsupported_config", "rope_type"},
        {"head_dim", [](json& c) { c["head_dim"] = 8; }, ErrorCode::incompatible, "hf.unsupported_config",
         "head_dim 8"},
        {"activation", [](json& c) { c["hidden_act"] = "gelu"; }, ErrorCode::incompatible, "hf.unsupported_config",
         "hidden_act"},
        {"bias", [](json& c) { c["attention_bias"] = true; }, ErrorCode::incompatible, "hf.unsupported_config",
         "attention_bias"},
        {"bos", [](json& c) { c["bos_token_id"] = "x"; }, ErrorCode::invalid_input, "hf.bad_config", "bos_token_id"},
        {"vocab", [](json& c) { c["vocab_size"] = 300; }, ErrorCode::invalid_input, "hf.vocab_mismatch",
         "config.json vocab_size is 300"},
    };
    for (const Case& k : cases) {
        CAPTURE(k.what);
        Fixture f;
        k.edit(f.hf.config);
        expect_error(f.hf.import(), k.code, k.id, k.fragment);
    }

    SUBCASE("optional fields and their other spellings") {
        Fixture f;
        f.hf.config.erase("architectures");  // model_type "llama" is enough
        f.hf.config.erase("rope_theta");
        f.hf.config["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 500000.0}};
        f.hf.config["head_dim"] = 4;
        f.hf.config["bos_token_id"] = {256};
        f.hf.config["eos_token_id"] = {257, 256};
        f.hf.config["_name_or_path"] = "org/tiny-llama";
        auto r = f.hf.import();
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
        CHECK(r->input.config.rope_theta == 500000.0f);
        CHECK(r->input.tokenizer.eos_id == 257);
        CHECK(r->model_name == "org/tiny-llama");
    }
    SUBCASE("rope_theta defaults to 10000 and num_key_value_heads to the head count") {
        Fixture f;
        f.hf.config.erase("rope_theta");
        f.hf.config.erase("num_key_value_heads");
        auto r = f.hf.import();  // 4 KV heads now: k_proj [8, 16] no longer fits
        expect_error(r, ErrorCode::invalid_input, "hf.bad_shape", "expected [16, 16]");
    }
}

TEST_CASE("hf: model.safetensors is checked tensor by tensor") {
    SUBCASE("wrong shape") {
        Fixture f;
        auto& k = f.hf.tensor("model.layers.0.self_attn.k_proj.weight");
        k.shape = {16, 8};
        expect_error(f.hf.import(), ErrorCode::invalid_input, "hf.bad_shape",
                     "'model.layers.0.self_attn.k_proj.weight' has shape [16, 8], expected [8, 16]");
    }
    SUBCASE("missing tensor") {
        Fixture f;
        f.hf.erase("model.layers.1.mlp.up_proj.weight");
        expect_error(f.hf.import(), ErrorCode::invalid_input, "hf.missing_tensor", "model.layers.1.mlp.up_proj.weight");
    }
    SUBCASE("unknown tensors") {
        for (const char* name : {"model.layers.0.self_attn.q_proj.bias", "model.layers.2.input_layernorm.weight",
                                 "score.weight"}) {
            CAPTURE(name);
            Fixture f;
            f.hf.tensors.push_back({name, {16}, std::vector<float>(16)});
            expect_error(f.hf.import(), ErrorCode::incompatible, "hf.unknown_tensor", name);
        }
    }
    SUBCASE("rotary inv_freq buffers are ignored") {
        Fixture f;
        f.hf.tensors.push_back({"model.layers.0.self_attn.rotary_emb.inv_freq", {2}, {1.0f, 0.01f}});
        f.hf.tensors.push_back({"model.rotary_emb.inv_freq", {2}, {1.0f, 0.01f}});
        auto r = f.hf.import();
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
        expect_same_tensors(*r, f.model);
    }
    SUBCASE("non-finite values") {
        Fixture f;
        f.hf.tensor("model.norm.weight").data[3] = std::nanf("");
        expect_error(f.hf.import(), ErrorCode::invalid_input, "hf.non_finite", "'model.norm.weight'");
    }
    SUBCASE("sharded checkpoints") {
        Fixture f;
        f.hf.write();
        fs::rename(f.hf.dir.path / "model.safetensors", f.hf.dir.path / "model-00001-of-00001.safetensors");
        write_text(f.hf.dir.path / "model.safetensors.index.json", R"({"metadata": {}, "weight_map": {}})");
        expect_error(import_hf_llama(f.hf.dir.str()), ErrorCode::incompatible, "hf.sharded", "sharded checkpoints");
    }
    SUBCASE("missing files") {
        Fixture f;
        f.hf.write();
        fs::remove(f.hf.dir.path / "tokenizer.json");
        write_text(f.hf.dir.path / "tokenizer.model", "x");
        expect_error(import_hf_llama(f.hf.dir.str()), ErrorCode::not_found, "hf.missing_file", "no tokenizer.json");
        fs::remove(f.hf.dir.path / "model.safetensors");
        expect_error(import_hf_llama(f.hf.dir.str()), ErrorCode::not_found, "hf.missing_file", "no model.safetensors");
        fs::remove(f.hf.dir.path / "config.json");
        expect_error(import_hf_llama(f.hf.dir.str()), ErrorCode::not_found, "hf.missing_file", "no config.json");
        expect_error(import_hf_llama((f.hf.dir.path / "nope").string()), ErrorCode::not_found, "hf.not_found",
                     "no such directory");
        expect_error(import_hf_llama((f.hf.dir.path / "tokenizer.model").string()), ErrorCode::invalid_input,
                     "hf.not_a_directory", "not a directory");
    }
}

// ---- tokenizer.json ----

namespace {

// tokenizer.json for fixtures/tiny-bpe (vocab.json + merges.txt), merges as
// "a b" strings or ["a", "b"] pairs.
json tiny_bpe_tokenizer_json(bool pairs) {
    json t = byte_tokenizer_json(false);
    t["model"]["vocab"] = json::parse(read_source("fixtures/tiny-bpe/vocab.json"));
    json merges = json::array();
    const std::string text = read_source("fixtures/tiny-bpe/merges.txt");
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.empty() || line.starts_with("#version")) continue;
        const std::size_t space = line.find(' ');
        if (pairs) merges.push_back({line.substr(0, space), line.substr(space + 1)});
        else merges.push_back(line);
    }
    t["model"]["merges"] = merges;
    return t;
}

slm::Result<slm::format::TokenizerSection> convert(const json& t, slm::interop::HfTokenizerHints hints = {}) {
    return tokenizer_from_hf_json(t.dump(), "tokenizer.json", hints);
}

void expect_tokenizer_error(const json& t, ErrorCode code, const std::string& fragment) {
    auto r = convert(t);
    REQUIRE_FALSE(r.ok());
    CAPTURE(r.error().message);
    CHECK(r.error().code == code);
    CHECK(r.error().id == (code == ErrorCode::incompatible ? "hf.unsupported_tokenizer" : "hf.bad_tokenizer"));
    CHECK(r.error().message.rfind("tokenizer.json: ", 0) == 0);
    CHECK(r.error().message.find(fragment) != std::string::npos);
}

json spm_tokenizer_json() { return json::parse(read_source("tests/data/hf/spm_tokenizer.json")); }

}  // namespace

TEST_CASE("hf tokenizer: byte-level BPE matches the GPT-2 vocab.json / merges.txt import") {
    auto gpt2 = slm::tokenizer::import_gpt2_bpe(read_source("fixtures/tiny-bpe/vocab.json"),
                                                read_source("fixtures/tiny-bpe/merges.txt"));
    REQUIRE(gpt2.ok());
    for (bool pairs : {false, true}) {
        CAPTURE(pairs);
        auto s = convert(tiny_bpe_tokenizer_json(pairs));
        REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
        CHECK(s->kind == slm::format::TokenizerKind::bpe);
        CHECK(s->merges == gpt2->merges);
        REQUIRE(s->tokens.size() == gpt2->tokens.size());
        for (std::size_t i = 0; i < s->tokens.size(); ++i) CHECK(s->tokens[i].text == gpt2->tokens[i].text);
        CHECK(s->tokens[256].type == TokenType::control);  // added special token
        CHECK(s->flags == 0);                               // ByteLevel post-processor: no BOS
        CHECK(s->bos_id == 256);                            // <s> from the added tokens
        CHECK(s->eos_id == 257);
        CHECK(encode_all(*s, k_texts) == encode_all(*gpt2, k_texts));
    }
    // The newer pre_tokenizer spelling: Split(GPT-2 regex) + ByteLevel without regex.
    json t = tiny_bpe_tokenizer_json(false);
    const std::string regex = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
    t["pre_tokenizer"] = {
        {"type", "Sequence"},
        {"pretokenizers",
         json::array({{{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}},
                      {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}})}};
    auto s = convert(t);
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
    CHECK(encode_all(*s, k_texts) == encode_all(*gpt2, k_texts));

    // A different regex (e.g. llama 3's) is refused.
    t["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|\p{N}{1,3})";
    expect_tokenizer_error(t, ErrorCode::incompatible, "is not GPT-2's regex");
}

TEST_CASE("hf tokenizer: BOS, EOS and add_bos") {
    SUBCASE("config ids win over the added tokens") {
        slm::interop::HfTokenizerHints hints;
        hints.eos_id = 10;
        auto s = convert(byte_tokenizer_json(false), hints);
        REQUIRE(s.ok());
        CHECK(s->bos_id == 256);
        CHECK(s->eos_id == 10);
    }
    SUBCASE("a template prepending another token than BOS") {
        slm::interop::HfTokenizerHints hints;
        hints.bos_id = 257;
        auto s = convert(byte_tokenizer_json(true), hints);
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().code == ErrorCode::incompatible);
        CHECK(s.error().message.find("prepends token 256") != std::string::npos);
    }
    SUBCASE("templates with more than a leading BOS") {
        json t = byte_tokenizer_json(true);
        t["post_processor"]["single"].push_back({{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}});
        expect_tokenizer_error(t, ErrorCode::incompatible, "only the templates");
        t["post_processor"] = {{"type", "RobertaProcessing"}};
        expect_tokenizer_error(t, ErrorCode::incompatible, "RobertaProcessing");
    }
    SUBCASE("a Sequence of ByteLevel and TemplateProcessing") {
        json t = byte_tokenizer_json(true);
        t["post_processor"] = {{"type", "Sequence"},
                               {"processors", json::array({{{"type", "ByteLevel"}}, t["post_processor"]})}};
        auto s = convert(t);
        REQUIRE(s.ok());
        CHECK(s->flags == slm::format::k_tokflag_add_bos);
    }
}

TEST_CASE("hf tokenizer: byte-level shapes that are refused") {
    struct Case {
        const char* what;
        void (*edit)(json&);
        ErrorCode code;
        const char* fragment;
    };
    const Case cases[] = {
        {"unigram", [](json& t) { t["model"]["type"] = "Unigram"; }, ErrorCode::incompatible, "'Unigram'"},
        {"prefix space", [](json& t) { t["pre_tokenizer"]["add_prefix_space"] = true; }, ErrorCode::incompatible,
         "add_prefix_space"},
        {"no regex", [](json& t) { t["pre_tokenizer"]["use_regex"] = false; }, ErrorCode::incompatible, "use_regex"},
        {"normalizer", [](json& t) { t["normalizer"] = {{"type", "NFC"}}; }, ErrorCode::incompatible, "[NFC]"},
        {"decoder", [](json& t) { t["decoder"] = nullptr; }, ErrorCode::incompatible, "decoder"},
        {"no pre-tokenizer", [](json& t) { t["pre_tokenizer"] = nullptr; }, ErrorCode::incompatible,
         "neither byte-level"},
        {"mixed", [](json& t) { t["model"]["byte_fallback"] = true; }, ErrorCode::incompatible, "mixes"},
        {"ignore_merges", [](json& t) { t["model"]["ignore_merges"] = true; }, ErrorCode::incompatible,
         "ignore_merges"},
        {"dropout", [](json& t) { t["model"]["dropout"] = 0.1; }, ErrorCode::incompatible, "dropout"},
        {"suffix", [](json& t) { t["model"]["end_of_word_suffix"] = "</w>"; }, ErrorCode::incompatible,
         "end_of_word_suffix"},
        {"merge token", [](json& t) { t["model"]["merges"] = {"a zz"}; }, ErrorCode::invalid_input,
         "model.merges[0]: \"zz\" is not in model.vocab"},
        {"merge result", [](json& t) { t["model"]["merges"] = json::array({json::array({"a", "b"})}); }, ErrorCode::invalid_input,
         "\"ab\" is not in model.vocab"},
        {"merge shape", [](json& t) { t["model"]["merges"] = {"a b c"}; }, ErrorCode::invalid_input,
         "not two tokens"},
        {"id gap", [](json& t) { t["model"]["vocab"].erase("a"); }, ErrorCode::invalid_input, "no token has id 97"},
        {"id clash", [](json& t) { t["model"]["vocab"]["zz"] = 97; }, ErrorCode::invalid_input, "id 97 is used by"},
        {"missing byte",
         [](json& t) {
             t["model"]["vocab"].erase("a");
             t["model"]["vocab"]["aa"] = 97;
         },
         ErrorCode::invalid_input, "no token for byte 97"},
        {"added clash", [](json& t) { t["added_tokens"][0]["content"] = "<bos>"; }, ErrorCode::invalid_input,
         "different text"},
        {"not json", [](json& t) { t = "x"; }, ErrorCode::invalid_input, "expected a JSON object"},
    };
    for (const Case& k : cases) {
        CAPTURE(k.what);
        json t = byte_tokenizer_json();
        k.edit(t);
        expect_tokenizer_error(t, k.code, k.fragment);
    }
}

TEST_CASE("hf tokenizer: sentencepiece-style BPE becomes SPM1 with rank scores") {
    // tests/data/hf/spm_tokenizer.json: llama's layout (<unk> <s> </s>, 256
    // <0xXX> tokens, then pieces; normalizer Prepend + Replace; byte_fallback)
    // with a merge for every split of every piece, as converted vocabularies have.
    auto s = convert(spm_tokenizer_json());
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
    CHECK(s->kind == slm::format::TokenizerKind::sentencepiece);
    CHECK(s->flags == (slm::format::k_tokflag_add_bos | slm::format::k_tokflag_add_space_prefix));
    CHECK(s->unk_id == 0);
    CHECK(s->bos_id == 1);
    CHECK(s->eos_id == 2);
    CHECK(s->merges.empty());
    CHECK(s->tokens[0].type == TokenType::unknown);
    CHECK(s->tokens[1].type == TokenType::control);
    CHECK(s->tokens[3 + 0x0A].text == "<0x0A>");
    CHECK(s->tokens[3 + 0x0A].type == TokenType::byte);
    CHECK(s->tokens[259].text == k_space);
    CHECK(s->tokens[259].score == 0.0f);         // a single character
    CHECK(s->tokens[271].text == "he");          // merge rank 0
    CHECK(s->tokens[271].score == -1.0f);
    CHECK(s->tokens[274].text == k_space + "the");  // ranks 3 and 4: the first counts
    CHECK(s->tokens[274].score == -4.0f);

    // Expected ids from Hugging Face's tokenizers (tokenizers.js 0.2.0, which
    // follows the Rust crate), encode() with special tokens on.
    const std::vector<std::pair<std::string, std::vector<std::uint32_t>>> expected = {
        {"the quick", {1, 274, 281}},
        {"the", {1, 274}},
        {" the", {1, 259, 274}},
        {"a  b", {1, 284, 259, 259, 269}},
        {"th\xC3\xA9", {1, 275, 198, 172}},
        {"line\nbreak", {1, 259, 111, 265, 113, 262, 13, 269, 117, 262, 268, 267}},
        {"\xC3\xBC" "ber", {1, 259, 270, 269, 262, 117}},
        {"aaa", {1, 259, 282, 268}},
        {"", {1}},
        {"\xF0\x9F\x99\x82", {1, 259, 243, 162, 156, 133}},
        {"the  thick quack", {1, 274, 259, 275, 279, 280, 268, 266, 267}},
        {"aab ab", {1, 259, 282, 269, 285}},
        {"th", {1, 275}},
        {"quick", {1, 281}},
    };
    auto tok = slm::tokenizer::Tokenizer::create(*s);
    REQUIRE(tok.ok());
    for (const auto& [text, ids] : expected) {
        CAPTURE(text);
        CHECK(tok->encode(text, tok->add_bos_default()) == ids);
    }

    // Metaspace spelling (normalizer null): the same ids for text that does
    // not start with a space (Metaspace adds no ▁ before a leading space).
    json t = spm_tokenizer_json();
    t["normalizer"] = nullptr;
    t["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", k_space}, {"prepend_scheme", "first"}, {"split", false}};
    auto meta = convert(t);
    REQUIRE_MESSAGE(meta.ok(), (meta.ok() ? "" : meta.error().message));
    CHECK(meta->flags == s->flags);
    auto meta_tok = slm::tokenizer::Tokenizer::create(*meta);
    REQUIRE(meta_tok.ok());
    for (const auto& [text, ids] : expected) {
        if (text.starts_with(" ")) continue;
        CAPTURE(text);
        CHECK(meta_tok->encode(text, true) == ids);
    }
    // split: true is fine while no piece has a ▁ after its first character.
    t["pre_tokenizer"]["split"] = true;
    CHECK(convert(t).ok());
    t["model"]["vocab"]["a" + k_space + "b"] = 286;
    expect_tokenizer_error(t, ErrorCode::incompatible, "has a \xE2\x96\x81 inside");
    t["model"]["vocab"].erase("a" + k_space + "b");
    // prepend_scheme never: no prefix space.
    t["pre_tokenizer"]["prepend_scheme"] = "never";
    auto never = convert(t);
    REQUIRE(never.ok());
    CHECK(never->flags == slm::format::k_tokflag_add_bos);
}

TEST_CASE("hf tokenizer: sentencepiece shapes that are refused or defaulted") {
    SUBCASE("no post_processor: add_bos as llama does") {
        json t = spm_tokenizer_json();
        t["post_processor"] = nullptr;
        auto s = convert(t);
        REQUIRE(s.ok());
        CHECK((s->flags & slm::format::k_tokflag_add_bos) != 0);
    }
    SUBCASE("Replace only: no prefix space") {
        json t = spm_tokenizer_json();
        t["normalizer"] = t["normalizer"]["normalizers"][1];
        auto s = convert(t);
        REQUIRE(s.ok());
        CHECK(s->flags == slm::format::k_tokflag_add_bos);
    }
    SUBCASE("errors") {
        struct Case {
            const char* what;
            void (*edit)(json&);
            ErrorCode code;
            const char* fragment;
        };
        const Case cases[] = {
            {"no space handling", [](json& t) { t["normalizer"] = nullptr; }, ErrorCode::incompatible,
             "spaces must become"},
            {"prepend only", [](json& t) { t["normalizer"]["normalizers"].erase(1); }, ErrorCode::incompatible,
             "does not turn spaces into"},
            {"other normalizer",
             [](json& t) { t["normalizer"]["normalizers"].push_back({{"type", "Lowercase"}}); },
             ErrorCode::incompatible, "Lowercase"},
            {"both", [](json& t) { t["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}}; },
             ErrorCode::incompatible, "together with"},
            {"byte tokens without byte_fallback", [](json& t) { t["model"]["byte_fallback"] = false; },
             ErrorCode::incompatible, "byte_fallback"},
            {"unknown unk", [](json& t) { t["model"]["unk_token"] = "<oov>"; }, ErrorCode::invalid_input,
             "\"<oov>\" is not in model.vocab"},
        };
        for (const Case& k : cases) {
            CAPTURE(k.what);
            json t = spm_tokenizer_json();
            k.edit(t);
            expect_tokenizer_error(t, k.code, k.fragment);
        }
    }
}
