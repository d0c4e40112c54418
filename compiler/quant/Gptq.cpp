//===- Gptq.cpp - error-compensating rounding of a linear weight ----------===//

#include "compiler/quant/Gptq.h"

#include "compiler/support/Error.h"

#include <cmath>
#include <numeric>

namespace slmc {
namespace {

/// In place: the lower Cholesky factor L of the n x n matrix `a` (a = L L^T);
/// false when `a` is not positive definite.
bool choleskyLower(std::vector<double> &a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int64_t k = 0; k < j; ++k)
      d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0))
      return false;
    d = std::sqrt(d);
    a[j * n + j] = d;
    for (int64_t i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (int64_t k = 0; k < j; ++k)
        s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / d;
    }
    for (int64_t k = j + 1; k < n; ++k)
      a[j * n + k] = 0;
  }
  return true;
}

/// The upper factor U of H^-1 = U^T U, as GPTQ uses it; false when H (damped)
/// is not positive definite. With P the order-reversing permutation and
/// L L^T = P H P, H = V V^T with V = P L P upper triangular, so H^-1 =
/// V^-T V^-1 and U = V^-1 = P L^-1 P: one Cholesky factorisation and one
/// triangular inverse (the n^3/3 multiply-adds of forming H^-1 and factoring
/// it again are not needed). L^-1 is kept transposed (its columns as rows)
/// so that every inner loop runs over contiguous memory.
bool inverseHessianFactor(const std::vector<double> &h, int64_t n, std::vector<double> &u) {
  std::vector<double> l(n * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      l[i * n + j] = h[(n - 1 - i) * n + (n - 1 - j)];
  if (!choleskyLower(l, n))
    return false;
  // Column c of L^-1 by forward substitution, stored as row c of invT.
  std::vector<double> invT(n * n, 0.0);
  for (int64_t c = 0; c < n; ++c) {
    double *x = invT.data() + c * n;
    for (int64_t i = c; i < n; ++i) {
      const double *row = l.data() + i * n;
      double s = i == c ? 1.0 : 0.0;
      for (int64_t k = c; k < i; ++k)
        s -= row[k] * x[k];
      x[i] = s / row[i];
    }
  }
  // U[i][j] = L^-1[n-1-i][n-1-j] = invT[n-1-j][n-1-i].
  u.assign(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i; j < n; ++j)
      u[i * n + j] = invT[(n - 1 - j) * n + (n - 1 - i)];
  return true;
}

/// row[j] -= e * u[j] for j < n: GPTQ's updates, where its time goes (f32,
/// as GPTQ's reference implementation; no fused multiply-add, so every
/// clone computes the same values).
__attribute__((target_clones("avx2", "default"))) void
subtractScaled(float *row, const float *u, float e, int64_t n) {
  for (int64_t j = 0; j < n; ++j)
    row[j] -= e * u[j];
}

} // namespace

llvm::Expected<GptqFactor> GptqFactor::compute(llvm::ArrayRef<double> hessian, int64_t columns,
                                               double dampening) {
  const int64_t n = columns;
  if (static_cast<int64_t>(hessian.size()) != n * n)
    return makeError("GPTQ: a Hessian of {0} values for {1} columns", hessian.size(), n);
  GptqFactor f;
  f.columns_ = n;
  std::vector<double> h(hessian.begin(), hessian.end());
  // Inputs that never fire carry no information: their weights do not matter.
  f.dead_.assign(n, 0);
  for (int64_t i = 0; i < n; ++i)
    if (h[i * n + i] == 0) {
      h[i * n + i] = 1;
      f.dead_[i] = 1;
    }
  f.importance_.resize(n);
  for (int64_t i = 0; i < n; ++i)
    f.importance_[i] = h[i * n + i];
  double meanDiagonal = std::accumulate(f.importance_.begin(), f.importance_.end(), 0.0) / n;
  bool factored = false;
  for (int attempt = 0; attempt < 4 && !factored; ++attempt, dampening *= 10) {
    std::vector<double> damped = h;
    for (int64_t i = 0; i < n; ++i)
      damped[i * n + i] += dampening * meanDiagonal;
    factored = inverseHessianFactor(damped, n, f.u_);
  }
  f.uFloat_.assign(f.u_.begin(), f.u_.end());
  if (!factored)
    return makeError("GPTQ: the calibration Hessian is not positive definite");
  return f;
}

