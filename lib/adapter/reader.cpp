// Validating reader for ADP1 / ASP1 / ALR1 (grammar in format.hpp). Sizes are
// compared with the file length before anything is sliced or allocated, all
// offset arithmetic is overflow-checked, values are checked after structure
// and the checksum last, so a damaged file reports its most specific fault.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "adapter/format.hpp"

namespace slm::adapter {
namespace {

class Complaint {
public:
    explicit Complaint(std::string_view where) : where_(where) {}
    Error operator()(const char* id, std::string_view field, std::uint64_t offset, std::string_view expected,
                     std::string_view found) const {
        return make_error(ErrorCode::invalid_input, std::string("adapter.") + id,
                          std::string(where_) + ": " + std::string(field) + " at offset " + std::to_string(offset) +
                              ": expected " + std::string(expected) + ", found " + std::string(found));
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

// Payload size the kind implies, or a complaint about `count`.
Result<std::uint64_t> expected_length(const Payload& p, Kind kind, std::uint64_t n, std::uint64_t at,
                                      const std::string& field, const Complaint& fail) {
    switch (p.encoding(kind)) {
    case Kind::dense:
        if (p.count == 0) return 4 * n;  // n * 4 was checked by the caller
        if (n > 0xFFFFFFFFull)
            return fail("bad_count", field + " count", at + 28,
                        "0 residuals for a tensor of 2^32 or more elements (u32 indices)", num(p.count));
        if (p.count > n)
            return fail("bad_count", field + " count", at + 28, "residuals at most the element count " + num(n),
                        num(p.count));
        return 4 * n + 8 * std::uint64_t(p.count);
    case Kind::sparse:
        if (n > 0xFFFFFFFFull)
            return fail("bad_count", field + " dims", at + 12, "fewer than 2^32 elements (u32 indices)", num(n));
        if (p.count > n)
            return fail("bad_count", field + " count", at + 28, "nnz at most the element count " + num(n),
                        num(p.count));
        return 8 * std::uint64_t(p.count);
    case Kind::lowrank: {
        const std::uint64_t cols = p.dims[0], rows = n / cols;
        if (p.count < 1 || p.count > std::min(rows, cols))
            return fail("bad_count", field + " count", at + 28,
                        "a factor rank in 1.." + num(std::min(rows, cols)), num(p.count));
        std::uint64_t len = 0;  // r * (rows + cols) <= 2n, but 8n may still overflow
        if (!checked_mul(4 * std::uint64_t(p.count), rows + cols, len))
            return fail("dim_overflow", field + " count", at + 28, "factor bytes below 2^64", "overflow");
        return len;
    }
    }
    return fail("bad_magic", "kind", 0, "a known kind", "?");
}

Result<Payload> read_entry(Bytes file, std::uint64_t at, std::uint32_t index, Kind kind, std::uint32_t header_length,
                           const Complaint& fail) {
    const std::uint8_t* e = file.data() + at;
    Payload p;
    p.name_hash = load_le<std::uint64_t>(e);
    p.rank = load_le<std::uint32_t>(e + 8);
    for (int i = 0; i < 4; ++i) p.dims[i] = load_le<std::uint32_t>(e + 12 + 4 * i);
    p.count = load_le<std::uint32_t>(e + 28);
    p.scale = load_le<float>(e + 32);
    p.data_offset = load_le<std::uint64_t>(e + 40);
    const std::uint64_t length = load_le<std::uint64_t>(e + 48);
    const std::string field = "payload " + num(index) + " (" + hex64(p.name_hash) + ")";

    if (p.rank < 1 || p.rank > k_max_rank) return fail("bad_rank", field + " rank", at + 8, "1..4", num(p.rank));
    for (std::uint32_t i = 0; i < k_max_rank; ++i)
        if ((i < p.rank) != (p.dims[i] != 0))
            return fail("bad_dims", field + " dims[" + num(i) + "]", at + 12 + 4 * i,
                        i < p.rank ? "a value > 0" : "0 (beyond rank)", num(p.dims[i]));
    std::uint64_t n = 1, bytes = 0;
    for (std::uint32_t i = 0; i < p.rank; ++i)
        if (!checked_mul(n, p.dims[i], n))
            return fail("dim_overflow", field + " dims", at + 12, "an element count below 2^64", "overflow");
    if (!checked_mul(n, 4, bytes))
        return fail("dim_overflow", field + " dims", at + 12, "a byte size below 2^64", "overflow");
    for (auto [rel, value] : {std::pair{36u, std::uint64_t(load_le<std::uint32_t>(e + 36))},
                              std::pair{56u, load_le<std::uint64_t>(e + 56)}})
        if (value != 0) return fail("reserved_nonzero", field + " reserved", at + rel, "0", num(value));
    if (!std::isfinite(p.scale))
        return fail("bad_scale", field + " scale", at + 32, "a finite value", float_text(p.scale));
    auto want = expected_length(p, kind, n, at, field, fail);
    if (!want) return want.take_error();
    if (length != *want)
        return fail("bad_data_length", field + " data_length", at + 48, num(*want) + " bytes", num(length));
    if (p.data_offset % k_alignment != 0)
        return fail("misaligned", field + " data_offset", at + 40, "a multiple of 64", num(p.data_offset));
    if (p.data_offset < header_length || !range_inside(p.data_offset, length, file.size()))
        return fail("data_out_of_bounds", field + " data_offset/data_length", at + 40,
                    "a range inside [" + num(header_length) + ", " + num(file.size()) + ")",
                    num(p.data_offset) + "+" + num(length));
    p.data = file.subspan(p.data_offset, length);
    return p;
}

// Values: every f32 finite; the indices of (index, value) pairs strictly
// increasing and in range. `value_base` numbers the values in messages.
Status check_run(const Payload& p, std::uint64_t begin, std::uint64_t count, bool pairs, std::uint64_t value_base,
                 const std::string& field, const Complaint& fail) {
    const std::size_t stride = pairs ? 8 : 4;
    const std::uint64_t n = p.element_count();
    std::uint64_t previous = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint64_t at = begin + i * stride;
        const std::uint8_t* q = p.data.data() + at;
        if (pairs) {
            const std::uint32_t ix = load_le<std::uint32_t>(q);
            if (ix >= n || (i > 0 && ix <= previous))
                return fail("bad_sparse_index", field + " index " + num(i), p.data_offset + at,
                            "an index below " + num(n) + (i > 0 ? " and above " + num(previous) : ""), num(ix));
            previous = ix;
            q += 4;
        }
        const float v = load_le<float>(q);
        if (!std::isfinite(v))
            return fail("non_finite", field + " value " + num(value_base + i), p.data_offset + at + (pairs ? 4 : 0),
                        "a finite f32", float_text(v));
    }
    return {};
}

Status check_values(const Payload& p, Kind kind, std::uint32_t index, const Complaint& fail) {
    const std::string field = "payload " + num(index) + " (" + hex64(p.name_hash) + ")";
    switch (p.encoding(kind)) {
    case Kind::sparse: return check_run(p, 0, p.count, true, 0, field, fail);
    case Kind::lowrank: return check_run(p, 0, p.data.size() / 4, false, 0, field, fail);
    case Kind::dense: {
        const std::uint64_t n = p.element_count();
        SLM_TRY(check_run(p, 0, n, false, 0, field, fail));
        return check_run(p, 4 * n, p.count, true, n, field, fail);  // residuals
    }
    }
    return {};
}

Status check_overlaps(std::vector<Region> regions, const Complaint& fail) {
    std::sort(regions.begin(), regions.end(), [](const Region& a, const Region& b) { return a.begin < b.begin; });
    for (std::size_t i = 1; i < regions.size(); ++i)
        if (regions[i].begin < regions[i - 1].end && regions[i].end > regions[i].begin)
            return fail("overlap", regions[i].what, regions[i].begin,
                        "no overlap with " + regions[i - 1].what + " ending at " + num(regions[i - 1].end),
                        "start " + num(regions[i].begin));
    return {};
}

}  // namespace

std::uint64_t Payload::element_count() const {
    std::uint64_t n = 1;
    for (std::uint32_t i = 0; i < rank; ++i) n *= dims[i];
    return n;
}

Kind Payload::encoding(Kind file_kind) const {
    return file_kind == Kind::lowrank && rank < 2 ? Kind::dense : file_kind;
}

std::uint64_t compute_checksum(Bytes file) {
    static constexpr std::uint8_t k_zero[8] = {};
    Xxh64Stream h(0);
    h.update(file.first(k_checksum_offset));
    h.update(Bytes(k_zero, 8));
    h.update(file.subspan(k_checksum_offset + 8));
    return h.digest();
}

Result<AdapterView> parse_adapter(Bytes file, std::string_view where) {
    const Complaint fail(where);
    if (file.size() < k_header_size)
        return fail("truncated", "header", 0, num(k_header_size) + " bytes", num(file.size()) + " bytes");
    const std::uint8_t* p = file.data();
    AdapterView v;
    v.file = file;
    const std::string_view magic(reinterpret_cast<const char*>(p), 4);
    bool known = false;
    for (Kind k : {Kind::dense, Kind::sparse, Kind::lowrank})
        if (magic == kind_magic(k)) v.kind = k, known = true;
    if (!known) return fail("bad_magic", "magic", off::magic, "\"ADP1\", \"ASP1\" or \"ALR1\"", to_hex(file.first(4)));
    const std::uint32_t version = load_le<std::uint32_t>(p + off::version);
    if (version != k_version) return fail("bad_version", "version", off::version, "1", num(version));
    v.header_length = load_le<std::uint32_t>(p + off::header_length);
    if (v.header_length < k_header_size || v.header_length > file.size())
        return fail("bad_header_length", "header_length", off::header_length,
                    "at least 128 and at most the file size " + num(file.size()), num(v.header_length));
    for (std::size_t at : {off::reserved0, off::reserved1})
        if (std::uint32_t r = load_le<std::uint32_t>(p + at); r != 0)
            return fail("reserved_nonzero", "reserved", at, "0", num(r));
    if (std::uint64_t r = load_le<std::uint64_t>(p + off::reserved2); r != 0)
        return fail("reserved_nonzero", "reserved", off::reserved2, "0", num(r));
    v.identity.flags = load_le<std::uint32_t>(p + off::base_flags);
    v.identity.tensor_count = load_le<std::uint32_t>(p + off::base_tensor_count);
    v.identity.parameter_count = load_le<std::uint64_t>(p + off::base_parameter_count);
    std::memcpy(v.identity.layout_checksum.data(), p + off::layout_checksum, 32);
    std::memcpy(v.identity.tokenizer_checksum.data(), p + off::tokenizer_checksum, 32);
    const std::uint32_t count = load_le<std::uint32_t>(p + off::payload_count);
    const std::uint64_t table = load_le<std::uint64_t>(p + off::table_offset);
    v.checksum = load_le<std::uint64_t>(p + off::checksum);
    const std::uint64_t table_bytes = std::uint64_t(count) * k_entry_size;
    if (table < v.header_length || !range_inside(table, table_bytes, file.size()))
        return fail("table_out_of_bounds", "table_offset/payload_count", off::table_offset,
                    "a table after the header inside the file of " + num(file.size()) + " bytes",
                    num(table) + "+" + num(count) + "*64");

    std::vector<Region> regions = {{0, v.header_length, "header"}, {table, table + table_bytes, "payload table"}};
    std::unordered_set<std::uint64_t> seen;
    v.payloads.reserve(count);  // bounded: the table fits in the file
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::uint64_t at = table + std::uint64_t(i) * k_entry_size;
        auto payload = read_entry(file, at, i, v.kind, v.header_length, fail);
        if (!payload) return payload.take_error();
        if (!seen.insert(payload->name_hash).second)
            return fail("duplicate_tensor", "payload " + num(i) + " name_hash", at, "each tensor at most once",
                        "a second " + hex64(payload->name_hash));
        regions.push_back({payload->data_offset, payload->data_offset + payload->data.size(),
                           "data of payload " + num(i)});
        v.payloads.push_back(*payload);
    }
    SLM_TRY(check_overlaps(std::move(regions), fail));
    for (std::uint32_t i = 0; i < count; ++i) SLM_TRY(check_values(v.payloads[i], v.kind, i, fail));
    if (const std::uint64_t actual = compute_checksum(file); actual != v.checksum)
        return fail("checksum_mismatch", "checksum", off::checksum, "XXH64 " + hex64(actual), hex64(v.checksum));
    return v;
}

}  // namespace slm::adapter
