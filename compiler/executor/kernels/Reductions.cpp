//===- Reductions.cpp - reductions, softmax and normalisation kernels -----===//

#include "compiler/executor/kernels/KernelSupport.h"
#include "dialects/slm/IR/SlmOps.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace slmc::exec {
namespace {

/// A tensor seen as [outer, extent, inner] around one axis.
struct AxisView {
  int64_t outer = 1, extent = 1, inner = 1;
};
AxisView viewAround(ArrayRef<int64_t> shape, int64_t axis) {
  AxisView v;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
    (d < axis ? v.outer : d == axis ? v.extent : v.inner) *= shape[d];
  return v;
}

enum class Reduce { Sum, Mean, Max, Min, Prod };

template <Reduce kind> llvm::Expected<Kernel> reduceKernel(Operation *op) {
  auto axes = llvm::to_vector(op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef());
  bool keepdims = op->getAttrOfType<BoolAttr>("keepdims").getValue();
  return Kernel([axes, keepdims](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    const Tensor &x = in[0];
    llvm::SmallVector<bool, 8> reduced(x.rank(), false);
    for (int64_t axis : axes) {
      auto a = resolveAxis(axis, x.rank());
      if (!a)
        return a.takeError();
      reduced[*a] = true;
    }
    Shape kept, outShape;
    int64_t count = 1;
    for (int64_t d = 0; d < x.rank(); ++d) {
      kept.push_back(reduced[d] ? 1 : x.dim(d));
      if (reduced[d])
        count *= x.dim(d);
      if (!reduced[d] || keepdims)
        outShape.push_back(reduced[d] ? 1 : x.dim(d));
    }
    Tensor y = Tensor::zeros(x.dtype(), outShape);
    // Each input element adds into the output element with its reduced
    // coordinates set to 0: a broadcast of the output against the input.
    auto b = broadcast({x.shape(), kept});
    if (!b)
      return b.takeError();
    dispatchDType(x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      const T *src = x.data<T>();
      T *dst = y.data<T>();
      T init = kind == Reduce::Max   ? std::numeric_limits<T>::lowest()
               : kind == Reduce::Min ? std::numeric_limits<T>::max()
               : kind == Reduce::Prod ? T(1)
                                      : T(0);
      std::fill(dst, dst + y.size(), init);
      forEachBroadcast<2>(*b, [&](int64_t, const std::array<int64_t, 2> &o) {
        T v = src[o[0]];
        T &acc = dst[o[1]];
        if constexpr (kind == Reduce::Max)
          acc = v > acc ? v : acc;
        else if constexpr (kind == Reduce::Min)
          acc = v < acc ? v : acc;
        else if constexpr (kind == Reduce::Prod)
          acc = acc * v;
        else
          acc = acc + v;
      });
      if constexpr (kind == Reduce::Mean)
        for (int64_t i = 0, n = y.size(); i < n; ++i)
          dst[i] = count ? static_cast<T>(dst[i] / static_cast<T>(count)) : T(0);
    });
    out[0] = std::move(y);
    return ok();
  });
}

template <bool isMax> llvm::Expected<Kernel> argKernel(Operation *op) {
  int64_t axisAttr = op->getAttrOfType<IntegerAttr>("axis").getInt();
  bool keepdims = op->getAttrOfType<BoolAttr>("keepdims").getValue();
  bool last = op->hasAttr("select_last_index");
  return Kernel([=](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    const Tensor &x = in[0];
    auto axis = resolveAxis(axisAttr, x.rank());
    if (!axis)
      return axis.takeError();
    Shape shape(x.shape());
    if (keepdims)
      shape[*axis] = 1;
    else
      shape.erase(shape.begin() + *axis);
    Tensor y = Tensor::zeros(DType::I64, shape);
    AxisView v = viewAround(x.shape(), *axis);
    dispatchDType(x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      const T *src = x.data<T>();
      for (int64_t o = 0; o < v.outer; ++o)
        for (int64_t i = 0; i < v.inner; ++i) {
          int64_t best = 0;
          for (int64_t k = 1; k < v.extent; ++k) {
            T cand = src[(o * v.extent + k) * v.inner + i];
            T cur = src[(o * v.extent + best) * v.inner + i];
            bool better = isMax ? (last ? cand >= cur : cand > cur) : (last ? cand <= cur : cand < cur);
            if (better)
              best = k;
          }
          y.data<int64_t>()[o * v.inner + i] = best;
        }
    });
    out[0] = std::move(y);
    return ok();
  });
}

