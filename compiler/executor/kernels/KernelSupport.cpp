//===- KernelSupport.cpp - what the reference kernels share ---------------===//

#include "compiler/executor/kernels/KernelSupport.h"

namespace slmc::exec {

llvm::Expected<int64_t> resolveAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return makeError("axis {0} is out of range for rank {1}", axis, rank);
  return axis < 0 ? axis + rank : axis;
}

Shape stridesOf(llvm::ArrayRef<int64_t> shape) {
  Shape strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

llvm::Expected<Broadcast> broadcast(llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes) {
  Broadcast b;
  size_t rank = 0;
  for (auto shape : shapes)
    rank = std::max(rank, shape.size());
  b.shape.assign(rank, 1);
  for (auto shape : shapes) {
    size_t offset = rank - shape.size();
    for (size_t d = 0; d < shape.size(); ++d) {
      int64_t &out = b.shape[offset + d];
      if (out == 1)
        out = shape[d];
      else if (shape[d] != 1 && shape[d] != out)
        return makeError("shapes do not broadcast in dimension {0}: {1} vs {2}", offset + d, out,
                         shape[d]);
    }
  }
  b.trivial = true;
  for (auto shape : shapes) {
    b.trivial &= llvm::ArrayRef<int64_t>(b.shape) == shape;
    Shape own = stridesOf(shape);
    Shape strides(rank, 0);
    size_t offset = rank - shape.size();
    for (size_t d = 0; d < shape.size(); ++d)
      strides[offset + d] = shape[d] == 1 ? 0 : own[d];
    b.strides.push_back(std::move(strides));
  }
  return b;
}

llvm::SmallVector<int64_t> intValues(const Tensor &t) {
  llvm::SmallVector<int64_t> values;
  for (int64_t i = 0, n = t.size(); i < n; ++i)
    values.push_back(t.intAt(i));
  return values;
}

} // namespace slmc::exec
