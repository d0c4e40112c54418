//===- FuseNorms.cpp - decomposed RMSNorm and LayerNorm -> one op ---------===//

#include "passes/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "passes/optimize/Matchers.h"

namespace slmc {
#define GEN_PASS_DEF_FUSENORMS
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

/// `v` = mean over the last dimension of x², for some x (x*x or pow(x, 2)).
Value meanSquareOf(Value v) {
  auto mean = producer<slm::ReduceMeanOp>(v);
  if (!mean || !reducesLastDim(mean))
    return {};
  Product square = Product::of(mean.getInput());
  if (square.constant != 1 || square.factors.size() != 2 || square.factors[0] != square.factors[1])
    return {};
  return square.factors[0];
}

/// `v` = 1 / sqrt(variance + eps) (rsqrt, reciprocal or 1 / sqrt), or with
/// `inverted` false, sqrt(variance + eps). Returns (variance, eps).
std::optional<std::pair<Value, float>> rootOfVariance(Value v, bool inverted) {
  Value root;
  if (inverted) {
    if (auto rsqrt = producer<slm::RsqrtOp>(v)) {
      root = rsqrt.getInput();
    } else if (auto reciprocal = producer<slm::ReciprocalOp>(v)) {
      auto sqrt = producer<slm::SqrtOp>(reciprocal.getInput());
      root = sqrt ? sqrt.getInput() : Value();
    } else if (auto div = producer<slm::DivOp>(v); div && isSplat(div.getLhs(), 1.0)) {
      auto sqrt = producer<slm::SqrtOp>(div.getRhs());
      root = sqrt ? sqrt.getInput() : Value();
    }
  } else if (auto sqrt = producer<slm::SqrtOp>(v)) {
    root = sqrt.getInput();
  }
  auto add = producer<slm::AddOp>(root);
  if (!add)
    return std::nullopt;
  std::optional<std::pair<Value, float>> found;
  eitherOrder(add.getLhs(), add.getRhs(), [&](Value variance, Value eps) {
    std::optional<double> e = splatValue(eps);
    if (e && *e >= 0 && tensorType(variance) == tensorType(add.getResult()))
      found = {variance, static_cast<float>(*e)};
    return found.has_value();
  });
  return found;
}

/// `v` = d * (1 / sqrt(variance + eps)) or d / sqrt(variance + eps).
/// Returns (d, variance, eps).
std::optional<std::tuple<Value, Value, float>> normalizedBy(Value v) {
  std::optional<std::tuple<Value, Value, float>> found;
  if (auto div = producer<slm::DivOp>(v)) {
    if (auto root = rootOfVariance(div.getRhs(), /*inverted=*/false))
      found = {div.getLhs(), root->first, root->second};
  } else if (auto mul = producer<slm::MulOp>(v)) {
    eitherOrder(mul.getLhs(), mul.getRhs(), [&](Value d, Value scale) {
      if (auto root = rootOfVariance(scale, /*inverted=*/true))
        found = {d, root->first, root->second};
      return found.has_value();
    });
  }
  if (found && tensorType(std::get<0>(*found)) != tensorType(v))
    return std::nullopt;
  return found;
}

Value onesFor(PatternRewriter &rewriter, Location loc, Value x) {
  auto type = RankedTensorType::get({tensorType(x).getShape().back()}, rewriter.getF32Type());
  return rewriter.create<slm::ConstantOp>(loc, DenseElementsAttr::get(type, 1.0f));
}

/// x / sqrt(mean(x²) + eps), in any of the forms exporters write ->
/// rms_norm(x, ones); the weight is multiplied in by FoldNormScale.
struct RmsNormalization : RewritePattern {
  explicit RmsNormalization(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!llvm::isa<slm::MulOp, slm::DivOp>(op))
      return failure();
    auto normalized = normalizedBy(op->getResult(0));
    if (!normalized)
      return failure();
    auto [x, variance, eps] = *normalized;
    if (meanSquareOf(variance) != x || !tensorType(x).getElementType().isF32())
      return failure();
    rewriter.replaceOpWithNewOp<slm::RmsNormOp>(op, x.getType(), x,
                                                onesFor(rewriter, op->getLoc(), x),
                                                rewriter.getF32FloatAttr(eps));
    return success();
  }
};

