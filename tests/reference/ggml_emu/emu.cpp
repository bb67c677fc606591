// Scalar re-implementation of llama.cpp's (node-llama-cpp 3.22.1, ggml haswell
// variant, 1 thread, f32 KV, no flash attention) llama forward, to check the
// recipes in docs/llama-cpp-numerics.md bit for bit against its dumped logits.
// Build: g++ -O2 -mavx2 -mfma -mf16c -ffp-contract=off emu.cpp -o emu
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

static float bits2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t f2bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float f16(uint16_t h) { return _cvtsh_ss(h); }
static uint16_t to_f16(float f) { return _cvtss_sh(f, 0); }

// flags (env) to switch single recipes back to "naive" to see which matter
static bool NAIVE_EXP = getenv("NAIVE_EXP"), NAIVE_ROPE = getenv("NAIVE_ROPE"), NAIVE_NORM = getenv("NAIVE_NORM"),
            NAIVE_DOT = getenv("NAIVE_DOT"), NO_PREFILL = getenv("NO_PREFILL"), NAIVE_Q4 = getenv("NAIVE_Q4");

// ggml_v_expf (vec.h, AVX2+FMA), one lane
static float v_expf(float x) {
    if (NAIVE_EXP) return expf(x);
    const float r = 0x1.8p23f;
    const float z = fmaf(x, 0x1.715476p+0f, r);
    const float n = z - r;
    const float b = fmaf(-n, 0x1.7f7d1cp-20f, fmaf(-n, 0x1.62e4p-1f, x));
    const uint32_t e = f2bits(z) << 23;
    const float k = bits2f(e + f2bits(1.0f));
    const bool c = fabsf(n) > 126.0f;
    const float u = b * b;
    const float j = fmaf(fmaf(fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)), u,
                         0x1.ffffecp-1f * b);
    if (!c) return fmaf(j, k, k);
    const uint32_t g = (n <= 0.0f) ? 0x82000000u : 0u;
    const float s1 = bits2f(g + 0x7f000000u);
    const float s2 = bits2f(e - g);
    if (fabsf(n) > 192.0f) return s1 * s1;
    return fmaf(s2, j, s2) * s1;
}

// ggml_vec_dot_f32 as compiled in libggml-cpu-haswell.so (GCC 11.4)
static float vec_dot_f32(int n, const float* x, const float* y) {
    if (NAIVE_DOT) { float s = 0; for (int i = 0; i < n; ++i) s = fmaf(x[i], y[i], s); return s; }
    const int np = n & ~31;
    float acc[4][8] = {};
    for (int i = 0; i < np; i += 32)
        for (int j = 0; j < 4; ++j)
            for (int l = 0; l < 8; ++l) acc[j][l] = fmaf(x[i + 8 * j + l], y[i + 8 * j + l], acc[j][l]);
    float s[8];
    for (int l = 0; l < 8; ++l) s[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
    float t[4];
    for (int k = 0; k < 4; ++k) t[k] = s[k] + s[k + 4];
    float sumf = (t[0] + t[1]) + (t[2] + t[3]);  // two vhaddps
    int i = np;
    for (; n - i >= 8; i += 8)
        for (int l = 0; l < 8; ++l) sumf += x[i + l] * y[i + l];  // vmulps, then in-order vaddss
    if (n - i >= 4) {
        for (int l = 0; l < 4; ++l) sumf += x[i + l] * y[i + l];
        i += 4;
    }
    for (; i < n; ++i) sumf = fmaf(x[i], y[i], sumf);  // scalar tail: vfmadd231ss
    return sumf;
}

// llamafile tinyBLAS<8, __m256> (f32 x f32), one output element: one 8-lane FMA chain + hsum
static float tinyblas_dot(int k, const float* a, const float* b) {
    float acc[8] = {};
    for (int l = 0; l < k; l += 8)
        for (int j = 0; j < 8; ++j) acc[j] = fmaf(a[l + j], b[l + j], acc[j]);
    float t[4];
    for (int q = 0; q < 4; ++q) t[q] = acc[q + 4] + acc[q];
    return (t[0] + t[2]) + (t[1] + t[3]);
}

static float hsum8(const float* v) {  // hsum_float_8 / sgemm hsum
    float t[4];
    for (int q = 0; q < 4; ++q) t[q] = v[q + 4] + v[q];
    return (t[0] + t[2]) + (t[1] + t[3]);
}

// quantize_row_q8_0 (arch/x86/quants.c) / ggml_quantize_mat_q8_0_4x8: 127/amax, ties-to-even
struct Q8Act { std::vector<int8_t> q; std::vector<uint16_t> d; };
static Q8Act quantize_q8(const float* x, int n) {
    Q8Act a; a.q.resize(n); a.d.resize(n / 32);
    for (int b = 0; b < n / 32; ++b) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = fmaxf(amax, fabsf(x[b * 32 + j]));
        const float d = amax / 127.f;
        a.d[b] = to_f16(d);
        const float id = amax != 0.0f ? 127.f / amax : 0.0f;
        for (int j = 0; j < 32; ++j) {
            float v = nearbyintf(x[b * 32 + j] * id);
            if (v > 127) v = 127;
            if (v < -128) v = -128;
            a.q[b * 32 + j] = (int8_t)v;
        }
    }
    return a;
}