llvm::Expected<QuantizedWeight> quantizeGptq(llvm::ArrayRef<float> weights, int64_t rows,
                                             int64_t columns, slm::WeightFormat format,
                                             llvm::ArrayRef<double> hessian,
                                             llvm::ArrayRef<float> clipGrid, double dampening,
                                             int64_t blockColumns, llvm::ArrayRef<float> codebook) {
  auto factor = GptqFactor::compute(hessian, columns, dampening);
  if (!factor)
    return factor.takeError();
  return quantizeGptq(weights, rows, columns, format, *factor, clipGrid, blockColumns, codebook);
}

llvm::Expected<QuantizedWeight> quantizeGptq(llvm::ArrayRef<float> weights, int64_t rows,
                                             int64_t columns, slm::WeightFormat format,
                                             const GptqFactor &factor,
                                             llvm::ArrayRef<float> clipGrid,
                                             int64_t blockColumns,
                                             llvm::ArrayRef<float> codebook) {
  const int64_t n = columns;
  if (factor.columns() != n)
    return makeError("GPTQ: a factor of {0} columns for a weight of {1}", factor.columns(), n);
  std::vector<float> w(weights.begin(), weights.end());
  for (int64_t i = 0; i < n; ++i)
    if (factor.dead(i))
      for (int64_t r = 0; r < rows; ++r)
        w[r * n + i] = 0;
  const double *importance = factor.importance().data();
  const std::vector<double> &u = factor.u();
  const std::vector<float> &uFloat = factor.uFloat();

  QuantizedWeight q = QuantizedWeight::allocate(format, rows, columns);
  q.codebook.assign(codebook.begin(), codebook.end());
  int64_t size = format.groupSize(n);
  // Lazy batches (GPTQ's blocks): a column's error updates the rest of its
  // block at once and the later columns when the block ends, each weight
  // receiving the same updates in the same order as column by column (so the
  // result is the same bit for bit) while the weights stay in cache. A group's
  // scale is searched at its first column, which must have received every
  // earlier update: blocks and groups nest.
  int64_t block = blockColumns > 0 ? blockColumns : n;
  if (size < n && block % size != 0 && size % block != 0)
    block = size;
  std::vector<float> errors(rows * block);
  std::vector<GroupScale> current(rows);
  for (int64_t b0 = 0; b0 < n; b0 += block) {
    int64_t b1 = std::min(n, b0 + block);
    for (int64_t i = b0; i < b1; ++i) {
      if (i % size == 0) {
        int64_t length = std::min(size, n - i);
        for (int64_t r = 0; r < rows; ++r) {
          current[r] = GroupScale::search(w.data() + r * n + i, length, format, clipGrid,
                                          importance + i, nullptr, codebook);
          q.setScale(r, i / size, current[r]);
        }
      }
      const double *uRow = u.data() + i * n;
      const float *uRowFloat = uFloat.data() + i * n;
      for (int64_t r = 0; r < rows; ++r) {
        float *row = w.data() + r * n;
        int32_t code = current[r].encode(row[i], format);
        putCode(q.row(r), i, code, format);
        float error = static_cast<float>((row[i] - current[r].decode(code)) / uRow[i]);
        errors[r * block + (i - b0)] = error;
        subtractScaled(row + i + 1, uRowFloat + i + 1, error, b1 - i - 1);
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      float *row = w.data() + r * n;
      for (int64_t i = b0; i < b1; ++i)
        subtractScaled(row + b1, uFloat.data() + i * n + b1, errors[r * block + (i - b0)],
                       n - b1);
    }
  }
  return q;
}

} // namespace slmc
