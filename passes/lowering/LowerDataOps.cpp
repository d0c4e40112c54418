//===- LowerDataOps.cpp - shape, data movement and reductions -------------===//

#include "passes/lowering/LoweringContext.h"

#include "compiler/targets/ukernels/slm_ukernels.h"
#include "dialects/slm/IR/SlmOps.h"

using namespace mlir;

namespace slmc::lowering {
namespace {

SmallVector<Value> rowMajorStrides(LoweringContext &c, ArrayRef<Value> dims) {
  SmallVector<Value> strides(dims.size());
  Value running = c.i64(1);
  for (int64_t d = static_cast<int64_t>(dims.size()) - 1; d >= 0; --d) {
    strides[d] = running;
    running = c.mul(running, dims[d]);
  }
  return strides;
}

int64_t resolveAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

/// y[j] = x[offset + sum(idx_j[d] * strides[d])] over the result's shape.
void emitCopy(LoweringContext &c, const Buffer &x, const Buffer &y, ArrayRef<Value> strides,
              Value offset) {
  c.call("slm_uk_copy", {c.kernelContext, c.i32(static_cast<int32_t>(elementBytes(x.elementType))),
                         x.pointer, y.pointer, c.i32(static_cast<int32_t>(y.dims.size())),
                         c.array(y.dims), c.array(strides), offset});
}

LogicalResult lowerAlias(LoweringContext &c, Operation *op) {
  const Buffer &x = c.lookup(op->getOperand(0));
  c.bind(op->getResult(0), {x.pointer, c.dimsOf(op->getResult(0).getType()), x.elementType});
  return success();
}

LogicalResult lowerTranspose(LoweringContext &c, Operation *op) {
  auto transpose = llvm::cast<slm::TransposeOp>(op);
  const Buffer &x = c.lookup(transpose.getInput());
  SmallVector<Value> inStrides = rowMajorStrides(c, x.dims), strides;
  for (int64_t p : transpose.getPermutation())
    strides.push_back(inStrides[p]);
  Buffer y = c.resultBuffer(op);
  emitCopy(c, x, y, strides, c.i64(0));
  c.bind(transpose.getResult(), y);
  return success();
}

LogicalResult lowerExpand(LoweringContext &c, Operation *op) {
  auto expand = llvm::cast<slm::ExpandOp>(op);
  auto in = llvm::cast<RankedTensorType>(expand.getInput().getType());
  auto out = llvm::cast<RankedTensorType>(expand.getType());
  if (!out.hasStaticShape())
    return op->emitOpError("code generation needs a static expand result");
  const Buffer &x = c.lookup(expand.getInput());
  SmallVector<Value> inStrides = rowMajorStrides(c, x.dims);
  SmallVector<Value> strides(out.getRank(), c.i64(0));
  for (int64_t d = in.getRank() - 1, o = out.getRank() - 1; d >= 0; --d, --o)
    if (in.getDimSize(d) != 1)
      strides[o] = inStrides[d];
  Buffer y = c.resultBuffer(op);
  emitCopy(c, x, y, strides, c.i64(0));
  c.bind(expand.getResult(), y);
  return success();
}

/// The values of a constant 1-d integer operand.
std::optional<SmallVector<int64_t>> constantInts(Value v) {
  auto constant = v.getDefiningOp<slm::ConstantOp>();
  auto dense = constant ? llvm::dyn_cast<DenseIntElementsAttr>(constant.getValue()) : nullptr;
  if (!dense)
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &v : dense)
    values.push_back(v.getSExtValue());
  return values;
}

LogicalResult lowerSlice(LoweringContext &c, Operation *op) {
  auto slice = llvm::cast<slm::SliceOp>(op);
  auto in = llvm::cast<RankedTensorType>(slice.getInput().getType());
  auto starts = constantInts(slice.getStarts()), ends = constantInts(slice.getEnds());
  auto axes = constantInts(slice.getAxes()), steps = constantInts(slice.getSteps());
  if (!in.hasStaticShape() || !starts || !ends || !axes || !steps ||
      !llvm::cast<RankedTensorType>(slice.getType()).hasStaticShape())
    return op->emitOpError("code generation needs a static slice with constant bounds");
  SmallVector<int64_t> begin(in.getRank(), 0), step(in.getRank(), 1);
  for (size_t i = 0; i < starts->size(); ++i) {
    int64_t axis = resolveAxis((*axes)[i], in.getRank()), dim = in.getDimSize(axis);
    int64_t s = (*steps)[i], b = (*starts)[i];
    b = b < 0 ? b + dim : b;
    // The same clamping as the reference kernel (ONNX Slice semantics).
    begin[axis] = s > 0 ? std::clamp<int64_t>(b, 0, dim) : std::clamp<int64_t>(b, -1, dim - 1);
    step[axis] = s;
  }
  int64_t offset = 0, running = 1;
  SmallVector<Value> strides(in.getRank());
  for (int64_t d = in.getRank() - 1; d >= 0; --d) {
    offset += begin[d] * running;
    strides[d] = c.i64(step[d] * running);
    running *= in.getDimSize(d);
  }
  Buffer y = c.resultBuffer(op);
  emitCopy(c, c.lookup(slice.getInput()), y, strides, c.i64(offset));
  c.bind(slice.getResult(), y);
  return success();
}

LogicalResult lowerSplit(LoweringContext &c, Operation *op) {
  auto split = llvm::cast<slm::SplitOp>(op);
  const Buffer &x = c.lookup(split.getInput());
  int64_t axis = resolveAxis(split.getAxis(), x.dims.size());
  SmallVector<Value> strides = rowMajorStrides(c, x.dims);
  int64_t start = 0;
  for (auto [i, size] : llvm::enumerate(split.getSizes())) {
    Buffer y = c.resultBuffer(op, i);
    emitCopy(c, x, y, strides, c.mul(c.i64(start), strides[axis]));
    c.bind(split.getResult(i), y);
    start += size;
  }
  return success();
}

LogicalResult lowerConcat(LoweringContext &c, Operation *op) {
  auto concat = llvm::cast<slm::ConcatOp>(op);
  auto type = llvm::cast<RankedTensorType>(concat.getType());
  int64_t axis = resolveAxis(concat.getAxis(), type.getRank());
  // Inputs are contiguous runs of the result when nothing before the axis repeats.
  if (!type.hasStaticShape() || llvm::any_of(type.getShape().take_front(axis), [](int64_t d) { return d != 1; }))
    return op->emitOpError("code generation handles concat along the outermost non-unit axis only");
  Buffer y = c.resultBuffer(op);
  int64_t at = 0;
  for (Value input : concat.getInputs()) {
    const Buffer &x = c.lookup(input);
    int64_t bytes = llvm::cast<RankedTensorType>(input.getType()).getNumElements() *
                    elementBytes(x.elementType);
    c.b.create<LLVM::MemcpyOp>(c.loc, c.offset(y.pointer, at), x.pointer, c.i64(bytes), false);
    at += bytes;
  }
  c.bind(concat.getResult(), y);
  return success();
}

LogicalResult lowerGather(LoweringContext &c, Operation *op) {
  auto gather = llvm::cast<slm::GatherOp>(op);
  const Buffer &x = c.lookup(gather.getInput());
  const Buffer &idx = c.lookup(gather.getIndices());
  int64_t axis = resolveAxis(gather.getAxis(), x.dims.size());
  ArrayRef<Value> dims(x.dims);
  Buffer y = c.resultBuffer(op);
  c.call("slm_uk_gather",
         {c.kernelContext, c.i32(static_cast<int32_t>(elementBytes(x.elementType))), x.pointer,
          idx.pointer, c.i32(*ukernelDType(idx.elementType)), y.pointer,
          c.product(dims.take_front(axis)), dims[axis], c.product(dims.drop_front(axis + 1)),
          c.elementCount(idx)});
  c.bind(gather.getResult(), y);
  return success();
}

template <int32_t kind> LogicalResult lowerReduce(LoweringContext &c, Operation *op) {
  const Buffer &x = c.lookup(op->getOperand(0));
  auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef();
  int64_t rank = x.dims.size();
  llvm::SmallVector<bool> reduced(rank, false);
  for (int64_t axis : axes)
    reduced[resolveAxis(axis, rank)] = true;
  // Strides of the output as if reduced dimensions were kept with size 1.
  SmallVector<Value> outStrides(rank);
  Value running = c.i64(1), count = c.i64(1);
  for (int64_t d = rank - 1; d >= 0; --d) {
    outStrides[d] = reduced[d] ? c.i64(0) : running;
    if (reduced[d])
      count = c.mul(count, x.dims[d]);
    else
      running = c.mul(running, x.dims[d]);
  }
  Buffer y = c.resultBuffer(op);
  c.call("slm_uk_reduce", {c.kernelContext, c.i32(kind), c.i32(*ukernelDType(x.elementType)),
                           x.pointer, y.pointer, c.elementCount(y), c.i32(static_cast<int32_t>(rank)),
                           c.array(x.dims), c.array(outStrides), count});
  c.bind(op->getResult(0), y);
  return success();
}

/// [outer, extent, inner] around an axis.
std::array<Value, 3> aroundAxis(LoweringContext &c, const Buffer &x, int64_t axis) {
  ArrayRef<Value> dims(x.dims);
  axis = resolveAxis(axis, dims.size());
  return {c.product(dims.take_front(axis)), dims[axis], c.product(dims.drop_front(axis + 1))};
}

template <bool isMax> LogicalResult lowerArgReduce(LoweringContext &c, Operation *op) {
  const Buffer &x = c.lookup(op->getOperand(0));
  auto [outer, extent, inner] = aroundAxis(c, x, op->getAttrOfType<IntegerAttr>("axis").getInt());
  Buffer y = c.resultBuffer(op);
  c.call("slm_uk_arg_reduce", {c.kernelContext, c.i32(*ukernelDType(x.elementType)), x.pointer,
                               y.pointer, outer, extent, inner, c.i32(isMax),
                               c.i32(op->hasAttr("select_last_index"))});
  c.bind(op->getResult(0), y);
  return success();
}

template <bool logarithm> LogicalResult lowerSoftmax(LoweringContext &c, Operation *op) {
  const Buffer &x = c.lookup(op->getOperand(0));
  auto [outer, extent, inner] = aroundAxis(c, x, op->getAttrOfType<IntegerAttr>("axis").getInt());
  Buffer y = c.resultBuffer(op);
  c.call("slm_uk_softmax",
         {c.kernelContext, x.pointer, y.pointer, outer, extent, inner, c.i32(logarithm)});
  c.bind(op->getResult(0), y);
  return success();
}

} // namespace

