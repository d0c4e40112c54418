//===- LowerLinearOps.cpp - linear and embedding -> kernel calls ----------===//
//
// slm.linear and slm.embedding call the variant slm-select-kernels recorded
// in `slm.kernel`. Quantized variants read the packed codes and f16 scales of
// the slm.dequantize that feeds them, bf16/f16 variants the narrow constant
// of the slm.widen: the f32 matrix never exists.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringPatterns.h"

#include "compiler/targets/ukernels/slm_ukernels.h"
#include "dialects/slm/IR/KernelVariants.h"
#include "dialects/slm/IR/SlmOps.h"

using namespace mlir;

namespace slmc::lowering {
namespace {

slm::Kernel kernelOf(Operation *op) {
  return slm::SlmDialect::get(op->getContext()).getKernelAttrHelper().getAttr(op).getValue();
}

/// The storage of a dequantized weight as the kernels take it.
struct PackedWeight {
  Ptr codes, scales, minimums, codebook; // minimums, codebook: null where the format has none
  slm::WeightFormat format;
  int64_t rows, columns;
};

PackedWeight packedWeight(KernelBuilder &k, ConversionPatternRewriter &rewriter,
                          slm::DequantizeOp dequantize) {
  auto type = llvm::cast<RankedTensorType>(dequantize.getType());
  auto optional = [&](Value v) { return v ? pointer(rewriter.getRemappedValue(v)) : k.null(); };
  return {pointer(rewriter.getRemappedValue(dequantize.getPacked())),
          pointer(rewriter.getRemappedValue(dequantize.getScales())),
          optional(dequantize.getMinimums()),
          optional(dequantize.getCodebook()),
          dequantize.getFormat().layout(),
          type.getDimSize(0),
          type.getDimSize(1)};
}

bool isFloatKernel(slm::Kernel kernel) {
  return kernel == slm::Kernel::f32 || kernel == slm::Kernel::f32_panels ||
         kernel == slm::Kernel::bf16 || kernel == slm::Kernel::f16;
}
static_assert(slm::kPanelColumns == SLM_UK_PANEL_COLUMNS,
              "#slm.weight_layout<panels16> is the kernels' panel layout");

/// A float weight as it is stored: f32 itself, or the narrow constant an
/// slm.widen reads (the f32 tensor never exists).
Ptr storedFloatWeight(ConversionPatternRewriter &rewriter, Value weight, Value converted) {
  if (slm::WidenOp widen = slm::widenedWeight(weight))
    return pointer(rewriter.getRemappedValue(widen.getInput()));
  return pointer(converted);
}

struct LinearLowering : KernelLowering<slm::LinearOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::LinearOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    KernelBuilder k = builder(rewriter, op);
    Ptr result = k.resultBuffer(op), x = pointer(adaptor.getInput()), y = result;
    Ptr bias = adaptor.getBias() ? pointer(adaptor.getBias()) : k.null();
    I64 rows = k.rowsOf(op.getInput().getType());
    if (op == entry.outputHead) {
      // Only the rows of logits the step writes: the last ones, in their place.
      I64 skipped = k.sub(rows, I64(entry.logitRows));
      x = k.offset(x, k.mul(skipped, k.tokenRowBytes(op.getInput().getType())));
      y = k.offset(y, k.mul(skipped, k.tokenRowBytes(op.getType())));
      rows = I64(entry.logitRows);
    }
    slm::Kernel kernel = kernelOf(op);
    if (isFloatKernel(kernel)) {
      auto type = llvm::cast<RankedTensorType>(op.getWeight().getType());
      Ptr w = storedFloatWeight(rewriter, op.getWeight(), adaptor.getWeight());
      I64 n = k.i64(type.getDimSize(0)), columns = k.i64(type.getDimSize(1));
      if (kernel == slm::Kernel::f32)
        k.call(SLM_KERNEL(slm_uk_linear), x, w, bias, y, rows, n, columns);
      else if (kernel == slm::Kernel::f32_panels)
        k.call(SLM_KERNEL(slm_uk_linear_panels), x, w, bias, y, rows, n, columns);
      else
        k.call(kernel == slm::Kernel::bf16 ? SLM_KERNEL(slm_uk_linear_bf16)
                                           : SLM_KERNEL(slm_uk_linear_f16),
               x, w, bias, y, rows, n, columns);
      rewriter.replaceOp(op, result.value);
      return success();
    }
    PackedWeight w = packedWeight(k, rewriter, slm::dequantizedWeight(op.getWeight()));
    I64 n = k.i64(w.rows), columns = k.i64(w.columns), group = k.i64(w.format.group);
    switch (kernel) {
    case slm::Kernel::w8a8:
    case slm::Kernel::w8a8_vnni:
    case slm::Kernel::w8a8_amx:
    case slm::Kernel::w8a8_sdot:
    case slm::Kernel::w8a8_smmla:
      k.call(kernel == slm::Kernel::w8a8_vnni    ? SLM_KERNEL(slm_uk_linear_w8a8_vnni)
             : kernel == slm::Kernel::w8a8_amx   ? SLM_KERNEL(slm_uk_linear_w8a8_amx)
             : kernel == slm::Kernel::w8a8_sdot  ? SLM_KERNEL(slm_uk_linear_w8a8_sdot)
             : kernel == slm::Kernel::w8a8_smmla ? SLM_KERNEL(slm_uk_linear_w8a8_smmla)
                                                 : SLM_KERNEL(slm_uk_linear_w8a8),
             x, w.codes, w.scales, bias, y, rows, n, columns, group, k.scratchBuffer(op));
      break;
    case slm::Kernel::w4a8:
    case slm::Kernel::w4a8_vnni:
    case slm::Kernel::w4a8_amx:
    case slm::Kernel::w4a8_sdot:
      k.call(kernel == slm::Kernel::w4a8_vnni   ? SLM_KERNEL(slm_uk_linear_w4a8_vnni)
             : kernel == slm::Kernel::w4a8_amx  ? SLM_KERNEL(slm_uk_linear_w4a8_amx)
             : kernel == slm::Kernel::w4a8_sdot ? SLM_KERNEL(slm_uk_linear_w4a8_sdot)
                                                : SLM_KERNEL(slm_uk_linear_w4a8),
             x, w.codes, w.scales, bias, y, rows, n, columns, group, k.scratchBuffer(op));
      break;
    case slm::Kernel::q4:
    case slm::Kernel::q4_vnni:
    case slm::Kernel::q4_avx2:
      k.call(kernel == slm::Kernel::q4        ? SLM_KERNEL(slm_uk_linear_q4)
             : kernel == slm::Kernel::q4_avx2 ? SLM_KERNEL(slm_uk_linear_q4_avx2)
                                              : SLM_KERNEL(slm_uk_linear_q4_vnni),
             x, w.codes, w.scales, w.minimums, bias, y, rows, n, columns, group);
      break;
    case slm::Kernel::q4_avx512:
      k.call(SLM_KERNEL(slm_uk_linear_q4_avx512), x, w.codes, w.scales, w.minimums, w.codebook,
             bias, y, rows, n, columns, group);
      break;
    case slm::Kernel::table_avx512:
    case slm::Kernel::table_avx2:
      k.call(kernel == slm::Kernel::table_avx512 ? SLM_KERNEL(slm_uk_linear_table_avx512)
                                                 : SLM_KERNEL(slm_uk_linear_table_avx2),
             x, w.codes, w.scales, w.codebook, bias, y, rows, n, columns,
             k.i32(static_cast<int32_t>(w.format.bits)), group);
      break;
    case slm::Kernel::wide_avx512:
    case slm::Kernel::wide_avx2:
      k.call(kernel == slm::Kernel::wide_avx512 ? SLM_KERNEL(slm_uk_linear_wide_avx512)
                                                : SLM_KERNEL(slm_uk_linear_wide_avx2),
             x, w.codes, w.scales, w.minimums, bias, y, rows, n, columns,
             k.i32(static_cast<int32_t>(w.format.bits)), group);
      break;
    case slm::Kernel::q8:
    case slm::Kernel::q8_avx512:
    case slm::Kernel::q8_vnni:
    case slm::Kernel::q8_avx2:
      k.call(kernel == slm::Kernel::q8          ? SLM_KERNEL(slm_uk_linear_q8)
             : kernel == slm::Kernel::q8_avx512 ? SLM_KERNEL(slm_uk_linear_q8_avx512)
             : kernel == slm::Kernel::q8_avx2   ? SLM_KERNEL(slm_uk_linear_q8_avx2)
                                                : SLM_KERNEL(slm_uk_linear_q8_vnni),
             x, w.codes, w.scales, bias, y, rows, n, columns, group);
      break;
    case slm::Kernel::qany:
      k.call(SLM_KERNEL(slm_uk_linear_qany), x, w.codes, w.scales, w.minimums, w.codebook, bias, y,
             rows, n, columns, k.i32(static_cast<int32_t>(w.format.bits)), group);
      break;
    case slm::Kernel::f32:
    case slm::Kernel::f32_panels:
    case slm::Kernel::bf16:
    case slm::Kernel::f16:
      llvm_unreachable("handled above");
    }
    rewriter.replaceOp(op, result.value);
    return success();
  }
};

