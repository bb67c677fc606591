#include "interop/raw_f32_dir.hpp"

#include <cstring>

#include "core/bytes.hpp"
#include "core/io.hpp"

namespace slm::interop {
namespace {

Status check_name(std::string_view name) {
    const bool bad = name.empty() || name == "." || name == ".." ||
                     name.find_first_of(std::string_view("/\\\0", 3)) != std::string_view::npos;
    if (!bad) return {};
    std::string shown;
    for (char c : name) shown += c == '\0' ? std::string("\\0") : std::string(1, c);
    return make_error(ErrorCode::invalid_input, "raw_f32.bad_name",
                      "tensor name \"" + shown + "\" cannot name a file inside the weights directory");
}

}  // namespace

std::string raw_f32_path(const std::string& dir, std::string_view name) {
    std::string path = dir;
    if (!path.empty() && path.back() != '/') path += '/';
    path += name;
    path += ".bin";
    return path;
}

Result<std::vector<float>> read_raw_f32(const std::string& dir, std::string_view name,
                                        std::uint64_t expected_elements) {
    SLM_TRY(check_name(name));
    const std::string path = raw_f32_path(dir, name);
    std::uint64_t expected_bytes;
    if (!checked_mul(expected_elements, sizeof(float), expected_bytes)) {
        return make_error(ErrorCode::invalid_input, "raw_f32.too_large",
                          path + ": " + std::to_string(expected_elements) + " f32 elements do not fit in 2^64 bytes");
    }
    auto file = MappedFile::open(path);
    if (!file) {
        if (file.error().code != ErrorCode::not_found) return file.take_error();
        return make_error(ErrorCode::not_found, "raw_f32.not_found",
                          path + ": no such file: tensor \"" + std::string(name) + "\" expects " +
                              std::to_string(expected_bytes) + " bytes (" + std::to_string(expected_elements) +
                              " little-endian f32) in this file");
    }
    const Bytes bytes = file->bytes();
    if (bytes.size() != expected_bytes) {
        std::string found = std::to_string(bytes.size()) + " bytes";
        if (bytes.size() % sizeof(float) == 0) {
            found += " (" + std::to_string(bytes.size() / sizeof(float)) + " f32)";
        } else {
            found += " (not a multiple of 4)";
        }
        return make_error(ErrorCode::invalid_input, "raw_f32.size_mismatch",
                          path + ": size mismatch for tensor \"" + std::string(name) + "\": expected " +
                              std::to_string(expected_bytes) + " bytes (" + std::to_string(expected_elements) +
                              " f32), found " + found);
    }
    std::vector<float> out(static_cast<std::size_t>(expected_elements));
    if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());  // little-endian host
    return out;
}

Status write_raw_f32(const std::string& dir, std::string_view name, std::span<const float> values) {
    SLM_TRY(check_name(name));
    return write_file_atomic(raw_f32_path(dir, name),
                             Bytes(reinterpret_cast<const std::uint8_t*>(values.data()), values.size_bytes()));
}

}  // namespace slm::interop
