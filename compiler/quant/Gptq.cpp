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
/// is not positive definite.
bool inverseHessianFactor(std::vector<double> h, int64_t n, std::vector<double> &u) {
  if (!choleskyLower(h, n))
    return false;
  // L^-1 by forward substitution, then H^-1 = L^-T L^-1.
  std::vector<double> inv(n * n, 0.0);
  for (int64_t c = 0; c < n; ++c)
    for (int64_t i = c; i < n; ++i) {
      double s = i == c ? 1.0 : 0.0;
      for (int64_t k = c; k < i; ++k)
        s -= h[i * n + k] * inv[k * n + c];
      inv[i * n + c] = s / h[i * n + i];
    }
  std::vector<double> hinv(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double s = 0;
      for (int64_t k = i; k < n; ++k)
        s += inv[k * n + i] * inv[k * n + j];
      hinv[i * n + j] = hinv[j * n + i] = s;
    }
  if (!choleskyLower(hinv, n))
    return false;
  u.assign(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j)
      u[j * n + i] = hinv[i * n + j];
  return true;
}

} // namespace

llvm::Expected<QuantizedWeight> quantizeGptq(llvm::ArrayRef<float> weights, int64_t rows,
                                             int64_t columns, slm::WeightFormat format,
                                             llvm::ArrayRef<double> hessian,
                                             llvm::ArrayRef<float> clipGrid, double dampening,
                                             int64_t blockColumns) {
  const int64_t n = columns;
  if (static_cast<int64_t>(hessian.size()) != n * n)
    return makeError("GPTQ: a Hessian of {0} values for {1} columns", hessian.size(), n);
  std::vector<double> h(hessian.begin(), hessian.end());
  std::vector<float> w(weights.begin(), weights.end());
  // Inputs that never fire carry no information: their weights do not matter.
  for (int64_t i = 0; i < n; ++i)
    if (h[i * n + i] == 0) {
      h[i * n + i] = 1;
      for (int64_t r = 0; r < rows; ++r)
        w[r * n + i] = 0;
    }
  std::vector<double> importance(n);
  for (int64_t i = 0; i < n; ++i)
    importance[i] = h[i * n + i];
  double meanDiagonal = std::accumulate(importance.begin(), importance.end(), 0.0) / n;

  std::vector<double> u;
  bool factored = false;
  for (int attempt = 0; attempt < 4 && !factored; ++attempt, dampening *= 10) {
    std::vector<double> damped = h;
    for (int64_t i = 0; i < n; ++i)
      damped[i * n + i] += dampening * meanDiagonal;
    factored = inverseHessianFactor(std::move(damped), n, u);
  }
  if (!factored)
    return makeError("GPTQ: the calibration Hessian is not positive definite");

  QuantizedWeight q = QuantizedWeight::allocate(format, rows, columns);
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
  std::vector<double> errors(rows * block);
  std::vector<GroupScale> current(rows);
  for (int64_t b0 = 0; b0 < n; b0 += block) {
    int64_t b1 = std::min(n, b0 + block);
    for (int64_t i = b0; i < b1; ++i) {
      if (i % size == 0) {
        int64_t length = std::min(size, n - i);
        for (int64_t r = 0; r < rows; ++r) {
          current[r] = GroupScale::search(w.data() + r * n + i, length, format, clipGrid,
                                          importance.data() + i);
          q.setScale(r, i / size, current[r]);
        }
      }
      const double *uRow = u.data() + i * n;
      for (int64_t r = 0; r < rows; ++r) {
        float *row = w.data() + r * n;
        int32_t code = current[r].encode(row[i], format);
        putCode(q.row(r), i, code, format);
        double error = (row[i] - current[r].decode(code)) / uRow[i];
        errors[r * block + (i - b0)] = error;
        for (int64_t j = i + 1; j < b1; ++j)
          row[j] -= static_cast<float>(error * uRow[j]);
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      float *row = w.data() + r * n;
      for (int64_t i = b0; i < b1; ++i) {
        double error = errors[r * block + (i - b0)];
        const double *uRow = u.data() + i * n;
        for (int64_t j = b1; j < n; ++j)
          row[j] -= static_cast<float>(error * uRow[j]);
      }
    }
  }
  return q;
}

} // namespace slmc
