#include "package/pack.hpp"

#include "core/hash.hpp"
#include "core/io.hpp"
#include "format/reader.hpp"
#include "format/tensor_names.hpp"
#include "format/writer.hpp"
#include "package/manifest.hpp"
#include "package/weights_source.hpp"
#include "tokenizer/gpt2_import.hpp"
#include "tokenizer/sections.hpp"

namespace slm::package {
namespace {

std::optional<std::uint32_t> find_token(const format::TokenizerSection& t, const std::string& text) {
    for (std::uint32_t i = 0; i < t.tokens.size(); ++i)
        if (t.tokens[i].text == text) return i;
    return std::nullopt;
}

Result<format::TokenizerSection> build_tokenizer(const SkillSpec& spec) {
    format::TokenizerSection section;
    if (spec.tokenizer_kind == "byte-level") {
        section = tokenizer::make_byte_level_section();
    } else {
        auto vocab = read_text_file(spec.vocab_path);
        if (!vocab) return vocab.take_error();
        auto merges = read_text_file(spec.merges_path);
        if (!merges) return merges.take_error();
        auto imported = tokenizer::import_gpt2_bpe(*vocab, *merges);
        if (!imported) {
            Error e = imported.take_error();
            e.message = spec.vocab_path + " / " + spec.merges_path + ": " + e.message;
            return e;
        }
        section = std::move(*imported);
    }
    // Explicit special tokens in the spec override what the source implied.
    for (auto [name, wanted, id] : {std::tuple{"bos", &spec.bos_token, &section.bos_id},
                                    std::tuple{"eos", &spec.eos_token, &section.eos_id}}) {
        if (!*wanted) continue;
        auto found = find_token(section, **wanted);
        if (!found)
            return make_error(ErrorCode::invalid_input, "spec.unknown_token",
                              spec.path + ": tokenizer." + name + ": token '" + **wanted +
                                  "' is not in the vocabulary");
        *id = *found;
    }
    if (spec.add_bos) {
        if (*spec.add_bos) section.flags |= format::k_tokflag_add_bos;
        else section.flags &= ~format::k_tokflag_add_bos;
    }
    return section;
}

}  // namespace

Result<PackedArtifact> pack_skill(const SkillSpec& spec) {
    auto tokenizer = build_tokenizer(spec);
    if (!tokenizer) return tokenizer.take_error();
    format::SlmInput input;
    input.config = spec.config;
    input.config.vocab_size = static_cast<std::uint32_t>(tokenizer->tokens.size());
    if (spec.vocab_size && *spec.vocab_size != input.config.vocab_size)
        return make_error(ErrorCode::invalid_input, "spec.vocab_mismatch",
                          spec.path + ": model.vocab_size is " + std::to_string(*spec.vocab_size) +
                              " but the tokenizer has " + std::to_string(input.config.vocab_size) + " tokens");
    input.tokenizer = std::move(*tokenizer);

    auto weights = load_weights(spec.weights_format, spec.weights_path, input.config);
    if (!weights) return weights.take_error();
    for (const auto& required : format::required_tensors(input.config)) {
        const std::vector<float>& values = weights->tensors.at(required.name);
        format::TensorInput t;
        t.name = required.name;
        t.dtype = format::DType::f32;
        t.dims.assign(required.dims.begin(), required.dims.begin() + required.rank);
        t.data = Bytes(reinterpret_cast<const std::uint8_t*>(values.data()), values.size() * sizeof(float));
        input.tensors.push_back(std::move(t));
    }

    auto image = format::write_slm(input);
    if (!image) return image.take_error();
    auto view = format::parse_slm(*image, "<packed>");
    if (!view) return view.take_error();

    PackedArtifact out;
    Provenance prov;
    prov.operator_name = "pack";
    prov.parents.push_back(weights->source);
    out.manifest = make_manifest(spec.info, prov, *view);
    out.artifact_digest = sha256_ref(Bytes(*image));
    out.manifest_id = manifest_id(out.manifest);
    out.slm = std::move(*image);
    return out;
}

}  // namespace slm::package
