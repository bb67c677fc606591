// Writes valid seed inputs for the fuzzers:
//   <dir>/slm_reader/*.slm           small complete models (several dtypes/shapes)
//   <dir>/tokenizer_section/*.tok    BTOK, BPE1 and SPM1 sections
//   <dir>/gguf/*.gguf                GGUF exports of small models
//   <dir>/adapter/*.adp              ADP1 / ASP1 / ALR1 adapters for a small model
// Usage: fuzz_make_seeds <dir>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "adapter/format.hpp"
#include "adapter/identity.hpp"
#include "interop/gguf_llama.hpp"
#include "support/slm_patch.hpp"
#include "support/tiny_model.hpp"

using namespace slm;
using namespace slm::format;

namespace {

void write(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

TokenizerSection bpe() {
    TokenizerSection t = test::byte_tokenizer(k_tokflag_add_bos);
    t.kind = TokenizerKind::bpe;
    t.tokens.push_back({"he", -1.0f, TokenType::normal});
    t.merges = {{'h', 'e'}, {'l', 'l'}};
    return t;
}


// One adapter of each kind for `model`: a payload for every tensor, values
// a simple ramp with a residual on every fifth element (dense), every third
// element (sparse) or rank-1 factors.
void write_adapters(const std::filesystem::path& dir, const std::vector<std::uint8_t>& model) {
    auto view = parse_slm(model, "seed.slm");
    if (!view) throw std::runtime_error(view.error().message);
    for (adapter::Kind kind : {adapter::Kind::dense, adapter::Kind::sparse, adapter::Kind::lowrank}) {
        adapter::AdapterInput in;
        in.kind = kind;
        in.identity = adapter::identity_of(*view);
        for (const auto& t : view->tensors()) {
            adapter::PayloadInput p;
            p.name_hash = t.entry.name_hash;
            p.rank = t.entry.rank;
            p.dims = t.entry.dims;
            const std::uint64_t n = t.element_count();
            if (kind == adapter::Kind::sparse) {
                for (std::uint32_t i = 0; i < n; i += 3) {
                    p.indices.push_back(i);
                    p.values.push_back(0.001f * static_cast<float>(i % 17));
                }
                p.count = static_cast<std::uint32_t>(p.values.size());
            } else if (kind == adapter::Kind::lowrank && t.entry.rank >= 2) {
                p.count = 1;
                p.scale = 0.5f;
                p.values.assign(n / t.row_length() + t.row_length(), 0.01f);
            } else {
                for (std::uint64_t i = 0; i < n; ++i) p.values.push_back(0.001f * static_cast<float>(i % 13));
                for (std::uint32_t i = 0; i < n; i += 5) p.indices.push_back(i);  // residuals
                p.values.resize(n + p.indices.size(), 1e-9f);
                p.count = static_cast<std::uint32_t>(p.indices.size());
            }
            in.payloads.push_back(std::move(p));
        }
        auto bytes = adapter::write_adapter(in);
        if (!bytes) throw std::runtime_error(bytes.error().message);
        write(dir / (std::string(adapter::kind_name(kind)) + ".adp"), *bytes);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus-dir>\n", argv[0]);
        return 2;
    }
    try {
        const std::filesystem::path root = argv[1];
        const auto models = root / "slm_reader";
        const auto sections = root / "tokenizer_section";
        std::filesystem::create_directories(models);
        std::filesystem::create_directories(sections);

        test::TinySpec tied;
        write(models / "tied_f32.slm", test::make_tiny_slm(tied));

        test::TinySpec mixed;
        mixed.matrix_dtype = DType::q8_0;
        mixed.dtype_overrides["layers.0.feed_forward.w2.weight"] = DType::q4_0;
        write(models / "tied_mixed.slm", test::make_tiny_slm(mixed));

        test::TinySpec gqa;
        gqa.config.tied_output = false;
        gqa.config.n_heads = 4;
        gqa.config.n_kv_heads = 1;
        gqa.config.head_dim = 2;
        gqa.config.ffn_dim = 8;
        gqa.matrix_dtype = DType::q4_0;
        gqa.vector_dtype = DType::q8_0;
        write(models / "untied_gqa_q4.slm", test::make_tiny_slm(gqa));

        write(models / "long_header.slm", test::with_longer_header(test::make_tiny_slm(tied), 64));

        // A model whose tokenizer is an SPM1 section with a small vocabulary
        // keeps the seed small, so mutations hit the structure more often.
        test::TinyModel small = test::make_tiny_input([] {
            test::TinySpec s;
            s.config.vocab_size = test::k_small_spm_vocab;
            return s;
        }());
        small.input.tokenizer = test::small_spm_tokenizer();
        auto small_file = write_slm(small.input);
        if (!small_file) throw std::runtime_error(small_file.error().message);
        write(models / "small_spm.slm", *small_file);

        // GGUF exports of the small SPM model and of the tied byte-level one.
        const auto gguf = root / "gguf";
        std::filesystem::create_directories(gguf);
        for (const auto& [name, bytes] : {std::pair{"small_spm.gguf", *small_file},
                                          std::pair{"tied_btok.gguf", test::make_tiny_slm(tied)}}) {
            auto view = parse_slm(bytes, name);
            if (!view) throw std::runtime_error(view.error().message);
            auto exported = interop::export_gguf_llama(*view, {"seed", "0.1.0"});
            if (!exported) throw std::runtime_error(exported.error().message);
            write(gguf / name, *exported);
        }

        const auto adapters = root / "adapter";
        std::filesystem::create_directories(adapters);
        write_adapters(adapters, *small_file);  // the small SPM model keeps the seeds a few KB

        write(sections / "btok.tok", serialize_tokenizer_section(test::byte_tokenizer()));
        write(sections / "bpe1.tok", serialize_tokenizer_section(bpe()));
        write(sections / "spm1.tok", serialize_tokenizer_section(test::small_spm_tokenizer()));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz_make_seeds: %s\n", e.what());
        return 1;
    }
    return 0;
}
