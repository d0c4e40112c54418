//===- GradientTable.cpp - slm op name -> vector-Jacobian product ---------===//

#include "compiler/executor/GradientTable.h"

namespace slmc::exec {

const GradientTable &GradientTable::get() {
  static const GradientTable table = [] {
    GradientTable t;
    addElementwiseGradients(t);
    addLinearAlgebraGradients(t);
    addNormalizationGradients(t);
    addShapeGradients(t);
    addTransformerGradients(t);
    return t;
  }();
  return table;
}

const VjpFactory *GradientTable::lookup(llvm::StringRef opName) const {
  auto it = factories_.find(opName);
  return it == factories_.end() ? nullptr : &it->second;
}

} // namespace slmc::exec