struct EmbeddingLowering : KernelLowering<slm::EmbeddingOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::EmbeddingOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto ids = llvm::cast<RankedTensorType>(op.getIndices().getType());
    if (!ids.getElementType().isSignlessInteger(64))
      return op.emitOpError("code generation needs i64 token ids");
    KernelBuilder k = builder(rewriter, op);
    Ptr out = k.resultBuffer(op);
    I64 count = k.elementCount(ids);
    slm::Kernel kernel = kernelOf(op);
    if (isFloatKernel(kernel)) {
      auto type = llvm::cast<RankedTensorType>(op.getTable().getType());
      Ptr table = storedFloatWeight(rewriter, op.getTable(), adaptor.getTable());
      Ptr ids = pointer(adaptor.getIndices());
      I64 hidden = k.i64(type.getDimSize(1));
      if (kernel == slm::Kernel::f32)
        k.call(SLM_KERNEL(slm_uk_embedding), table, ids, out, count, hidden);
      else if (kernel == slm::Kernel::f32_panels)
        k.call(SLM_KERNEL(slm_uk_embedding_panels), table, ids, out, count, hidden);
      else
        k.call(kernel == slm::Kernel::bf16 ? SLM_KERNEL(slm_uk_embedding_bf16)
                                           : SLM_KERNEL(slm_uk_embedding_f16),
               table, ids, out, count, hidden);
    } else {
      PackedWeight table = packedWeight(k, rewriter, slm::dequantizedWeight(op.getTable()));
      k.call(SLM_KERNEL(slm_uk_embedding_q), table.codes, table.scales, table.minimums,
             table.codebook, pointer(adaptor.getIndices()), out, count, k.i64(table.columns),
             k.i32(static_cast<int32_t>(table.format.bits)), k.i64(table.format.group));
    }
    rewriter.replaceOp(op, out.value);
    return success();
  }
};

