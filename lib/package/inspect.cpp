#include "package/inspect.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/hash.hpp"
#include "package/manifest.hpp"

namespace slm::package {
namespace {

std::string hex64(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

// The shortest decimal that reads back as the same f32, as a JSON number
// (1e-05 rather than the widened double 9.999999747378752e-06).
double float_for_json(float v) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::strtod(std::string(buf, end).c_str(), nullptr) : static_cast<double>(v);
}

nlohmann::json token_text(const format::TokenizerSection& t, std::uint32_t id) {
    if (id == format::k_no_token) return nullptr;
    return {{"id", id}, {"text", t.tokens[id].text}};
}

}  // namespace

nlohmann::json describe_artifact(const format::SlmView& view) {
    using nlohmann::json;
    const auto& h = view.header();
    const auto& c = view.config();
    json tensors = json::array();
    for (const auto& t : view.tensors()) {
        json shape = json::array();
        for (std::uint32_t i = 0; i < t.entry.rank; ++i) shape.push_back(t.entry.dims[i]);
        tensors.push_back({{"name", t.name},
                           {"dtype", format::dtype_name(t.dtype)},
                           {"shape", shape},
                           {"elements", t.element_count()},
                           {"bytes", t.data.size() + t.scales.size()},
                           {"block_size", t.entry.block_size},
                           {"offset", t.entry.data_offset}});
    }
    const auto& tok = view.tokenizer();
    json model = model_facts(view);
    model["dim"] = c.dim();
    model["rope_theta"] = float_for_json(c.rope_theta);
    model["rms_eps"] = float_for_json(c.rms_eps);
    return {
        {"format", {{"magic", "SLM1"}, {"version", h.version}, {"header_length", h.header_length}}},
        {"model", model},
        {"parameter_count", view.parameter_count()},
        {"quantization", quantization_label(view)},
        {"file_bytes", view.file_bytes().size()},
        {"tensor_count", h.tensor_count},
        {"tensors", tensors},
        {"tokenizer",
         {{"kind", format::tokenizer_kind_tag(tok.kind)},
          {"tokens", tok.tokens.size()},
          {"merges", tok.merges.size()},
          {"bos", token_text(tok, tok.bos_id)},
          {"eos", token_text(tok, tok.eos_id)},
          {"add_bos", (tok.flags & format::k_tokflag_add_bos) != 0},
          {"bytes", view.tokenizer_bytes().size()},
          {"digest", sha256_ref(view.tokenizer_bytes())}}},
        {"checksum", {{"xxh64", hex64(h.checksum)}, {"verified", view.checksum_verified()}}},
        {"digest", sha256_ref(view.file_bytes())},
        {"estimated_peak_ram_bytes", estimate_peak_ram(view)},
    };
}

}  // namespace slm::package