void addDataLowerings(OpLoweringTable &t) {
  t[slm::ReshapeOp::getOperationName()] = lowerAlias;
  t[slm::SqueezeOp::getOperationName()] = lowerAlias;
  t[slm::UnsqueezeOp::getOperationName()] = lowerAlias;
  t[slm::TransposeOp::getOperationName()] = lowerTranspose;
  t[slm::ExpandOp::getOperationName()] = lowerExpand;
  t[slm::SliceOp::getOperationName()] = lowerSlice;
  t[slm::SplitOp::getOperationName()] = lowerSplit;
  t[slm::ConcatOp::getOperationName()] = lowerConcat;
  t[slm::GatherOp::getOperationName()] = lowerGather;
  t[slm::ReduceSumOp::getOperationName()] = lowerReduce<SLM_UK_SUM>;
  t[slm::ReduceMeanOp::getOperationName()] = lowerReduce<SLM_UK_MEAN>;
  t[slm::ReduceMaxOp::getOperationName()] = lowerReduce<SLM_UK_RMAX>;
  t[slm::ReduceMinOp::getOperationName()] = lowerReduce<SLM_UK_RMIN>;
  t[slm::ReduceProdOp::getOperationName()] = lowerReduce<SLM_UK_PROD>;
  t[slm::ArgMaxOp::getOperationName()] = lowerArgReduce<true>;
  t[slm::ArgMinOp::getOperationName()] = lowerArgReduce<false>;
  t[slm::SoftmaxOp::getOperationName()] = lowerSoftmax<false>;
  t[slm::LogSoftmaxOp::getOperationName()] = lowerSoftmax<true>;
}

} // namespace slmc::lowering