enum WT { F32, Q8, Q4 };
struct W {
    WT t = F32; int rows = 0, cols = 0; std::vector<uint8_t> raw;
    const float* f(int r) const { return (const float*)raw.data() + (size_t)r * cols; }
    size_t row_bytes() const { return t == F32 ? cols * 4 : t == Q8 ? cols / 32 * 34 : cols / 32 * 18; }
    const uint8_t* row(int r) const { return raw.data() + r * row_bytes(); }
};

static std::string DIR;
static W load(const std::string& name, WT t, int rows, int cols) {
    W w; w.t = t; w.rows = rows; w.cols = cols;
    FILE* f = fopen((DIR + "/" + name + ".bin").c_str(), "rb");
    if (!f) { fprintf(stderr, "missing %s\n", name.c_str()); exit(1); }
    w.raw.resize(w.row_bytes() * rows);
    if (fread(w.raw.data(), 1, w.raw.size(), f) != w.raw.size()) { fprintf(stderr, "short %s\n", name.c_str()); exit(1); }
    fclose(f);
    return w;
}

// One row of a q8_0/q4_0 matrix times q8_0 activations. q8_0:
// ggml_vec_dot_q8_0_q8_0 (decode) == tinyBLAS_Q0_AVX (prefill). q4_0:
// repacked q4_0_8x8 gemv/gemm, one sequential chain over blocks, or, with
// `q4_lanes` (rows % 8 != 0, or NAIVE_Q4), ggml_vec_dot_q4_0_q8_0's 8 lanes + hsum.
static float quant_row_dot(const W& w, int r, const Q8Act& a, bool q4_lanes) {
    const int nb = w.cols / 32;
    const uint8_t* row = w.row(r);
    if (w.t == Q8) {
        float acc[8] = {};
        for (int b = 0; b < nb; ++b) {
            uint16_t wd; memcpy(&wd, row + b * 34, 2);
            const int8_t* wq = (const int8_t*)(row + b * 34 + 2);
            const float d = f16(wd) * f16(a.d[b]);
            for (int l = 0; l < 8; ++l) {
                int s = 0;
                for (int j = 4 * l; j < 4 * l + 4; ++j) s += wq[j] * a.q[b * 32 + j];
                acc[l] = fmaf(d, (float)s, acc[l]);
            }
        }
        return hsum8(acc);
    }
    float acc = 0, lacc[8] = {};
    for (int b = 0; b < nb; ++b) {
        uint16_t wd; memcpy(&wd, row + b * 18, 2);
        const uint8_t* qs = row + b * 18 + 2;
        int s = 0, ls[8] = {};
        for (int j = 0; j < 16; ++j) {
            const int lo = (qs[j] & 0x0F) - 8, hi = (qs[j] >> 4) - 8;
            s += lo * a.q[b * 32 + j] + hi * a.q[b * 32 + j + 16];
            ls[j / 4] += lo * a.q[b * 32 + j];
            ls[4 + j / 4] += hi * a.q[b * 32 + j + 16];
        }
        const float d = f16(wd) * f16(a.d[b]);
        acc = fmaf((float)s, d, acc);
        for (int l = 0; l < 8; ++l) lacc[l] = fmaf(d, (float)ls[l], lacc[l]);
    }
    return q4_lanes ? hsum8(lacc) : acc;
}

