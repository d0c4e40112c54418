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

/// Whether the code reads `constant` at run time. Shapes of reshapes and
/// expands, slice bounds and constant positions are read when the code is
/// generated, and take no space.
bool readAtRunTime(slm::ConstantOp constant) {
  return llvm::any_of(constant->getUses(), [](OpOperand &use) {
    Operation *user = use.getOwner();
    unsigned i = use.getOperandNumber();
    if (llvm::isa<slm::ReshapeOp, slm::ExpandOp>(user))
      return i != 1;
    if (llvm::isa<slm::SliceOp>(user))
      return i == 0;
    if (auto rotary = llvm::dyn_cast<slm::RotaryOp>(user))
      return use.get() != rotary.getPosition();
    if (auto attention = llvm::dyn_cast<slm::AttentionOp>(user))
      return use.get() != attention.getPosition();
    return true;
  });
}

struct LayoutWeightsPass : impl::LayoutWeightsBase<LayoutWeightsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    Builder b(&getContext());
    slm::SlmDialect &slm = slm::SlmDialect::get(&getContext());
    llvm::DenseMap<Attribute, int64_t> placed;
    int64_t end = 0;
    auto place = [&](slm::ConstantOp op) {
      if (slm.getWeightOffsetAttrHelper().isAttrPresent(op) || !readAtRunTime(op))
        return;
      auto [it, inserted] = placed.try_emplace(op.getValue(), end);
      if (inserted)
        end = llvm::alignTo(end + slm::storageBytes(op.getType()), slm::kBufferAlignment);
      slm.getWeightOffsetAttrHelper().setAttr(op, b.getI64IntegerAttr(it->second));
    };
    // In the order ops first read them.
    module.walk([&](Operation *op) {
      for (Value operand : op->getOperands())
        if (auto constant = operand.getDefiningOp<slm::ConstantOp>())
          place(constant);
    });

    slm.getWeightsSizeAttrHelper().setAttr(module, b.getI64IntegerAttr(end));
  }
};

} // namespace
} // namespace slmc
