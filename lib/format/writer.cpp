#include "format/writer.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>

#include "format/reader.hpp"
#include "format/tensor_names.hpp"

namespace slm::format {
namespace {

Error input_error(const std::string& id, const std::string& message) {
    return make_error(ErrorCode::invalid_input, "format." + id, message);
}

template <class T>
void put(std::vector<std::uint8_t>& buf, std::size_t at, T v) {
    std::memcpy(buf.data() + at, &v, sizeof v);
}

std::uint64_t element_count(const TensorInput& t) {
    std::uint64_t n = 1;
    for (auto d : t.dims) n *= d;
    return n;
}

// Payload and scale bytes as the image will hold them: what `data` and
// `scales` hold, or for a fill what dtype, dims and block size imply.
std::uint64_t payload_bytes(const TensorInput& t) {
    return t.fill ? dtype_payload_bytes(t.dtype, element_count(t)) : t.data.size();
}
std::uint64_t scale_bytes(const TensorInput& t) {
    if (!t.fill) return t.scales.size();
    return dtype_is_quantized(t.dtype) ? element_count(t) / t.block_size * sizeof(float) : 0;
}

Status check_tensor(const TensorInput& t, const TensorSpec& spec) {
    std::array<std::uint32_t, 4> dims{};
    if (t.dims.size() != spec.rank)
        return input_error("shape_mismatch", t.name + ": expected rank " + std::to_string(spec.rank) +
                                                 ", found " + std::to_string(t.dims.size()));
    for (std::size_t i = 0; i < t.dims.size(); ++i) dims[i] = t.dims[i];
    if (dims != spec.dims)
        return input_error("shape_mismatch", t.name + ": shape does not match the model config");
    const std::uint64_t n = element_count(t);
    if (dtype_is_quantized(t.dtype) && (t.block_size == 0 || t.dims[0] % t.block_size != 0))
        return input_error("bad_block_size", t.name + ": block size must divide the row length");
    if (t.fill) return {};
    if (t.data.size() != dtype_payload_bytes(t.dtype, n))
        return input_error("bad_data_length", t.name + ": expected " +
                                                  std::to_string(dtype_payload_bytes(t.dtype, n)) +
                                                  " payload bytes, found " + std::to_string(t.data.size()));
    if (dtype_is_quantized(t.dtype) && t.scales.size() != n / t.block_size * 4)
        return input_error("bad_scale_length", t.name + ": expected one f32 scale per block");
    return {};
}

}  // namespace

Result<std::vector<std::uint8_t>> write_slm(const SlmInput& in) {
    const ModelConfig& c = in.config;
    const std::vector<TensorSpec> specs = required_tensors(c);
    std::map<std::string, const TensorInput*> by_name;
    for (const auto& t : in.tensors)
        if (!by_name.emplace(t.name, &t).second)
            return input_error("duplicate_tensor", "tensor " + t.name + " given twice");
    if (by_name.size() != specs.size() || in.tensors.size() != specs.size()) {
        for (const auto& s : specs)
            if (!by_name.count(s.name)) return input_error("missing_tensor", "tensor " + s.name + " is missing");
        for (const auto& [name, t] : by_name) {
            bool known = false;
            for (const auto& s : specs) known = known || s.name == name;
            if (!known) return input_error("unknown_tensor", "tensor " + name + " is not part of this model");
        }
    }
    for (const auto& s : specs) {
        auto it = by_name.find(s.name);
        if (it == by_name.end()) return input_error("missing_tensor", "tensor " + s.name + " is missing");
        SLM_TRY(check_tensor(*it->second, s));
    }

    const std::vector<std::uint8_t> tok = serialize_tokenizer_section(in.tokenizer);
    // Offsets first, then one buffer of the final size (zeroed, which is the
    // padding), into which payloads are copied or filled in place.
    auto aligned = [](std::uint64_t n, std::uint64_t a) { return (n + a - 1) / a * a; };
    const std::uint64_t tokenizer_offset = k_header_size;
    const std::uint64_t directory_offset = aligned(tokenizer_offset + tok.size(), 8);
    const std::uint64_t tensor_data_offset = aligned(directory_offset + specs.size() * k_entry_size, k_alignment);
    struct Placement {
        const TensorInput* t;
        std::uint64_t data_offset, data_bytes, scale_offset, scale_bytes;
    };
    std::vector<Placement> placed;
    placed.reserve(specs.size());
    std::uint64_t size = tensor_data_offset;
    for (const auto& s : specs) {
        const TensorInput& t = *by_name.at(s.name);
        Placement p{&t, aligned(size, k_alignment), payload_bytes(t), 0, 0};
        size = p.data_offset + p.data_bytes;
        if (dtype_is_quantized(t.dtype)) {
            p.scale_offset = aligned(size, k_alignment);
            p.scale_bytes = scale_bytes(t);
            size = p.scale_offset + p.scale_bytes;
        }
        placed.push_back(p);
    }
    std::vector<std::uint8_t> buf(size, 0);
    std::memcpy(buf.data() + tokenizer_offset, tok.data(), tok.size());

    for (std::size_t i = 0; i < specs.size(); ++i) {
        const Placement& p = placed[i];
        const TensorInput& t = *p.t;
        if (t.fill) {
            // Offsets are multiples of k_alignment in a heap buffer: the scales are float-aligned.
            SLM_TRY(t.fill(std::span<std::uint8_t>(buf.data() + p.data_offset, p.data_bytes),
                           std::span<float>(reinterpret_cast<float*>(buf.data() + p.scale_offset),
                                            p.scale_bytes / sizeof(float))));
        } else {
            std::copy(t.data.begin(), t.data.end(), buf.begin() + static_cast<std::ptrdiff_t>(p.data_offset));
            if (p.scale_bytes != 0)
                std::copy(t.scales.begin(), t.scales.end(), buf.begin() + static_cast<std::ptrdiff_t>(p.scale_offset));
        }
        const std::size_t at = directory_offset + i * k_entry_size;
        put<std::uint64_t>(buf, at, specs[i].name_hash);
        put<std::uint32_t>(buf, at + 8, static_cast<std::uint32_t>(t.dtype));
        put<std::uint32_t>(buf, at + 12, specs[i].rank);
        for (int d = 0; d < 4; ++d) put<std::uint32_t>(buf, at + 16 + 4 * d, specs[i].dims[d]);
        put<std::uint64_t>(buf, at + 32, p.data_offset);
        put<std::uint64_t>(buf, at + 40, p.data_bytes);
        put<std::uint64_t>(buf, at + 48, p.scale_offset);
        put<std::uint32_t>(buf, at + 56, dtype_is_quantized(t.dtype) ? t.block_size : 0);
    }

    std::memcpy(buf.data(), k_magic.data(), 4);
    put<std::uint32_t>(buf, off::version, k_version);
    put<std::uint32_t>(buf, off::header_length, k_header_size);
    put<std::uint32_t>(buf, off::flags, c.flags());
    put<std::uint32_t>(buf, off::vocab_size, c.vocab_size);
    put<std::uint32_t>(buf, off::n_layers, c.n_layers);
    put<std::uint32_t>(buf, off::n_heads, c.n_heads);
    put<std::uint32_t>(buf, off::n_kv_heads, c.n_kv_heads);
    put<std::uint32_t>(buf, off::head_dim, c.head_dim);
    put<std::uint32_t>(buf, off::ffn_dim, c.ffn_dim);
    put<std::uint32_t>(buf, off::context_length, c.context_length);
    put<std::uint32_t>(buf, off::model_type, c.model_type);
    put<float>(buf, off::rope_theta, c.rope_theta);
    put<float>(buf, off::rms_eps, c.rms_eps);
    put<std::uint64_t>(buf, off::tokenizer_offset, tokenizer_offset);
    put<std::uint64_t>(buf, off::tokenizer_length, tok.size());
    put<std::uint64_t>(buf, off::directory_offset, directory_offset);
    put<std::uint32_t>(buf, off::tensor_count, static_cast<std::uint32_t>(specs.size()));
    put<std::uint64_t>(buf, off::tensor_data_offset, tensor_data_offset);
    put<std::uint64_t>(buf, off::checksum, compute_checksum(buf));

    // The reader is the definition of a valid file: refuse to hand out
    // anything it would reject (e.g. a header with zero dims). The checksum
    // was computed over these bytes just now; a second pass would add nothing.
    auto check = parse_slm(buf, "<writer output>", ReadOptions{false});
    if (!check) return check.take_error();
    return buf;
}

}  // namespace slm::format
