#include "quant/matvec.hpp"

#include <algorithm>
#include <array>
#include <cassert>

#include "quant/kernels.hpp"
#include "quant/matvec_plan.hpp"
#include "quant/thread_pool.hpp"

namespace slm::quant {

using detail::Plan;
using detail::run_alone;

std::string_view activation_mode_name(ActivationMode mode) {
    return mode == ActivationMode::q8_0 ? "q8_0" : "f32";
}

std::optional<ActivationMode> find_activation_mode(std::string_view name) {
    if (name == "f32") return ActivationMode::f32;
    if (name == "q8_0") return ActivationMode::q8_0;
    return std::nullopt;
}

bool MatvecInput::wants_q8(const WeightView& w) const {
    return mode_ == ActivationMode::q8_0 && w.dtype != format::DType::f32 &&
           w.block_size <= k_max_act_block;
}

const std::int8_t* MatvecInput::q8(std::uint32_t block_size) {
    assert(block_size > 0 && n_ % block_size == 0);
    if (quantized_block_ != block_size) {
        active_kernels().quantize_act_q8_0(x_, n_, block_size, q_, scales_);
        quantized_block_ = block_size;
    }
    return q_;
}

void matvec(float* out, const WeightView& w, MatvecInput& x, std::size_t rows, ThreadPool* pool) {
    const MatvecOutput product{out, w, rows};
    matvec(std::span<const MatvecOutput>(&product, 1), x, pool);
}

void matvec(float* out, const WeightView& w, const float* x, std::size_t rows, std::size_t n,
            ThreadPool* pool) {
    MatvecInput input(x, n, ActivationMode::f32, nullptr, nullptr);
    matvec(out, w, input, rows, pool);
}

void matvec(std::span<const MatvecOutput> products, MatvecInput& x, ThreadPool* pool) {
    const Plan plan(products, x);
    // Global rows [begin, end) map to consecutive pieces of the products.
    auto run = [&plan](std::size_t begin, std::size_t end) {
        for (std::size_t p = 0; p < plan.count && begin < end; ++p) {
            if (begin >= plan.first_row[p + 1]) continue;
            const std::size_t stop = std::min(end, plan.first_row[p + 1]);
            plan.ranges[p](begin - plan.first_row[p], stop - plan.first_row[p]);
            begin = stop;
        }
    };
    const std::size_t total = plan.total_rows();
    if (run_alone(pool, total * x.size())) {
        run(0, total);
    } else {
        const std::size_t g = plan.granule();
        pool->parallel_for(total / g, [&run, g](std::size_t begin, std::size_t end) { run(begin * g, end * g); });
    }
}

void matvec_zip(std::span<const MatvecOutput> products, MatvecInput& x, ThreadPool* pool, RowsDone finish,
                void* ctx) {
    const Plan plan(products, x);
    const std::size_t rows = plan.count == 0 ? 0 : products[0].rows;
    for (const MatvecOutput& m : products) assert(m.rows == rows), (void)m;
    auto run = [&](std::size_t begin, std::size_t end) {
        for (std::size_t p = 0; p < plan.count; ++p) plan.ranges[p](begin, end);
        finish(ctx, begin, end);
    };
    if (run_alone(pool, plan.total_rows() * x.size())) {
        run(0, rows);
    } else {
        const std::size_t g = plan.granule();
        pool->parallel_for(rows / g, [&run, g](std::size_t begin, std::size_t end) { run(begin * g, end * g); });
    }
}

void matvec_units(std::span<const MatvecOutput> products, std::size_t units, MatvecInput& x, ThreadPool* pool,
                  RowsDone finish, void* ctx) {
    const Plan plan(products, x);
    for (const MatvecOutput& m : products) assert(units > 0 && m.rows % units == 0), (void)m;
    auto run = [&](std::size_t begin, std::size_t end) {
        for (std::size_t p = 0; p < plan.count; ++p) {
            const std::size_t per_unit = products[p].rows / units;
            plan.ranges[p](begin * per_unit, end * per_unit);
        }
        finish(ctx, begin, end);
    };
    if (run_alone(pool, plan.total_rows() * x.size())) {
        run(0, units);
    } else {
        pool->parallel_for(units, run);
    }
}

}  // namespace slm::quant