template <bool logarithm> llvm::Expected<Kernel> softmaxKernel(Operation *op) {
  int64_t axisAttr = op->getAttrOfType<IntegerAttr>("axis").getInt();
  return Kernel([axisAttr](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    const Tensor &x = in[0];
    auto axis = resolveAxis(axisAttr, x.rank());
    if (!axis)
      return axis.takeError();
    Tensor y = Tensor::zeros(DType::F32, x.shape());
    AxisView v = viewAround(x.shape(), *axis);
    const float *src = x.data<float>();
    float *dst = y.data<float>();
    for (int64_t o = 0; o < v.outer; ++o)
      for (int64_t i = 0; i < v.inner; ++i) {
        auto at = [&](int64_t k) { return (o * v.extent + k) * v.inner + i; };
        float max = -std::numeric_limits<float>::infinity();
        for (int64_t k = 0; k < v.extent; ++k)
          max = std::max(max, src[at(k)]);
        float sum = 0;
        for (int64_t k = 0; k < v.extent; ++k) {
          dst[at(k)] = std::exp(src[at(k)] - max);
          sum += dst[at(k)];
        }
        for (int64_t k = 0; k < v.extent; ++k)
          dst[at(k)] = logarithm ? src[at(k)] - max - std::log(sum) : dst[at(k)] / sum;
      }
    out[0] = std::move(y);
    return ok();
  });
}

/// y = w * x / sqrt(mean(x²) + eps) over each row of n.
void rmsNormRows(const float *x, const float *w, float *y, int64_t rows, int64_t n, float eps) {
  for (int64_t row = 0; row < rows; ++row) {
    const float *src = x + row * n;
    float *dst = y + row * n;
    float ss = 0;
    for (int64_t j = 0; j < n; ++j)
      ss += src[j] * src[j];
    float scale = 1.0f / std::sqrt(ss / n + eps);
    for (int64_t j = 0; j < n; ++j)
      dst[j] = w[j] * (scale * src[j]);
  }
}

llvm::Expected<Kernel> rmsNormKernel(Operation *op) {
  float eps = llvm::cast<slm::RmsNormOp>(op).getEpsilon().convertToFloat();
  return Kernel([eps](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    const Tensor &x = in[0];
    int64_t n = x.dim(-1);
    if (in[1].size() != n)
      return makeError("weight has {0} entries for rows of {1}", in[1].size(), n);
    Tensor y = Tensor::zeros(DType::F32, x.shape());
    rmsNormRows(x.data<float>(), in[1].data<float>(), y.data<float>(),
                x.size() / std::max<int64_t>(n, 1), n, eps);
    out[0] = std::move(y);
    return ok();
  });
}

/// sum = input + residual, then rms_norm(sum): the two ops' arithmetic.
llvm::Expected<Kernel> addRmsNormKernel(Operation *op) {
  float eps = llvm::cast<slm::AddRmsNormOp>(op).getEpsilon().convertToFloat();
  return Kernel([eps](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    const Tensor &x = in[0], &r = in[1];
    int64_t n = x.dim(-1);
    if (x.shape() != r.shape())
      return makeError("input {0} and residual {1} differ", x.describe(), r.describe());
    if (in[2].size() != n)
      return makeError("weight has {0} entries for rows of {1}", in[2].size(), n);
    Tensor sum = Tensor::zeros(DType::F32, x.shape()), y = Tensor::zeros(DType::F32, x.shape());
    for (int64_t i = 0; i < x.size(); ++i)
      sum.data<float>()[i] = x.data<float>()[i] + r.data<float>()[i];
    rmsNormRows(sum.data<float>(), in[2].data<float>(), y.data<float>(),
                x.size() / std::max<int64_t>(n, 1), n, eps);
    out[0] = std::move(sum);
    out[1] = std::move(y);
    return ok();
  });
}

