// Quick numbers for quant/: quantizer throughput, dot-kernel latency per
// kernel set, one attention head's helpers per kernel set, and matvec on
// stories15M shapes (dim 288, ffn 768, vocab 32000).
// Built on request: cmake --build BUILD --target bench_quant.
//   bench_quant                  all tables, for reading
//   bench_quant --quantizers     one JSON line per weight quantizer and kernel
//                                set: GB/s of f32 input on one core (bench/run.sh)
//   bench_quant --bandwidth      JSON line: memory read bandwidth of 1 and 2
//                                threads over 256 MiB, to set beside decoding's
//                                2-thread gain (bench/run.sh)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <time.h>

#include "quant/dtype_traits.hpp"
#include "quant/kernels.hpp"
#include "quant/matvec.hpp"
#include "quant/packed.hpp"
#include "quant/q4_0.hpp"
#include "quant/q8_0.hpp"
#include "quant/thread_pool.hpp"

using namespace slm::quant;
using Clock = std::chrono::steady_clock;

namespace {

volatile float g_sink;

double now_ns(bool cpu_time) {
    if (!cpu_time) return std::chrono::duration<double, std::nano>(Clock::now().time_since_epoch()).count();
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Best of 25 samples, in nanoseconds per call; each sample runs `calls` times.
// Single-threaded code is timed in thread CPU time, which a loaded machine
// disturbs far less than wall time; multi-threaded code needs wall time.
template <class F>
double time_ns(int calls, F&& f, bool cpu_time = true) {
    double best = 1e30;
    for (int sample = 0; sample < 25; ++sample) {
        const double t0 = now_ns(cpu_time);
        for (int i = 0; i < calls; ++i) f();
        best = std::min(best, (now_ns(cpu_time) - t0) / calls);
    }
    return best;
}

std::vector<float> random_floats(std::size_t n, float sigma, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, sigma);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

void bench_quantizers() {
    const std::size_t n = 1 << 20;
    const auto x = random_floats(n, 0.05f, 1);
    std::vector<std::int8_t> q8(n);
    std::vector<std::uint8_t> q4(n / 2);
    std::vector<float> scales(n / 32);
    const double t8 = time_ns(1, [&] { (void)quantize_row_q8_0_ref(x.data(), n, 32, q8.data(), scales.data()); });
    const double t4 = time_ns(1, [&] { (void)quantize_row_q4_0_ref(x.data(), n, 32, q4.data(), scales.data()); });
    const double bytes = static_cast<double>(n * sizeof(float));
    std::printf("quantize_row_q8_0_ref: %.2f GB/s of f32 input (%.2f ns/element)\n", bytes / t8, t8 / n);
    std::printf("quantize_row_q4_0_ref: %.2f GB/s of f32 input (%.2f ns/element)\n", bytes / t4, t4 / n);
    for (const KernelSet* set : supported_kernel_sets()) {
        const double f8 = time_ns(1, [&] { (void)set->quantize_q8_0(x.data(), n, 32, q8.data(), scales.data()); });
        const double f4 = time_ns(1, [&] { (void)set->quantize_q4_0(x.data(), n, 32, q4.data(), scales.data()); });
        std::printf("%-8s quantize_q8_0 %.2f GB/s, quantize_q4_0 %.2f GB/s\n", std::string(set->name).c_str(),
                    bytes / f8, bytes / f4);
    }
}

void bench_dots() {
    std::printf("\n%-8s %6s %10s %10s %10s %10s %10s %10s\n", "kernels", "n", "f32 ns", "q8_0 ns", "q4_0 ns",
                "actq ns", "q8xq8 ns", "q4xq8 ns");
    for (const KernelSet* set : supported_kernel_sets()) {
        for (std::size_t n : {288u, 768u}) {
            const auto w = random_floats(n, 0.05f, 2);
            const auto x = random_floats(n, 1.0f, 3);
            std::vector<std::int8_t> q8(n);
            std::vector<std::uint8_t> q4(n / 2);
            std::vector<float> s8(n / 32), s4(n / 32);
            (void)quantize_row_q8_0_ref(w.data(), n, 32, q8.data(), s8.data());
            (void)quantize_row_q4_0_ref(w.data(), n, 32, q4.data(), s4.data());
            const int calls = 20000;
            const double tf = time_ns(calls, [&] { g_sink = set->dot_f32(w.data(), x.data(), n); });
            const double t8 = time_ns(calls, [&] { g_sink = set->dot_q8_0(q8.data(), s8.data(), 32, x.data(), n); });
            const double t4 = time_ns(calls, [&] { g_sink = set->dot_q4_0(q4.data(), s4.data(), 32, x.data(), n); });
            std::vector<std::int8_t> xq(n);
            std::vector<float> xs(n / 32);
            const double ta = time_ns(calls, [&] { set->quantize_act_q8_0(x.data(), n, 32, xq.data(), xs.data()); });
            const double t88 = time_ns(calls, [&] {
                float o;
                set->rows_q8_0_q8_0(q8.data(), s8.data(), xq.data(), xs.data(), 32, n, 1, &o);
                g_sink = o;
            });
            const double t48 = time_ns(calls, [&] {
                float o;
                set->rows_q4_0_q8_0(q4.data(), s4.data(), xq.data(), xs.data(), 32, n, 1, &o);
                g_sink = o;
            });
            std::printf("%-8s %6zu %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f\n", std::string(set->name).c_str(), n,
                        tf, t8, t4, ta, t88, t48);
        }
    }
}

// One attention head of the bench model at position 127: scores over 128
// cached keys (head 48, 288 floats apart), softmax, weighted sum of values.
void bench_attention() {
    constexpr std::size_t hd = 48, stride = 288, count = 128;
    std::printf("\n%-10s %18s %10s %10s %10s\n", "kernels", "head x positions", "dots ns", "softmax ns",
                "axpys ns");
    const auto q = random_floats(hd, 1.0f, 4);
    const auto keys = random_floats(stride * count, 1.0f, 5);
    const auto values = random_floats(stride * count, 1.0f, 6);
    std::vector<float> att(count), out(hd);
    for (const KernelSet* set : supported_kernel_sets()) {
        const int calls = 20000;
        const double td = time_ns(calls, [&] { set->dots_f32(q.data(), keys.data(), stride, hd, count, att.data()); });
        const auto scores = att;
        const double ts = time_ns(calls, [&] {
            att = scores;
            set->softmax(att.data(), count, 0.144f);
        });
        const double ta = time_ns(calls, [&] {
            set->axpys_f32(att.data(), values.data(), stride, hd, count, out.data());
            g_sink = out[0];
        });
        std::printf("%-10s %11zu x %4zu %10.1f %10.1f %10.1f\n", std::string(set->name).c_str(), hd, count, td, ts,
                    ta);
    }
}

void bench_matvec() {
    struct Shape {
        const char* what;
        std::size_t rows, n;
    };
    const Shape shapes[] = {{"wq 288x288", 288, 288}, {"w1 768x288", 768, 288},
                            {"w2 288x768", 288, 768}, {"output 32000x288", 32000, 288}};
    ThreadPool pool2(2);
    std::printf("\nmatvec (%s kernels), us per call\n", std::string(kernel_name()).c_str());
    std::printf("%-18s %6s %10s %12s %10s %12s %10s %12s\n", "shape", "dtype", "1 thread", "2 thr (wall)",
                "i8 1 thr", "i8 2 thr", "packed 1", "packed 2");
    for (const Shape& s : shapes) {
        for (DType dtype : {DType::f32, DType::q8_0, DType::q4_0}) {
            const DTypeTraits& t = dtype_traits(dtype);
            const auto w = random_floats(s.rows * s.n, 0.05f, 4);
            const auto x = random_floats(s.n, 1.0f, 5);
            std::vector<std::uint8_t> values(t.value_bytes(s.rows * s.n));
            std::vector<float> scales(t.scale_count(s.rows * s.n, t.default_block_size) + 1);
            (void)t.quantize_row_ref(w.data(), s.rows * s.n, t.default_block_size, values.data(), scales.data());
            const WeightView view{dtype, values.data(), scales.data(), t.default_block_size};
            std::vector<float> out(s.rows);
            const int calls = s.rows * s.n > 1000000 ? 4 : 200;
            const double t1 = time_ns(calls, [&] { matvec(out.data(), view, x.data(), s.rows, s.n, nullptr); });
            const double t2 =
                time_ns(calls, [&] { matvec(out.data(), view, x.data(), s.rows, s.n, &pool2); }, false);
            std::vector<std::int8_t> xq(s.n);
            std::vector<float> xs(s.n);
            const double t3 = time_ns(calls, [&] {
                MatvecInput in(x.data(), s.n, ActivationMode::q8_0, xq.data(), xs.data());
                matvec(out.data(), view, in, s.rows, nullptr);
            });
            const double t4 = time_ns(calls, [&] {
                MatvecInput in(x.data(), s.n, ActivationMode::q8_0, xq.data(), xs.data());
                matvec(out.data(), view, in, s.rows, &pool2);
            }, false);
            // The same int8 products from the packed layout, where the kernel set has it.
            double t5 = 0.0, t6 = 0.0;
            if (packable(view, s.rows, s.n) && active_kernels().rows_q8_0_packed != nullptr) {
                const PackedMatrix packed = PackedMatrix::pack(view, s.rows, s.n);
                WeightView pview = view;
                pview.packed = &packed;
                t5 = time_ns(calls, [&] {
                    MatvecInput in(x.data(), s.n, ActivationMode::q8_0, xq.data(), xs.data());
                    matvec(out.data(), pview, in, s.rows, nullptr);
                });
                t6 = time_ns(calls, [&] {
                    MatvecInput in(x.data(), s.n, ActivationMode::q8_0, xq.data(), xs.data());
                    matvec(out.data(), pview, in, s.rows, &pool2);
                }, false);
            }
            std::printf("%-18s %6s %10.2f %12.2f %10.2f %12.2f %10.2f %12.2f\n", s.what, std::string(t.name).c_str(),
                        t1 / 1e3, t2 / 1e3, t3 / 1e3, t4 / 1e3, t5 / 1e3, t6 / 1e3);
        }
    }
}

// The weight quantizers alone (what `slmctl quantize` spends its conversion
// time in), one thread, as JSON lines.
void quantizers_json() {
    const std::size_t n = 1 << 22;  // 16 MiB of f32 input
    const auto x = random_floats(n, 0.05f, 1);
    std::vector<std::uint8_t> values(n);
    std::vector<float> scales(n / 32);
    const double bytes = static_cast<double>(n * sizeof(float));
    for (const KernelSet* set : supported_kernel_sets()) {
        for (auto [name, fn] : {std::pair{"q8_0", set->quantize_q8_0}, std::pair{"q4_0", set->quantize_q4_0}}) {
            const double ns = time_ns(1, [&] { (void)fn(x.data(), n, 32, values.data(), scales.data()); });
            std::printf("{\"kind\":\"quantize_kernel\",\"dtype\":\"%s\",\"kernel\":\"%s\",\"bytes\":%.0f,"
                        "\"seconds\":%.9f}\n",
                        name, std::string(set->name).c_str(), bytes, ns / 1e9);
        }
    }
}

// Sums 256 MiB (far beyond any cache) with `threads` threads, each its own
// contiguous part; best of 7 passes, in GB/s.
double read_bandwidth(unsigned threads) {
    const std::size_t n = std::size_t{256} << 20;
    static const std::vector<std::uint64_t> buf = [&] {
        std::vector<std::uint64_t> v(n / sizeof(std::uint64_t));
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = i;
        return v;
    }();
    ThreadPool pool(threads);
    double best = 1e30;
    for (int pass = 0; pass < 7; ++pass) {
        std::vector<std::uint64_t> sums(threads * 8);  // a cache line apart
        const double t0 = now_ns(false);
        pool.parallel_for(threads, [&](std::size_t begin, std::size_t end) {
            for (std::size_t t = begin; t < end; ++t) {
                const std::size_t part = buf.size() / threads;
                // One cache line per step, prefetched 4 KiB ahead as the
                // decoding kernels do (hardware prefetchers stop at pages).
                std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (std::size_t i = t * part; i + 8 <= (t + 1) * part; i += 8) {
                    if (i + 512 < buf.size()) __builtin_prefetch(buf.data() + i + 512);
                    s0 += buf[i] + buf[i + 4];
                    s1 += buf[i + 1] + buf[i + 5];
                    s2 += buf[i + 2] + buf[i + 6];
                    s3 += buf[i + 3] + buf[i + 7];
                }
                sums[t * 8] = s0 + s1 + s2 + s3;
            }
        });
        best = std::min(best, now_ns(false) - t0);
        g_sink = static_cast<float>(sums[0]);
    }
    return static_cast<double>(n) / best;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "--bandwidth") {
        const double one = read_bandwidth(1), two = read_bandwidth(2);
        std::printf("{\"kind\":\"bandwidth\",\"gb_s_1\":%.2f,\"gb_s_2\":%.2f}\n", one, two);
        return 0;
    }
    if (argc > 1 && std::string(argv[1]) == "--quantizers") {
        quantizers_json();
        return 0;
    }
    bench_quantizers();
    bench_dots();
    bench_attention();
    bench_matvec();
    return 0;
}
