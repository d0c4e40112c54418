//===- ShapeOps.cpp - gradients of ops that only relabel elements ---------===//

#include "compiler/executor/gradients/GradientSupport.h"
#include "dialects/slm/IR/SlmOps.h"

#include <algorithm>

using namespace mlir;

namespace slmc::exec {
namespace {

/// The result holds the input's elements in the same order under another
/// shape: so does the gradient.
llvm::Error relabelGradient(ArrayRef<Tensor> in, ArrayRef<Tensor> out, ArrayRef<Tensor> dOut,
                            ArrayRef<bool> wanted, MutableArrayRef<Tensor> dIn) {
  if (wanted[0])
    dIn[0] = gradientOrZeros(dOut[0], out[0]).reshaped(in[0].shape());
  return ok();
}

/// Pieces along an axis: the outer rows before it, the piece's extent on it
/// and the elements after it.
struct AxisLayout {
  int64_t outer = 1, inner = 1;
};
llvm::Expected<AxisLayout> layoutAround(const Tensor &t, int64_t axisAttr, int64_t &axis) {
  auto resolved = resolveAxis(axisAttr, t.rank());
  if (!resolved)
    return resolved.takeError();
  axis = *resolved;
  return AxisLayout{numElements(t.shape().take_front(axis)),
                    numElements(t.shape().drop_front(axis + 1))};
}

/// The product of an op whose only gradient is its first operand's, laid out
/// around the op's axis: `body(in, out, dOut, axis, layout)` returns it.
template <typename Body> Vjp firstOperandAroundAxis(int64_t axisAttr, Body body) {
  return Vjp([=](ArrayRef<Tensor> in, ArrayRef<Tensor> out, ArrayRef<Tensor> dOut,
                 ArrayRef<bool> wanted, MutableArrayRef<Tensor> dIn) -> llvm::Error {
    if (!wanted[0])
      return ok();
    int64_t axis;
    auto layout = layoutAround(in[0], axisAttr, axis);
    if (!layout)
      return layout.takeError();
    llvm::Expected<Tensor> dx = body(in, out, dOut, axis, *layout);
    if (!dx)
      return dx.takeError();
    dIn[0] = std::move(*dx);
    return ok();
  });
}

/// split: the input's gradient is its results' gradients side by side.
llvm::Expected<Vjp> splitGradient(Operation *op) {
  return firstOperandAroundAxis(
      llvm::cast<slm::SplitOp>(op).getAxis(),
      [](ArrayRef<Tensor> in, ArrayRef<Tensor> out, ArrayRef<Tensor> dOut, int64_t axis,
         const AxisLayout &layout) -> llvm::Expected<Tensor> {
        Tensor dx = Tensor::zeros(DType::F32, in[0].shape());
        int64_t extent = in[0].dim(axis), start = 0;
        for (auto [piece, gradient] : llvm::zip(out, dOut)) {
          int64_t size = piece.dim(axis);
          if (gradient.valid() && gradient.size() == piece.size())
            for (int64_t o = 0; o < layout.outer; ++o)
              std::copy_n(gradient.data<float>() + o * size * layout.inner, size * layout.inner,
                          dx.data<float>() + (o * extent + start) * layout.inner);
          start += size;
        }
        return dx;
      });
}

/// concat: each input's gradient is its part of the result's.
llvm::Expected<Vjp> concatGradient(Operation *op) {
  int64_t axisAttr = llvm::cast<slm::ConcatOp>(op).getAxis();
  return Vjp([=](ArrayRef<Tensor> in, ArrayRef<Tensor> out, ArrayRef<Tensor> dOut,
                 ArrayRef<bool> wanted, MutableArrayRef<Tensor> dIn) -> llvm::Error {
    int64_t axis;
    auto layout = layoutAround(out[0], axisAttr, axis);
    if (!layout)
      return layout.takeError();
    Tensor dy = gradientOrZeros(dOut[0], out[0]);
    int64_t extent = out[0].dim(axis), start = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      int64_t size = in[i].dim(axis);
      if (wanted[i]) {
        Tensor dx = Tensor::zeros(DType::F32, in[i].shape());
        for (int64_t o = 0; o < layout->outer; ++o)
          std::copy_n(dy.data<float>() + (o * extent + start) * layout->inner,
                      size * layout->inner, dx.data<float>() + o * size * layout->inner);
        dIn[i] = std::move(dx);
      }
      start += size;
    }
    return ok();
  });
}

/// gather: each picked slice's gradient goes back to where it was picked
/// from (summed where an index repeats).
llvm::Expected<Vjp> gatherGradient(Operation *op) {
  return firstOperandAroundAxis(
      llvm::cast<slm::GatherOp>(op).getAxis(),
      [](ArrayRef<Tensor> in, ArrayRef<Tensor> out, ArrayRef<Tensor> dOut, int64_t axis,
         const AxisLayout &layout) -> llvm::Expected<Tensor> {
        const Tensor &indices = in[1];
        int64_t extent = in[0].dim(axis), picked = indices.size();
        Tensor dy = gradientOrZeros(dOut[0], out[0]);
        Tensor dx = Tensor::zeros(DType::F32, in[0].shape());
        for (int64_t i = 0; i < picked; ++i) {
          int64_t index = indices.dtype() == DType::I32 ? indices.data<int32_t>()[i]
                                                        : indices.data<int64_t>()[i];
          if (index < 0)
            index += extent;
          if (index < 0 || index >= extent)
            return makeError("gather index {0} is outside [0, {1})", index, extent);
          for (int64_t o = 0; o < layout.outer; ++o) {
            const float *from = dy.data<float>() + (o * picked + i) * layout.inner;
            float *to = dx.data<float>() + (o * extent + index) * layout.inner;
            for (int64_t e = 0; e < layout.inner; ++e)
              to[e] += from[e];
          }
        }
        return dx;
      });
}

} // namespace

void addShapeGradients(GradientTable &t) {
  t.addSimple<slm::ReshapeOp>(relabelGradient);
  t.addSimple<slm::UnsqueezeOp>(relabelGradient);
  t.addSimple<slm::SqueezeOp>(relabelGradient);
  t.add<slm::SplitOp>(splitGradient);
  t.add<slm::ConcatOp>(concatGradient);
  t.add<slm::GatherOp>(gatherGradient);
}

} // namespace slmc::exec
