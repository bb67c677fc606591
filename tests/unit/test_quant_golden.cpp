// q8_0 / q4_0 quantizers against golden vectors from
// tests/data/quant/make_golden.py, an independent Python transcription of
// ggml's reference C. Values and scale bits must match exactly.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "quant/f16.hpp"
#include "quant/kernels.hpp"
#include "quant/q4_0.hpp"
#include "quant/q8_0.hpp"

using namespace slm::quant;

namespace {

struct GoldenCase {
    std::string dtype;
    std::string name;
    std::size_t block_size = 0;
    std::size_t n = 0;
    std::vector<float> x;
    std::vector<std::uint8_t> q;
    std::vector<std::uint32_t> scale_bits;
};

struct Golden {
    std::vector<GoldenCase> cases;
    std::vector<std::pair<std::uint32_t, std::uint16_t>> f16;
};

std::vector<std::uint32_t> parse_words(std::istringstream& in) {
    std::vector<std::uint32_t> words;
    std::string w;
    while (in >> w) words.push_back(static_cast<std::uint32_t>(std::stoul(w, nullptr, 16)));
    return words;
}

const Golden& golden() {
    static const Golden g = [] {
        Golden out;
        std::ifstream file(SLM_SOURCE_DIR "/tests/data/quant/golden.txt");
        REQUIRE(file.good());
        std::string line;
        GoldenCase current;
        while (std::getline(file, line)) {
            std::istringstream in(line);
            std::string tag;
            in >> tag;
            if (tag == "case") {
                current = GoldenCase{};
                in >> current.dtype >> current.name >> current.block_size >> current.n;
            } else if (tag == "x") {
                for (std::uint32_t bits : parse_words(in)) current.x.push_back(std::bit_cast<float>(bits));
            } else if (tag == "q") {
                std::string hex;
                in >> hex;
                for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
                    current.q.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
                }
            } else if (tag == "d") {
                current.scale_bits = parse_words(in);
            } else if (tag == "end") {
                out.cases.push_back(current);
            } else if (tag == "f16") {
                std::string f, h;
                in >> f >> h;
                out.f16.emplace_back(static_cast<std::uint32_t>(std::stoul(f, nullptr, 16)),
                                     static_cast<std::uint16_t>(std::stoul(h, nullptr, 16)));
            }
        }
        return out;
    }();
    return g;
}

std::string hex(const std::vector<std::uint8_t>& bytes) {
    std::string s;
    char buf[3];
    for (std::uint8_t b : bytes) {
        std::snprintf(buf, sizeof buf, "%02x", b);
        s += buf;
    }
    return s;
}

// Runs the unchecked block quantizer over the case's row.
void quantize_blocks(const GoldenCase& c, std::vector<std::uint8_t>& q, std::vector<std::uint32_t>& bits) {
    const std::size_t nb = c.n / c.block_size;
    const bool q4 = c.dtype == "q4_0";
    q.assign(q4 ? c.n / 2 : c.n, 0);
    bits.clear();
    for (std::size_t b = 0; b < nb; ++b) {
        const float* x = c.x.data() + b * c.block_size;
        float d;
        if (q4) {
            d = quantize_block_q4_0(x, c.block_size, q.data() + b * c.block_size / 2);
        } else {
            d = quantize_block_q8_0(x, c.block_size,
                                    reinterpret_cast<std::int8_t*>(q.data()) + b * c.block_size);
        }
        bits.push_back(std::bit_cast<std::uint32_t>(d));
    }
}

