//===- GradientTable.h - slm op name -> vector-Jacobian product -*- C++ -*-===//
//
// Reverse mode for the reference executor: what Program::backward calls for
// each op on a path from a constant to a result. Only the ops of decoder
// graphs have one (see gradients/); a path through any other op is an error
// that names it.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/executor/Tensor.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <functional>

namespace mlir {
class Operation;
} // namespace mlir

namespace slmc::exec {

/// The gradients of an op's operands from its operands, its results (as the
/// forward run computed them) and the gradients of its results (a result
/// nothing reads back has an invalid tensor: zero). Fills inputGradients[i]
/// for every i with wanted[i]; the others may stay invalid.
using Vjp = std::function<llvm::Error(
    llvm::ArrayRef<Tensor> inputs, llvm::ArrayRef<Tensor> outputs,
    llvm::ArrayRef<Tensor> outputGradients, llvm::ArrayRef<bool> wanted,
    llvm::MutableArrayRef<Tensor> inputGradients)>;

/// Builds the product of one op, reading its attributes once; fails when the
/// op's configuration has none (an int8 KV cache, ...).
using VjpFactory = std::function<llvm::Expected<Vjp>(mlir::Operation *op)>;

class GradientTable {
public:
  static const GradientTable &get();

  template <typename OpT> void add(VjpFactory factory) {
    factories_[OpT::getOperationName()] = std::move(factory);
  }
  template <typename OpT> void addSimple(Vjp vjp) {
    add<OpT>([vjp](mlir::Operation *) -> llvm::Expected<Vjp> { return vjp; });
  }
  const VjpFactory *lookup(llvm::StringRef opName) const;

private:
  llvm::StringMap<VjpFactory> factories_;
};

void addElementwiseGradients(GradientTable &table);
void addLinearAlgebraGradients(GradientTable &table);
void addNormalizationGradients(GradientTable &table);
void addShapeGradients(GradientTable &table);
void addTransformerGradients(GradientTable &table);

} // namespace slmc::exec
