//===- W8A8Scratch.cpp - the scratch of W8A8 linears ----------------------===//

#include "passes/plan/W8A8Scratch.h"

#include "compiler/targets/ukernels/slm_ukernels.h"
#include "dialects/slm/IR/KernelVariants.h"

using namespace mlir;

namespace slmc {

int64_t w8a8ScratchBytes(slm::LinearOp linear, int64_t rows) {
  auto weight = llvm::cast<RankedTensorType>(linear.getWeight().getType());
  slm::WeightFormat format = slm::dequantizedWeight(linear.getWeight()).getFormat().layout();
  return slm_uk_w8a8_scratch_bytes(rows, weight.getDimSize(1), format.group);
}

} // namespace slmc
