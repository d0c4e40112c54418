//===- SlmCanonicalize.cpp - canonical forms of the shape ops -------------===//
//
// Exported graphs compute the shapes of reshapes and expands at run time
// (Shape -> Gather -> Concat) and move between layouts with transposes that
// fused blocks later undo. These patterns make what is known static: a shape
// operand becomes a constant once the result type pins it down, chains of
// reshapes collapse, and transposes compose, vanish or become reshapes.
//
//===----------------------------------------------------------------------===//

#include "dialects/slm/IR/SlmOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace slm;

namespace {

RankedTensorType tensorType(Value v) { return llvm::cast<RankedTensorType>(v.getType()); }

/// A reshape spec for `type`: its dimensions, -1 for the one dynamic
/// dimension; nullopt when there are several, or a zero (which a spec reads
/// as "copy the input's").
std::optional<SmallVector<int64_t>> reshapeSpec(RankedTensorType type) {
  if (type.getNumDynamicDims() > 1)
    return std::nullopt;
  SmallVector<int64_t> spec;
  for (int64_t d : type.getShape()) {
    if (d == 0)
      return std::nullopt;
    spec.push_back(ShapedType::isDynamic(d) ? -1 : d);
  }
  return spec;
}

Value shapeConstant(PatternRewriter &rewriter, Location loc, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())}, rewriter.getI64Type());
  return rewriter.create<ConstantOp>(loc, DenseIntElementsAttr::get(type, values));
}

/// A reshape whose result type pins its shape down, from `input`.
Value reshapeTo(PatternRewriter &rewriter, Location loc, Value input, RankedTensorType type,
                ArrayRef<int64_t> spec) {
  return rewriter.create<ReshapeOp>(loc, type, input, shapeConstant(rewriter, loc, spec), nullptr);
}

/// reshape(x, computed shape) -> reshape(x, constant) when the result type
/// pins the shape down; reshape(reshape(x)) -> reshape(x); identities vanish.
struct SimplifyReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    auto spec = reshapeSpec(type);
    if (!spec)
      return failure();
    Value input = op.getInput();
    if (tensorType(input) == type) {
      rewriter.replaceOp(op, input);
      return success();
    }
    if (Operation *producer = input.getDefiningOp();
        producer && llvm::isa<ReshapeOp, SqueezeOp, UnsqueezeOp>(producer)) {
      rewriter.replaceOp(op, reshapeTo(rewriter, op.getLoc(), producer->getOperand(0), type, *spec));
      return success();
    }
    if (matchPattern(op.getShape(), m_Constant()))
      return failure();
    rewriter.replaceOp(op, reshapeTo(rewriter, op.getLoc(), input, type, *spec));
    return success();
  }
};

/// Squeezes and unsqueezes are reshapes; as reshapes they merge with their
/// neighbours.
template <typename Op> struct AxesToReshape : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    auto spec = reshapeSpec(type);
    if (!spec)
      return failure();
    rewriter.replaceOp(op, reshapeTo(rewriter, op.getLoc(), op.getInput(), type, *spec));
    return success();
  }
};

/// transpose(transpose(x)) -> transpose(x); the identity vanishes; a
/// transpose that keeps the order of every dimension larger than 1 moves no
/// data and becomes a reshape.
struct SimplifyTranspose : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rewriter) const override {
    ArrayRef<int64_t> permutation = op.getPermutation();
    if (auto inner = op.getInput().getDefiningOp<TransposeOp>()) {
      SmallVector<int64_t> composed;
      for (int64_t p : permutation)
        composed.push_back(inner.getPermutation()[p]);
      rewriter.replaceOpWithNewOp<TransposeOp>(op, op.getType(), inner.getInput(), composed);
      return success();
    }
    if (llvm::equal(permutation, llvm::seq<int64_t>(0, permutation.size()))) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    auto input = tensorType(op.getInput());
    SmallVector<int64_t> moved;
    for (int64_t p : permutation)
      if (input.getDimSize(p) != 1)
        moved.push_back(p);
    auto spec = reshapeSpec(op.getType());
    if (!spec || !llvm::is_sorted(moved))
      return failure();
    rewriter.replaceOp(op, reshapeTo(rewriter, op.getLoc(), op.getInput(), op.getType(), *spec));
    return success();
  }
};

/// expand(x, computed shape) -> expand(x, constant) when the result type pins
/// it down (a dynamic dimension is the input's own, kept by a 1); an expand
/// to the input's type vanishes.
struct SimplifyExpand : OpRewritePattern<ExpandOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ExpandOp op, PatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    auto input = tensorType(op.getInput());
    if (input == type && type.getNumDynamicDims() <= 1) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    if (matchPattern(op.getShape(), m_Constant()))
      return failure();
    SmallVector<int64_t> shape;
    int64_t offset = type.getRank() - input.getRank();
    for (auto [i, d] : llvm::enumerate(type.getShape())) {
      if (!ShapedType::isDynamic(d)) {
        shape.push_back(d);
        continue;
      }
      int64_t j = static_cast<int64_t>(i) - offset;
      if (j < 0 || !input.isDynamicDim(j))
        return failure();
      shape.push_back(1);
    }
    rewriter.replaceOpWithNewOp<ExpandOp>(op, type, op.getInput(),
                                          shapeConstant(rewriter, op.getLoc(), shape));
    return success();
  }
};

} // namespace

void ReshapeOp::getCanonicalizationPatterns(RewritePatternSet &patterns, MLIRContext *context) {
  patterns.add<SimplifyReshape>(context);
}
void SqueezeOp::getCanonicalizationPatterns(RewritePatternSet &patterns, MLIRContext *context) {
  patterns.add<AxesToReshape<SqueezeOp>>(context);
}
void UnsqueezeOp::getCanonicalizationPatterns(RewritePatternSet &patterns, MLIRContext *context) {
  patterns.add<AxesToReshape<UnsqueezeOp>>(context);
}
void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &patterns, MLIRContext *context) {
  patterns.add<SimplifyTranspose>(context);
}
void ExpandOp::getCanonicalizationPatterns(RewritePatternSet &patterns, MLIRContext *context) {
  patterns.add<SimplifyExpand>(context);
}
