#include "package/weights_source.hpp"

#include <cmath>
#include <set>

#include "core/hash.hpp"
#include "core/json_canonical.hpp"
#include "format/tensor_names.hpp"
#include "interop/raw_f32_dir.hpp"
#include "interop/safetensors.hpp"

namespace slm::package {
namespace {

std::string shape_text(const std::vector<std::uint64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// Safetensors shapes are row-major (outermost first); .slm dims are innermost
// first, so the expected safetensors shape is the reversed dims.
std::vector<std::uint64_t> expected_shape(const format::TensorSpec& spec) {
    std::vector<std::uint64_t> shape;
    for (std::uint32_t i = spec.rank; i-- > 0;) shape.push_back(spec.dims[i]);
    return shape;
}

std::uint64_t element_count(const format::TensorSpec& spec) {
    std::uint64_t n = 1;
    for (std::uint32_t i = 0; i < spec.rank; ++i) n *= spec.dims[i];
    return n;
}

Status check_finite(const std::vector<float>& v, const std::string& where, const std::string& name) {
    for (std::size_t i = 0; i < v.size(); ++i)
        if (!std::isfinite(v[i]))
            return make_error(ErrorCode::invalid_input, "weights.non_finite",
                              where + ": tensor " + name + " element " + std::to_string(i) +
                                  " is not finite");
    return {};
}

Result<LoadedWeights> from_safetensors(const std::string& path, const std::vector<format::TensorSpec>& specs) {
    auto file = interop::SafetensorsFile::open(path);
    if (!file) return file.take_error();
    LoadedWeights out;
    std::set<std::string> wanted;
    for (const auto& spec : specs) {
        wanted.insert(spec.name);
        auto shape = file->shape(spec.name);
        if (!shape)
            return make_error(ErrorCode::invalid_input, "weights.missing_tensor",
                              path + ": tensor " + spec.name + " is missing (expected shape " +
                                  shape_text(expected_shape(spec)) + ")");
        if (*shape != expected_shape(spec))
            return make_error(ErrorCode::invalid_input, "weights.shape_mismatch",
                              path + ": tensor " + spec.name + ": expected shape " +
                                  shape_text(expected_shape(spec)) + " from the spec, found " +
                                  shape_text(*shape));
        auto values = file->read_f32(spec.name);
        if (!values) return values.take_error();
        SLM_TRY(check_finite(*values, path, spec.name));
        out.tensors.emplace(spec.name, std::move(*values));
    }
    for (const auto& name : file->names())
        if (!wanted.count(name))
            return make_error(ErrorCode::invalid_input, "weights.unexpected_tensor",
                              path + ": tensor " + name +
                                  " is not part of this model (names must be the canonical .slm names)");
    auto map = MappedFile::open(path);
    if (!map) return map.take_error();
    out.source = {sha256_ref(map->bytes()), "weights-source", "safetensors"};
    return out;
}

Result<LoadedWeights> from_raw_dir(const std::string& dir, const std::vector<format::TensorSpec>& specs) {
    LoadedWeights out;
    // The source digest covers every tensor's bytes by name (canonical JSON of
    // name -> sha256), so it does not depend on directory listing order.
    nlohmann::json digests = nlohmann::json::object();
    for (const auto& spec : specs) {
        auto values = interop::read_raw_f32(dir, spec.name, element_count(spec));
        if (!values) return values.take_error();
        SLM_TRY(check_finite(*values, dir, spec.name));
        digests[spec.name] = sha256_ref(
            Bytes(reinterpret_cast<const std::uint8_t*>(values->data()), values->size() * sizeof(float)));
        out.tensors.emplace(spec.name, std::move(*values));
    }
    out.source = {sha256_ref(as_bytes(canonical_json(digests))), "weights-source", "raw-f32-dir"};
    return out;
}

}  // namespace

Result<LoadedWeights> load_weights(const std::string& format, const std::string& path,
                                   const format::ModelConfig& config) {
    const auto specs = format::required_tensors(config);
    if (format == "safetensors") return from_safetensors(path, specs);
    if (format == "raw-f32-dir") return from_raw_dir(path, specs);
    return make_error(ErrorCode::invalid_input, "weights.bad_format",
                      "weights.format: expected safetensors or raw-f32-dir, found " + format);
}

}  // namespace slm::package