/// Materialises a scale/bias that broadcasts over the normalised trailing
/// dimensions as one value per normalised element.
llvm::Expected<std::vector<float>> expandParameter(const Tensor &p, ArrayRef<int64_t> normalized) {
  auto b = broadcast({normalized, p.shape()});
  if (!b || ArrayRef<int64_t>(b->shape) != normalized)
    return makeError("scale/bias {0} does not broadcast to the normalised dims", p.describe());
  std::vector<float> values(numElements(normalized));
  forEachBroadcast<2>(*b, [&](int64_t i, const std::array<int64_t, 2> &o) {
    values[i] = p.data<float>()[o[1]];
  });
  return values;
}

llvm::Expected<Kernel> layerNormKernel(Operation *op) {
  auto ln = llvm::cast<slm::LayerNormOp>(op);
  float eps = ln.getEpsilon().convertToFloat();
  int64_t axisAttr = ln.getAxis();
  bool hasBias = ln.getBias() != nullptr;
  return Kernel([=](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    const Tensor &x = in[0];
    auto axis = resolveAxis(axisAttr, x.rank());
    if (!axis)
      return axis.takeError();
    ArrayRef<int64_t> normalized = x.shape().drop_front(*axis);
    auto scale = expandParameter(in[1], normalized);
    if (!scale)
      return scale.takeError();
    std::vector<float> bias(numElements(normalized), 0.0f);
    if (hasBias) {
      auto b = expandParameter(in[2], normalized);
      if (!b)
        return b.takeError();
      bias = std::move(*b);
    }
    int64_t n = numElements(normalized);
    Tensor y = Tensor::zeros(DType::F32, x.shape());
    for (int64_t row = 0, rows = n ? x.size() / n : 0; row < rows; ++row) {
      const float *src = x.data<float>() + row * n;
      float *dst = y.data<float>() + row * n;
      float mean = 0, var = 0;
      for (int64_t j = 0; j < n; ++j)
        mean += src[j];
      mean /= n;
      for (int64_t j = 0; j < n; ++j)
        var += (src[j] - mean) * (src[j] - mean);
      float inv = 1.0f / std::sqrt(var / n + eps);
      for (int64_t j = 0; j < n; ++j)
        dst[j] = (src[j] - mean) * inv * (*scale)[j] + bias[j];
    }
    out[0] = std::move(y);
    return ok();
  });
}

} // namespace

void addReductionKernels(KernelTable &t) {
  t.add<slm::ReduceSumOp>(reduceKernel<Reduce::Sum>);
  t.add<slm::ReduceMeanOp>(reduceKernel<Reduce::Mean>);
  t.add<slm::ReduceMaxOp>(reduceKernel<Reduce::Max>);
  t.add<slm::ReduceMinOp>(reduceKernel<Reduce::Min>);
  t.add<slm::ReduceProdOp>(reduceKernel<Reduce::Prod>);
  t.add<slm::ArgMaxOp>(argKernel<true>);
  t.add<slm::ArgMinOp>(argKernel<false>);
  t.add<slm::SoftmaxOp>(softmaxKernel<false>);
  t.add<slm::LogSoftmaxOp>(softmaxKernel<true>);
  t.add<slm::RmsNormOp>(rmsNormKernel);
  t.add<slm::AddRmsNormOp>(addRmsNormKernel);
  t.add<slm::LayerNormOp>(layerNormKernel);
}

} // namespace slmc::exec
