//===- GradientSupport.h - what the vector-Jacobian products share -*- C++ -*-===//
#pragma once

#include "compiler/executor/GradientTable.h"
#include "compiler/executor/kernels/KernelSupport.h"

namespace slmc::exec {

/// The gradient of a result, or zeros of its shape when nothing read it.
inline Tensor gradientOrZeros(const Tensor &gradient, const Tensor &result) {
  return gradient.valid() && gradient.size() == result.size()
             ? gradient
             : Tensor::zeros(DType::F32, result.shape());
}

/// Checks that every operand a product reads is f32.
llvm::Error requireFloat(llvm::ArrayRef<Tensor> tensors, llvm::ArrayRef<bool> which);

} // namespace slmc::exec
