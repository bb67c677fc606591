// Deterministic adapter writer. Layout (what parse_adapter() accepts in any
// placement, written in this order):
//   header (128 bytes) | payload table at 128 | per payload: zero pad to 64, data
// The file ends right after the last payload.
#include <cstring>

#include "adapter/format.hpp"

namespace slm::adapter {
namespace {

Error input_error(const std::string& message) {
    return make_error(ErrorCode::internal, "adapter.writer_input", "adapter writer: " + message);
}

std::uint64_t elements(const PayloadInput& p) {
    std::uint64_t n = 1;
    for (std::uint32_t i = 0; i < p.rank && i < k_max_rank; ++i) n *= p.dims[i];
    return n;
}

// Number of f32 values the payload must carry (checked before writing).
std::uint64_t value_count(const PayloadInput& p, Kind kind) {
    const std::uint64_t n = elements(p);
    if (kind == Kind::sparse) return p.count;
    if (kind == Kind::lowrank && p.rank >= 2) return std::uint64_t(p.count) * (n / p.dims[0] + p.dims[0]);
    return n + p.count;  // dense: deltas, then residuals
}

// Indices travel with sparse deltas and with dense residuals.
std::uint64_t index_count(const PayloadInput& p, Kind kind) {
    if (kind == Kind::sparse) return p.values.size();
    if (kind == Kind::lowrank && p.rank >= 2) return 0;
    return p.count;
}

}  // namespace

std::string_view kind_magic(Kind kind) {
    switch (kind) {
    case Kind::dense: return "ADP1";
    case Kind::sparse: return "ASP1";
    case Kind::lowrank: return "ALR1";
    }
    return "????";
}

std::string_view kind_name(Kind kind) {
    switch (kind) {
    case Kind::dense: return "dense";
    case Kind::sparse: return "sparse";
    case Kind::lowrank: return "lowrank";
    }
    return "unknown";
}

bool kind_from_name(std::string_view name, Kind& out) {
    for (Kind k : {Kind::dense, Kind::sparse, Kind::lowrank})
        if (name == kind_name(k)) {
            out = k;
            return true;
        }
    return false;
}

bool has_adapter_magic(Bytes file) {
    if (file.size() < 4) return false;
    const std::string_view magic(reinterpret_cast<const char*>(file.data()), 4);
    return magic == "ADP1" || magic == "ASP1" || magic == "ALR1";
}

Result<std::vector<std::uint8_t>> write_adapter(const AdapterInput& in) {
    for (std::size_t i = 0; i < in.payloads.size(); ++i) {
        const PayloadInput& p = in.payloads[i];
        if (p.rank < 1 || p.rank > k_max_rank) return input_error("payload " + std::to_string(i) + ": bad rank");
        if (p.values.size() != value_count(p, in.kind))
            return input_error("payload " + std::to_string(i) + ": " + std::to_string(p.values.size()) +
                               " values, the shape and count need " + std::to_string(value_count(p, in.kind)));
        if (p.indices.size() != index_count(p, in.kind))
            return input_error("payload " + std::to_string(i) + ": indices do not match the kind and count");
    }
    ByteWriter w;
    w.write_bytes(kind_magic(in.kind));
    w.write<std::uint32_t>(k_version);
    w.write<std::uint32_t>(k_header_size);
    w.write<std::uint32_t>(0);
    w.write<std::uint32_t>(in.identity.flags);
    w.write<std::uint32_t>(in.identity.tensor_count);
    w.write<std::uint64_t>(in.identity.parameter_count);
    w.write_bytes(Bytes(in.identity.layout_checksum));
    w.write_bytes(Bytes(in.identity.tokenizer_checksum));
    w.write<std::uint32_t>(static_cast<std::uint32_t>(in.payloads.size()));
    w.write<std::uint32_t>(0);
    w.write<std::uint64_t>(k_header_size);  // the table follows the header
    w.write<std::uint64_t>(0);
    w.write<std::uint64_t>(0);  // checksum, filled in last

    // Data offsets are known before anything is written: pad each payload to 64.
    std::uint64_t at = k_header_size + std::uint64_t(in.payloads.size()) * k_entry_size;
    std::vector<std::uint64_t> offsets;
    for (const PayloadInput& p : in.payloads) {
        at = (at + k_alignment - 1) / k_alignment * k_alignment;
        offsets.push_back(at);
        at += p.values.size() * 4 + p.indices.size() * 4;
    }
    for (std::size_t i = 0; i < in.payloads.size(); ++i) {
        const PayloadInput& p = in.payloads[i];
        w.write<std::uint64_t>(p.name_hash);
        w.write<std::uint32_t>(p.rank);
        for (std::uint32_t d : p.dims) w.write<std::uint32_t>(d);
        w.write<std::uint32_t>(p.count);
        w.write<float>(p.scale);
        w.write<std::uint32_t>(0);
        w.write<std::uint64_t>(offsets[i]);
        w.write<std::uint64_t>(p.values.size() * 4 + p.indices.size() * 4);
        w.write<std::uint64_t>(0);
    }
    for (const PayloadInput& p : in.payloads) {
        w.pad_to(k_alignment);
        // Plain values first (all of them but the paired ones), then the pairs.
        const std::size_t plain = p.values.size() - p.indices.size();
        w.write_bytes(Bytes(reinterpret_cast<const std::uint8_t*>(p.values.data()), plain * 4));
        for (std::size_t k = 0; k < p.indices.size(); ++k) {
            w.write<std::uint32_t>(p.indices[k]);
            w.write<float>(p.values[plain + k]);
        }
    }
    std::vector<std::uint8_t> out = std::move(w.buffer());
    const std::uint64_t sum = compute_checksum(out);
    std::memcpy(out.data() + k_checksum_offset, &sum, 8);
    if (auto check = parse_adapter(out, "<written adapter>"); !check) {
        Error e = check.take_error();
        return make_error(ErrorCode::internal, "adapter.writer_bug",
                          "the writer produced an invalid file: " + e.message);
    }
    return out;
}

}  // namespace slm::adapter
