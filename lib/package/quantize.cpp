#include "package/quantize.hpp"

#include <cstdint>
#include <span>
#include <vector>

#include "core/hash.hpp"
#include "format/writer.hpp"
#include "package/manifest.hpp"
#include "quant/dtype_traits.hpp"
#include "runtime/model.hpp"
#include "runtime/model_compare.hpp"
#include "tokenizer/tokenizer.hpp"

namespace slm::package {
namespace {

std::string name_of(format::DType t) { return std::string(format::dtype_name(t)); }

// Semver build metadata allows [0-9A-Za-z-] only: "q8_0" becomes "q8-0".
std::string semver_tag(format::DType t) {
    std::string s = name_of(t);
    for (char& c : s)
        if (c == '_') c = '-';
    return s;
}

// Quantizes t row by row into `values` and `scales`, the new payload's place
// in the output image.
Status convert(const format::TensorView& t, const QuantizeOptions& opt, std::span<std::uint8_t> values,
               std::span<float> scales) {
    const auto& from = quant::dtype_traits(t.dtype);
    const auto& to = quant::dtype_traits(opt.target);
    const std::size_t n = t.row_length();
    const std::size_t rows = t.row_count();
    const std::size_t to_values = to.value_bytes(n);
    const std::size_t to_scales = to.scale_count(n, opt.block_size);
    if (values.size() != to_values * rows || scales.size() != to_scales * rows)
        return make_error(ErrorCode::internal, "quant.bad_output_size", "tensor " + t.name + ": output size mismatch");
    const std::size_t from_values = from.value_bytes(n);
    const std::size_t from_scales = from.scale_count(n, t.entry.block_size);
    // f32 rows are read in place when aligned; others are widened into `row` first.
    const bool in_place = t.dtype == format::DType::f32 &&
                          reinterpret_cast<std::uintptr_t>(t.data.data()) % alignof(float) == 0;
    std::vector<float> row(in_place ? 0 : n);
    for (std::size_t r = 0; r < rows; ++r) {
        const std::uint8_t* src = t.data.data() + r * from_values;
        const float* x = reinterpret_cast<const float*>(src);
        if (!in_place) {
            from.dequantize_row(src, from_scales ? t.scale_values() + r * from_scales : nullptr, t.entry.block_size,
                                row.data(), n);
            x = row.data();
        }
        Status st = to.quantize_row(x, n, opt.block_size, values.data() + r * to_values, scales.data() + r * to_scales);
        if (!st) {
            Error e = st.take_error();
            e.message = "tensor " + t.name + " row " + std::to_string(r) + ": " + e.message;
            return e;
        }
    }
    return {};
}

}  // namespace

Result<QuantizedArtifact> quantize_artifact(const format::SlmView& input, const SkillInfo& info,
                                            const QuantizeOptions& opt,
                                            const std::optional<std::string>& version_override) {
    if (!format::dtype_is_quantized(opt.target))
        return make_error(ErrorCode::usage, "quant.bad_target", "quantize target must be q8_0 or q4_0");
    QuantizedArtifact out;
    format::SlmInput in;
    in.config = input.config();
    in.tokenizer = input.tokenizer();

    for (const auto& t : input.tensors()) {
        format::TensorInput ti;
        ti.name = t.name;
        ti.dims.assign(t.entry.dims.begin(), t.entry.dims.begin() + t.entry.rank);
        ti.dtype = t.dtype;
        ti.data = t.data;
        ti.scales = t.scales;
        ti.block_size = t.entry.block_size;
        TensorDecision d{t.name, name_of(t.dtype), name_of(t.dtype), ""};
        if (t.entry.rank < 2) {
            d.reason = "1-D tensors (norms) stay f32";
        } else if (t.dtype == opt.target && t.entry.block_size == opt.block_size) {
            d.reason = "already " + name_of(opt.target);
        } else if (t.dtype != format::DType::f32 && !opt.requantize) {
            return make_error(ErrorCode::usage, "quant.already_quantized",
                              "tensor " + t.name + " is already " + name_of(t.dtype) +
                                  "; re-quantizing loses precision twice (pass --requantize to do it anyway)");
        } else if (quant::dtype_traits(opt.target).check_block_size(t.row_length(), opt.block_size).ok() == false) {
            d.reason = "row length " + std::to_string(t.row_length()) + " is not a multiple of the block size " +
                       std::to_string(opt.block_size) + "; kept as " + name_of(t.dtype);
        } else {
            // Converted by the writer, straight into the output image.
            ti.dtype = opt.target;
            ti.block_size = opt.block_size;
            ti.data = {};
            ti.scales = {};
            ti.fill = [&t, &opt](std::span<std::uint8_t> values, std::span<float> scales) {
                return convert(t, opt, values, scales);
            };
            d.to = name_of(opt.target);
        }
        out.decisions.push_back(std::move(d));
        in.tensors.push_back(std::move(ti));
    }

    auto image = format::write_slm(in);
    if (!image) return image.take_error();
    // Parsed for the manifest's facts; the checksum was computed just now.
    auto view = format::parse_slm(*image, "<quantized>", format::ReadOptions{false});
    if (!view) return view.take_error();
    // Nothing below fails: the image handed out here is the returned one.
    if (opt.on_image) opt.on_image(Bytes(*image));
    // Hashed before asking for the input's digest, which the caller may
    // still be computing on another thread.
    const std::string artifact_digest = sha256_ref(*image);

    SkillInfo derived = info;
    // Build metadata is one "+" part: a second tag joins it with a dot
    // ("0.1.0+q4-0" re-quantized -> "0.1.0+q4-0.q8-0").
    const char* join = info.version.find('+') == std::string::npos ? "+" : ".";
    derived.version = version_override ? *version_override : info.version + join + semver_tag(opt.target);
    Provenance prov;
    prov.operator_name = "quantize";
    prov.parents.push_back(
        {opt.input_digest ? opt.input_digest() : sha256_ref(input.file_bytes()), "input-model", "slm"});
    prov.parameters = {{"dtype", name_of(opt.target)}, {"block_size", opt.block_size},
                       {"requantize", opt.requantize}, {"reference", "ggml quantize_row_*_ref"}};
    out.manifest = make_manifest(derived, prov, *view, artifact_digest);
    out.artifact_digest = artifact_digest;
    out.manifest_id = manifest_id(out.manifest);
    out.slm = std::move(*image);
    return out;
}

Result<nlohmann::json> quantization_quality(const format::SlmView& parent, const format::SlmView& quantized,
                                            std::string_view text, unsigned threads) {
    auto tok = tokenizer::Tokenizer::create(parent.tokenizer());
    if (!tok) return tok.take_error();
    // A text longer than the context is scored in windows, all of it.
    const runtime::Sequences ids = runtime::context_windows(tok->encode(text, true), parent.config().context_length);
    auto parent_model = runtime::Model::create(parent);
    if (!parent_model) return parent_model.take_error();
    auto quantized_model = runtime::Model::create(quantized);
    if (!quantized_model) return quantized_model.take_error();
    auto r = runtime::compare_models(*parent_model, *quantized_model, ids, threads);
    if (!r) return r.take_error();
    return nlohmann::json{{"positions", r->positions},
                          {"mean_kl", r->mean_kl},
                          {"max_kl", r->max_kl},
                          {"same_top1", r->same_top1},
                          {"perplexity_parent", r->perplexity_parent},
                          {"perplexity_quantized", r->perplexity_derived},
                          {"max_abs_logit_diff", r->max_abs_logit_diff}};
}

}  // namespace slm::package
