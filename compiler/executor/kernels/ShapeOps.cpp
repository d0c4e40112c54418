//===- ShapeOps.cpp - shape and data movement kernels ---------------------===//

#include "compiler/executor/kernels/KernelSupport.h"
#include "dialects/slm/IR/SlmOps.h"

#include <cstring>

using namespace mlir;

namespace slmc::exec {
namespace {

/// Copies an element of any dtype.
void copyElement(const Tensor &from, int64_t i, Tensor &to, int64_t j) {
  size_t width = byteWidth(from.dtype());
  std::memcpy(static_cast<char *>(const_cast<void *>(to.raw())) + j * width,
              static_cast<const char *>(from.raw()) + i * width, width);
}

llvm::Expected<Kernel> reshapeKernel(Operation *op) {
  bool allowZero = llvm::cast<slm::ReshapeOp>(op).getAllowzero();
  return Kernel([allowZero](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    const Tensor &x = in[0];
    Shape shape(intValues(in[1]));
    int64_t known = 1, inferred = -1;
    for (auto [d, size] : llvm::enumerate(shape)) {
      if (size == 0 && !allowZero) {
        if (static_cast<int64_t>(d) >= x.rank())
          return makeError("shape entry {0} copies a dimension the input lacks", d);
        size = x.dim(d);
      }
      if (size == -1) {
        if (inferred >= 0)
          return makeError("shape has more than one -1");
        inferred = d;
      } else if (size < 0) {
        return makeError("shape entry {0} is negative", size);
      } else {
        known *= size;
      }
    }
    if (inferred >= 0)
      shape[inferred] = known ? x.size() / known : 0;
    if (numElements(shape) != x.size())
      return makeError("cannot reshape {0} to {1} elements", x.describe(), numElements(shape));
    out[0] = x.reshaped(shape);
    return ok();
  });
}

llvm::Expected<Kernel> transposeKernel(Operation *op) {
  auto perm = llvm::to_vector(llvm::cast<slm::TransposeOp>(op).getPermutation());
  return Kernel([perm](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    const Tensor &x = in[0];
    Shape shape, strides;
    Shape inStrides = stridesOf(x.shape());
    for (int64_t p : perm) {
      shape.push_back(x.dim(p));
      strides.push_back(inStrides[p]);
    }
    Tensor y = Tensor::zeros(x.dtype(), shape);
    Broadcast walk{shape, {strides}, false};
    forEachBroadcast<1>(walk, [&](int64_t i, const std::array<int64_t, 1> &o) {
      copyElement(x, o[0], y, i);
    });
    out[0] = std::move(y);
    return ok();
  });
}

llvm::Expected<Kernel> concatKernel(Operation *op) {
  int64_t axisAttr = llvm::cast<slm::ConcatOp>(op).getAxis();
  return Kernel([axisAttr](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    auto axis = resolveAxis(axisAttr, in[0].rank());
    if (!axis)
      return axis.takeError();
    Shape shape(in[0].shape());
    shape[*axis] = 0;
    for (const Tensor &x : in)
      shape[*axis] += x.dim(*axis);
    Tensor y = Tensor::zeros(in[0].dtype(), shape);
    size_t width = byteWidth(y.dtype());
    int64_t outer = numElements(ArrayRef<int64_t>(shape).take_front(*axis));
    int64_t rowBytes = numElements(ArrayRef<int64_t>(shape).drop_front(*axis)) * width;
    char *dst = static_cast<char *>(const_cast<void *>(y.raw()));
    int64_t at = 0;
    for (const Tensor &x : in) {
      int64_t chunk = numElements(x.shape().drop_front(*axis)) * width;
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(dst + o * rowBytes + at, static_cast<const char *>(x.raw()) + o * chunk, chunk);
      at += chunk;
    }
    out[0] = std::move(y);
    return ok();
  });
}

llvm::Expected<Kernel> splitKernel(Operation *op) {
  auto split = llvm::cast<slm::SplitOp>(op);
  int64_t axisAttr = split.getAxis();
  auto sizes = llvm::to_vector(split.getSizes());
  return Kernel([=](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    const Tensor &x = in[0];
    auto axis = resolveAxis(axisAttr, x.rank());
    if (!axis)
      return axis.takeError();
    size_t width = byteWidth(x.dtype());
    int64_t outer = numElements(x.shape().take_front(*axis));
    int64_t inner = numElements(x.shape().drop_front(*axis + 1)) * width;
    int64_t start = 0;
    for (auto [i, size] : llvm::enumerate(sizes)) {
      Shape shape(x.shape());
      shape[*axis] = size;
      Tensor y = Tensor::zeros(x.dtype(), shape);
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(static_cast<char *>(const_cast<void *>(y.raw())) + o * size * inner,
                    static_cast<const char *>(x.raw()) + (o * x.dim(*axis) + start) * inner,
                    size * inner);
      start += size;
      out[i] = std::move(y);
    }
    if (start != x.dim(*axis))
      return makeError("split sizes add up to {0}, the dimension is {1}", start, x.dim(*axis));
    return ok();
  });
}

llvm::Error slice(ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) {
  const Tensor &x = in[0];
  auto starts = intValues(in[1]), ends = intValues(in[2]), axes = intValues(in[3]),
       steps = intValues(in[4]);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    return makeError("starts, ends, axes and steps differ in length");
  Shape begin(x.rank(), 0), step(x.rank(), 1), shape(x.shape());
  for (size_t i = 0; i < starts.size(); ++i) {
    auto axis = resolveAxis(axes[i], x.rank());
    if (!axis)
      return axis.takeError();
    int64_t dim = x.dim(*axis), s = steps[i];
    if (s == 0)
      return makeError("slice step is 0");
    // ONNX clamps out-of-range bounds: [0, dim] going forward, [-1, dim-1] back.
    auto clampIndex = [&](int64_t v) {
      v = v < 0 ? v + dim : v;
      return s > 0 ? std::clamp<int64_t>(v, 0, dim) : std::clamp<int64_t>(v, -1, dim - 1);
    };
    int64_t b = clampIndex(starts[i]), e = clampIndex(ends[i]);
    begin[*axis] = b;
    step[*axis] = s;
    shape[*axis] = s > 0 ? std::max<int64_t>(0, (e - b + s - 1) / s)
                         : std::max<int64_t>(0, (b - e - s - 1) / -s);
  }
  Tensor y = Tensor::zeros(x.dtype(), shape);
  Shape inStrides = stridesOf(x.shape()), strides;
  int64_t base = 0;
  for (int64_t d = 0; d < x.rank(); ++d) {
    base += begin[d] * inStrides[d];
    strides.push_back(step[d] * inStrides[d]);
  }
  Broadcast walk{shape, {strides}, false};
  forEachBroadcast<1>(walk, [&](int64_t i, const std::array<int64_t, 1> &o) {
    copyElement(x, base + o[0], y, i);
  });
  out[0] = std::move(y);
  return ok();
}

llvm::Expected<Kernel> gatherKernel(Operation *op) {
  int64_t axisAttr = llvm::cast<slm::GatherOp>(op).getAxis();
  return Kernel([axisAttr](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    const Tensor &x = in[0], &idx = in[1];
    auto axis = resolveAxis(axisAttr, x.rank());
    if (!axis)
      return axis.takeError();
    Shape shape(x.shape().take_front(*axis));
    llvm::append_range(shape, idx.shape());
    llvm::append_range(shape, x.shape().drop_front(*axis + 1));
    Tensor y = Tensor::zeros(x.dtype(), shape);
    int64_t outer = numElements(x.shape().take_front(*axis));
    int64_t extent = x.dim(*axis);
    int64_t inner = numElements(x.shape().drop_front(*axis + 1));
    size_t width = byteWidth(x.dtype());
    char *dst = static_cast<char *>(const_cast<void *>(y.raw()));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0, n = idx.size(); i < n; ++i) {
        int64_t k = idx.intAt(i);
        if (k < -extent || k >= extent)
          return makeError("index {0} is out of range for a dimension of {1}", k, extent);
        k = k < 0 ? k + extent : k;
        std::memcpy(dst + ((o * n + i) * inner) * width,
                    static_cast<const char *>(x.raw()) + ((o * extent + k) * inner) * width,
                    inner * width);
      }
    out[0] = std::move(y);
    return ok();
  });
}

llvm::Expected<Kernel> gatherElementsKernel(Operation *op) {
  int64_t axisAttr = llvm::cast<slm::GatherElementsOp>(op).getAxis();
  return Kernel([axisAttr](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    const Tensor &x = in[0], &idx = in[1];
    auto axis = resolveAxis(axisAttr, x.rank());
    if (!axis)
      return axis.takeError();
    Tensor y = Tensor::zeros(x.dtype(), idx.shape());
    Shape inStrides = stridesOf(x.shape());
    Shape walkStrides(inStrides);
    walkStrides[*axis] = 0; // the index supplies this coordinate
    Broadcast walk{Shape(idx.shape()), {walkStrides}, false};
    llvm::Error error = ok();
    forEachBroadcast<1>(walk, [&](int64_t i, const std::array<int64_t, 1> &o) {
      int64_t k = idx.intAt(i), extent = x.dim(*axis);
      if (k < -extent || k >= extent) {
        if (!error)
          error = makeError("index {0} is out of range for a dimension of {1}", k, extent);
        return;
      }
      copyElement(x, o[0] + (k < 0 ? k + extent : k) * inStrides[*axis], y, i);
    });
    if (error)
      return error;
    out[0] = std::move(y);
    return ok();
  });
}

/// Unsqueeze and squeeze only relabel dimensions: the result type says how.
llvm::Expected<Kernel> relabelKernel(Operation *op) {
  bool isUnsqueeze = llvm::isa<slm::UnsqueezeOp>(op);
  auto axes = llvm::to_vector(op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef());
  return Kernel([=](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    const Tensor &x = in[0];
    int64_t rank = isUnsqueeze ? x.rank() + static_cast<int64_t>(axes.size()) : x.rank();
    llvm::SmallVector<bool, 8> marked(rank, false);
    for (int64_t a : axes) {
      auto axis = resolveAxis(a, rank);
      if (!axis)
        return axis.takeError();
      marked[*axis] = true;
    }
    Shape shape;
    for (int64_t d = 0, next = 0; d < rank; ++d) {
      if (isUnsqueeze) {
        shape.push_back(marked[d] ? 1 : x.dim(next++));
      } else if (!marked[d]) {
        shape.push_back(x.dim(d));
      } else if (x.dim(d) != 1) {
        return makeError("cannot squeeze dimension {0} of size {1}", d, x.dim(d));
      }
    }
    out[0] = x.reshaped(shape);
    return ok();
  });
}

llvm::Error expand(ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) {
  const Tensor &x = in[0];
  Shape target(intValues(in[1]));
  auto b = broadcast({target, x.shape()});
  if (!b)
    return b.takeError();
  Tensor y = Tensor::zeros(x.dtype(), b->shape);
  forEachBroadcast<2>(*b, [&](int64_t i, const std::array<int64_t, 2> &o) {
    copyElement(x, o[1], y, i);
  });
  out[0] = std::move(y);
  return ok();
}

llvm::Expected<Kernel> shapeKernel(Operation *op) {
  auto shapeOp = llvm::cast<slm::ShapeOp>(op);
  int64_t startAttr = shapeOp.getStart();
  std::optional<int64_t> endAttr;
  if (auto end = shapeOp.getEnd())
    endAttr = static_cast<int64_t>(*end);
  return Kernel([=](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    int64_t rank = in[0].rank();
    auto clamp = [&](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
    int64_t start = clamp(startAttr), end = clamp(endAttr.value_or(rank));
    llvm::SmallVector<int64_t> dims(in[0].shape().begin() + start,
                                    in[0].shape().begin() + std::max(start, end));
    out[0] = Tensor::fromValues<int64_t>(DType::I64, {static_cast<int64_t>(dims.size())}, dims);
    return ok();
  });
}

llvm::Error range(ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) {
  DType dtype = in[0].dtype();
  double start = in[0].floatAt(0), limit = in[1].floatAt(0), delta = in[2].floatAt(0);
  if (dtype != DType::F32) {
    start = in[0].intAt(0);
    limit = in[1].intAt(0);
    delta = in[2].intAt(0);
  }
  if (delta == 0)
    return makeError("range delta is 0");
  int64_t count = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((limit - start) / delta)));
  Tensor y = Tensor::zeros(dtype, {count});
  dispatchDType(dtype, [&](auto zero) {
    using T = decltype(zero);
    for (int64_t i = 0; i < count; ++i)
      y.data<T>()[i] = static_cast<T>(static_cast<T>(start) + static_cast<T>(i) * static_cast<T>(delta));
  });
  out[0] = std::move(y);
  return ok();
}

