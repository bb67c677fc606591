#include "adapter/delta.hpp"

#include <vector>

namespace slm::adapter {
namespace {

float value_at(Bytes data, std::uint64_t index) { return load_le<float>(data.data() + 4 * index); }

// out = f32(base + s * delta): one rounding, in double.
inline float add(float base, double s, double delta) {
    return static_cast<float>(static_cast<double>(base) + s * delta);
}

}  // namespace

void add_payload(const Payload& p, Kind file_kind, double scale, std::span<float> v) {
    const double s = scale * static_cast<double>(p.scale);
    switch (p.encoding(file_kind)) {
    case Kind::dense: {
        // Residual pairs follow the n deltas, in increasing index order.
        const std::uint8_t* pair = p.data.data() + 4 * v.size();
        std::uint32_t left = p.count;
        for (std::size_t i = 0; i < v.size(); ++i) {
            double t = static_cast<double>(v[i]) + s * static_cast<double>(value_at(p.data, i));
            if (left > 0 && load_le<std::uint32_t>(pair) == i) {
                t += s * static_cast<double>(load_le<float>(pair + 4));
                pair += 8;
                --left;
            }
            v[i] = static_cast<float>(t);
        }
        return;
    }
    case Kind::sparse:
        for (std::uint32_t k = 0; k < p.count; ++k) {
            const std::uint32_t i = load_le<std::uint32_t>(p.data.data() + 8 * std::size_t(k));
            v[i] = add(v[i], s, load_le<float>(p.data.data() + 8 * std::size_t(k) + 4));
        }
        return;
    case Kind::lowrank: {
        // A: (rows, r) then B: (r, cols); delta[i][j] = sum_k A[i][k] * B[k][j].
        const std::size_t rows = p.rows(), cols = p.cols(), r = p.count;
        std::vector<double> a_row(r), b(r * cols);
        for (std::size_t k = 0; k < r * cols; ++k) b[k] = value_at(p.data, rows * r + k);
        for (std::size_t i = 0; i < rows; ++i) {
            for (std::size_t k = 0; k < r; ++k) a_row[k] = value_at(p.data, i * r + k);
            for (std::size_t j = 0; j < cols; ++j) {
                double d = 0;
                for (std::size_t k = 0; k < r; ++k) d += a_row[k] * b[k * cols + j];
                v[i * cols + j] = add(v[i * cols + j], s, d);
            }
        }
        return;
    }
    }
}

}  // namespace slm::adapter
