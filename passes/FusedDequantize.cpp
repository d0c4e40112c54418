//===- FusedDequantize.cpp - slm.dequantize as its readers see it ---------===//

#include "passes/FusedDequantize.h"

#include "compiler/targets/ukernels/slm_ukernels.h"

using namespace mlir;

namespace slmc {

slm::DequantizeOp dequantizedWeight(Value weight) { return weight.getDefiningOp<slm::DequantizeOp>(); }

bool isFusable(slm::DequantizeOp dequantize) {
  return llvm::all_of(dequantize->getUses(), [](OpOperand &use) {
    Operation *user = use.getOwner();
    return (llvm::isa<slm::LinearOp>(user) && use.getOperandNumber() == 1) ||
           (llvm::isa<slm::EmbeddingOp>(user) && use.getOperandNumber() == 0);
  });
}

bool hasInt8Kernel(const slm::WeightFormat &format) {
  return format.bits == 8 && format.symmetric && format.group % 32 == 0;
}

int64_t w8a8ScratchBytes(slm::LinearOp linear, int64_t rows) {
  auto weight = llvm::cast<RankedTensorType>(linear.getWeight().getType());
  slm::WeightFormat format = dequantizedWeight(linear.getWeight()).getFormat().layout();
  return slm_uk_w8a8_scratch_bytes(rows, weight.getDimSize(1), format.group);
}

} // namespace slmc
