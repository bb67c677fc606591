#include "format/layout.hpp"

namespace slm::format {

std::string_view dtype_name(DType t) {
    switch (t) {
        case DType::f32: return "f32";
        case DType::q8_0: return "q8_0";
        case DType::q4_0: return "q4_0";
    }
    return "unknown";
}

bool dtype_from_name(std::string_view name, DType& out) {
    for (DType t : {DType::f32, DType::q8_0, DType::q4_0}) {
        if (dtype_name(t) == name) {
            out = t;
            return true;
        }
    }
    return false;
}

bool dtype_is_valid(std::uint32_t raw) { return raw >= 1 && raw <= 3; }

bool dtype_is_quantized(DType t) { return t != DType::f32; }

std::uint64_t dtype_payload_bytes(DType t, std::uint64_t n_elements) {
    switch (t) {
        case DType::f32: return n_elements * 4;
        case DType::q8_0: return n_elements;
        case DType::q4_0: return n_elements / 2;
    }
    return 0;
}

std::uint64_t TensorEntry::element_count() const {
    std::uint64_t n = 1;
    for (std::uint32_t i = 0; i < rank && i < k_max_rank; ++i) n *= dims[i];
    return n;
}

}  // namespace slm::format