llvm::Expected<Kernel> fillKernel(Operation *op) {
  auto fill = llvm::cast<slm::FillOp>(op);
  Attribute value = fill.getValue();
  DType dtype = *dtypeOf(llvm::cast<RankedTensorType>(fill.getType()).getElementType());
  double number = 0;
  if (auto f = llvm::dyn_cast<FloatAttr>(value))
    number = f.getValueAsDouble();
  else if (auto i = llvm::dyn_cast<IntegerAttr>(value))
    number = static_cast<double>(i.getValue().getSExtValue());
  else
    return makeError("fill value must be a number");
  return Kernel([=](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    Shape shape(intValues(in[0]));
    for (int64_t d : shape)
      if (d < 0)
        return makeError("negative dimension {0}", d);
    Tensor y = Tensor::zeros(dtype, shape);
    dispatchDType(dtype, [&](auto zero) {
      using T = decltype(zero);
      std::fill(y.data<T>(), y.data<T>() + y.size(), static_cast<T>(number));
    });
    out[0] = std::move(y);
    return ok();
  });
}

llvm::Expected<Kernel> triluKernel(Operation *op) {
  bool upper = llvm::cast<slm::TriluOp>(op).getUpper();
  return Kernel([upper](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    const Tensor &x = in[0];
    int64_t k = in.size() > 1 ? in[1].intAt(0) : 0;
    int64_t rows = x.dim(-2), cols = x.dim(-1);
    Tensor y = Tensor::zeros(x.dtype(), x.shape());
    for (int64_t i = 0, n = x.size(); i < n; ++i) {
      int64_t c = i % cols, r = (i / cols) % rows;
      if (upper ? c - r >= k : c - r <= k)
        copyElement(x, i, y, i);
    }
    out[0] = std::move(y);
    return ok();
  });
}

} // namespace

void addShapeKernels(KernelTable &t) {
  t.add<slm::ReshapeOp>(reshapeKernel);
  t.add<slm::TransposeOp>(transposeKernel);
  t.add<slm::ConcatOp>(concatKernel);
  t.add<slm::SplitOp>(splitKernel);
  t.addSimple<slm::SliceOp>(slice);
  t.add<slm::GatherOp>(gatherKernel);
  t.add<slm::GatherElementsOp>(gatherElementsKernel);
  t.add<slm::UnsqueezeOp>(relabelKernel);
  t.add<slm::SqueezeOp>(relabelKernel);
  t.addSimple<slm::ExpandOp>(expand);
  t.add<slm::ShapeOp>(shapeKernel);
  t.addSimple<slm::RangeOp>(range);
  t.add<slm::FillOp>(fillKernel);
  t.add<slm::TriluOp>(triluKernel);
}

} // namespace slmc::exec
