#include "adapter/identity.hpp"

#include <cstdio>
#include <unordered_map>

#include "format/layout.hpp"

namespace slm::adapter {
namespace {

std::string num(std::uint64_t v) { return std::to_string(v); }

std::string flags_text(std::uint32_t flags) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", flags);
    return std::string(buf) + ((flags & format::k_flag_tied_output) ? " (tied output)" : " (untied output)");
}

std::string digest_text(const Sha256Digest& d) { return sha256_ref(d); }

std::string shape_text(std::uint32_t rank, const std::array<std::uint32_t, 4>& dims) {
    std::string s = "[";
    for (std::uint32_t i = 0; i < rank && i < 4; ++i) s += (i ? ", " : "") + num(dims[i]);
    return s + "]";
}

Error mismatch(const char* id, std::string_view field, std::string_view expected_label, const std::string& expected,
               std::string_view found_label, const std::string& found) {
    return make_error(ErrorCode::incompatible, std::string("adapter.") + id,
                      std::string(found_label) + " does not fit " + std::string(expected_label) + ": " +
                          std::string(field) + ": expected " + expected + ", found " + found);
}

}  // namespace

Sha256Digest tensor_layout_checksum(const format::SlmView& model) {
    Sha256 h;
    for (const auto& t : model.tensors()) {
        ByteWriter w;
        w.write<std::uint32_t>(static_cast<std::uint32_t>(t.name.size()));
        w.write_bytes(std::string_view(t.name));
        w.write<std::uint32_t>(t.entry.rank);
        for (std::uint32_t d : t.entry.dims) w.write<std::uint32_t>(d);
        h.update(Bytes(w.buffer()));
    }
    return h.finish();
}

Identity identity_of(const format::SlmView& model) {
    Identity id;
    id.flags = model.header().flags;
    id.tensor_count = model.header().tensor_count;
    id.parameter_count = model.parameter_count();
    id.layout_checksum = tensor_layout_checksum(model);
    id.tokenizer_checksum = sha256(model.tokenizer_bytes());
    return id;
}

Status check_identity(const Identity& e, std::string_view expected_label, const Identity& f,
                      std::string_view found_label) {
    if (e.flags != f.flags)
        return mismatch("flags_mismatch", "flags", expected_label, flags_text(e.flags), found_label,
                        flags_text(f.flags));
    if (e.tensor_count != f.tensor_count)
        return mismatch("tensor_count_mismatch", "tensor_count", expected_label, num(e.tensor_count), found_label,
                        num(f.tensor_count));
    if (e.parameter_count != f.parameter_count)
        return mismatch("parameter_count_mismatch", "parameter_count", expected_label, num(e.parameter_count),
                        found_label, num(f.parameter_count));
    if (e.layout_checksum != f.layout_checksum)
        return mismatch("layout_mismatch", "tensor_layout_checksum (tensor names and shapes)", expected_label,
                        digest_text(e.layout_checksum), found_label, digest_text(f.layout_checksum));
    if (e.tokenizer_checksum != f.tokenizer_checksum)
        return mismatch("tokenizer_mismatch", "tokenizer_checksum (SHA-256 of the tokenizer section)",
                        expected_label, digest_text(e.tokenizer_checksum), found_label,
                        digest_text(f.tokenizer_checksum));
    return {};
}

Result<std::vector<std::size_t>> match_base(const AdapterView& adapter, std::string_view adapter_label,
                                            const format::SlmView& base, std::string_view base_label) {
    SLM_TRY(check_identity(identity_of(base), base_label, adapter.identity, adapter_label));
    std::unordered_map<std::uint64_t, std::size_t> by_hash;
    for (std::size_t i = 0; i < base.tensors().size(); ++i) by_hash.emplace(base.tensors()[i].entry.name_hash, i);
    std::vector<std::size_t> out;
    out.reserve(adapter.payloads.size());
    for (std::size_t i = 0; i < adapter.payloads.size(); ++i) {
        const Payload& p = adapter.payloads[i];
        char hash[24];
        std::snprintf(hash, sizeof hash, "0x%016llx", static_cast<unsigned long long>(p.name_hash));
        auto it = by_hash.find(p.name_hash);
        if (it == by_hash.end())
            return mismatch("unknown_tensor", "payload " + num(i) + " name_hash", base_label,
                            "the hash of one of its tensor names", adapter_label, hash);
        const auto& t = base.tensors()[it->second];
        if (p.rank != t.entry.rank || p.dims != t.entry.dims)
            return mismatch("shape_mismatch", "payload " + num(i) + " (" + t.name + ") dims", base_label,
                            shape_text(t.entry.rank, t.entry.dims), adapter_label, shape_text(p.rank, p.dims));
        out.push_back(it->second);
    }
    return out;
}

}  // namespace slm::adapter
