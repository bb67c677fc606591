#include "interop/safetensors.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/json_canonical.hpp"

namespace slm::interop {
namespace {

using nlohmann::json;

struct DtypeInfo {
    const char* name;
    std::uint32_t bits;  // per element
};

// Every dtype of the safetensors specification; only F32/F16/BF16 are read as f32.
constexpr DtypeInfo k_dtypes[] = {
    {"BOOL", 8},    {"U8", 8},   {"I8", 8},       {"F8_E5M2", 8},  {"F8_E4M3", 8}, {"F8_E8M0", 8},
    {"I16", 16},    {"U16", 16}, {"F16", 16},     {"BF16", 16},    {"I32", 32},    {"U32", 32},
    {"F32", 32},    {"F64", 64}, {"I64", 64},     {"U64", 64},     {"C64", 64},    {"F4", 4},
    {"F6_E2M3", 6}, {"F6_E3M2", 6},
};

const DtypeInfo* find_dtype(std::string_view name) {
    for (const auto& d : k_dtypes) {
        if (name == d.name) return &d;
    }
    return nullptr;
}

Error invalid(const std::string& where, const char* id, const std::string& message) {
    return make_error(ErrorCode::invalid_input, std::string("safetensors.") + id, where + ": " + message);
}

std::string shape_text(const std::vector<std::uint64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

std::string short_json(const json& v) {
    std::string s = canonical_json(v);
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
}

// Non-negative integer JSON value (floats such as 2.0 are refused: the format says u64).
bool as_u64(const json& v, std::uint64_t& out) {
    if (v.is_number_unsigned()) {
        out = v.get<std::uint64_t>();
        return true;
    }
    if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
        out = static_cast<std::uint64_t>(v.get<std::int64_t>());
        return true;
    }
    return false;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

Result<SafetensorsTensorInfo> parse_entry(const std::string& where, const std::string& name, const json& entry) {
    const std::string what = "tensor " + json(name).dump();
    if (!entry.is_object()) {
        return invalid(where, "bad_entry", what + ": expected an object with dtype, shape and data_offsets, found " +
                                               short_json(entry));
    }
    for (auto it = entry.begin(); it != entry.end(); ++it) {
        if (it.key() != "dtype" && it.key() != "shape" && it.key() != "data_offsets") {
            return invalid(where, "bad_entry", what + ": unexpected field " + json(it.key()).dump() +
                                                   " (expected only dtype, shape, data_offsets)");
        }
    }
    for (const char* field : {"dtype", "shape", "data_offsets"}) {
        if (!entry.contains(field)) return invalid(where, "bad_entry", what + ": missing field \"" + field + "\"");
    }
    SafetensorsTensorInfo info;
    info.name = name;
    const json& dtype = entry["dtype"];
    if (!dtype.is_string()) {
        return invalid(where, "bad_entry", what + ": dtype: expected a string, found " + short_json(dtype));
    }
    info.dtype = dtype.get<std::string>();
    const DtypeInfo* d = find_dtype(info.dtype);
    if (!d) return invalid(where, "unknown_dtype", what + ": unknown dtype " + json(info.dtype).dump());

    const json& shape = entry["shape"];
    if (!shape.is_array()) {
        return invalid(where, "bad_entry", what + ": shape: expected an array of non-negative integers, found " +
                                               short_json(shape));
    }
    info.element_count = 1;
    bool overflow = false;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        std::uint64_t dim;
        if (!as_u64(shape[i], dim)) {
            return invalid(where, "bad_entry", what + ": shape[" + std::to_string(i) +
                                                   "]: expected a non-negative integer, found " + short_json(shape[i]));
        }
        info.shape.push_back(dim);
        overflow = overflow || !checked_mul(info.element_count, dim, info.element_count);
    }

    const json& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !as_u64(offsets[0], info.begin) ||
        !as_u64(offsets[1], info.end)) {
        return invalid(where, "bad_entry", what + ": data_offsets: expected [begin, end] of non-negative integers, found " +
                                               short_json(offsets));
    }
    if (info.begin > info.end) {
        return invalid(where, "bad_entry", what + ": data_offsets: begin " + std::to_string(info.begin) +
                                               " is after end " + std::to_string(info.end));
    }
    // A zero dimension makes the tensor empty even if the others overflow.
    if (std::find(info.shape.begin(), info.shape.end(), 0) != info.shape.end()) {
        overflow = false;
        info.element_count = 0;
    }
    std::uint64_t bits = 0;
    const std::uint64_t held = info.end - info.begin;
    const std::string needs = what + ": shape " + shape_text(info.shape) + " of " + info.dtype;
    if (overflow || !checked_mul(info.element_count, d->bits, bits)) {
        return invalid(where, "size_mismatch", needs + " has more elements than 2^64 bits can hold; data_offsets hold " +
                                                   std::to_string(held) + " bytes");
    }
    if (bits % 8 != 0) {
        return invalid(where, "size_mismatch", needs + " needs " + std::to_string(bits) +
                                                   " bits, not a whole number of bytes");
    }
    if (bits / 8 != held) {
        return invalid(where, "size_mismatch", needs + " needs " + std::to_string(bits / 8) +
                                                   " bytes, data_offsets [" + std::to_string(info.begin) + ", " +
                                                   std::to_string(info.end) + "] hold " + std::to_string(held));
    }
    return info;
}

}  // namespace

