//===- LowerDataOps.cpp - shape, data movement and reductions -------------===//

#include "passes/lowering/LoweringPatterns.h"

#include "compiler/targets/ukernels/slm_ukernels.h"
#include "dialects/slm/IR/SlmOps.h"

using namespace mlir;

namespace slmc::lowering {
namespace {

RankedTensorType tensorOf(Value v) { return llvm::cast<RankedTensorType>(v.getType()); }

I32 elementBytesOf(KernelBuilder &k, Value v) {
  return k.i32(static_cast<int32_t>(slm::storageBytes(tensorOf(v).getElementType())));
}

SmallVector<I64> rowMajorStrides(KernelBuilder &k, ArrayRef<I64> dims) {
  SmallVector<I64> strides(dims.size(), k.i64(1));
  I64 running = k.i64(1);
  for (int64_t d = static_cast<int64_t>(dims.size()) - 1; d >= 0; --d) {
    strides[d] = running;
    running = k.mul(running, dims[d]);
  }
  return strides;
}

int64_t resolveAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

/// y[j] = x[offset + sum(idx_j[d] * strides[d])] over the shape of `result`.
void emitCopy(KernelBuilder &k, Value input, Ptr x, Value result, Ptr y, ArrayRef<I64> strides,
              I64 offset) {
  SmallVector<I64> dims = k.dimsOf(result.getType());
  k.call(SLM_KERNEL(slm_uk_copy), elementBytesOf(k, input), x, y,
         k.i32(static_cast<int32_t>(dims.size())), k.array(dims), k.array(strides), offset);
}

/// Reshapes, squeezes and unsqueezes: the same bytes under another type.
template <typename Op> struct AliasLowering : KernelLowering<Op> {
  using KernelLowering<Op>::KernelLowering;
  using OpAdaptor = typename KernelLowering<Op>::OpAdaptor;
  LogicalResult matchAndRewrite(Op op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getOperands()[0]);
    return success();
  }
};

struct TransposeLowering : KernelLowering<slm::TransposeOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::TransposeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    KernelBuilder k = builder(rewriter, op);
    SmallVector<I64> inStrides = rowMajorStrides(k, k.dimsOf(op.getInput().getType())), strides;
    for (int64_t p : op.getPermutation())
      strides.push_back(inStrides[p]);
    Ptr y = k.resultBuffer(op);
    emitCopy(k, op.getInput(), pointer(adaptor.getInput()), op.getResult(), y, strides, k.i64(0));
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

struct ExpandLowering : KernelLowering<slm::ExpandOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::ExpandOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto in = tensorOf(op.getInput()), out = tensorOf(op.getResult());
    if (!out.hasStaticShape())
      return op.emitOpError("code generation needs a static expand result");
    KernelBuilder k = builder(rewriter, op);
    SmallVector<I64> inStrides = rowMajorStrides(k, k.dimsOf(in));
    SmallVector<I64> strides(out.getRank(), k.i64(0));
    for (int64_t d = in.getRank() - 1, o = out.getRank() - 1; d >= 0; --d, --o)
      if (in.getDimSize(d) != 1)
        strides[o] = inStrides[d];
    Ptr y = k.resultBuffer(op);
    emitCopy(k, op.getInput(), pointer(adaptor.getInput()), op.getResult(), y, strides, k.i64(0));
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

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

struct SliceLowering : KernelLowering<slm::SliceOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::SliceOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto in = tensorOf(op.getInput());
    auto starts = constantInts(op.getStarts()), ends = constantInts(op.getEnds());
    auto axes = constantInts(op.getAxes()), steps = constantInts(op.getSteps());
    if (!in.hasStaticShape() || !starts || !ends || !axes || !steps ||
        !tensorOf(op.getResult()).hasStaticShape())
      return op.emitOpError("code generation needs a static slice with constant bounds");
    SmallVector<int64_t> begin(in.getRank(), 0), step(in.getRank(), 1);
    for (size_t i = 0; i < starts->size(); ++i) {
      int64_t axis = resolveAxis((*axes)[i], in.getRank()), dim = in.getDimSize(axis);
      int64_t s = (*steps)[i], b = (*starts)[i];
      b = b < 0 ? b + dim : b;
      // The same clamping as the reference kernel (ONNX Slice semantics).
      begin[axis] = s > 0 ? std::clamp<int64_t>(b, 0, dim) : std::clamp<int64_t>(b, -1, dim - 1);
      step[axis] = s;
    }
    KernelBuilder k = builder(rewriter, op);
    int64_t offset = 0, running = 1;
    SmallVector<I64> strides(in.getRank(), k.i64(0));
    for (int64_t d = in.getRank() - 1; d >= 0; --d) {
      offset += begin[d] * running;
      strides[d] = k.i64(step[d] * running);
      running *= in.getDimSize(d);
    }
    Ptr y = k.resultBuffer(op);
    emitCopy(k, op.getInput(), pointer(adaptor.getInput()), op.getResult(), y, strides,
             k.i64(offset));
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

struct SplitLowering : KernelLowering<slm::SplitOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::SplitOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    KernelBuilder k = builder(rewriter, op);
    SmallVector<I64> dims = k.dimsOf(op.getInput().getType());
    int64_t axis = resolveAxis(op.getAxis(), dims.size());
    SmallVector<Ptr> pieces;
    SmallVector<Value> results;
    for (unsigned i = 0; i < op.getNumResults(); ++i) {
      pieces.push_back(k.resultBuffer(op, i));
      results.push_back(pieces.back().value);
    }
    k.call(SLM_KERNEL(slm_uk_split), elementBytesOf(k, op.getInput()), pointer(adaptor.getInput()),
           k.product(ArrayRef(dims).take_front(axis)), dims[axis],
           k.product(ArrayRef(dims).drop_front(axis + 1)),
           k.i32(static_cast<int32_t>(pieces.size())), k.array(op.getSizes()), k.array(pieces));
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct ConcatLowering : KernelLowering<slm::ConcatOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::ConcatOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = tensorOf(op.getResult());
    int64_t axis = resolveAxis(op.getAxis(), type.getRank());
    KernelBuilder k = builder(rewriter, op);
    Ptr y = k.resultBuffer(op);
    // Inputs are contiguous runs of the result when nothing before the axis
    // repeats: one memcpy each. Otherwise (logits joined along the
    // vocabulary, rows of tokens before it) the kernel interleaves them.
    if (type.hasStaticShape() &&
        llvm::all_of(type.getShape().take_front(axis), [](int64_t d) { return d == 1; })) {
      int64_t at = 0;
      for (auto [input, converted] : llvm::zip(op.getInputs(), adaptor.getInputs())) {
        int64_t bytes = slm::storageBytes(tensorOf(input));
        rewriter.create<LLVM::MemcpyOp>(op.getLoc(), k.offset(y, at).value, converted,
                                        k.i64(bytes).value, false);
        at += bytes;
      }
      rewriter.replaceOp(op, y.value);
      return success();
    }
    SmallVector<I64> dims = k.dimsOf(op.getType());
    SmallVector<int64_t> sizes;
    for (Value input : op.getInputs()) {
      int64_t size = tensorOf(input).getDimSize(axis);
      if (ShapedType::isDynamic(size))
        return op.emitOpError("code generation joins inputs of static size along the axis only");
      sizes.push_back(size);
    }
    SmallVector<Ptr> pieces;
    for (Value converted : adaptor.getInputs())
      pieces.push_back(pointer(converted));
    k.call(SLM_KERNEL(slm_uk_concat), elementBytesOf(k, op.getResult()), k.array(pieces),
           k.product(ArrayRef(dims).take_front(axis)), dims[axis],
           k.product(ArrayRef(dims).drop_front(axis + 1)),
           k.i32(static_cast<int32_t>(pieces.size())), k.array(sizes), y);
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

struct GatherLowering : KernelLowering<slm::GatherOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::GatherOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    KernelBuilder k = builder(rewriter, op);
    SmallVector<I64> dims = k.dimsOf(op.getInput().getType());
    int64_t axis = resolveAxis(op.getAxis(), dims.size());
    Type indexType = tensorOf(op.getIndices()).getElementType();
    Ptr y = k.resultBuffer(op);
    k.call(SLM_KERNEL(slm_uk_gather), elementBytesOf(k, op.getInput()), pointer(adaptor.getInput()),
           pointer(adaptor.getIndices()),
           k.i32(indexType.isSignlessInteger(64) ? SLM_UK_I64 : SLM_UK_I32), y,
           k.product(ArrayRef(dims).take_front(axis)), dims[axis],
           k.product(ArrayRef(dims).drop_front(axis + 1)), k.elementCount(op.getIndices().getType()));
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

int32_t dtypeCode(Type t) {
  if (t.isF32())
    return SLM_UK_F32;
  return t.isSignlessInteger(64) ? SLM_UK_I64 : SLM_UK_I32;
}

template <typename Op, int32_t kind> struct ReduceLowering : KernelLowering<Op> {
  using KernelLowering<Op>::KernelLowering;
  using OpAdaptor = typename KernelLowering<Op>::OpAdaptor;
  LogicalResult matchAndRewrite(Op op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    KernelBuilder k = this->builder(rewriter, op);
    SmallVector<I64> dims = k.dimsOf(op.getInput().getType());
    int64_t rank = dims.size();
    SmallVector<bool> reduced(rank, false);
    for (int64_t axis : op.getAxes())
      reduced[resolveAxis(axis, rank)] = true;
    // Strides of the output as if reduced dimensions were kept with size 1.
    SmallVector<I64> outStrides(rank, k.i64(0));
    I64 running = k.i64(1), count = k.i64(1);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (reduced[d]) {
        count = k.mul(count, dims[d]);
      } else {
        outStrides[d] = running;
        running = k.mul(running, dims[d]);
      }
    }
    Ptr y = k.resultBuffer(op);
    k.call(SLM_KERNEL(slm_uk_reduce), k.i32(kind),
           k.i32(dtypeCode(tensorOf(op.getInput()).getElementType())), pointer(adaptor.getInput()),
           y, k.elementCount(op.getType()), k.i32(static_cast<int32_t>(rank)), k.array(dims),
           k.array(outStrides), count);
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

/// [outer, extent, inner] around an axis.
std::array<I64, 3> aroundAxis(KernelBuilder &k, Value x, int64_t axis) {
  SmallVector<I64> dims = k.dimsOf(x.getType());
  axis = resolveAxis(axis, dims.size());
  return {k.product(ArrayRef(dims).take_front(axis)), dims[axis],
          k.product(ArrayRef(dims).drop_front(axis + 1))};
}

template <typename Op, bool isMax> struct ArgReduceLowering : KernelLowering<Op> {
  using KernelLowering<Op>::KernelLowering;
  using OpAdaptor = typename KernelLowering<Op>::OpAdaptor;
  LogicalResult matchAndRewrite(Op op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    KernelBuilder k = this->builder(rewriter, op);
    auto [outer, extent, inner] = aroundAxis(k, op.getInput(), op.getAxis());
    Ptr y = k.resultBuffer(op);
    k.call(SLM_KERNEL(slm_uk_arg_reduce),
           k.i32(dtypeCode(tensorOf(op.getInput()).getElementType())), pointer(adaptor.getInput()),
           y, outer, extent, inner, k.i32(isMax), k.i32(op.getSelectLastIndex()));
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

template <typename Op, bool logarithm> struct SoftmaxLowering : KernelLowering<Op> {
  using KernelLowering<Op>::KernelLowering;
  using OpAdaptor = typename KernelLowering<Op>::OpAdaptor;
  LogicalResult matchAndRewrite(Op op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    KernelBuilder k = this->builder(rewriter, op);
    auto [outer, extent, inner] = aroundAxis(k, op.getInput(), op.getAxis());
    Ptr y = k.resultBuffer(op);
    k.call(SLM_KERNEL(slm_uk_softmax), pointer(adaptor.getInput()), y, outer, extent, inner,
           k.i32(logarithm));
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

} // namespace

void populateDataLowerings(RewritePatternSet &patterns, const TypeConverter &converter,
                           const EntryState &entry) {
  MLIRContext *context = patterns.getContext();
  patterns.add<AliasLowering<slm::ReshapeOp>, AliasLowering<slm::SqueezeOp>,
               AliasLowering<slm::UnsqueezeOp>, TransposeLowering, ExpandLowering, SliceLowering,
               SplitLowering, ConcatLowering, GatherLowering,
               ReduceLowering<slm::ReduceSumOp, SLM_UK_SUM>,
               ReduceLowering<slm::ReduceMeanOp, SLM_UK_MEAN>,
               ReduceLowering<slm::ReduceMaxOp, SLM_UK_RMAX>,
               ReduceLowering<slm::ReduceMinOp, SLM_UK_RMIN>,
               ReduceLowering<slm::ReduceProdOp, SLM_UK_PROD>,
               ArgReduceLowering<slm::ArgMaxOp, true>, ArgReduceLowering<slm::ArgMinOp, false>,
               SoftmaxLowering<slm::SoftmaxOp, false>, SoftmaxLowering<slm::LogSoftmaxOp, true>>(
      converter, context, entry);
}

} // namespace slmc::lowering