bool has_inf_scale(const GoldenCase& c) {
    for (std::uint32_t bits : c.scale_bits) {
        if (std::isinf(std::bit_cast<float>(bits))) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("quant.golden: file covers the required cases") {
    const Golden& g = golden();
    CHECK(g.cases.size() >= 60);
    CHECK(g.f16.size() >= 300);
    int q4 = 0, q8 = 0, overflow = 0;
    for (const GoldenCase& c : g.cases) {
        REQUIRE(c.x.size() == c.n);
        REQUIRE(c.scale_bits.size() == c.n / c.block_size);
        REQUIRE(c.q.size() == (c.dtype == "q4_0" ? c.n / 2 : c.n));
        (c.dtype == "q4_0" ? q4 : q8)++;
        overflow += has_inf_scale(c) ? 1 : 0;
    }
    CHECK(q4 >= 30);
    CHECK(q8 >= 30);
    CHECK(overflow >= 2);
}

TEST_CASE("quant.golden: block quantizers match ggml's reference bit for bit") {
    for (const GoldenCase& c : golden().cases) {
        CAPTURE(c.dtype);
        CAPTURE(c.name);
        std::vector<std::uint8_t> q;
        std::vector<std::uint32_t> bits;
        quantize_blocks(c, q, bits);
        CHECK(hex(q) == hex(c.q));
        CHECK(bits == c.scale_bits);
    }
}

TEST_CASE("quant.golden: checked row quantizers match or refuse an fp16 overflow") {
    for (const GoldenCase& c : golden().cases) {
        CAPTURE(c.dtype);
        CAPTURE(c.name);
        std::vector<std::uint8_t> q(c.dtype == "q4_0" ? c.n / 2 : c.n);
        std::vector<float> scales(c.n / c.block_size);
        slm::Status st = c.dtype == "q4_0"
                             ? quantize_row_q4_0_ref(c.x.data(), c.n, c.block_size, q.data(), scales.data())
                             : quantize_row_q8_0_ref(c.x.data(), c.n, c.block_size,
                                                     reinterpret_cast<std::int8_t*>(q.data()), scales.data());
        if (has_inf_scale(c)) {
            REQUIRE_FALSE(st.ok());
            CHECK(st.error().id == "quant.scale_overflow");
            CHECK(st.error().code == slm::ErrorCode::invalid_input);
            continue;
        }
        REQUIRE(st.ok());
        CHECK(hex(q) == hex(c.q));
        std::vector<std::uint32_t> bits;
        for (float d : scales) bits.push_back(std::bit_cast<std::uint32_t>(d));
        CHECK(bits == c.scale_bits);
    }
}

TEST_CASE("quant.golden: dequantized values are nibble/int8 times the stored scale") {
    for (const GoldenCase& c : golden().cases) {
        if (has_inf_scale(c)) continue;
        CAPTURE(c.dtype);
        CAPTURE(c.name);
        std::vector<float> scales;
        for (std::uint32_t bits : c.scale_bits) scales.push_back(std::bit_cast<float>(bits));
        std::vector<float> y(c.n);
        const std::size_t half = c.block_size / 2;
        if (c.dtype == "q4_0") {
            dequantize_row_q4_0(c.q.data(), scales.data(), c.block_size, y.data(), c.n);
        } else {
            dequantize_row_q8_0(reinterpret_cast<const std::int8_t*>(c.q.data()), scales.data(),
                                c.block_size, y.data(), c.n);
        }
        for (std::size_t i = 0; i < c.n; ++i) {
            const std::size_t b = i / c.block_size, j = i % c.block_size;
            int q;
            if (c.dtype == "q4_0") {
                const std::uint8_t byte = c.q[b * half + (j % half)];
                q = (j < half ? (byte & 0x0F) : (byte >> 4)) - 8;
            } else {
                q = static_cast<std::int8_t>(c.q[i]);
            }
            const float expected = static_cast<float>(q) * scales[b];
            CHECK(std::bit_cast<std::uint32_t>(y[i]) == std::bit_cast<std::uint32_t>(expected));
        }
    }
}

TEST_CASE("quant.golden: fp32_to_fp16 matches the vectors") {
    for (const auto& vector : golden().f16) {
        const std::uint32_t f32_bits = vector.first;
        CAPTURE(f32_bits);
        CHECK(fp32_to_fp16(std::bit_cast<float>(f32_bits)) == vector.second);
    }
}

TEST_CASE("quant.golden: every kernel set's row quantizer matches the vectors") {
    for (const KernelSet* set : supported_kernel_sets()) {
        CAPTURE(std::string(set->name));
        for (const GoldenCase& c : golden().cases) {
            CAPTURE(c.dtype);
            CAPTURE(c.name);
            const bool q4 = c.dtype == "q4_0";
            std::vector<std::uint8_t> q(q4 ? c.n / 2 : c.n);
            std::vector<float> scales(c.n / c.block_size);
            const bool ok = (q4 ? set->quantize_q4_0 : set->quantize_q8_0)(c.x.data(), c.n, c.block_size,
                                                                          q.data(), scales.data());
            CHECK(ok == !has_inf_scale(c));
            if (!ok) continue;
            CHECK(hex(q) == hex(c.q));
            std::vector<std::uint32_t> bits;
            for (float d : scales) bits.push_back(std::bit_cast<std::uint32_t>(d));
            CHECK(bits == c.scale_bits);
        }
    }
}
