#include "adapter/describe.hpp"

#include <cstdio>
#include <unordered_map>

#include "format/layout.hpp"
#include "format/tensor_names.hpp"

namespace slm::adapter {
namespace {

// Beyond this many layers names are not resolved (the list would be large and
// no model this project handles comes close).
constexpr std::uint64_t k_max_named_layers = 100000;

std::string hex64(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

// Canonical names by hash for the model the identity describes: the tensor
// count and the tied flag fix n_layers, and names do not depend on widths.
std::unordered_map<std::uint64_t, std::string> canonical_names(const Identity& id) {
    std::unordered_map<std::uint64_t, std::string> out;
    const bool tied = (id.flags & format::k_flag_tied_output) != 0;
    const std::uint64_t fixed = tied ? 2 : 3;
    if (id.tensor_count < fixed || (id.tensor_count - fixed) % 9 != 0) return out;
    const std::uint64_t layers = (id.tensor_count - fixed) / 9;
    if (layers == 0 || layers > k_max_named_layers) return out;
    format::ModelConfig c;
    c.vocab_size = c.n_heads = c.n_kv_heads = c.head_dim = c.ffn_dim = c.context_length = 1;
    c.n_layers = static_cast<std::uint32_t>(layers);
    c.tied_output = tied;
    for (auto& spec : format::required_tensors(c)) out.emplace(spec.name_hash, std::move(spec.name));
    return out;
}

}  // namespace

nlohmann::json describe_adapter(const AdapterView& a) {
    using nlohmann::json;
    const auto names = canonical_names(a.identity);
    json payloads = json::array();
    std::uint64_t stored = 0;
    for (const Payload& p : a.payloads) {
        json shape = json::array();
        for (std::uint32_t i = 0; i < p.rank; ++i) shape.push_back(p.dims[i]);
        const Kind enc = p.encoding(a.kind);
        auto name = names.find(p.name_hash);
        json entry = {{"name", name == names.end() ? json(nullptr) : json(name->second)},
                      {"name_hash", hex64(p.name_hash)},
                      {"shape", shape},
                      {"elements", p.element_count()},
                      {"encoding", kind_name(enc)},
                      {"scale", p.scale},
                      {"bytes", p.data.size()},
                      {"offset", p.data_offset}};
        if (enc == Kind::sparse) entry["nnz"] = p.count;
        if (enc == Kind::lowrank) entry["rank"] = p.count;
        if (enc == Kind::dense) entry["residuals"] = p.count;
        stored += p.data.size();
        payloads.push_back(std::move(entry));
    }
    return {{"format", {{"magic", kind_magic(a.kind)}, {"version", k_version}, {"header_length", a.header_length}}},
            {"kind", kind_name(a.kind)},
            {"identity",
             {{"flags", a.identity.flags},
              {"tied_output", (a.identity.flags & format::k_flag_tied_output) != 0},
              {"tensor_count", a.identity.tensor_count},
              {"parameter_count", a.identity.parameter_count},
              {"tensor_layout_checksum", sha256_ref(a.identity.layout_checksum)},
              {"tokenizer_checksum", sha256_ref(a.identity.tokenizer_checksum)}}},
            {"payload_count", a.payloads.size()},
            {"payload_bytes", stored},
            {"payloads", payloads},
            {"file_bytes", a.file.size()},
            {"checksum", {{"xxh64", hex64(a.checksum)}, {"verified", true}}},
            {"digest", sha256_ref(a.file)}};
}

}  // namespace slm::adapter
