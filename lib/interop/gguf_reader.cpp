// GGUF reader: validates every count, length and offset before use (rules in gguf.hpp).
#include <algorithm>
#include <cstring>

#include "interop/gguf.hpp"

namespace slm::interop {
namespace {

constexpr std::uint32_t k_max_dims = 4;

Error invalid(const std::string& where, const char* id, const std::string& message) {
    return make_error(ErrorCode::invalid_input, std::string("gguf.") + id, where + ": " + message);
}

std::string num(std::uint64_t v) { return std::to_string(v); }

// Smallest encoding of one element, to bound counts by the bytes left.
std::uint64_t min_size(GgufType t) {
    switch (t) {
        case GgufType::u8: case GgufType::i8: case GgufType::boolean: return 1;
        case GgufType::u16: case GgufType::i16: return 2;
        case GgufType::u32: case GgufType::i32: case GgufType::f32: return 4;
        case GgufType::u64: case GgufType::i64: case GgufType::f64: case GgufType::string: return 8;
        case GgufType::array: return 12;
    }
    return 1;
}

bool known_type(std::uint32_t raw) { return raw <= static_cast<std::uint32_t>(GgufType::f64); }

// Sequential parse of the header, metadata and tensor infos.
class Parser {
public:
    Parser(Bytes bytes, const std::string& where) : r_(bytes), where_(where) {}

    std::uint64_t at() const { return r_.position(); }
    std::uint64_t left() const { return r_.remaining(); }

    Error truncated(const std::string& what) const {
        return invalid(where_, "truncated", "file ends inside " + what + " (offset " + num(at()) + ")");
    }

    template <class T>
    Result<T> read(const std::string& what) {
        T v = r_.read<T>();
        if (!r_.ok()) return truncated(what);
        return v;
    }

    Result<std::string> read_string(const std::string& what) {
        const std::uint64_t start = at();
        auto len = read<std::uint64_t>(what + " length");
        if (!len) return len.take_error();
        if (*len > left())
            return invalid(where_, "bad_length",
                           what + " at offset " + num(start) + " declares " + num(*len) + " bytes but only " +
                               num(left()) + " remain");
        Bytes b = r_.take(*len);
        return std::string(as_string_view(b));
    }

    Result<GgufValue> read_value(GgufType type, const std::string& what, bool in_array) {
        GgufValue v;
        v.type = type;
        switch (type) {
            case GgufType::u8: return scalar<std::uint8_t>(v, v.u, what);
            case GgufType::u16: return scalar<std::uint16_t>(v, v.u, what);
            case GgufType::u32: return scalar<std::uint32_t>(v, v.u, what);
            case GgufType::u64: return scalar<std::uint64_t>(v, v.u, what);
            case GgufType::i8: return scalar<std::int8_t>(v, v.i, what);
            case GgufType::i16: return scalar<std::int16_t>(v, v.i, what);
            case GgufType::i32: return scalar<std::int32_t>(v, v.i, what);
            case GgufType::i64: return scalar<std::int64_t>(v, v.i, what);
            case GgufType::f32: return scalar<float>(v, v.f, what);
            case GgufType::f64: return scalar<double>(v, v.f, what);
            case GgufType::boolean: {
                auto b = read<std::uint8_t>(what);
                if (!b) return b.take_error();
                if (*b > 1)
                    return invalid(where_, "bad_value", what + ": a bool must be 0 or 1, found " + num(*b));
                v.b = *b == 1;
                return v;
            }
            case GgufType::string: {
                auto s = read_string(what);
                if (!s) return s.take_error();
                v.s = std::move(*s);
                return v;
            }
            case GgufType::array: {
                if (in_array) return invalid(where_, "bad_type", what + ": nested arrays are not supported");
                auto raw = read<std::uint32_t>(what + " element type");
                if (!raw) return raw.take_error();
                if (!known_type(*raw) || *raw == static_cast<std::uint32_t>(GgufType::array))
                    return invalid(where_, "bad_type", what + ": unknown or nested array element type " + num(*raw));
                auto count = read<std::uint64_t>(what + " element count");
                if (!count) return count.take_error();
                v.array_type = static_cast<GgufType>(*raw);
                if (*count > left() / min_size(v.array_type))
                    return invalid(where_, "bad_length",
                                   what + ": array of " + num(*count) + " " +
                                       std::string(gguf_type_name(v.array_type)) + " does not fit in the " +
                                       num(left()) + " bytes left");
                v.array.reserve(*count);
                for (std::uint64_t k = 0; k < *count; ++k) {
                    auto item = read_value(v.array_type, what + "[" + num(k) + "]", true);
                    if (!item) return item.take_error();
                    v.array.push_back(std::move(*item));
                }
                return v;
            }
        }
        return invalid(where_, "bad_type", what + ": unknown value type");
    }

private:
    template <class T, class Field>
    Result<GgufValue> scalar(GgufValue& v, Field& field, const std::string& what) {
        auto x = read<T>(what);
        if (!x) return x.take_error();
        field = static_cast<Field>(*x);
        return std::move(v);
    }

