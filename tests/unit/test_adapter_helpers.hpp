// Shared by the test_adapter_* suites: base / tuned model pairs with the same
// layout, and patch helpers for handcrafted corrupt adapters.
#pragma once

#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "adapter/format.hpp"
#include "format/reader.hpp"
#include "format/writer.hpp"
#include "support/tiny_model.hpp"

namespace slm::test {

// Changes one tensor's f32 values in place: (name, rows, cols, values).
using Perturb = std::function<void(const std::string&, std::size_t, std::size_t, std::vector<float>&)>;

// The model of `spec` (f32 only) with `perturb` applied to every tensor.
inline std::vector<std::uint8_t> make_perturbed(const TinySpec& spec, const Perturb& perturb) {
    TinyModel m = make_tiny_input(spec);
    std::vector<std::vector<float>> values;
    values.reserve(m.input.tensors.size());
    for (auto& t : m.input.tensors) {
        REQUIRE(t.dtype == format::DType::f32);
        std::vector<float> v(t.data.size() / 4);
        std::memcpy(v.data(), t.data.data(), t.data.size());
        const std::size_t cols = t.dims[0], rows = v.size() / cols;
        perturb(t.name, rows, cols, v);
        values.push_back(std::move(v));
        t.data = Bytes(reinterpret_cast<const std::uint8_t*>(values.back().data()), values.back().size() * 4);
    }
    auto out = format::write_slm(m.input);
    REQUIRE_MESSAGE(out.ok(), (out.ok() ? "" : out.error().message));
    return std::move(*out);
}

// A "fine-tuned" model: a rank-2 update of every matrix, a few large sparse
// changes (every 7th element of the wq matrices), norms shifted a little.
inline void finetune(const std::string& name, std::size_t rows, std::size_t cols, std::vector<float>& v) {
    if (rows == 1) {
        for (std::size_t i = 0; i < v.size(); ++i) v[i] += 0.01f * static_cast<float>(i % 3);
        return;
    }
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j)
            v[i * cols + j] += 0.05f * std::sin(0.3f * float(i + 1)) * std::cos(0.7f * float(j)) +
                               0.02f * std::cos(1.1f * float(i)) * std::sin(0.5f * float(j + 2));
    if (name.find("wq") != std::string::npos)
        for (std::size_t i = 0; i < v.size(); i += 7) v[i] += 0.3f;
}

// As adapter_of(): the view points into `bytes`. Temporaries are fine only
// within one full expression.
// finetune() with every change rounded to a multiple of 2^-12, as a low
// precision training step would leave it: tuned - base is then an f32 value,
// so a dense adapter reproduces every element (see exact_delta()).
inline void finetune_dyadic(const std::string& name, std::size_t rows, std::size_t cols, std::vector<float>& v) {
    std::vector<float> changed = v;
    finetune(name, rows, cols, changed);
    for (std::size_t i = 0; i < v.size(); ++i)
        v[i] = static_cast<float>(double(v[i]) + std::round((double(changed[i]) - double(v[i])) * 4096.0) / 4096.0);
}

// As adapter_of(): the view points into `bytes`. Temporaries are fine only
// within one full expression.
inline format::SlmView view_of(const std::vector<std::uint8_t>& bytes, const char* what = "model") {
    auto v = format::parse_slm(bytes, what);
    REQUIRE_MESSAGE(v.ok(), (v.ok() ? "" : v.error().message));
    return std::move(*v);
}

// The view points into `bytes`, which must outlive it (hence no temporaries).
adapter::AdapterView adapter_of(std::vector<std::uint8_t>&&) = delete;
inline adapter::AdapterView adapter_of(const std::vector<std::uint8_t>& bytes) {
    auto v = adapter::parse_adapter(bytes, "a.adp");
    REQUIRE_MESSAGE(v.ok(), (v.ok() ? "" : v.error().id + ": " + v.error().message));
    return std::move(*v);
}

// Stores `v` at `at` and refreshes the adapter checksum, so that the reader
// trips on the structure rather than on the XXH64.
template <class T>
void patch_adapter(std::vector<std::uint8_t>& f, std::uint64_t at, T v) {
    REQUIRE(at + sizeof(T) <= f.size());
    std::memcpy(f.data() + at, &v, sizeof(T));
    const std::uint64_t sum = adapter::compute_checksum(f);
    std::memcpy(f.data() + adapter::k_checksum_offset, &sum, 8);
}

// The f32 values of a tensor of an f32 model.
inline std::vector<float> f32_values(const format::SlmView& v, const std::string& name) {
    const auto* t = v.find(name);
    REQUIRE(t != nullptr);
    std::vector<float> out(t->data.size() / 4);
    std::memcpy(out.data(), t->data.data(), t->data.size());
    return out;
}

}  // namespace slm::test
