//===- FuseActivations.cpp - decomposed SiLU and GELU -> one op -----------===//

#include "passes/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "passes/optimize/Matchers.h"

#include <cmath>

namespace slmc {
#define GEN_PASS_DEF_FUSEACTIVATIONS
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

bool near(double a, double b) { return std::abs(a - b) <= 1e-6 * std::max(1.0, std::abs(b)); }

/// `v` = 1 + t for some t; returns t.
Value onePlus(Value v) {
  auto add = producer<slm::AddOp>(v);
  if (!add || !v.hasOneUse())
    return {};
  Value rest;
  eitherOrder(add.getLhs(), add.getRhs(), [&](Value one, Value t) {
    if (isSplat(one, 1.0) && tensorType(t) == tensorType(v))
      rest = t;
    return static_cast<bool>(rest);
  });
  return rest;
}

/// x * sigmoid(x) -> silu(x).
struct SiluFromSigmoid : OpRewritePattern<slm::MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(slm::MulOp op, PatternRewriter &rewriter) const override {
    Value x;
    eitherOrder(op.getLhs(), op.getRhs(), [&](Value a, Value b) {
      auto sigmoid = producer<slm::SigmoidOp>(b);
      if (sigmoid && sigmoid.getInput() == a && tensorType(a) == tensorType(op.getResult()))
        x = a;
      return static_cast<bool>(x);
    });
    if (!x)
      return failure();
    rewriter.replaceOpWithNewOp<slm::SiluOp>(op, x);
    return success();
  }
};

/// 0.5 x (1 + erf(x / sqrt 2)) -> gelu(x), and
/// 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x³))) -> gelu(x, tanh).
struct GeluFromParts : OpRewritePattern<slm::MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(slm::MulOp op, PatternRewriter &rewriter) const override {
    Product outer = Product::of(op.getResult());
    if (!near(outer.constant, 0.5) || outer.factors.size() != 2)
      return failure();
    for (auto [x, gate] : {std::pair{outer.factors[0], outer.factors[1]},
                           std::pair{outer.factors[1], outer.factors[0]}}) {
      if (tensorType(x) != tensorType(op.getResult()))
        continue;
      Value t = onePlus(gate);
      if (auto erf = producer<slm::ErfOp>(t)) {
        Product inner = Product::of(erf.getInput());
        if (near(inner.constant, 1 / std::sqrt(2.0)) && inner.hasFactors({x})) {
          rewriter.replaceOpWithNewOp<slm::GeluOp>(op, x.getType(), x,
                                                   slm::GeluApproximation::none);
          return success();
        }
      }
      if (auto tanh = producer<slm::TanhOp>(t)) {
        Product inner = Product::of(tanh.getInput());
        auto add = inner.factors.size() == 1 ? producer<slm::AddOp>(inner.factors[0])
                                             : slm::AddOp();
        if (!add || !near(inner.constant, std::sqrt(2.0 / M_PI)))
          continue;
        bool cubic = eitherOrder(add.getLhs(), add.getRhs(), [&](Value linear, Value cube) {
          Product c = Product::of(cube);
          return linear == x && near(c.constant, 0.044715) && c.hasFactors({x, x, x});
        });
        if (cubic) {
          rewriter.replaceOpWithNewOp<slm::GeluOp>(op, x.getType(), x,
                                                   slm::GeluApproximation::tanh);
          return success();
        }
      }
    }
    return failure();
  }
};

struct FuseActivationsPass : impl::FuseActivationsBase<FuseActivationsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SiluFromSigmoid, GeluFromParts>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace slmc
