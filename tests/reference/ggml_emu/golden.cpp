// Prints the expected values of tests/unit/test_ggml_compat.cpp, computed with
// the emulator's recipes (emu.cpp, which reproduces llama.cpp's logits bit for
// bit) on inputs drawn from splitmix64 exactly as the unit test draws them.
// Scalars are printed as float bit patterns, vectors as the FNV-1a 64 hash of
// their bit patterns.
// Build: g++ -O2 -mavx2 -mfma -mf16c -ffp-contract=off golden.cpp -o golden && ./golden
#define main emu_main
#include "emu.cpp"
#undef main

namespace {

struct SplitMix64 {  // = tests/unit/support/tiny_model.hpp
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    float uniform(float lo, float hi) { return lo + (hi - lo) * ((float)(next() >> 40) / 16777216.0f); }
    std::vector<float> vec(size_t n, float lo, float hi) {
        std::vector<float> v(n);
        for (float& x : v) x = uniform(lo, hi);
        return v;
    }
};

uint64_t fnv(const float* v, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; ++i) {
        const uint32_t u = f2bits(v[i]);
        for (int b = 0; b < 4; ++b) h = (h ^ ((u >> (8 * b)) & 0xFF)) * 0x100000001b3ULL;
    }
    return h;
}

void bits(const char* name, const std::vector<float>& v) {
    printf("constexpr std::uint32_t %s[] = {", name);
    for (size_t i = 0; i < v.size(); ++i) printf("%s0x%08xu", i ? ", " : "", f2bits(v[i]));
    printf("};\n");
}

void hashes(const char* name, const std::vector<uint64_t>& v) {
    printf("constexpr std::uint64_t %s[] = {", name);
    for (size_t i = 0; i < v.size(); ++i) printf("%s0x%016llxull", i ? ", " : "", (unsigned long long)v[i]);
    printf("};\n");
}

// A q8_0 / q4_0 matrix in GGUF block layout; the unit test draws the same
// values and stores them in .slm layout.
W quant_matrix(WT t, int rows, int cols, uint64_t seed) {
    SplitMix64 g{seed};
    W w; w.t = t; w.rows = rows; w.cols = cols;
    w.raw.resize(w.row_bytes() * rows);
    uint8_t* p = w.raw.data();
    for (int b = 0; b < rows * cols / 32; ++b) {
        const uint16_t d = to_f16(g.uniform(0.001f, 0.02f));
        memcpy(p, &d, 2);
        p += 2;
        for (int j = 0; j < (t == Q8 ? 32 : 16); ++j)
            *p++ = t == Q8 ? (uint8_t)(int8_t)((int)(g.next() % 255) - 127) : (uint8_t)g.next();
    }
    return w;
}

}  // namespace

