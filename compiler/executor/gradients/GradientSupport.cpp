//===- GradientSupport.cpp - what the vector-Jacobian products share ------===//

#include "compiler/executor/gradients/GradientSupport.h"

namespace slmc::exec {

llvm::Error requireFloat(llvm::ArrayRef<Tensor> tensors, llvm::ArrayRef<bool> which) {
  for (auto [i, t] : llvm::enumerate(tensors))
    if (i < which.size() && which[i] && t.dtype() != DType::F32)
      return makeError("a gradient through {0} (operand {1}) needs f32", t.describe(), i);
  return ok();
}

} // namespace slmc::exec
