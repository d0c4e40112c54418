//===- LowerQuantizedOps.cpp - linear and embedding on packed weights -----===//
//
// An slm.linear or slm.embedding whose weight is an slm.dequantize calls a
// kernel that reads the packed codes and f16 scales (slm_ukernels.h): the
// float matrix never exists. The kernel depends on the format and the target:
// 4-bit formats have a dedicated kernel (table lookups on AVX-512 targets),
// symmetric 8-bit ones another, every other format the generic one; linears
// that slm-plan-memory gave W8A8 scratch quantize their input too, with VNNI
// on targets that have it.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringContext.h"

#include "dialects/slm/IR/SlmOps.h"
#include "passes/FusedDequantize.h"

using namespace mlir;

namespace slmc::lowering {
namespace {

/// The storage of a dequantized weight as the kernels take it.
struct PackedWeight {
  Value codes, scales, minimums; // minimums: null for symmetric formats
  slm::WeightFormat format;
  int64_t rows, columns;
};

PackedWeight packedWeight(LoweringContext &c, slm::DequantizeOp dequantize) {
  auto type = llvm::cast<RankedTensorType>(dequantize.getType());
  return {c.lookup(dequantize.getPacked()).pointer, c.lookup(dequantize.getScales()).pointer,
          dequantize.getMinimums() ? c.lookup(dequantize.getMinimums()).pointer : c.null(),
          dequantize.getFormat().layout(), type.getDimSize(0), type.getDimSize(1)};
}

bool hasInt4Kernel(const slm::WeightFormat &f) {
  return f.bits == 4 && (f.group == 32 || f.group == 64 || f.group == 128);
}

} // namespace

LogicalResult lowerQuantizedLinear(LoweringContext &c, Operation *op) {
  auto linear = llvm::cast<slm::LinearOp>(op);
  PackedWeight w = packedWeight(c, dequantizedWeight(linear.getWeight()));
  const Buffer &x = c.lookup(linear.getInput());
  Value bias = linear.getBias() ? c.lookup(linear.getBias()).pointer : c.null();
  Buffer y = c.resultBuffer(op);
  Value rows = c.product(ArrayRef(x.dims).drop_back());
  Value n = c.i64(w.rows), k = c.i64(w.columns), group = c.i64(w.format.group);
  if (auto scratch = op->getAttrOfType<IntegerAttr>("slm.scratch_offset")) {
    if (!hasInt8Kernel(w.format))
      return op->emitOpError("has W8A8 scratch but its weights are not symmetric 8-bit codes");
    c.call(c.hasFeature("avx512vnni") ? "slm_uk_linear_w8a8_vnni" : "slm_uk_linear_w8a8",
           {c.kernelContext, x.pointer, w.codes, w.scales, bias, y.pointer, rows, n, k, group,
            c.offset(c.arena, scratch.getInt())});
  } else if (hasInt4Kernel(w.format)) {
    bool avx512 = c.hasFeature("avx512f") && c.hasFeature("avx512bw") && c.hasFeature("avx512vl");
    c.call(avx512 ? "slm_uk_linear_q4_avx512" : "slm_uk_linear_q4",
           {c.kernelContext, x.pointer, w.codes, w.scales, w.minimums, bias, y.pointer, rows, n, k,
            group});
  } else if (hasInt8Kernel(w.format)) {
    c.call("slm_uk_linear_q8",
           {c.kernelContext, x.pointer, w.codes, w.scales, bias, y.pointer, rows, n, k, group});
  } else {
    c.call("slm_uk_linear_qany",
           {c.kernelContext, x.pointer, w.codes, w.scales, w.minimums, bias, y.pointer, rows, n,
            k, c.i32(static_cast<int32_t>(w.format.bits)), group});
  }
  c.bind(linear.getResult(), y);
  return success();
}

LogicalResult lowerQuantizedEmbedding(LoweringContext &c, Operation *op) {
  auto embedding = llvm::cast<slm::EmbeddingOp>(op);
  PackedWeight table = packedWeight(c, dequantizedWeight(embedding.getTable()));
  const Buffer &ids = c.lookup(embedding.getIndices());
  if (!ids.elementType.isSignlessInteger(64))
    return op->emitOpError("code generation needs i64 token ids");
  Buffer out = c.resultBuffer(op);
  c.call("slm_uk_embedding_q",
         {c.kernelContext, table.codes, table.scales, table.minimums, ids.pointer, out.pointer,
          c.elementCount(ids), c.i64(table.columns), c.i32(static_cast<int32_t>(table.format.bits)),
          c.i64(table.format.group)});
  c.bind(embedding.getResult(), out);
  return success();
}

} // namespace slmc::lowering
