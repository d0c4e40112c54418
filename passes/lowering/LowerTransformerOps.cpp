//===- LowerTransformerOps.cpp - decoder blocks -> micro-kernel calls -----===//

#include "passes/lowering/LoweringContext.h"

#include "dialects/slm/IR/SlmOps.h"
#include "passes/FusedDequantize.h"

using namespace mlir;

namespace slmc::lowering {
namespace {

/// The i64 value of a 0-d index operand: the step's position or a constant.
FailureOr<Value> scalarIndex(LoweringContext &c, Operation *op, Value v) {
  if (auto arg = llvm::dyn_cast<BlockArgument>(v); arg && arg.getArgNumber() == 1 && c.position)
    return c.position;
  DenseIntElementsAttr value;
  if (auto constant = v.getDefiningOp<slm::ConstantOp>())
    value = llvm::dyn_cast<DenseIntElementsAttr>(constant.getValue());
  if (!value)
    return op->emitOpError("needs its position to be the step's position or a constant");
  return c.i64((*value.begin()).getSExtValue());
}

LogicalResult lowerEmbedding(LoweringContext &c, Operation *op) {
  auto embedding = llvm::cast<slm::EmbeddingOp>(op);
  if (dequantizedWeight(embedding.getTable()))
    return lowerQuantizedEmbedding(c, op);
  const Buffer &table = c.lookup(embedding.getTable());
  const Buffer &ids = c.lookup(embedding.getIndices());
  if (!ids.elementType.isSignlessInteger(64))
    return op->emitOpError("code generation needs i64 token ids");
  Buffer out = c.resultBuffer(op);
  c.call("slm_uk_embedding",
         {c.kernelContext, table.pointer, ids.pointer, out.pointer, c.elementCount(ids), table.dims[1]});
  c.bind(embedding.getResult(), out);
  return success();
}

LogicalResult lowerLinear(LoweringContext &c, Operation *op) {
  auto linear = llvm::cast<slm::LinearOp>(op);
  if (dequantizedWeight(linear.getWeight()))
    return lowerQuantizedLinear(c, op);
  const Buffer &x = c.lookup(linear.getInput());
  const Buffer &w = c.lookup(linear.getWeight());
  Value bias = linear.getBias() ? c.lookup(linear.getBias()).pointer : c.null();
  Buffer y = c.resultBuffer(op);
  Value rows = c.product(ArrayRef(x.dims).drop_back());
  c.call("slm_uk_linear",
         {c.kernelContext, x.pointer, w.pointer, bias, y.pointer, rows, w.dims[0], x.dims.back()});
  c.bind(linear.getResult(), y);
  return success();
}

LogicalResult lowerMatmul(LoweringContext &c, Operation *op) {
  auto matmul = llvm::cast<slm::MatmulOp>(op);
  auto a = llvm::cast<RankedTensorType>(matmul.getLhs().getType());
  auto b = llvm::cast<RankedTensorType>(matmul.getRhs().getType());
  auto out = llvm::cast<RankedTensorType>(matmul.getType());
  if (a.getRank() < 2 || b.getRank() < 2 || !a.hasStaticShape() || !b.hasStaticShape())
    return op->emitOpError("code generation handles static matmuls of rank >= 2");
  int64_t m = a.getDimSize(a.getRank() - 2), k = a.getShape().back(), n = b.getShape().back();
  auto batchOf = [](RankedTensorType t) {
    int64_t batch = 1;
    for (int64_t d : t.getShape().drop_back(2))
      batch *= d;
    return batch;
  };
  int64_t batch = batchOf(out), aBatch = batchOf(a), bBatch = batchOf(b);
  // One flat batch loop covers equal batches and a side broadcast whole.
  auto strideFor = [&](int64_t own, int64_t matrix, RankedTensorType t) -> std::optional<int64_t> {
    if (own == 1)
      return 0;
    if (own == batch && t.getShape().drop_back(2) == out.getShape().drop_back(2))
      return matrix;
    return std::nullopt;
  };
  auto aStride = strideFor(aBatch, m * k, a), bStride = strideFor(bBatch, k * n, b);
  if (!aStride || !bStride)
    return op->emitOpError("code generation does not handle this batch broadcast yet");
  Buffer y = c.resultBuffer(op);
  c.call("slm_uk_matmul",
         {c.kernelContext, c.lookup(matmul.getLhs()).pointer, c.lookup(matmul.getRhs()).pointer,
          y.pointer, c.i64(batch), c.i64(m), c.i64(n), c.i64(k), c.i64(*aStride), c.i64(*bStride)});
  c.bind(matmul.getResult(), y);
  return success();
}

LogicalResult lowerRmsNorm(LoweringContext &c, Operation *op) {
  auto norm = llvm::cast<slm::RmsNormOp>(op);
  const Buffer &x = c.lookup(norm.getInput());
  Buffer y = c.resultBuffer(op);
  c.call("slm_uk_rms_norm",
         {c.kernelContext, x.pointer, c.lookup(norm.getWeight()).pointer, y.pointer,
          c.product(ArrayRef(x.dims).drop_back()), x.dims.back(),
          c.f32(norm.getEpsilon().convertToFloat())});
  c.bind(norm.getResult(), y);
  return success();
}

LogicalResult lowerLayerNorm(LoweringContext &c, Operation *op) {
  auto norm = llvm::cast<slm::LayerNormOp>(op);
  auto type = llvm::cast<RankedTensorType>(norm.getType());
  int64_t axis = static_cast<int64_t>(norm.getAxis());
  axis = axis < 0 ? axis + type.getRank() : axis;
  const Buffer &x = c.lookup(norm.getInput());
  ArrayRef<Value> dims(x.dims);
  // The kernel takes one scale/bias value per normalised element.
  int64_t normalized = 1;
  for (int64_t d : type.getShape().drop_front(axis))
    normalized *= d;
  for (Value param : {norm.getScale(), norm.getBias()})
    if (param && llvm::cast<RankedTensorType>(param.getType()).getNumElements() != normalized)
      return op->emitOpError("code generation needs scale/bias with every normalised element");
  Buffer y = c.resultBuffer(op);
  Value bias = norm.getBias() ? c.lookup(norm.getBias()).pointer : c.null();
  c.call("slm_uk_layer_norm",
         {c.kernelContext, x.pointer, c.lookup(norm.getScale()).pointer, bias, y.pointer,
          c.product(dims.take_front(axis)), c.product(dims.drop_front(axis)),
          c.f32(norm.getEpsilon().convertToFloat())});
  c.bind(norm.getResult(), y);
  return success();
}

LogicalResult lowerRotary(LoweringContext &c, Operation *op) {
  auto rotary = llvm::cast<slm::RotaryOp>(op);
  auto position = scalarIndex(c, op, rotary.getPosition());
  if (failed(position))
    return failure();
  const Buffer &x = c.lookup(rotary.getInput());
  auto headDim = llvm::cast<RankedTensorType>(rotary.getType()).getDimSize(2);
  int64_t rotaryDim = rotary.getRotaryDim() ? static_cast<int64_t>(*rotary.getRotaryDim()) : headDim;
  Buffer y = c.resultBuffer(op);
  c.call("slm_uk_rotary",
         {c.kernelContext, x.pointer, y.pointer, x.dims[0], x.dims[1], x.dims[2], c.i64(rotaryDim),
          *position, c.f32(static_cast<float>(rotary.getTheta().convertToDouble())),
          c.i32(rotary.getLayout() == slm::RotaryLayout::interleaved)});
  c.bind(rotary.getResult(), y);
  return success();
}

LogicalResult lowerAttention(LoweringContext &c, Operation *op) {
  auto attention = llvm::cast<slm::AttentionOp>(op);
  const Buffer &q = c.lookup(attention.getQuery());
  const Buffer &k = c.lookup(attention.getKey());
  const Buffer &v = c.lookup(attention.getValue());
  Value keyCache = c.null(), valueCache = c.null(), position = c.i64(0);
  if (attention.getKeyCache()) {
    auto pos = scalarIndex(c, op, attention.getPosition());
    if (failed(pos))
      return failure();
    position = *pos;
    const Buffer &kc = c.lookup(attention.getKeyCache());
    const Buffer &vc = c.lookup(attention.getValueCache());
    keyCache = kc.pointer;
    valueCache = vc.pointer;
    // The caches are updated in place: the results are the operands' memory.
    c.bind(attention.getUpdatedCaches()[0], kc);
    c.bind(attention.getUpdatedCaches()[1], vc);
  }
  Buffer out = c.resultBuffer(op);
  c.call("slm_uk_attention",
         {c.kernelContext, q.pointer, k.pointer, v.pointer, keyCache, valueCache, out.pointer,
          q.dims[0], q.dims[1], k.dims[1], k.dims[2], v.dims[2], k.dims[0], position,
          c.f32(attention.getScale().convertToFloat()), c.i32(attention.getCausal())});
  c.bind(attention.getOutput(), out);
  return success();
}

} // namespace

void addTransformerLowerings(OpLoweringTable &t) {
  t[slm::EmbeddingOp::getOperationName()] = lowerEmbedding;
  t[slm::LinearOp::getOperationName()] = lowerLinear;
  t[slm::MatmulOp::getOperationName()] = lowerMatmul;
  t[slm::RmsNormOp::getOperationName()] = lowerRmsNorm;
  t[slm::LayerNormOp::getOperationName()] = lowerLayerNorm;
  t[slm::RotaryOp::getOperationName()] = lowerRotary;
  t[slm::AttentionOp::getOperationName()] = lowerAttention;
}

} // namespace slmc::lowering