    ByteReader r_;
    const std::string& where_;
};

Status check_alignment(const GgufValue& v, const std::string& where, std::uint32_t& out) {
    if (v.type != GgufType::u32 || v.u == 0 || (v.u & (v.u - 1)) != 0)
        return invalid(where, "bad_alignment",
                       "general.alignment must be a u32 power of two, found " +
                           std::string(gguf_type_name(v.type)) + " " + num(v.u));
    out = static_cast<std::uint32_t>(v.u);
    return {};
}

Result<GgufTensorInfo> read_tensor_info(Parser& p, const std::string& where, std::uint64_t index) {
    GgufTensorInfo t;
    auto name = p.read_string("tensor info " + num(index) + " name");
    if (!name) return name.take_error();
    t.name = std::move(*name);
    const std::string what = "tensor '" + t.name + "'";
    auto n_dims = p.read<std::uint32_t>(what + " n_dims");
    if (!n_dims) return n_dims.take_error();
    if (*n_dims < 1 || *n_dims > k_max_dims)
        return invalid(where, "bad_shape", what + ": n_dims must be 1..4, found " + num(*n_dims));
    std::uint64_t elements = 1;
    for (std::uint32_t d = 0; d < *n_dims; ++d) {
        auto ne = p.read<std::uint64_t>(what + " ne[" + num(d) + "]");
        if (!ne) return ne.take_error();
        if (*ne == 0 || !checked_mul(elements, *ne, elements))
            return invalid(where, "bad_shape", what + ": ne[" + num(d) + "] = " + num(*ne) +
                                                   " is zero or makes the element count overflow");
        t.ne.push_back(*ne);
    }
    auto type = p.read<std::uint32_t>(what + " type");
    if (!type) return type.take_error();
    t.ggml_type = *type;
    const GgmlTypeInfo* info = ggml_type_info(*type);
    if (info == nullptr) return invalid(where, "unknown_type", what + ": unknown ggml type " + num(*type));
    if (t.ne[0] % info->block_elements != 0)
        return invalid(where, "bad_shape", what + ": row length ne[0] = " + num(t.ne[0]) +
                                               " is not a multiple of the " + info->name + " block size " +
                                               num(info->block_elements));
    if (!checked_mul(elements / info->block_elements, info->block_bytes, t.byte_size))
        return invalid(where, "bad_shape", what + ": byte size overflows");
    auto offset = p.read<std::uint64_t>(what + " offset");
    if (!offset) return offset.take_error();
    t.offset = *offset;
    return t;
}

}  // namespace

Result<GgufFile> GgufFile::open(const std::string& path) {
    auto mapped = MappedFile::open(path);
    if (!mapped) return mapped.take_error();
    GgufFile f;
    f.where_ = path;
    f.mapped_ = std::move(*mapped);
    return parse(std::move(f));
}

Result<GgufFile> GgufFile::from_bytes(std::vector<std::uint8_t> bytes, std::string where) {
    GgufFile f;
    f.where_ = std::move(where);
    f.owned_ = std::move(bytes);
    return parse(std::move(f));
}

Result<GgufFile> GgufFile::parse(GgufFile f) {
    const Bytes bytes = f.bytes();
    const std::string& where = f.where_;
    Parser p(bytes, where);
    if (bytes.size() < 4 || std::memcmp(bytes.data(), "GGUF", 4) != 0)
        return invalid(where, "bad_magic", "not a GGUF file (the first 4 bytes are not \"GGUF\")");
    (void)p.read<std::uint32_t>("magic");
    auto version = p.read<std::uint32_t>("version");
    if (!version) return version.take_error();
    if (*version != 2 && *version != 3)
        return make_error(ErrorCode::incompatible, "gguf.unsupported_version",
                          where + ": GGUF version " + num(*version) + " is not supported (expected 2 or 3)");
    f.version_ = *version;
    auto tensor_count = p.read<std::uint64_t>("tensor_count");
    if (!tensor_count) return tensor_count.take_error();
    auto kv_count = p.read<std::uint64_t>("metadata_kv_count");
    if (!kv_count) return kv_count.take_error();
    // A key/value takes at least 13 bytes and a tensor info at least 32.
    if (*kv_count > p.left() / 13 || *tensor_count > p.left() / 32)
        return invalid(where, "bad_length",
                       "header declares " + num(*kv_count) + " metadata entries and " + num(*tensor_count) +
                           " tensors, more than the file can hold");

    f.kv_.reserve(*kv_count);
    for (std::uint64_t k = 0; k < *kv_count; ++k) {
        auto key = p.read_string("metadata key " + num(k));
        if (!key) return key.take_error();
        if (f.kv_index_.count(*key) != 0)
            return invalid(where, "duplicate_key", "metadata key '" + *key + "' appears twice");
        auto raw = p.read<std::uint32_t>("type of '" + *key + "'");
        if (!raw) return raw.take_error();
        if (!known_type(*raw))
            return invalid(where, "bad_type", "metadata '" + *key + "' has unknown value type " + num(*raw));
        auto value = p.read_value(static_cast<GgufType>(*raw), "metadata '" + *key + "'", false);
        if (!value) return value.take_error();
        if (*key == "general.alignment") {
            if (auto st = check_alignment(*value, where, f.alignment_); !st) return st.take_error();
        }
        f.kv_index_.emplace(*key, f.kv_.size());
        f.kv_.emplace_back(std::move(*key), std::move(*value));
    }

    f.tensors_.reserve(*tensor_count);
    for (std::uint64_t k = 0; k < *tensor_count; ++k) {
        auto t = read_tensor_info(p, where, k);
        if (!t) return t.take_error();
        if (f.tensor_index_.count(t->name) != 0)
            return invalid(where, "duplicate_tensor", "tensor '" + t->name + "' appears twice");
        f.tensor_index_.emplace(t->name, f.tensors_.size());
        f.tensors_.push_back(std::move(*t));
    }

    // The data section starts at the next multiple of the alignment.
    const std::uint64_t a = f.alignment_;
    f.data_offset_ = (p.at() + a - 1) / a * a;
    std::vector<const GgufTensorInfo*> by_offset;
    for (const auto& t : f.tensors_) {
        if (t.offset % a != 0)
            return invalid(where, "misaligned", "tensor '" + t.name + "': offset " + num(t.offset) +
                                                    " is not a multiple of the alignment " + num(a));
        std::uint64_t begin;
        if (!checked_add(f.data_offset_, t.offset, begin) || !range_inside(begin, t.byte_size, bytes.size()))
            return invalid(where, "out_of_range", "tensor '" + t.name + "': data at offset " + num(t.offset) +
                                                      " + " + num(t.byte_size) + " bytes lies outside the file (" +
                                                      num(bytes.size()) + " bytes, data section at " +
                                                      num(f.data_offset_) + ")");
        by_offset.push_back(&t);
    }
    std::sort(by_offset.begin(), by_offset.end(),
              [](const GgufTensorInfo* x, const GgufTensorInfo* y) { return x->offset < y->offset; });
    for (std::size_t k = 1; k < by_offset.size(); ++k) {
        const GgufTensorInfo& prev = *by_offset[k - 1];
        if (prev.offset + prev.byte_size > by_offset[k]->offset)
            return invalid(where, "overlap", "tensors '" + prev.name + "' and '" + by_offset[k]->name +
                                                 "' share bytes (offsets " + num(prev.offset) + " and " +
                                                 num(by_offset[k]->offset) + ")");
    }
    return f;
}

const GgufValue* GgufFile::find(std::string_view key) const {
    auto it = kv_index_.find(key);
    return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
    auto it = tensor_index_.find(name);
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

Bytes GgufFile::tensor_data(const GgufTensorInfo& t) const {
    return bytes().subspan(static_cast<std::size_t>(data_offset_ + t.offset), static_cast<std::size_t>(t.byte_size));
}

Result<const GgufValue*> GgufFile::require(std::string_view key) const {
    const GgufValue* v = find(key);
    if (v == nullptr)
        return make_error(ErrorCode::invalid_input, "gguf.missing_key",
                          where_ + ": required metadata key '" + std::string(key) + "' is missing");
    return v;
}

namespace {
Error wrong_type(const std::string& where, std::string_view key, const char* expected, const GgufValue& v) {
    return invalid(where, "bad_value", "metadata '" + std::string(key) + "': expected " + expected + ", found " +
                                           std::string(gguf_type_name(v.type)));
}
}  // namespace

Result<std::string> GgufFile::get_string(std::string_view key) const {
    auto v = require(key);
    if (!v) return v.take_error();
    if ((*v)->type != GgufType::string) return wrong_type(where_, key, "a string", **v);
    return (*v)->s;
}

Result<std::uint64_t> GgufFile::get_uint(std::string_view key) const {
    auto v = require(key);
    if (!v) return v.take_error();
    const GgufValue& x = **v;
    if (!x.is_integer()) return wrong_type(where_, key, "an integer", x);
    const bool is_signed = x.type == GgufType::i8 || x.type == GgufType::i16 || x.type == GgufType::i32 ||
                           x.type == GgufType::i64;
    if (is_signed && x.i < 0)
        return invalid(where_, "bad_value", "metadata '" + std::string(key) + "' is negative (" +
                                                std::to_string(x.i) + ")");
    return is_signed ? static_cast<std::uint64_t>(x.i) : x.u;
}

Result<double> GgufFile::get_float(std::string_view key) const {
    auto v = require(key);
    if (!v) return v.take_error();
    const GgufValue& x = **v;
    if (x.type == GgufType::f32 || x.type == GgufType::f64) return x.f;
    if (!x.is_integer()) return wrong_type(where_, key, "a number", x);
    return x.type == GgufType::u8 || x.type == GgufType::u16 || x.type == GgufType::u32 || x.type == GgufType::u64
               ? static_cast<double>(x.u)
               : static_cast<double>(x.i);
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
    auto v = require(key);
    if (!v) return v.take_error();
    if ((*v)->type != GgufType::boolean) return wrong_type(where_, key, "a bool", **v);
    return (*v)->b;
}

}  // namespace slm::interop
