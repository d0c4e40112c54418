//===- LayoutWeights.cpp - place constants in the weights section ---------===//

#include "passes/Passes.h"

#include "dialects/slm/IR/SlmOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/MathExtras.h"

namespace slmc {
#define GEN_PASS_DEF_LAYOUTWEIGHTS
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

struct LayoutWeightsPass : impl::LayoutWeightsBase<LayoutWeightsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    Builder b(&getContext());
    slm::SlmDialect &slm = slm::SlmDialect::get(&getContext());
    llvm::DenseMap<Attribute, int64_t> placed;
    int64_t end = 0;
    module.walk([&](slm::ConstantOp op) {
      auto [it, inserted] = placed.try_emplace(op.getValue(), end);
      if (inserted)
        end = llvm::alignTo(end + slm::storageBytes(op.getType()), slm::kBufferAlignment);
      slm.getWeightOffsetAttrHelper().setAttr(op, b.getI64IntegerAttr(it->second));
    });
    slm.getWeightsSizeAttrHelper().setAttr(module, b.getI64IntegerAttr(end));
  }
};

} // namespace
} // namespace slmc