/// (x - mean(x)) / sqrt(mean((x - mean(x))²) + eps) -> layer_norm(x, ones).
/// Preferred to RmsNormalization, which would see the RMS of x - mean(x).
struct LayerNormalization : RewritePattern {
  explicit LayerNormalization(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/2, context) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!llvm::isa<slm::MulOp, slm::DivOp>(op))
      return failure();
    auto normalized = normalizedBy(op->getResult(0));
    if (!normalized)
      return failure();
    auto [centered, variance, eps] = *normalized;
    auto sub = producer<slm::SubOp>(centered);
    auto mean = sub ? producer<slm::ReduceMeanOp>(sub.getRhs()) : slm::ReduceMeanOp();
    if (!mean || mean.getInput() != sub.getLhs() || !reducesLastDim(mean) ||
        meanSquareOf(variance) != centered)
      return failure();
    Value x = sub.getLhs();
    rewriter.replaceOpWithNewOp<slm::LayerNormOp>(op, x.getType(), x,
                                                  onesFor(rewriter, op->getLoc(), x), Value(),
                                                  rewriter.getI64IntegerAttr(-1),
                                                  rewriter.getF32FloatAttr(eps));
    return success();
  }
};

/// Whether `v` is a 1-d constant of ones.
bool isOnes(Value v) { return tensorType(v).getRank() == 1 && isSplat(v, 1.0); }

/// A constant [n] weight for the last dimension of `result`.
bool isLastDimWeight(Value w, Value result) {
  auto type = tensorType(w);
  return constantOf(w) && type.getRank() == 1 && tensorType(result).getRank() >= 1 &&
         type.getDimSize(0) == tensorType(result).getShape().back() &&
         type.getElementType() == tensorType(result).getElementType();
}

/// norm(x, ones) * w -> norm(x, w); layer_norm(x, w) + b -> layer_norm(x, w, b).
struct FoldNormScale : RewritePattern {
  explicit FoldNormScale(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/3, context) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!llvm::isa<slm::MulOp, slm::AddOp>(op))
      return failure();
    bool scale = llvm::isa<slm::MulOp>(op);
    Value result = op->getResult(0);
    bool matched = eitherOrder(op->getOperand(0), op->getOperand(1), [&](Value n, Value w) {
      if (!n.hasOneUse() || !isLastDimWeight(w, result) || tensorType(n) != tensorType(result))
        return false;
      if (auto rms = producer<slm::RmsNormOp>(n); rms && scale &&
                                                 isOnes(rms.getWeight())) {
        rewriter.replaceOpWithNewOp<slm::RmsNormOp>(op, result.getType(), rms.getInput(), w,
                                                    rms.getEpsilonAttr());
        return true;
      }
      auto ln = producer<slm::LayerNormOp>(n);
      if (!ln || ln.getBias() || tensorType(ln.getScale()).getRank() != 1)
        return false;
      if (scale && isOnes(ln.getScale())) {
        rewriter.replaceOpWithNewOp<slm::LayerNormOp>(op, result.getType(), ln.getInput(), w,
                                                      Value(), ln.getAxisAttr(),
                                                      ln.getEpsilonAttr());
        return true;
      }
      if (!scale) {
        rewriter.replaceOpWithNewOp<slm::LayerNormOp>(op, result.getType(), ln.getInput(),
                                                      ln.getScale(), w, ln.getAxisAttr(),
                                                      ln.getEpsilonAttr());
        return true;
      }
      return false;
    });
    return success(matched);
  }
};

struct FuseNormsPass : impl::FuseNormsBase<FuseNormsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RmsNormalization, LayerNormalization, FoldNormScale>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace slmc
