//===- LayoutWeights.cpp - place constants in the weights section ---------===//

#include "passes/Passes.h"

#include "dialects/slm/IR/KernelVariants.h"
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

/// How the kernels that read `constant` want it stored: panels16 where they
/// are the f32_panels kernels (slm-select-kernels picks them for every reader
/// of a value or none), else in its own order.
FailureOr<slm::WeightLayout> layoutFor(slm::ConstantOp constant) {
  slm::SlmDialect &slm = slm::SlmDialect::get(constant.getContext());
  auto panels = [&](OpOperand &use) { // as the weight or table, not a bias
    slm::KernelAttr kernel = slm.getKernelAttrHelper().getAttr(use.getOwner());
    return slm::isWeightOperand(use) && kernel && kernel.getValue() == slm::Kernel::f32_panels;
  };
  if (llvm::none_of(constant->getUses(), panels))
    return slm::WeightLayout::row_major;
  if (!llvm::all_of(constant->getUses(), panels))
    return constant.emitOpError("is read both as panels (f32_panels) and in its own order");
  return slm::WeightLayout::panels16;
}

struct LayoutWeightsPass : impl::LayoutWeightsBase<LayoutWeightsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    Builder b(&getContext());
    slm::SlmDialect &slm = slm::SlmDialect::get(&getContext());
    // Constants of the same value share their bytes where they share a layout.
    llvm::DenseMap<std::pair<Attribute, int>, int64_t> placed;
    int64_t end = 0;
    bool anyFailed = false;
    auto place = [&](slm::ConstantOp op) {
      if (slm.getWeightOffsetAttrHelper().isAttrPresent(op) || !readAtRunTime(op))
        return;
      FailureOr<slm::WeightLayout> layout = layoutFor(op);
      if (failed(layout)) {
        anyFailed = true;
        return;
      }
      auto [it, inserted] =
          placed.try_emplace({op.getValue(), static_cast<int>(*layout)}, end);
      if (inserted)
        end = llvm::alignTo(end + slm::storageBytes(op.getType(), *layout),
                            slm::kBufferAlignment);
      slm.getWeightOffsetAttrHelper().setAttr(op, b.getI64IntegerAttr(it->second));
      if (*layout != slm::WeightLayout::row_major)
        slm.getWeightLayoutAttrHelper().setAttr(
            op, slm::WeightLayoutAttr::get(&getContext(), *layout));
    };
    // In the order ops first read them.
    module.walk([&](Operation *op) {
      for (Value operand : op->getOperands())
        if (auto constant = operand.getDefiningOp<slm::ConstantOp>())
          place(constant);
    });

    if (anyFailed)
      return signalPassFailure();
    slm.getWeightsSizeAttrHelper().setAttr(module, b.getI64IntegerAttr(end));
  }
};

} // namespace
} // namespace slmc
