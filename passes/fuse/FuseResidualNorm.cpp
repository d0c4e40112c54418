//===- FuseResidualNorm.cpp - rms_norm(a + b) -> slm.add_rms_norm ---------===//

#include "passes/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "passes/optimize/Matchers.h"

namespace slmc {
#define GEN_PASS_DEF_FUSERESIDUALNORM
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

/// rms_norm(add(a, b)) over same-shaped a and b -> add_rms_norm(a, b): the
/// sum replaces the add for its other readers (the residual stream).
struct AddThenRmsNorm : OpRewritePattern<slm::RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(slm::RmsNormOp op, PatternRewriter &rewriter) const override {
    auto add = producer<slm::AddOp>(op.getInput());
    auto type = tensorType(op.getResult());
    if (!add || tensorType(add.getLhs()) != type || tensorType(add.getRhs()) != type ||
        !type.getElementType().isF32())
      return failure();
    // The fused op sits where the norm is: every other reader of the sum must
    // come after it.
    for (Operation *user : add->getUsers())
      if (user != op && (user->getBlock() != op->getBlock() || user->isBeforeInBlock(op)))
        return failure();
    rewriter.setInsertionPoint(op);
    auto fused = rewriter.create<slm::AddRmsNormOp>(op.getLoc(), type, type, add.getLhs(),
                                                    add.getRhs(), op.getWeight(),
                                                    op.getEpsilonAttr());
    rewriter.replaceOp(op, fused.getResult());
    rewriter.replaceOp(add, fused.getSum());
    return success();
  }
};

struct FuseResidualNormPass : impl::FuseResidualNormBase<FuseResidualNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<AddThenRmsNorm>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace slmc