// out = W x; prefill = the position was computed in the prompt batch (n_tokens >= 2)
static void matvec(const W& w, const float* x, float* out, bool prefill) {
    if (w.t == F32) {
        const bool sgemm = prefill && w.cols % 8 == 0 && w.rows % 4 == 0;
        for (int r = 0; r < w.rows; ++r) out[r] = sgemm ? tinyblas_dot(w.cols, w.f(r), x) : vec_dot_f32(w.cols, w.f(r), x);
        return;
    }
    const Q8Act a = quantize_q8(x, w.cols);
    for (int r = 0; r < w.rows; ++r) out[r] = quant_row_dot(w, r, a, NAIVE_Q4 || w.rows % 8 != 0);
}

static void embed(const W& w, int tok, float* out) {
    if (w.t == F32) { memcpy(out, w.f(tok), w.cols * 4); return; }
    const uint8_t* row = w.row(tok);
    for (int b = 0; b < w.cols / 32; ++b) {
        uint16_t wd;
        if (w.t == Q8) {
            memcpy(&wd, row + b * 34, 2);
            for (int j = 0; j < 32; ++j) out[b * 32 + j] = ((const int8_t*)(row + b * 34 + 2))[j] * f16(wd);
        } else {
            memcpy(&wd, row + b * 18, 2);
            const uint8_t* qs = row + b * 18 + 2;
            for (int j = 0; j < 16; ++j) {
                out[b * 32 + j] = ((qs[j] & 0x0F) - 8) * f16(wd);
                out[b * 32 + j + 16] = ((qs[j] >> 4) - 8) * f16(wd);
            }
        }
    }
}

// ggml_compute_forward_rms_norm_f32 (+ fused mul)
static void rmsnorm(const float* x, const float* w, float* y, int n, float eps) {
    if (NAIVE_NORM) {  // slmctl's current recipe
        double ss = 0; for (int i = 0; i < n; ++i) ss += (double)x[i] * (double)x[i];
        const float inv = (float)(1.0 / sqrt(ss / n + (double)eps));
        for (int i = 0; i < n; ++i) y[i] = w[i] * (inv * x[i]);
        return;
    }
    double sum = 0.0;
    for (int i = 0; i < n; ++i) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / (double)n);
    const float scale = 1.0f / sqrtf(mean + eps);
    for (int i = 0; i < n; ++i) y[i] = x[i] * scale * w[i];
}

// ggml_rope_cache_init (theta_scale = powf(base, -2.0f/n_dims)) for one position
static void rope_cache(int pos, int hd, float theta_scale, float* cs) {
    float theta = (float)pos;
    for (int i0 = 0; i0 < hd; i0 += 2) {
        if (NAIVE_ROPE) {
            const double a = pos * pow(10000.0, -(double)i0 / hd);
            cs[i0] = (float)cos(a); cs[i0 + 1] = (float)sin(a);
        } else {
            float s, c; sincosf(theta, &s, &c);
            cs[i0] = c * 1.0f; cs[i0 + 1] = s * 1.0f;
            theta *= theta_scale;
        }
    }
}

