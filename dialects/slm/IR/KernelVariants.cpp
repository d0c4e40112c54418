//===- KernelVariants.cpp - what each #slm.kernel accepts -----------------===//

#include "dialects/slm/IR/KernelVariants.h"

#include "dialects/slm/IR/SlmOps.h"

using namespace mlir;

namespace slm {

DequantizeOp dequantizedWeight(Value weight) { return weight.getDefiningOp<DequantizeOp>(); }

WidenOp widenedWeight(Value weight) { return weight.getDefiningOp<WidenOp>(); }

Kernel floatWeightKernel(Value weight) {
  WidenOp widen = widenedWeight(weight);
  if (!widen)
    return Kernel::f32;
  return llvm::cast<ShapedType>(widen.getInput().getType()).getElementType().isBF16()
             ? Kernel::bf16
             : Kernel::f16;
}

bool isLinearWeight(OpOperand &use) {
  return llvm::isa<LinearOp>(use.getOwner()) && use.getOperandNumber() == 1;
}

bool isWeightOperand(OpOperand &use) {
  return isLinearWeight(use) ||
         (llvm::isa<EmbeddingOp>(use.getOwner()) && use.getOperandNumber() == 0);
}

bool isFusable(Operation *storage) { return llvm::all_of(storage->getUses(), isWeightOperand); }

bool hasPanelsKernel(Value weight) {
  auto constant = weight.getDefiningOp<ConstantOp>();
  auto type = llvm::cast<RankedTensorType>(weight.getType());
  return constant && type.getRank() == 2 && type.hasStaticShape() &&
         type.getElementType().isF32();
}

bool hasInt4TableKernel(const WeightFormat &f) {
  return f.bits == 4 && (f.group == 32 || f.group == 64 || f.group == 128);
}

bool hasSmallCodebookTableKernel(const WeightFormat &f) {
  return f.codebook && (f.bits == 2 || f.bits == 3) &&
         (f.group == 32 || f.group == 64 || f.group == 128);
}

bool hasCodebookTableKernel(const WeightFormat &f) {
  return f.codebook && f.bits >= 2 && f.bits <= 4 &&
         (f.group == 32 || f.group == 64 || f.group == 128);
}

bool hasWideIntegerKernel(const WeightFormat &f) {
  return !f.codebook && f.bits >= 5 && (f.bits < 8 || !f.symmetric) &&
         (f.group == 32 || f.group == 64 || f.group == 128);
}

bool hasInt4Kernel(const WeightFormat &f) { return hasInt4TableKernel(f) && !f.codebook; }

bool hasInt8Kernel(const WeightFormat &f) {
  return f.bits == 8 && f.symmetric && !f.codebook && f.group % 32 == 0;
}

bool hasInt4ActivationKernel(const WeightFormat &f) { return hasInt4Kernel(f) && f.symmetric; }

bool kernelNeedsScratch(Kernel kernel) {
  return kernel == Kernel::w8a8 || kernel == Kernel::w8a8_vnni || kernel == Kernel::w8a8_amx ||
         kernel == Kernel::w8a8_sdot ||
         kernel == Kernel::w8a8_smmla || kernel == Kernel::w4a8 || kernel == Kernel::w4a8_vnni ||
         kernel == Kernel::w4a8_amx || kernel == Kernel::w4a8_sdot;
}

LogicalResult verifyKernelChoice(Operation *op, Kernel kernel) {
  Value weight;
  if (auto linear = llvm::dyn_cast<LinearOp>(op))
    weight = linear.getWeight();
  else if (auto embedding = llvm::dyn_cast<EmbeddingOp>(op))
    weight = embedding.getTable();
  else
    return op->emitOpError("carries an #slm.kernel, which only slm.linear and slm.embedding take");
  DequantizeOp dequantize = dequantizedWeight(weight);
  auto mismatch = [&](StringRef needs) {
    return op->emitOpError() << "kernel " << stringifyKernel(kernel) << " needs " << needs;
  };
  // Once slm-layout-weights has placed the weight, its layout is the one the
  // kernel reads: panels16 for f32_panels and only for it.
  if (auto constant = weight.getDefiningOp<ConstantOp>()) {
    SlmDialect &slm = SlmDialect::get(op->getContext());
    auto layout = slm.getWeightLayoutAttrHelper().getAttr(constant);
    bool panels = layout && layout.getValue() == WeightLayout::panels16;
    if (slm.getWeightOffsetAttrHelper().isAttrPresent(constant) &&
        panels != (kernel == Kernel::f32_panels))
      return op->emitOpError() << "kernel " << stringifyKernel(kernel)
                               << (panels ? " reads a weight in its own order, which is stored as"
                                          : " needs its weight stored as")
                               << " #slm.weight_layout<panels16>";
  }
  if (kernel == Kernel::f32 || kernel == Kernel::bf16 || kernel == Kernel::f16) {
    if (dequantize || floatWeightKernel(weight) != kernel)
      return mismatch(kernel == Kernel::f32 ? "f32 weights"
                                            : "weights stored as " + stringifyKernel(kernel).str() +
                                                  " (an slm.widen)");
    return success();
  }
  if (kernel == Kernel::f32_panels)
    return hasPanelsKernel(weight) ? success()
                                   : mismatch("a static f32 matrix that an slm.constant holds");
  if (!dequantize)
    return mismatch("quantized weights (an slm.dequantize)");
  WeightFormat format = dequantize.getFormat().layout();
  bool embedding = llvm::isa<EmbeddingOp>(op);
  switch (kernel) {
  case Kernel::qany:
    return success();
  case Kernel::q4:
  case Kernel::q4_vnni:
  case Kernel::q4_avx2:
    return !embedding && hasInt4Kernel(format) ? success()
                                               : mismatch("a linear with 4-bit integer codes in "
                                                          "groups of 32, 64 or 128");
  case Kernel::q4_avx512:
    return !embedding && hasInt4TableKernel(format)
               ? success()
               : mismatch("a linear with 4-bit codes in groups of 32, 64 or 128");
  case Kernel::table_avx512:
    return !embedding && hasSmallCodebookTableKernel(format)
               ? success()
               : mismatch("a linear with 2- or 3-bit codebook codes in groups of 32, 64 or 128");
  case Kernel::table_avx2:
    return !embedding && hasCodebookTableKernel(format)
               ? success()
               : mismatch("a linear with 2- to 4-bit codebook codes in groups of 32, 64 or 128");
  case Kernel::wide_avx512:
  case Kernel::wide_avx2:
    return !embedding && hasWideIntegerKernel(format)
               ? success()
               : mismatch("a linear with 5- to 7-bit or asymmetric 8-bit integer codes in "
                          "groups of 32, 64 or 128");
  case Kernel::q8:
  case Kernel::q8_avx512:
  case Kernel::q8_vnni:
  case Kernel::q8_avx2:
  case Kernel::w8a8:
  case Kernel::w8a8_vnni:
  case Kernel::w8a8_amx:
  case Kernel::w8a8_sdot:
  case Kernel::w8a8_smmla:
    return !embedding && hasInt8Kernel(format)
               ? success()
               : mismatch("a linear with symmetric 8-bit codes per channel or in groups of a "
                          "multiple of 32");
  case Kernel::w4a8:
  case Kernel::w4a8_vnni:
  case Kernel::w4a8_amx:
  case Kernel::w4a8_sdot:
    return !embedding && hasInt4ActivationKernel(format)
               ? success()
               : mismatch("a linear with symmetric 4-bit codes in groups of 32, 64 or 128");
  case Kernel::f32:
  case Kernel::bf16:
  case Kernel::f16:
  case Kernel::f32_panels:
    break;
  }
  return success();
}

} // namespace slm
