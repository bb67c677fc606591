#include "adapter/lowrank.hpp"

#include <algorithm>
#include <cmath>

#include <Eigen/Core>
#include <Eigen/SVD>

namespace slm::adapter {

Factors truncated_svd(const std::vector<double>& delta, std::size_t rows, std::size_t cols, std::uint32_t max_rank) {
    using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Eigen::Map<const RowMajor> d(delta.data(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    // BDCSVD switches to Jacobi for small matrices by itself; thin U and V suffice.
    const Eigen::BDCSVD<Eigen::MatrixXd> svd(d, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Eigen::VectorXd& s = svd.singularValues();  // descending
    // Singular values below this are rounding noise of the factorization itself.
    const double floor = s.size() > 0 ? s(0) * 1e-12 : 0.0;
    std::size_t r = std::min<std::size_t>({max_rank, rows, cols});
    while (r > 1 && !(s(static_cast<Eigen::Index>(r - 1)) > floor)) --r;

    Factors f;
    f.rank = static_cast<std::uint32_t>(r);
    f.a.resize(rows * r);
    f.b.resize(r * cols);
    const Eigen::MatrixXd& u = svd.matrixU();
    const Eigen::MatrixXd& v = svd.matrixV();
    using Eigen::Index;
    for (std::size_t k = 0; k < r; ++k) {
        const double root = std::sqrt(s(static_cast<Index>(k)));
        for (std::size_t i = 0; i < rows; ++i)
            f.a[i * r + k] = static_cast<float>(u(static_cast<Index>(i), static_cast<Index>(k)) * root);
        for (std::size_t j = 0; j < cols; ++j)
            f.b[k * cols + j] = static_cast<float>(v(static_cast<Index>(j), static_cast<Index>(k)) * root);
    }
    return f;
}

}  // namespace slm::adapter
