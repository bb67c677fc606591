#include "quant/matmul.hpp"

#include <algorithm>
#include <cassert>
#include <vector>

#include "quant/dtype_traits.hpp"
#include "quant/matvec_plan.hpp"

namespace slm::quant {

namespace {

using detail::Plan;

// Weight bytes per tile: well inside a core's L2 next to the batch's
// activations, so every vector after the first reads the tile from cache.
constexpr std::size_t k_tile_bytes = 32 * 1024;

// Packed matrices tile in whole groups, so no tile recomputes a cut group.
std::size_t tile_rows(const WeightView& w, std::size_t n) {
    const DTypeTraits& traits = dtype_traits(w.dtype);
    const std::size_t row_bytes =
        traits.value_bytes(n) + traits.scale_count(n, w.block_size) * sizeof(float);
    const std::size_t rows = std::max<std::size_t>(1, k_tile_bytes / std::max<std::size_t>(1, row_bytes));
    if (w.packed == nullptr) return rows;
    return std::max(k_packed_rows, rows / k_packed_rows * k_packed_rows);
}

// One matvec Plan per vector of the batch (each makes its vector's int8
// form before any thread starts).
struct BatchPlan {
    std::vector<Plan> plans;
    std::array<std::size_t, k_max_products> tile{};
    std::array<std::size_t, k_max_products + 1> first_row{};
    std::size_t count = 0;

    BatchPlan(std::span<const MatmulOutput> products, std::span<MatvecInput> xs) : count(products.size()) {
        assert(count <= k_max_products && !xs.empty());
        plans.reserve(xs.size());
        for (std::size_t t = 0; t < xs.size(); ++t) {
            std::array<MatvecOutput, k_max_products> outs{};
            for (std::size_t p = 0; p < count; ++p) {
                const MatmulOutput& m = products[p];
                outs[p] = MatvecOutput{m.out + t * m.stride, m.w, m.rows};
            }
            plans.emplace_back(std::span<const MatvecOutput>(outs.data(), count), xs[t]);
        }
        for (std::size_t p = 0; p < count; ++p) {
            tile[p] = tile_rows(products[p].w, xs[0].size());
            first_row[p + 1] = first_row[p] + products[p].rows;
        }
    }

    std::size_t total_rows() const { return first_row[count]; }
    std::size_t weights() const { return total_rows() * plans[0].ranges[0].n * plans.size(); }

    // Rows [begin, end) of product p for every vector, one tile at a time.
    void rows(std::size_t p, std::size_t begin, std::size_t end) const {
        for (std::size_t a = begin; a < end; a += tile[p]) {
            const std::size_t b = std::min(end, a + tile[p]);
            for (const Plan& plan : plans) plan.ranges[p](a, b);
        }
    }
};

}  // namespace

void matmul(std::span<const MatmulOutput> products, std::span<MatvecInput> xs, ThreadPool* pool) {
    if (products.empty() || xs.empty()) return;
    const BatchPlan plan(products, xs);
    // Global rows [begin, end) map to consecutive pieces of the products.
    auto run = [&plan](std::size_t begin, std::size_t end) {
        for (std::size_t p = 0; p < plan.count && begin < end; ++p) {
            if (begin >= plan.first_row[p + 1]) continue;
            const std::size_t stop = std::min(end, plan.first_row[p + 1]);
            plan.rows(p, begin - plan.first_row[p], stop - plan.first_row[p]);
            begin = stop;
        }
    };
    if (detail::run_alone(pool, plan.weights())) {
        run(0, plan.total_rows());
    } else {
        const std::size_t g = plan.plans[0].granule();
        pool->parallel_for(plan.total_rows() / g, [&run, g](std::size_t begin, std::size_t end) { run(begin * g, end * g); });
    }
}

void matmul_zip(std::span<const MatmulOutput> products, std::span<MatvecInput> xs, ThreadPool* pool,
                RowsDone finish, void* ctx) {
    if (products.empty() || xs.empty()) return;
    const BatchPlan plan(products, xs);
    const std::size_t rows = products[0].rows;
    for (const MatmulOutput& m : products) assert(m.rows == rows), (void)m;
    auto run = [&](std::size_t begin, std::size_t end) {
        for (std::size_t p = 0; p < plan.count; ++p) plan.rows(p, begin, end);
        finish(ctx, begin, end);
    };
    if (detail::run_alone(pool, plan.weights())) {
        run(0, rows);
    } else {
        const std::size_t g = plan.plans[0].granule();
        pool->parallel_for(rows / g, [&run, g](std::size_t begin, std::size_t end) { run(begin * g, end * g); });
    }
}

}  // namespace slm::quant