int main() {
    const std::vector<float> fixed = {-INFINITY, -1000.0f, -200.0f, -150.0f, -103.9f, -87.5f, -30.25f, -1.0f, -0.5f,
                                      -1e-7f,    0.0f,     1e-7f,   0.5f,    1.0f,    2.75f,  10.0f,  50.0f,  88.5f};
    SplitMix64 g{1};
    std::vector<float> e;
    for (float x : fixed) e.push_back(v_expf(x));
    for (int i = 0; i < 14; ++i) e.push_back(v_expf(g.uniform(-110.0f, 90.0f)));
    bits("k_expf", e);

    std::vector<float> dots, tiny;
    for (int n : {1, 5, 8, 13, 32, 48, 100, 256}) {
        SplitMix64 r{100u + n};
        const auto x = r.vec(n, -1, 1), y = r.vec(n, -1, 1);
        dots.push_back(vec_dot_f32(n, x.data(), y.data()));
    }
    for (int k : {8, 48, 256}) {
        SplitMix64 r{200u + k};
        const auto a = r.vec(k, -1, 1), b = r.vec(k, -1, 1);
        tiny.push_back(tinyblas_dot(k, a.data(), b.data()));
    }
    bits("k_vec_dot_f32", dots);  // n = 1, 5, 8, 13, 32, 48, 100, 256
    bits("k_tinyblas", tiny);     // k = 8, 48, 256

    std::vector<uint64_t> norms;
    for (int n : {37, 288}) {
        SplitMix64 r{300u + n};
        const auto x = r.vec(n, -2, 2), w = r.vec(n, 0.5f, 1.5f);
        std::vector<float> y(n);
        rmsnorm(x.data(), w.data(), y.data(), n, 1e-5f);
        norms.push_back(fnv(y.data(), n));
    }
    hashes("k_rmsnorm", norms);  // n = 37, 288

    std::vector<uint64_t> ropes;  // per pos: cos/sin table, then two rotated heads
    for (int pos : {0, 1, 5, 100, 2047}) {
        SplitMix64 r{400u + pos};
        float cs[48];
        rope_cache(pos, 48, powf(10000.0f, -2.0f / 48), cs);
        auto v = r.vec(96, -3, 3);
        rope(v.data(), 2, 48, cs);
        ropes.push_back(fnv(cs, 48));
        ropes.push_back(fnv(v.data(), 96));
    }
    hashes("k_rope", ropes);  // pos = 0, 1, 5, 100, 2047

    std::vector<uint64_t> soft, kqv;
    for (int pos : {0, 6, 7, 12, 99}) {  // softmax over n_kv = 256 cells, t > pos masked
        SplitMix64 r{500u + pos};
        auto kq = r.vec(256, -5, 5);
        std::vector<float> p(256);
        softmax_masked(kq.data(), 256, pos, 1.0f / sqrtf(48.0f), p.data());
        soft.push_back(fnv(p.data(), pos + 1));
    }
    for (int count : {1, 13, 40}) {  // 8 columns, cells 0..count-1 live, p = 0 and V = 0 beyond
        SplitMix64 r{600u + count};
        std::vector<float> V(256 * 8, 0.0f), p(256, 0.0f);
        for (int i = 0; i < count * 8; ++i) V[i] = r.uniform(-1, 1);
        for (int t = 0; t < count; ++t) p[t] = r.uniform(0, 1);
        for (bool prefill : {false, true}) {
            std::vector<float> out(8);
            for (int d = 0; d < 8; ++d) out[d] = kqv_dot(V.data(), 8, d, p.data(), 256, prefill);
            kqv.push_back(fnv(out.data(), 8));
        }
    }
    hashes("k_softmax", soft);  // pos = 0, 6, 7, 12, 99
    hashes("k_kqv", kqv);       // count = 1, 13, 40; decode then prefill each

    std::vector<uint64_t> glu;
    for (int n : {16, 21}) {
        SplitMix64 r{700u + n};
        const auto gate = r.vec(n, -8, 8), up = r.vec(n, -2, 2);
        std::vector<float> h(n);
        swiglu(gate.data(), up.data(), h.data(), n);
        glu.push_back(fnv(h.data(), n));
    }
    hashes("k_swiglu", glu);  // n = 16, 21

    // Quantized rows (8 x 96) times q8_0 activations: q8_0, q4_0 lanes, q4_0_8x8.
    SplitMix64 r{800};
    const auto x = r.vec(96, -1, 1);
    const Q8Act a = quantize_q8(x.data(), 96);
    const W w8 = quant_matrix(Q8, 8, 96, 801), w4 = quant_matrix(Q4, 8, 96, 802);
    std::vector<float> q8, q4l, q4r;
    for (int row = 0; row < 8; ++row) {
        q8.push_back(quant_row_dot(w8, row, a, false));
        q4l.push_back(quant_row_dot(w4, row, a, true));
        q4r.push_back(quant_row_dot(w4, row, a, false));
    }
    bits("k_rows_q8_0", q8);
    bits("k_rows_q4_0", q4l);
    bits("k_rows_q4_0_8x8", q4r);
    return 0;
}