// rotate_pairs (NORM mode), FMA-contracted by GCC
static void rope(float* vec, int nh, int hd, const float* cs) {
    for (int hh = 0; hh < nh; ++hh)
        for (int i0 = 0; i0 < hd; i0 += 2) {
            float* p = vec + hh * hd + i0;
            const float x0 = p[0], x1 = p[1], c = cs[i0], s = cs[i0 + 1];
            if (NAIVE_ROPE) { p[0] = x0 * c - x1 * s; p[1] = x0 * s + x1 * c; }
            else { p[0] = fmaf(x0, c, -(x1 * s)); p[1] = fmaf(x0, s, x1 * c); }
        }
}

// soft_max_ext(kq, mask, scale) over all n_kv cells; cells t > pos are masked (-INF)
static void softmax_masked(const float* kq, int n_kv, int pos, float scale, float* p) {
    std::vector<float> w(n_kv);
    for (int t = 0; t < n_kv; ++t) {
        w[t] = kq[t] * scale;
        if (t > pos) w[t] = -INFINITY;  // causal mask (+ empty cells)
    }
    float mx = -INFINITY;
    for (int t = 0; t < n_kv; ++t) mx = fmaxf(mx, w[t]);
    double sum = 0;
    for (int i = 0; i < n_kv; i += 8) {  // ggml_vec_soft_max_f32, AVX2 path (n_kv % 8 == 0)
        for (int j = 0; j < 8; ++j) p[i + j] = v_expf(w[i + j] - mx);
        sum += (double)hsum8(&p[i]);
    }
    const float inv = (float)(1.0 / sum);
    for (int t = 0; t < n_kv; ++t) p[t] *= inv;
}

// kqv = mul_mat(V^T, p), output column d: V transposed in the cache, dot over n_kv cells
static float kqv_dot(const float* V, int stride, int d, const float* p, int n_kv, bool prefill) {
    std::vector<float> col(n_kv);
    for (int t = 0; t < n_kv; ++t) col[t] = V[(size_t)t * stride + d];
    return prefill ? tinyblas_dot(n_kv, col.data(), p) : vec_dot_f32(n_kv, col.data(), p);
}

// ggml_vec_swiglu_f32: (x / (1 + e^-x)) * up; 8-wide with ggml_v_expf, the n % 8 tail with expf
static void swiglu(const float* g, const float* u, float* h, int n) {
    int i = 0;
    for (; i + 7 < n; i += 8)
        for (int j = i; j < i + 8; ++j) h[j] = (g[j] / (1.0f + v_expf(0.0f - g[j]))) * u[j];
    for (; i < n; ++i) h[i] = (g[i] / (1.0f + expf(-g[i]))) * u[i];  // ggml_silu_f32
}

