//===- KernelTable.h - slm op name -> reference kernel ----------*- C++ -*-===//
#pragma once

#include "compiler/executor/Tensor.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <vector>

namespace mlir {
class Operation;
} // namespace mlir

namespace slmc::exec {

/// Computes an op's results from its operands. `outputs` arrives sized to the
/// op's result count.
using Kernel = std::function<llvm::Error(llvm::ArrayRef<Tensor> inputs,
                                         llvm::MutableArrayRef<Tensor> outputs)>;

/// Builds the kernel of one op, reading its attributes once; fails when the
/// op's configuration has no kernel.
using KernelFactory = std::function<llvm::Expected<Kernel>(mlir::Operation *op)>;

class KernelTable {
public:
  /// The table of every kernel in this directory.
  static const KernelTable &get();

  template <typename OpT> void add(KernelFactory factory) {
    factories_[OpT::getOperationName()] = std::move(factory);
  }
  /// Adds a kernel that needs nothing from the op but its operands.
  template <typename OpT> void addSimple(Kernel kernel) {
    add<OpT>([kernel](mlir::Operation *) -> llvm::Expected<Kernel> { return kernel; });
  }
  const KernelFactory *lookup(llvm::StringRef opName) const;

private:
  llvm::StringMap<KernelFactory> factories_;
};

void addElementwiseKernels(KernelTable &table);
void addReductionKernels(KernelTable &table);
void addLinearAlgebraKernels(KernelTable &table);
void addTransformerKernels(KernelTable &table);
void addShapeKernels(KernelTable &table);
void addQuantizationKernels(KernelTable &table);
void addFusedElementwiseKernels(KernelTable &table);

} // namespace slmc::exec
