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

constexpr uint64_t kWeightAlignment = 64;

struct LayoutWeightsPass : impl::LayoutWeightsBase<LayoutWeightsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    Builder b(&getContext());
    llvm::DenseMap<Attribute, uint64_t> placed;
    uint64_t end = 0;
    module.walk([&](slm::ConstantOp op) {
      auto type = llvm::cast<RankedTensorType>(op.getType());
      // i1 tensors are stored one byte per element, as the runtime reads them.
      unsigned bits = std::max(8u, type.getElementTypeBitWidth());
      uint64_t bytes = type.getNumElements() * bits / 8;
      auto [it, inserted] = placed.try_emplace(op.getValue(), end);
      if (inserted)
        end = llvm::alignTo(end + bytes, kWeightAlignment);
      op->setAttr("slm.weight_offset", b.getI64IntegerAttr(it->second));
    });
    module->setAttr("slm.weights_size", b.getI64IntegerAttr(end));
  }
};

} // namespace
} // namespace slmc