float widen_f16(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exp = (h >> 10) & 0x1Fu;
    const std::uint32_t mant = h & 0x3FFu;
    std::uint32_t bits;
    if (exp == 0) {
        // Zero or subnormal: mant * 2^-24, exact in f32.
        const float v = std::ldexp(static_cast<float>(mant), -24);
        return sign ? -v : v;
    }
    if (exp == 31) {
        bits = sign | 0x7F800000u | (mant << 13);  // infinity or NaN with its payload
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

float widen_bf16(std::uint16_t h) {
    const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

Result<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
    auto mapped = MappedFile::open(path);
    if (!mapped) return mapped.take_error();
    SafetensorsFile file;
    file.where_ = path;
    file.mapped_ = std::move(*mapped);
    return parse(std::move(file));
}

Result<SafetensorsFile> SafetensorsFile::from_bytes(std::vector<std::uint8_t> bytes, std::string where) {
    SafetensorsFile file;
    file.where_ = std::move(where);
    file.owned_ = std::move(bytes);
    return parse(std::move(file));
}

Result<SafetensorsFile> SafetensorsFile::parse(SafetensorsFile file) {
    const std::string& where = file.where_;
    const Bytes all = file.bytes();
    if (all.size() < 8) {
        return invalid(where, "truncated", "file is " + std::to_string(all.size()) +
                                               " bytes, shorter than the 8-byte header length at offset 0");
    }
    const auto header_len = load_le<std::uint64_t>(all.data());
    if (header_len > k_safetensors_max_header) {
        return invalid(where, "header_too_large", "header length " + std::to_string(header_len) +
                                                      " at offset 0 exceeds the limit of " +
                                                      std::to_string(k_safetensors_max_header) + " bytes");
    }
    if (!range_inside(8, header_len, all.size())) {
        return invalid(where, "truncated", "header length " + std::to_string(header_len) +
                                               " at offset 0 runs past the end of the file (" +
                                               std::to_string(all.size()) + " bytes)");
    }
    const std::string_view header = as_string_view(all.subspan(8, static_cast<std::size_t>(header_len)));
    if (header.empty() || header[0] != '{') {
        return invalid(where, "bad_header", "header at offset 8 must start with '{', found " +
                                                (header.empty() ? std::string("an empty header")
                                                                : "byte " + std::to_string(static_cast<unsigned char>(header[0]))));
    }
    auto parsed = parse_json(header, where + ": header (JSON at file offset 8)");
    if (!parsed) {
        Error e = parsed.take_error();
        e.id = "safetensors.bad_header";
        return e;
    }
    file.data_offset_ = 8 + header_len;
    const std::uint64_t data_size = all.size() - file.data_offset_;

    std::vector<const SafetensorsTensorInfo*> by_offset;
    for (auto it = parsed->begin(); it != parsed->end(); ++it) {
        if (it.key() == "__metadata__") {
            if (!it.value().is_object()) {
                return invalid(where, "bad_metadata", "__metadata__: expected an object of strings, found " +
                                                          short_json(it.value()));
            }
            for (auto m = it.value().begin(); m != it.value().end(); ++m) {
                if (!m.value().is_string()) {
                    return invalid(where, "bad_metadata", "__metadata__." + m.key() + ": expected a string, found " +
                                                              short_json(m.value()));
                }
                file.metadata_.emplace(m.key(), m.value().get<std::string>());
            }
            continue;
        }
        auto info = parse_entry(where, it.key(), it.value());
        if (!info) return info.take_error();
        if (info->end > data_size) {
            return invalid(where, "offset_out_of_range",
                           "tensor " + json(it.key()).dump() + ": data_offsets [" + std::to_string(info->begin) + ", " +
                               std::to_string(info->end) + "] run past the data region of " + std::to_string(data_size) +
                               " bytes (file offset " + std::to_string(file.data_offset_) + " to " +
                               std::to_string(all.size()) + ")");
        }
        auto [slot, fresh] = file.tensors_.emplace(it.key(), std::move(*info));
        (void)fresh;  // parse_json already refused duplicate keys
        by_offset.push_back(&slot->second);
    }

    std::sort(by_offset.begin(), by_offset.end(), [](const auto* a, const auto* b) {
        return std::tie(a->begin, a->end, a->name) < std::tie(b->begin, b->end, b->name);
    });
    std::uint64_t covered = 0;
    const SafetensorsTensorInfo* previous = nullptr;
    for (const auto* t : by_offset) {
        if (t->begin < covered) {
            return invalid(where, "overlap", "tensor " + json(t->name).dump() + " data_offsets [" +
                                                 std::to_string(t->begin) + ", " + std::to_string(t->end) +
                                                 "] overlap tensor " + json(previous->name).dump() + " [" +
                                                 std::to_string(previous->begin) + ", " +
                                                 std::to_string(previous->end) + "]");
        }
        if (t->begin > covered) {
            return invalid(where, "gap", "no tensor covers data bytes [" + std::to_string(covered) + ", " +
                                             std::to_string(t->begin) + ") before tensor " + json(t->name).dump() +
                                             " (tensors must tile the data region)");
        }
        covered = t->end;
        previous = t;
        file.order_.push_back(t->name);
    }
    if (covered != data_size) {
        return invalid(where, "trailing_data", std::to_string(data_size - covered) +
                                                   " bytes after the last tensor: tensors cover [0, " +
                                                   std::to_string(covered) + ") of a data region of " +
                                                   std::to_string(data_size) + " bytes");
    }
    return file;
}

std::vector<std::string> SafetensorsFile::names() const { return order_; }

const SafetensorsTensorInfo* SafetensorsFile::find(std::string_view name) const {
    auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
}

Result<const SafetensorsTensorInfo*> SafetensorsFile::lookup(std::string_view name) const {
    if (const auto* t = find(name)) return t;
    std::string message = where_ + ": no tensor named " + json(std::string(name)).dump();
    const std::string* best = nullptr;
    std::size_t best_distance = 0;
    for (const auto& n : order_) {
        const std::size_t d = edit_distance(name, n);
        if (!best || d < best_distance) {
            best = &n;
            best_distance = d;
        }
    }
    if (best && best_distance <= std::max<std::size_t>(2, name.size() / 4)) {
        message += "; did you mean " + json(*best).dump() + "?";
    }
    return make_error(ErrorCode::not_found, "safetensors.tensor_not_found", std::move(message));
}

Result<std::vector<std::uint64_t>> SafetensorsFile::shape(std::string_view name) const {
    auto t = lookup(name);
    if (!t) return t.take_error();
    return (*t)->shape;
}

Result<Bytes> SafetensorsFile::data(std::string_view name) const {
    auto t = lookup(name);
    if (!t) return t.take_error();
    return bytes().subspan(static_cast<std::size_t>(data_offset_ + (*t)->begin),
                           static_cast<std::size_t>((*t)->end - (*t)->begin));
}

Result<std::vector<float>> SafetensorsFile::read_f32(std::string_view name) const {
    auto t = lookup(name);
    if (!t) return t.take_error();
    const SafetensorsTensorInfo& info = **t;
    const Bytes raw = bytes().subspan(static_cast<std::size_t>(data_offset_ + info.begin),
                                      static_cast<std::size_t>(info.end - info.begin));
    const auto n = static_cast<std::size_t>(info.element_count);
    std::vector<float> out(n);
    if (info.dtype == "F32") {
        if (n) std::memcpy(out.data(), raw.data(), n * sizeof(float));  // little-endian host, unaligned source
    } else if (info.dtype == "F16" || info.dtype == "BF16") {
        const bool f16 = info.dtype == "F16";
        for (std::size_t i = 0; i < n; ++i) {
            const auto h = load_le<std::uint16_t>(raw.data() + 2 * i);
            out[i] = f16 ? widen_f16(h) : widen_bf16(h);
        }
    } else {
        return make_error(ErrorCode::incompatible, "safetensors.unsupported_dtype",
                          where_ + ": tensor " + json(info.name).dump() + " has dtype " + info.dtype +
                              "; only F32, F16 and BF16 tensors can be read as f32");
    }
    return out;
}

Result<std::vector<std::uint8_t>> write_safetensors(const std::vector<SafetensorsTensor>& tensors,
                                                    const std::map<std::string, std::string>& metadata) {
    auto bad = [](const std::string& message) {
        return make_error(ErrorCode::invalid_input, "safetensors.bad_tensor", "write_safetensors: " + message);
    };
    json header = json::object();
    std::set<std::string> seen;
    std::uint64_t offset = 0;
    for (const auto& t : tensors) {
        const std::string quoted = json(t.name).dump();
        if (t.name.empty() || t.name == "__metadata__") return bad("tensor name " + quoted + " is not allowed");
        if (!seen.insert(t.name).second) return bad("duplicate tensor name " + quoted);
        std::uint64_t count = 1;
        bool overflow = false;
        for (auto d : t.shape) overflow = overflow || !checked_mul(count, d, count);
        if (overflow || count != t.data.size()) {
            return bad("tensor " + quoted + ": shape " + shape_text(t.shape) + " does not describe its " +
                       std::to_string(t.data.size()) + " values");
        }
        const std::uint64_t end = offset + count * sizeof(float);
        header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, end}}};
        offset = end;
    }
    if (!metadata.empty()) header["__metadata__"] = metadata;

    std::string text = canonical_json(header);
    text.append((8 - text.size() % 8) % 8, ' ');
    ByteWriter w;
    w.write<std::uint64_t>(text.size());
    w.write_bytes(std::string_view(text));
    for (const auto& t : tensors) {
        w.write_bytes(Bytes(reinterpret_cast<const std::uint8_t*>(t.data.data()), t.data.size() * sizeof(float)));
    }
    return std::move(w.buffer());
}

}  // namespace slm::interop
