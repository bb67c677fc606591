#include "quant/packed.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <new>

#include "quant/f16.hpp"
#include "quant/matvec.hpp"

namespace slm::quant {

namespace {

constexpr std::size_t k_align = 64;
// Groups per slice handed to the release callback (1024 rows).
constexpr std::size_t k_release_groups = 64;

// Bytes of one row's block in .slm storage.
std::size_t row_block_bytes(format::DType dtype) {
    return dtype == format::DType::q4_0 ? k_packed_block / 2 : k_packed_block;
}

// f's bits as f16, if f16 holds f exactly (NaN payloads included).
bool exact_f16(float f, std::uint16_t& h) {
    h = fp32_to_fp16(f);
    const float back = fp16_to_fp32(h);
    return std::memcmp(&back, &f, sizeof f) == 0;
}

}  // namespace

bool packable(const WeightView& w, std::size_t rows, std::size_t n) {
    const bool int8_dtype = w.dtype == format::DType::q8_0 || w.dtype == format::DType::q4_0;
    if (!int8_dtype || w.block_size != k_packed_block || n % k_packed_block != 0 || n == 0 ||
        n > k_packed_max_n) {
        return false;
    }
    std::uint16_t h;
    for (std::size_t i = 0; i < rows * (n / k_packed_block); ++i) {
        if (!exact_f16(w.scales[i], h)) return false;
    }
    return true;
}

void PackedMatrix::AlignedDelete::operator()(std::uint8_t* p) const {
    ::operator delete[](p, std::align_val_t{k_align});
}

PackedMatrix PackedMatrix::pack(const WeightView& w, std::size_t rows, std::size_t n, const ReleaseFn& release) {
    assert(packable(w, rows, n));
    PackedMatrix m;
    m.dtype_ = w.dtype;
    m.rows_ = rows;
    m.n_ = n;
    const std::size_t size = m.bytes();
    m.data_.reset(static_cast<std::uint8_t*>(::operator new[](size, std::align_val_t{k_align})));

    const bool q4 = w.dtype == format::DType::q4_0;
    const PackedLayout layout = m.layout();
    const std::size_t nb = layout.blocks;
    const std::size_t block_bytes = row_block_bytes(w.dtype);
    const std::size_t row_bytes = nb * block_bytes;
    const auto* values = static_cast<const std::uint8_t*>(w.values);
    // Rows past the last decode to 0 with scale 0 (q4_0: both nibbles 8).
    const std::uint32_t zero_weights = q4 ? 0x88888888u : 0x80808080u;
    // q8_0 as unsigned w + 128: the sign bit of each byte flipped.
    const std::uint32_t flip = q4 ? 0u : 0x80808080u;
    std::size_t released = 0;  // source rows handed to `release`
    for (std::size_t g = 0; g < m.groups(); ++g) {
        std::uint8_t* group = m.data_.get() + g * layout.group_bytes();
        std::memset(group, 0, layout.scale_bytes);
        for (std::size_t lane = 0; lane < k_packed_rows; ++lane) {
            const std::size_t r = g * k_packed_rows + lane;
            for (std::size_t b = 0; b < nb; ++b) {
                std::uint16_t scale = 0;
                if (r < rows) {
                    [[maybe_unused]] const bool exact = exact_f16(w.scales[r * nb + b], scale);
                    assert(exact);
                }
                std::memcpy(group + (b * k_packed_rows + lane) * sizeof scale, &scale, sizeof scale);
                std::uint8_t* dst = group + layout.scale_bytes + b * layout.block_bytes;
                const std::uint8_t* src = r < rows ? values + r * row_bytes + b * block_bytes : nullptr;
                for (std::size_t k = 0; k < block_bytes / 4; ++k) {
                    std::uint32_t four = zero_weights;
                    if (r < rows) {
                        std::memcpy(&four, src + k * 4, 4);
                        four ^= flip;
                    }
                    std::memcpy(dst + (k * k_packed_rows + lane) * 4, &four, 4);
                }
            }
        }
        const std::size_t done = std::min(rows, (g + 1) * k_packed_rows);
        if (release && (done == rows || (g + 1) % k_release_groups == 0)) {
            release(values + released * row_bytes, (done - released) * row_bytes);
            release(w.scales + released * nb, (done - released) * nb * sizeof(float));
            released = done;
        }
    }
    // Once more whole: the pages that straddled two slices lie inside it.
    if (release && rows > k_release_groups * k_packed_rows) {
        release(values, rows * row_bytes);
        release(w.scales, rows * nb * sizeof(float));
    }
    return m;
}

void PackedMatrix::dequantize_row(std::size_t r, float* out) const {
    assert(r < rows_);
    const bool q4 = dtype_ == format::DType::q4_0;
    const PackedLayout layout = this->layout();
    const std::uint8_t* grp = group(r / k_packed_rows);
    const std::size_t lane = r % k_packed_rows;
    const std::size_t steps = row_block_bytes(dtype_) / 4;
    for (std::size_t b = 0; b < layout.blocks; ++b) {
        const float d = fp16_to_fp32(layout.scales(grp)[b * k_packed_rows + lane]);
        float* o = out + b * k_packed_block;
        for (std::size_t k = 0; k < steps; ++k) {
            const std::uint8_t* w = layout.values(grp, b) + (k * k_packed_rows + lane) * 4;
            for (std::size_t j = 0; j < 4; ++j) {
                if (q4) {
                    o[k * 4 + j] = static_cast<float>((w[j] & 0x0F) - 8) * d;
                    o[k_packed_block / 2 + k * 4 + j] = static_cast<float>((w[j] >> 4) - 8) * d;
                } else {
                    o[k * 4 + j] = static_cast<float>(static_cast<int>(w[j]) - 128) * d;
                }
            }
        }
    }
}

}  // namespace slm::quant
