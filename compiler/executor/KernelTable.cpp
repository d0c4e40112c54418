//===- KernelTable.cpp - slm op name -> reference kernel ------------------===//

#include "compiler/executor/KernelTable.h"

namespace slmc::exec {

const KernelTable &KernelTable::get() {
  static const KernelTable table = [] {
    KernelTable t;
    addElementwiseKernels(t);
    addReductionKernels(t);
    addLinearAlgebraKernels(t);
    addTransformerKernels(t);
    addShapeKernels(t);
    addQuantizationKernels(t);
    addFusedElementwiseKernels(t);
    return t;
  }();
  return table;
}

const KernelFactory *KernelTable::lookup(llvm::StringRef opName) const {
  auto it = factories_.find(opName);
  return it == factories_.end() ? nullptr : &it->second;
}

} // namespace slmc::exec