struct HadamardLowering : KernelLowering<slm::HadamardOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::HadamardOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    KernelBuilder k = builder(rewriter, op);
    Ptr y = k.resultBuffer(op);
    Type type = op.getInput().getType();
    k.call(SLM_KERNEL(slm_uk_hadamard), pointer(adaptor.getInput()), pointer(adaptor.getSigns()),
           y, k.rowsOf(type), k.dimsOf(type).back(), k.i64(op.getBlock()));
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

/// No code: the linears and embeddings a dequantize or widen feeds read its
/// stored operands.
template <typename StorageOp>
struct WeightStorageLowering : KernelLowering<StorageOp> {
  using KernelLowering<StorageOp>::KernelLowering;
  LogicalResult matchAndRewrite(StorageOp op, typename StorageOp::Adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    KernelBuilder k = this->builder(rewriter, op);
    rewriter.replaceOp(op, k.null().value);
    return success();
  }
};

} // namespace

void populateLinearLowerings(RewritePatternSet &patterns, const TypeConverter &converter,
                                const EntryState &entry) {
  patterns.add<LinearLowering, EmbeddingLowering, HadamardLowering, WeightStorageLowering<slm::DequantizeOp>,
               WeightStorageLowering<slm::WidenOp>>(
      converter, patterns.getContext(), entry);
}

} // namespace slmc::lowering
