// GGUF v3 writer (deterministic; the result is parsed back before it is returned).
#include "interop/gguf.hpp"

namespace slm::interop {
namespace {

void write_string(ByteWriter& w, std::string_view s) {
    w.write<std::uint64_t>(s.size());
    w.write_bytes(s);
}

void write_scalar(ByteWriter& w, const GgufValue& v) {
    switch (v.type) {
        case GgufType::u8: w.write(static_cast<std::uint8_t>(v.u)); return;
        case GgufType::u16: w.write(static_cast<std::uint16_t>(v.u)); return;
        case GgufType::u32: w.write(static_cast<std::uint32_t>(v.u)); return;
        case GgufType::u64: w.write(v.u); return;
        case GgufType::i8: w.write(static_cast<std::int8_t>(v.i)); return;
        case GgufType::i16: w.write(static_cast<std::int16_t>(v.i)); return;
        case GgufType::i32: w.write(static_cast<std::int32_t>(v.i)); return;
        case GgufType::i64: w.write(v.i); return;
        case GgufType::f32: w.write(static_cast<float>(v.f)); return;
        case GgufType::f64: w.write(v.f); return;
        case GgufType::boolean: w.write(static_cast<std::uint8_t>(v.b ? 1 : 0)); return;
        case GgufType::string: write_string(w, v.s); return;
        case GgufType::array: return;  // handled by the caller
    }
}

Status write_value(ByteWriter& w, const std::string& key, const GgufValue& v) {
    if (v.type != GgufType::array) {
        write_scalar(w, v);
        return {};
    }
    if (v.array_type == GgufType::array)
        return make_error(ErrorCode::internal, "gguf.bad_type", "metadata '" + key + "': nested arrays");
    w.write(static_cast<std::uint32_t>(v.array_type));
    w.write<std::uint64_t>(v.array.size());
    for (const GgufValue& item : v.array) {
        if (item.type != v.array_type)
            return make_error(ErrorCode::internal, "gguf.bad_type",
                              "metadata '" + key + "': an element's type differs from the array's");
        write_scalar(w, item);
    }
    return {};
}

}  // namespace

Result<std::vector<std::uint8_t>> write_gguf(const std::vector<std::pair<std::string, GgufValue>>& metadata,
                                             const std::vector<GgufTensorInput>& tensors, std::uint32_t alignment) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0)
        return make_error(ErrorCode::internal, "gguf.bad_alignment", "alignment must be a power of two");
    bool has_alignment = false;
    for (const auto& kv : metadata) has_alignment |= kv.first == "general.alignment";

    ByteWriter w;
    w.write_bytes(std::string_view("GGUF"));
    w.write<std::uint32_t>(3);
    w.write<std::uint64_t>(tensors.size());
    w.write<std::uint64_t>(metadata.size() + (has_alignment ? 0 : 1));
    for (const auto& [key, value] : metadata) {
        write_string(w, key);
        w.write(static_cast<std::uint32_t>(value.type));
        if (auto st = write_value(w, key, value); !st) return st.take_error();
    }
    if (!has_alignment) {
        write_string(w, "general.alignment");
        w.write(static_cast<std::uint32_t>(GgufType::u32));
        w.write(alignment);
    }

    std::uint64_t offset = 0;
    for (const GgufTensorInput& t : tensors) {
        const GgmlTypeInfo* info = ggml_type_info(t.ggml_type);
        std::uint64_t elements = 1;
        for (std::uint64_t d : t.ne) elements *= d;
        if (info == nullptr || t.ne.empty() || elements % info->block_elements != 0 ||
            elements / info->block_elements * info->block_bytes != t.data.size())
            return make_error(ErrorCode::internal, "gguf.bad_tensor",
                              "tensor '" + t.name + "': data size does not match its type and shape");
        write_string(w, t.name);
        w.write<std::uint32_t>(static_cast<std::uint32_t>(t.ne.size()));
        for (std::uint64_t d : t.ne) w.write(d);
        w.write(t.ggml_type);
        w.write(offset);
        offset = (offset + t.data.size() + alignment - 1) / alignment * alignment;
    }
    w.pad_to(alignment);
    for (const GgufTensorInput& t : tensors) {
        w.write_bytes(t.data);
        w.pad_to(alignment);
    }

    std::vector<std::uint8_t> image = std::move(w.buffer());
    // Self-check: a writer bug must not leave a file others cannot read.
    auto check = GgufFile::from_bytes(image, "written GGUF");
    if (!check) {
        Error e = check.take_error();
        return make_error(ErrorCode::internal, "gguf.self_check", "the GGUF writer produced an invalid file: " + e.message);
    }
    return image;
}

}  // namespace slm::interop
