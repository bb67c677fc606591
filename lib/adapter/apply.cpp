#include "adapter/apply.hpp"

#include <cmath>
#include <cstring>
#include <memory>

#include "adapter/identity.hpp"
#include "format/writer.hpp"
#include "quant/dtype_traits.hpp"

namespace slm::adapter {
namespace {

// Holds the new payload of a changed tensor while the writer reads it.
struct NewTensor {
    std::vector<std::uint8_t> values;
    std::vector<float> scales;
};

Result<NewTensor> encode(const format::TensorView& t, const std::vector<float>& x) {
    NewTensor out;
    const auto& traits = quant::dtype_traits(t.dtype);
    const std::size_t n = t.row_length(), rows = t.row_count();
    const std::uint32_t bs = t.entry.block_size;
    out.values.resize(traits.value_bytes(n) * rows);
    out.scales.resize(traits.scale_count(n, bs) * rows);
    for (std::size_t r = 0; r < rows; ++r) {
        Status st = traits.quantize_row(x.data() + r * n, n, bs, out.values.data() + r * traits.value_bytes(n),
                                        out.scales.data() + r * traits.scale_count(n, bs));
        if (!st) {
            Error e = st.take_error();
            e.message = "re-quantizing tensor " + t.name + " row " + std::to_string(r) + ": " + e.message;
            return e;
        }
    }
    return out;
}

}  // namespace

std::vector<float> tensor_values(const format::TensorView& t) {
    const auto& traits = quant::dtype_traits(t.dtype);
    const std::size_t n = t.row_length(), rows = t.row_count();
    const std::size_t value_bytes = traits.value_bytes(n), scales = traits.scale_count(n, t.entry.block_size);
    std::vector<float> out(t.element_count());
    std::vector<float> scale_row(scales);
    for (std::size_t r = 0; r < rows; ++r) {
        // Scales are copied out: the view may not be 4-byte aligned.
        if (scales) std::memcpy(scale_row.data(), t.scales.data() + r * scales * 4, scales * 4);
        if (t.dtype == format::DType::f32) std::memcpy(out.data() + r * n, t.data.data() + r * value_bytes, n * 4);
        else traits.dequantize_row(t.data.data() + r * value_bytes, scale_row.data(), t.entry.block_size,
                                   out.data() + r * n, n);
    }
    return out;
}

Result<AppliedModel> apply_adapters(const format::SlmView& base, std::string_view base_label,
                                    const std::vector<StackEntry>& stack, const ApplyOptions& options) {
    if (!std::isfinite(options.scale))
        return make_error(ErrorCode::usage, "adapter.bad_apply_scale",
                          "--scale: expected a finite number, found " + std::to_string(options.scale));
    const auto& tensors = base.tensors();
    // targets[t] = (adapter index, payload index) pairs in stack order.
    std::vector<std::vector<std::pair<std::size_t, std::size_t>>> targets(tensors.size());
    for (std::size_t a = 0; a < stack.size(); ++a) {
        auto matched = match_base(*stack[a].adapter, stack[a].label, base, base_label);
        if (!matched) return matched.take_error();
        for (std::size_t p = 0; p < matched->size(); ++p) targets[(*matched)[p]].push_back({a, p});
    }
    for (std::size_t t = 0; t < tensors.size(); ++t)
        if (!targets[t].empty() && tensors[t].dtype != format::DType::f32 && !options.requantize)
            return make_error(ErrorCode::usage, "adapter.quantized_base",
                              std::string(base_label) + ": tensor " + tensors[t].name + " is " +
                                  std::string(format::dtype_name(tensors[t].dtype)) +
                                  "; adapters add f32 deltas, so the result must be re-quantized, which loses "
                                  "precision (pass --requantize to do it anyway)");

    AppliedModel out;
    format::SlmInput in;
    in.config = base.config();
    in.tokenizer = base.tokenizer();
    std::vector<std::unique_ptr<NewTensor>> storage;
    for (std::size_t t = 0; t < tensors.size(); ++t) {
        const format::TensorView& view = tensors[t];
        const auto& dims = view.entry.dims;
        format::TensorInput ti{view.name, view.dtype,
                               std::vector<std::uint32_t>(dims.begin(), dims.begin() + view.entry.rank), view.data,
                               view.scales, view.entry.block_size, {}};
        if (!targets[t].empty()) {
            std::vector<float> x = tensor_values(view);
            for (auto [a, p] : targets[t])
                add_payload(stack[a].adapter->payloads[p], stack[a].adapter->kind, options.scale, x);
            for (std::size_t i = 0; i < x.size(); ++i)
                if (!std::isfinite(x[i]))
                    return make_error(ErrorCode::invalid_input, "adapter.non_finite_result",
                                      std::string(base_label) + ": tensor " + view.name + " element " +
                                          std::to_string(i) + ": expected a finite sum after the adapters, found " +
                                          std::to_string(x[i]));
            auto encoded = view.dtype == format::DType::f32
                               ? Result<NewTensor>(NewTensor{std::vector<std::uint8_t>(
                                     reinterpret_cast<const std::uint8_t*>(x.data()),
                                     reinterpret_cast<const std::uint8_t*>(x.data() + x.size())), {}})
                               : encode(view, x);
            if (!encoded) return encoded.take_error();
            storage.push_back(std::make_unique<NewTensor>(std::move(*encoded)));
            ti.data = Bytes(storage.back()->values);
            ti.scales = Bytes(reinterpret_cast<const std::uint8_t*>(storage.back()->scales.data()),
                              storage.back()->scales.size() * 4);
            out.changed.push_back({view.name, std::string(format::dtype_name(view.dtype)), targets[t].size(),
                                   view.dtype != format::DType::f32});
        }
        in.tensors.push_back(std::move(ti));
    }
    auto image = format::write_slm(in);
    if (!image) return image.take_error();
    out.slm = std::move(*image);
    return out;
}

std::string stack_digest(const std::vector<std::string>& digests) {
    if (digests.empty()) return "";
    if (digests.size() == 1) return digests.front();
    std::string text;
    for (const auto& d : digests) text += d + "\n";
    return sha256_ref(as_bytes(text));
}

}  // namespace slm::adapter
