#include "format/reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>

#include "core/hash.hpp"
#include "format/tensor_names.hpp"

namespace slm::format {
namespace {

// Builds "<file>: <field> at offset N: expected X, found Y" errors.
class Complaint {
public:
    explicit Complaint(std::string_view where) : where_(where) {}

    Error operator()(const char* id, std::string_view field, std::uint64_t offset,
                     std::string_view expected, std::string_view found) const {
        return make_error(ErrorCode::invalid_input, std::string("format.") + id,
                          std::string(where_) + ": " + std::string(field) + " at offset " +
                              std::to_string(offset) + ": expected " + std::string(expected) +
                              ", found " + std::string(found));
    }

private:
    std::string_view where_;
};

std::string num(std::uint64_t v) { return std::to_string(v); }

std::string hex64(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
    return buf;
}

std::string float_text(float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
    return buf;
}

struct Region {
    std::uint64_t begin, end;
    std::string what;
};

Result<Header> parse_header(Bytes file, const Complaint& fail) {
    if (file.size() < k_header_size)
        return fail("truncated", "header", 0, num(k_header_size) + " bytes", num(file.size()) + " bytes");
    const std::uint8_t* p = file.data();
    if (std::memcmp(p, k_magic.data(), 4) != 0)
        return fail("bad_magic", "magic", off::magic, "\"SLM1\"", to_hex(file.first(4)));
    Header h;
    h.version = load_le<std::uint32_t>(p + off::version);
    h.header_length = load_le<std::uint32_t>(p + off::header_length);
    h.flags = load_le<std::uint32_t>(p + off::flags);
    ModelConfig& c = h.config;
    c.vocab_size = load_le<std::uint32_t>(p + off::vocab_size);
    c.n_layers = load_le<std::uint32_t>(p + off::n_layers);
    c.n_heads = load_le<std::uint32_t>(p + off::n_heads);
    c.n_kv_heads = load_le<std::uint32_t>(p + off::n_kv_heads);
    c.head_dim = load_le<std::uint32_t>(p + off::head_dim);
    c.ffn_dim = load_le<std::uint32_t>(p + off::ffn_dim);
    c.context_length = load_le<std::uint32_t>(p + off::context_length);
    c.model_type = load_le<std::uint32_t>(p + off::model_type);
    c.rope_theta = load_le<float>(p + off::rope_theta);
    c.rms_eps = load_le<float>(p + off::rms_eps);
    c.tied_output = (h.flags & k_flag_tied_output) != 0;
    h.tokenizer_offset = load_le<std::uint64_t>(p + off::tokenizer_offset);
    h.tokenizer_length = load_le<std::uint64_t>(p + off::tokenizer_length);
    h.directory_offset = load_le<std::uint64_t>(p + off::directory_offset);
    h.tensor_count = load_le<std::uint32_t>(p + off::tensor_count);
    h.tensor_data_offset = load_le<std::uint64_t>(p + off::tensor_data_offset);
    h.checksum = load_le<std::uint64_t>(p + off::checksum);

    if (h.version != k_version) return fail("bad_version", "version", off::version, "1", num(h.version));
    if (h.header_length < k_header_size || h.header_length > file.size())
        return fail("bad_header_length", "header_length", off::header_length,
                    "at least 108 and at most the file size " + num(file.size()), num(h.header_length));
    for (std::size_t at : {off::reserved0, off::reserved1}) {
        std::uint32_t v = load_le<std::uint32_t>(p + at);
        if (v != 0) return fail("reserved_nonzero", "reserved", at, "0", num(v));
    }
    if ((h.flags & ~k_known_flags) != 0)
        return fail("bad_flags", "flags", off::flags, "only bit 0 (tied output) may be set", num(h.flags));

    const std::pair<const char*, std::size_t> dims[] = {
        {"vocab_size", off::vocab_size}, {"n_layers", off::n_layers}, {"n_heads", off::n_heads},
        {"n_kv_heads", off::n_kv_heads}, {"head_dim", off::head_dim}, {"ffn_dim", off::ffn_dim},
        {"context_length", off::context_length}};
    for (auto [field, at] : dims)
        if (load_le<std::uint32_t>(p + at) == 0) return fail("zero_dim", field, at, "a value > 0", "0");
    if (c.n_kv_heads > c.n_heads || c.n_heads % c.n_kv_heads != 0)
        return fail("bad_gqa", "n_kv_heads", off::n_kv_heads,
                    "a divisor of n_heads " + num(c.n_heads), num(c.n_kv_heads));
    // dim = n_heads * head_dim must fit in u32 (it is stored in tensor dims).
    std::uint64_t dim = 0;
    if (!checked_mul(c.n_heads, c.head_dim, dim) || dim > 0xFFFFFFFFull)
        return fail("dim_overflow", "n_heads*head_dim", off::n_heads, "a product below 2^32",
                    num(c.n_heads) + "*" + num(c.head_dim));
    if (c.model_type != k_model_type_llama)
        return fail("bad_model_type", "model_type", off::model_type, "1 (llama-style decoder)", num(c.model_type));
    if (!std::isfinite(c.rope_theta) || c.rope_theta <= 0.0f)
        return fail("bad_rope_theta", "rope_theta", off::rope_theta, "a finite value > 0", float_text(c.rope_theta));
    if (!std::isfinite(c.rms_eps) || c.rms_eps <= 0.0f)
        return fail("bad_rms_eps", "rms_eps", off::rms_eps, "a finite value > 0", float_text(c.rms_eps));

    const std::uint64_t size = file.size();
    if (!range_inside(h.tokenizer_offset, h.tokenizer_length, size) || h.tokenizer_offset < h.header_length)
        return fail("section_out_of_bounds", "tokenizer_offset/tokenizer_length", off::tokenizer_offset,
                    "a range after the header inside the file of " + num(size) + " bytes",
                    num(h.tokenizer_offset) + "+" + num(h.tokenizer_length));
    std::uint64_t dir_bytes = std::uint64_t(h.tensor_count) * k_entry_size;
    if (!range_inside(h.directory_offset, dir_bytes, size) || h.directory_offset < h.header_length)
        return fail("section_out_of_bounds", "directory_offset/tensor_count", off::directory_offset,
                    "a directory after the header inside the file of " + num(size) + " bytes",
                    num(h.directory_offset) + "+" + num(h.tensor_count) + "*64");
    if (h.tensor_data_offset % k_alignment != 0)
        return fail("misaligned", "tensor_data_offset", off::tensor_data_offset, "a multiple of 64",
                    num(h.tensor_data_offset));
    if (h.tensor_data_offset > size || h.tensor_data_offset < h.header_length)
        return fail("section_out_of_bounds", "tensor_data_offset", off::tensor_data_offset,
                    "an offset after the header inside the file of " + num(size) + " bytes",
                    num(h.tensor_data_offset));
    return h;
}

TensorEntry read_entry(const std::uint8_t* p) {
    TensorEntry e;
    e.name_hash = load_le<std::uint64_t>(p);
    e.dtype = load_le<std::uint32_t>(p + 8);
    e.rank = load_le<std::uint32_t>(p + 12);
    for (int i = 0; i < 4; ++i) e.dims[i] = load_le<std::uint32_t>(p + 16 + 4 * i);
    e.data_offset = load_le<std::uint64_t>(p + 32);
    e.data_length = load_le<std::uint64_t>(p + 40);
    e.scale_offset = load_le<std::uint64_t>(p + 48);
    e.block_size = load_le<std::uint32_t>(p + 56);
    e.reserved = load_le<std::uint32_t>(p + 60);
    return e;
}

std::string shape_text(std::uint32_t rank, const std::array<std::uint32_t, 4>& dims) {
    std::string s = "[";
    for (std::uint32_t i = 0; i < rank; ++i) s += (i ? ", " : "") + num(dims[i]);
    return s + "]";
}

// Checks one directory entry against its required spec and the file bounds.
Result<TensorView> check_entry(const TensorEntry& e, const TensorSpec& spec, std::uint64_t at,
                               Bytes file, const Header& h, const Complaint& fail) {
    const std::string field = "tensor " + spec.name;
    if (!dtype_is_valid(e.dtype))
        return fail("bad_dtype", field + " dtype", at + 8, "1 (f32), 2 (q8_0) or 3 (q4_0)", num(e.dtype));
    if (e.rank < 1 || e.rank > k_max_rank)
        return fail("bad_rank", field + " rank", at + 12, "1..4", num(e.rank));
    if (e.reserved != 0) return fail("reserved_nonzero", field + " reserved", at + 60, "0", num(e.reserved));
    for (std::uint32_t i = 0; i < k_max_rank; ++i) {
        bool used = i < e.rank;
        if (used != (e.dims[i] != 0))
            return fail("bad_dims", field + " dims[" + num(i) + "]", at + 16 + 4 * i,
                        used ? "a value > 0" : "0 (beyond rank)", num(e.dims[i]));
    }
    if (e.rank != spec.rank || e.dims != spec.dims)
        return fail("shape_mismatch", field + " dims", at + 16, shape_text(spec.rank, spec.dims) + " from the header",
                    shape_text(e.rank, e.dims));
    std::uint64_t n = 1;
    for (std::uint32_t i = 0; i < e.rank; ++i)
        if (!checked_mul(n, e.dims[i], n))
            return fail("dim_overflow", field + " dims", at + 16, "an element count below 2^64", "overflow");

    const DType dtype = static_cast<DType>(e.dtype);
    const bool quantized = dtype_is_quantized(dtype);
    if (!quantized && e.block_size != 0)
        return fail("bad_block_size", field + " block_size", at + 56, "0 for f32", num(e.block_size));
    if (quantized && (e.block_size == 0 || e.dims[0] % e.block_size != 0 ||
                      (dtype == DType::q4_0 && e.block_size % 2 != 0)))
        return fail("bad_block_size", field + " block_size", at + 56,
                    "a block size dividing dims[0]=" + num(e.dims[0]) + (dtype == DType::q4_0 ? " and even" : ""),
                    num(e.block_size));
    std::uint64_t payload = 0;
    if (!checked_mul(n, dtype == DType::f32 ? 4 : 1, payload))
        return fail("dim_overflow", field + " dims", at + 16, "a byte size below 2^64", "overflow");
    if (dtype == DType::q4_0) payload = n / 2;
    if (e.data_length != payload)
        return fail("bad_data_length", field + " data_length", at + 40,
                    num(payload) + " bytes for " + std::string(dtype_name(dtype)), num(e.data_length));
    if (e.data_offset % k_alignment != 0)
        return fail("misaligned", field + " data_offset", at + 32, "a multiple of 64", num(e.data_offset));
    if (e.data_offset < h.tensor_data_offset || !range_inside(e.data_offset, e.data_length, file.size()))
        return fail("data_out_of_bounds", field + " data_offset/data_length", at + 32,
                    "a range inside [" + num(h.tensor_data_offset) + ", " + num(file.size()) + ")",
                    num(e.data_offset) + "+" + num(e.data_length));

    TensorView v;
    v.name = spec.name;
    v.entry = e;
    v.dtype = dtype;
    v.data = file.subspan(e.data_offset, e.data_length);
    if (!quantized) {
        if (e.scale_offset != 0)
            return fail("scale_out_of_bounds", field + " scale_offset", at + 48, "0 for f32", num(e.scale_offset));
        return v;
    }
    const std::uint64_t scale_bytes = (n / e.block_size) * 4;
    if (e.scale_offset % 4 != 0)
        return fail("misaligned", field + " scale_offset", at + 48, "a multiple of 4", num(e.scale_offset));
    if (e.scale_offset < h.tensor_data_offset || !range_inside(e.scale_offset, scale_bytes, file.size()))
        return fail("scale_out_of_bounds", field + " scale_offset", at + 48,
                    num(scale_bytes) + " scale bytes inside [" + num(h.tensor_data_offset) + ", " +
                        num(file.size()) + ")",
                    num(e.scale_offset));
    v.scales = file.subspan(e.scale_offset, scale_bytes);
    return v;
}

Status check_overlaps(std::vector<Region> regions, const Complaint& fail) {
    std::sort(regions.begin(), regions.end(),
              [](const Region& a, const Region& b) { return a.begin < b.begin; });
    for (std::size_t i = 1; i < regions.size(); ++i) {
        const Region& prev = regions[i - 1];
        const Region& cur = regions[i];
        if (cur.begin < prev.end && cur.end > cur.begin && prev.end > prev.begin)
            return fail("overlap", cur.what, cur.begin, "no overlap with " + prev.what + " ending at " + num(prev.end),
                        "start " + num(cur.begin));
    }
    return {};
}

}  // namespace

const TensorView* SlmView::find(std::string_view name) const {
    for (const auto& t : tensors_)
        if (t.name == name) return &t;
    return nullptr;
}

std::uint64_t SlmView::parameter_count() const {
    std::uint64_t n = 0;
    for (const auto& t : tensors_) n += t.element_count();
    return n;
}

std::uint64_t compute_checksum(Bytes file, const ProgressFn& progress) {
    static constexpr std::uint8_t k_zero[8] = {};
    static constexpr std::size_t k_chunk = 16u << 20;
    Xxh64Stream h(0);
    h.update(file.first(k_checksum_offset));
    h.update(Bytes(k_zero, 8));
    Bytes rest = file.subspan(k_checksum_offset + 8);
    while (!rest.empty()) {
        const std::size_t n = std::min(rest.size(), k_chunk);
        h.update(rest.first(n));
        rest = rest.subspan(n);
        if (progress) progress("checksum", file.size() - rest.size(), file.size());
    }
    return h.digest();
}

Result<SlmView> parse_slm(Bytes file, std::string_view where, const ReadOptions& options) {
    const Complaint fail(where);
    auto header = parse_header(file, fail);
    if (!header) return header.take_error();
    const Header& h = *header;

    SlmView view;
    view.file_ = file;
    view.header_ = h;
    view.tokenizer_bytes_ = file.subspan(h.tokenizer_offset, h.tokenizer_length);
    auto tokenizer = parse_tokenizer_section(view.tokenizer_bytes_, where, h.tokenizer_offset,
                                             h.config.vocab_size);
    if (!tokenizer) return tokenizer.take_error();
    view.tokenizer_ = std::move(*tokenizer);

    // n_layers is not bounded by the file size, the directory is: refuse a
    // header that needs more entries than the directory holds before the
    // name list (9 names per layer) is built.
    const std::uint64_t required = required_tensor_count(h.config);
    if (required > h.tensor_count)
        return fail("missing_tensor", "tensor_count", off::tensor_count,
                    num(required) + " entries for n_layers " + num(h.config.n_layers) +
                        (h.config.tied_output ? " with tied output" : " with output.weight"),
                    num(h.tensor_count));
    const std::vector<TensorSpec> specs = required_tensors(h.config);
    std::unordered_map<std::uint64_t, std::size_t> spec_index;
    for (std::size_t i = 0; i < specs.size(); ++i) spec_index.emplace(specs[i].name_hash, i);

    std::vector<std::optional<TensorView>> found(specs.size());
    std::vector<Region> regions = {
        {0, h.header_length, "header"},
        {h.tokenizer_offset, h.tokenizer_offset + h.tokenizer_length, "tokenizer section"},
        {h.directory_offset, h.directory_offset + std::uint64_t(h.tensor_count) * k_entry_size, "tensor directory"}};
    for (std::uint32_t i = 0; i < h.tensor_count; ++i) {
        const std::uint64_t at = h.directory_offset + std::uint64_t(i) * k_entry_size;
        const TensorEntry e = read_entry(file.data() + at);
        auto it = spec_index.find(e.name_hash);
        if (it == spec_index.end())
            return fail("unknown_tensor", "tensor entry " + num(i) + " name_hash", at,
                        "the hash of a required tensor name", hex64(e.name_hash));
        const TensorSpec& spec = specs[it->second];
        if (found[it->second])
            return fail("duplicate_tensor", "tensor entry " + num(i) + " name_hash", at,
                        "each tensor once", "a second " + spec.name);
        auto v = check_entry(e, spec, at, file, h, fail);
        if (!v) return v.take_error();
        regions.push_back({e.data_offset, e.data_offset + e.data_length, "data of " + spec.name});
        if (!v->scales.empty())
            regions.push_back({e.scale_offset, e.scale_offset + v->scales.size(), "scales of " + spec.name});
        found[it->second] = std::move(*v);
    }
    for (std::size_t i = 0; i < specs.size(); ++i)
        if (!found[i])
            return fail("missing_tensor", "tensor directory", h.directory_offset,
                        "tensor " + specs[i].name, "no entry with its name hash");
    if (auto st = check_overlaps(std::move(regions), fail); !st) return st.take_error();

    view.tensors_.reserve(specs.size());
    for (auto& t : found) view.tensors_.push_back(std::move(*t));

    if (options.verify_checksum) {
        const std::uint64_t actual = compute_checksum(file);
        if (actual != h.checksum)
            return fail("checksum_mismatch", "checksum", off::checksum,
                        "XXH64 " + hex64(actual), hex64(h.checksum));
        view.checksum_verified_ = true;
    }
    return view;
}

}  // namespace slm::format