int main(int argc, char** argv) {
    if (argc < 5) { fprintf(stderr, "usage: emu DIR f32|q8|q4 PEER.f32 PROMPT_IDS GEN_IDS\n"); return 2; }
    DIR = argv[1];
    const std::string ty = argv[2];
    const WT wt = ty == "f32" ? F32 : ty == "q8" ? Q8 : Q4;
    auto parse = [](const char* s) { std::vector<int> v; char* e; while (*s) { v.push_back(strtol(s, &e, 10)); s = *e ? e + 1 : e; } return v; };
    const std::vector<int> prompt = parse(argv[4]), gen = argc > 5 ? parse(argv[5]) : std::vector<int>{};
    const int dim = 288, nl = 6, nh = 6, hd = 48, ffn = 768, vocab = 32000, n_kv = 256;
    const float eps = 9.999999747378752e-06f;

    W tok = load("token_embd.weight", wt, vocab, dim);
    std::vector<W> wq, wk, wv, wo, wg, wu, wd, an, fn;
    for (int l = 0; l < nl; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        wq.push_back(load(p + "attn_q.weight", wt, dim, dim));
        wk.push_back(load(p + "attn_k.weight", wt, dim, dim));
        wv.push_back(load(p + "attn_v.weight", wt, dim, dim));
        wo.push_back(load(p + "attn_output.weight", wt, dim, dim));
        wg.push_back(load(p + "ffn_gate.weight", wt, ffn, dim));
        wu.push_back(load(p + "ffn_up.weight", wt, ffn, dim));
        wd.push_back(load(p + "ffn_down.weight", wt, dim, ffn));
        an.push_back(load(p + "attn_norm.weight", F32, 1, dim));
        fn.push_back(load(p + "ffn_norm.weight", F32, 1, dim));
    }
    W onorm = load("output_norm.weight", F32, 1, dim);

    std::vector<float> kc((size_t)nl * n_kv * dim, 0.f), vc((size_t)nl * n_kv * dim, 0.f);  // cleared like llama's buffers
    std::vector<int> toks = prompt;
    toks.insert(toks.end(), gen.begin(), gen.end());
    const int P = (int)prompt.size(), T = (int)toks.size();

    FILE* pf = fopen(argv[3], "rb");
    std::vector<float> peer((size_t)vocab);
    const float theta_scale = powf(10000.0f, -2.0f / hd);
    const float kq_scale = 1.0f / sqrtf((float)hd);
    int all_ok = 1;

    for (int pos = 0; pos < T; ++pos) {
        const bool prefill = !NO_PREFILL && pos < P && P >= 2;
        std::vector<float> x(dim), xb(dim), q(dim), k(dim), v(dim), att(dim), tmp(dim), g(ffn), u(ffn), h(ffn);
        embed(tok, toks[pos], x.data());
        float cs[48];
        rope_cache(pos, hd, theta_scale, cs);
        for (int l = 0; l < nl; ++l) {
            rmsnorm(x.data(), an[l].f(0), xb.data(), dim, eps);
            matvec(wq[l], xb.data(), q.data(), prefill);
            matvec(wk[l], xb.data(), k.data(), prefill);
            matvec(wv[l], xb.data(), v.data(), prefill);
            rope(q.data(), nh, hd, cs);
            rope(k.data(), nh, hd, cs);
            float* K = kc.data() + (size_t)l * n_kv * dim;
            float* V = vc.data() + (size_t)l * n_kv * dim;
            memcpy(K + (size_t)pos * dim, k.data(), dim * 4);
            memcpy(V + (size_t)pos * dim, v.data(), dim * 4);
            for (int hh = 0; hh < nh; ++hh) {
                std::vector<float> kq(n_kv), p(n_kv);
                for (int t = 0; t < n_kv; ++t) kq[t] = vec_dot_f32(hd, K + (size_t)t * dim + hh * hd, q.data() + hh * hd);
                softmax_masked(kq.data(), n_kv, pos, kq_scale, p.data());
                for (int d = 0; d < hd; ++d) att[hh * hd + d] = kqv_dot(V, dim, hh * hd + d, p.data(), n_kv, prefill);
            }
            matvec(wo[l], att.data(), tmp.data(), prefill);
            for (int i = 0; i < dim; ++i) x[i] = tmp[i] + x[i];
            rmsnorm(x.data(), fn[l].f(0), xb.data(), dim, eps);
            matvec(wu[l], xb.data(), u.data(), prefill);
            matvec(wg[l], xb.data(), g.data(), prefill);
            swiglu(g.data(), u.data(), h.data(), ffn);
            matvec(wd[l], h.data(), tmp.data(), prefill);
            for (int i = 0; i < dim; ++i) x[i] = tmp[i] + x[i];
        }
        rmsnorm(x.data(), onorm.f(0), xb.data(), dim, eps);
        std::vector<float> logits(vocab);
        matvec(tok, xb.data(), logits.data(), prefill);
        if (fread(peer.data(), 4, vocab, pf) != (size_t)vocab) break;
        int nd = 0; float md = 0;
        for (int i = 0; i < vocab; ++i) if (logits[i] != peer[i]) { ++nd; md = fmaxf(md, fabsf(logits[i] - peer[i])); }
        printf("pos %2d %s: %s", pos, prefill ? "prefill" : "decode ", nd == 0 ? "bit-identical\n" : "");
        if (nd) { printf("%d differ, max %.3g\n", nd, md); all_ok = 0; }
    }
    return all_ok ? 0 : 1;
}
