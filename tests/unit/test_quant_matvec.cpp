#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "quant/dtype_traits.hpp"
#include "quant/kernels.hpp"
#include "quant/matvec.hpp"
#include "quant/thread_pool.hpp"

using namespace slm::quant;

TEST_CASE("quant.thread_pool: every index is visited once, in fixed chunks") {
    for (unsigned threads : {1u, 2u, 3u, 5u}) {
        ThreadPool pool(threads);
        CHECK(pool.size() == threads);
        for (std::size_t count : {0u, 1u, 2u, 3u, 4u, 7u, 100u, 1001u}) {
            CAPTURE(threads);
            CAPTURE(count);
            const std::size_t chunks = pool.chunk_count(count);
            CHECK(chunks <= count);
            CHECK(chunks <= 4 * threads);
            std::vector<std::atomic<int>> visits(count);
            std::atomic<int> calls{0}, unexpected_chunks{0};
            pool.parallel_for(count, [&](std::size_t begin, std::size_t end) {
                // Chunk c is [c*count/chunks, (c+1)*count/chunks), whichever
                // thread runs it (a single call when nothing is split).
                bool expected = count <= 1 || threads == 1;
                for (std::size_t c = 0; c < chunks; ++c) {
                    expected |= begin == count * c / chunks && end == count * (c + 1) / chunks;
                }
                unexpected_chunks += (expected && begin < end) ? 0 : 1;
                for (std::size_t i = begin; i < end; ++i) visits[i]++;
                calls++;
            });
            CHECK(unexpected_chunks == 0);
            for (std::size_t i = 0; i < count; ++i) CHECK(visits[i] == 1);
            CHECK(calls == static_cast<int>(threads == 1 ? std::min<std::size_t>(count, 1) : chunks));
        }
    }
}

TEST_CASE("quant.thread_pool: many small jobs and concurrent submitters") {
    ThreadPool pool(3);
    std::atomic<long> total{0};
    std::atomic<int> calls_off_submitter{0};
    auto submit = [&] {
        const auto submitter = std::this_thread::get_id();
        for (int round = 0; round < 1000; ++round) {
            pool.parallel_for(24, [&](std::size_t begin, std::size_t end) {
                // Enough work per chunk that workers get to claim some.
                volatile unsigned sink = 0;
                for (unsigned i = 0; i < 2000; ++i) sink = sink + i;
                total += static_cast<long>(end - begin);
                if (std::this_thread::get_id() != submitter) calls_off_submitter++;
            });
        }
    };
    std::thread other(submit);
    submit();
    other.join();
    CHECK(total == 2L * 1000 * 24);
    CHECK(calls_off_submitter > 0);
}

namespace {

struct Matrix {
    std::vector<std::uint8_t> values;
    std::vector<float> scales;
    std::vector<float> dequantized;
    WeightView view;
};

Matrix make_matrix(DType dtype, std::size_t rows, std::size_t n, std::uint32_t seed) {
    const DTypeTraits& t = dtype_traits(dtype);
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 0.05f);
    std::vector<float> w(rows * n);
    for (float& v : w) v = dist(rng);
    Matrix m;
    const std::uint32_t bs = t.default_block_size;
    m.values.resize(t.value_bytes(rows * n));
    m.scales.resize(t.scale_count(rows * n, bs) + 1);
    REQUIRE(t.quantize_row_ref(w.data(), rows * n, bs, m.values.data(), m.scales.data()).ok());
    m.dequantized.resize(rows * n);
    t.dequantize_row(m.values.data(), m.scales.data(), bs, m.dequantized.data(), rows * n);
    m.view = WeightView{dtype, m.values.data(), t.quantized ? m.scales.data() : nullptr, bs};
    return m;
}

}  // namespace

TEST_CASE("quant.matvec: same bits for any thread count, close to the exact product") {
    ThreadPool one(1), two(2), three(3), four(4);
    std::mt19937 rng(5);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (const DTypeTraits& t : all_dtype_traits()) {
        for (const auto& shape : {std::pair<std::size_t, std::size_t>{1, 32}, {7, 64}, {288, 288},
                                  {768, 288}, {289, 768}, {1000, 96}}) {
            const std::size_t rows = shape.first, n = shape.second;
            CAPTURE(std::string(t.name));
            CAPTURE(rows);
            CAPTURE(n);
            const Matrix m = make_matrix(t.dtype, rows, n, static_cast<std::uint32_t>(rows * n));
            std::vector<float> x(n);
            for (float& v : x) v = dist(rng);

            std::vector<float> base(rows);
            matvec(base.data(), m.view, x.data(), rows, n, nullptr);
            for (ThreadPool* pool : {&one, &two, &three, &four}) {
                std::vector<float> out(rows, -1.0f);
                matvec(out.data(), m.view, x.data(), rows, n, pool);
                CHECK(std::memcmp(out.data(), base.data(), rows * sizeof(float)) == 0);
            }
            for (std::size_t r = 0; r < rows; ++r) {
                double exact = 0.0, magnitude = 0.0;
                for (std::size_t i = 0; i < n; ++i) {
                    const double p =
                        static_cast<double>(m.dequantized[r * n + i]) * static_cast<double>(x[i]);
                    exact += p;
                    magnitude += std::fabs(p);
                }
                REQUIRE(std::fabs(static_cast<double>(base[r]) - exact) <= 1e-5 * magnitude + 1e-30);
            }
        }
    }
}

TEST_CASE("quant.matvec: the scalar set gives the same bits with threads too") {
    const std::string before(kernel_name());
    REQUIRE(select_kernels("scalar").ok());
    ThreadPool pool(2);
    const Matrix m = make_matrix(DType::q4_0, 288, 288, 11);
    std::vector<float> x(288, 0.25f), a(288), b(288);
    x[3] = -1.0f;
    matvec(a.data(), m.view, x.data(), 288, 288, nullptr);
    matvec(b.data(), m.view, x.data(), 288, 288, &pool);
    CHECK(a == b);
    REQUIRE(select_kernels(before).ok());
}
