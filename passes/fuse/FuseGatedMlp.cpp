//===- FuseGatedMlp.cpp - act(gate) * up -> slm.gated_activation ----------===//

#include "passes/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "passes/optimize/Matchers.h"

namespace slmc {
#define GEN_PASS_DEF_FUSEGATEDMLP
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

/// The activation `v` is computed with, and its input.
std::optional<std::pair<slm::Activation, Value>> activationOf(Value v) {
  if (auto silu = producer<slm::SiluOp>(v))
    return std::pair{slm::Activation::silu, silu.getInput()};
  if (auto gelu = producer<slm::GeluOp>(v))
    return std::pair{gelu.getApproximation() == slm::GeluApproximation::tanh
                         ? slm::Activation::gelu_tanh
                         : slm::Activation::gelu,
                     gelu.getInput()};
  return std::nullopt;
}

/// act(gate) * up, the activation read by nothing else -> gated_activation(gate, up).
struct ActivationTimesUp : OpRewritePattern<slm::MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(slm::MulOp op, PatternRewriter &rewriter) const override {
    auto type = tensorType(op.getResult());
    if (!type.getElementType().isF32())
      return failure();
    std::optional<std::pair<slm::Activation, Value>> gate;
    Value up;
    eitherOrder(op.getLhs(), op.getRhs(), [&](Value a, Value b) {
      gate = a.hasOneUse() ? activationOf(a) : std::nullopt;
      up = b;
      return gate && tensorType(gate->second) == type && tensorType(b) == type;
    });
    if (!gate || tensorType(up) != type || tensorType(gate->second) != type)
      return failure();
    rewriter.replaceOpWithNewOp<slm::GatedActivationOp>(
        op, type, gate->second, up, slm::ActivationAttr::get(getContext(), gate->first));
    return success();
  }
};

/// gated_activation(p0, p1) with p0 and p1 the two equal halves of one split
/// along the last dimension -> gated_activation over the split's input.
struct GatedHalves : OpRewritePattern<slm::GatedActivationOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(slm::GatedActivationOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getUp())
      return failure();
    auto split = producer<slm::SplitOp>(op.getGate());
    int64_t rank = tensorType(op.getGate()).getRank();
    if (!split || split.getNumResults() != 2 || split.getResult(0) != op.getGate() ||
        split.getResult(1) != op.getUp() || split.getSizes()[0] != split.getSizes()[1] ||
        !isLastAxis(static_cast<int64_t>(split.getAxis()), rank))
      return failure();
    rewriter.replaceOpWithNewOp<slm::GatedActivationOp>(op, op.getType(), split.getInput(),
                                                        Value(), op.getActivationAttr());
    return success();
  }
};

struct FuseGatedMlpPass : impl::FuseGatedMlpBase<FuseGatedMlpPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ActivationTimesUp, GatedHalves>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace slmc
