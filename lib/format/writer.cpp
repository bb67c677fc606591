#include "format/writer.hpp"

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

void pad_to(std::vector<std::uint8_t>& buf, std::size_t alignment) {
    buf.resize((buf.size() + alignment - 1) / alignment * alignment, 0);
}

Status check_tensor(const TensorInput& t, const TensorSpec& spec) {
    std::array<std::uint32_t, 4> dims{};
    if (t.dims.size() != spec.rank)
        return input_error("shape_mismatch", t.name + ": expected rank " + std::to_string(spec.rank) +
                                                 ", found " + std::to_string(t.dims.size()));
    for (std::size_t i = 0; i < t.dims.size(); ++i) dims[i] = t.dims[i];
    if (dims != spec.dims)
        return input_error("shape_mismatch", t.name + ": shape does not match the model config");
    std::uint64_t n = 1;
    for (auto d : t.dims) n *= d;
    if (t.data.size() != dtype_payload_bytes(t.dtype, n))
        return input_error("bad_data_length", t.name + ": expected " +
                                                  std::to_string(dtype_payload_bytes(t.dtype, n)) +
                                                  " payload bytes, found " + std::to_string(t.data.size()));
    if (dtype_is_quantized(t.dtype)) {
        if (t.block_size == 0 || t.dims[0] % t.block_size != 0)
            return input_error("bad_block_size", t.name + ": block size must divide the row length");
        if (t.scales.size() != n / t.block_size * 4)
            return input_error("bad_scale_length", t.name + ": expected one f32 scale per block");
    }
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
    // The image's final size, so that appending never reallocates (and
    // re-copies) tens of megabytes of tensor data.
    auto aligned = [](std::size_t n, std::size_t a) { return (n + a - 1) / a * a; };
    std::size_t size = aligned(aligned(k_header_size + tok.size(), 8) + specs.size() * k_entry_size, k_alignment);
    for (const auto& s : specs) {
        const TensorInput& t = *by_name.at(s.name);
        size = aligned(size, k_alignment) + t.data.size();
        if (dtype_is_quantized(t.dtype)) size = aligned(size, k_alignment) + t.scales.size();
    }
    std::vector<std::uint8_t> buf;
    buf.reserve(size);
    buf.resize(k_header_size, 0);
    const std::uint64_t tokenizer_offset = buf.size();
    buf.insert(buf.end(), tok.begin(), tok.end());
    pad_to(buf, 8);
    const std::uint64_t directory_offset = buf.size();
    buf.resize(buf.size() + specs.size() * k_entry_size, 0);
    pad_to(buf, k_alignment);
    const std::uint64_t tensor_data_offset = buf.size();

    for (std::size_t i = 0; i < specs.size(); ++i) {
        const TensorInput& t = *by_name.at(specs[i].name);
        const std::size_t at = directory_offset + i * k_entry_size;
        pad_to(buf, k_alignment);
        const std::uint64_t data_offset = buf.size();
        buf.insert(buf.end(), t.data.begin(), t.data.end());
        std::uint64_t scale_offset = 0;
        if (dtype_is_quantized(t.dtype)) {
            pad_to(buf, k_alignment);
            scale_offset = buf.size();
            buf.insert(buf.end(), t.scales.begin(), t.scales.end());
        }
        put<std::uint64_t>(buf, at, specs[i].name_hash);
        put<std::uint32_t>(buf, at + 8, static_cast<std::uint32_t>(t.dtype));
        put<std::uint32_t>(buf, at + 12, specs[i].rank);
        for (int d = 0; d < 4; ++d) put<std::uint32_t>(buf, at + 16 + 4 * d, specs[i].dims[d]);
        put<std::uint64_t>(buf, at + 32, data_offset);
        put<std::uint64_t>(buf, at + 40, t.data.size());
        put<std::uint64_t>(buf, at + 48, scale_offset);
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
