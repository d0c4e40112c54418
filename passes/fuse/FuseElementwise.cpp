//===- FuseElementwise.cpp - elementwise chains -> one slm.elementwise ----===//
//
// A chain of elementwise float ops (what exporters decompose activations and
// scalings into) costs a kernel call and a buffer per op. Each op whose
// operand comes from another such op, read by nothing else, absorbs it into
// one slm.elementwise: a scalar body in arith/math that computes an element
// the way the kernels compute it (uk_std_max's a < b ? b : a, sigmoid as
// 1 / (1 + exp(-x))), which code generation turns into one loop.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "passes/optimize/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

namespace slmc {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

bool singleElement(RankedTensorType t) { return t.hasStaticShape() && t.getNumElements() == 1; }

/// An elementwise float op the body language spells out, whose operands have
/// its result's shape or one element.
bool isFusible(Operation *op) {
  if (!llvm::isa<slm::AddOp, slm::SubOp, slm::MulOp, slm::DivOp, slm::MaxOp, slm::MinOp,
                 slm::NegOp, slm::AbsOp, slm::ExpOp, slm::LogOp, slm::SqrtOp, slm::RsqrtOp,
                 slm::ReciprocalOp, slm::SigmoidOp, slm::SiluOp, slm::ReluOp, slm::SinOp,
                 slm::CosOp, slm::ElementwiseOp>(op))
    return false;
  auto result = tensorType(op->getResult(0));
  return result.getElementType().isF32() &&
         llvm::all_of(op->getOperands(), [&](Value v) {
           auto t = tensorType(v);
           return t.getElementType().isF32() && (t == result || singleElement(t));
         });
}

/// Emits the scalar computation of `op` on `x` (its operands' elements).
Value scalarOf(OpBuilder &b, Location loc, Operation *op, ArrayRef<Value> x) {
  auto f32 = [&](float v) { return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(v)); };
  auto sigmoid = [&](Value v) {
    Value e = b.create<math::ExpOp>(loc, b.create<arith::NegFOp>(loc, v));
    return b.create<arith::DivFOp>(loc, f32(1), b.create<arith::AddFOp>(loc, f32(1), e));
  };
  auto less = [&](Value a, Value c) {
    return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, a, c);
  };
  if (auto fused = llvm::dyn_cast<slm::ElementwiseOp>(op)) {
    IRMapping mapping;
    Block &body = fused.getBody().front();
    mapping.map(body.getArguments(), x);
    for (Operation &inner : body.without_terminator())
      b.clone(inner, mapping);
    return mapping.lookup(llvm::cast<slm::YieldOp>(body.getTerminator()).getValue());
  }
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](slm::AddOp) { return b.create<arith::AddFOp>(loc, x[0], x[1]); })
      .Case([&](slm::SubOp) { return b.create<arith::SubFOp>(loc, x[0], x[1]); })
      .Case([&](slm::MulOp) { return b.create<arith::MulFOp>(loc, x[0], x[1]); })
      .Case([&](slm::DivOp) { return b.create<arith::DivFOp>(loc, x[0], x[1]); })
      .Case([&](slm::MaxOp) { return b.create<arith::SelectOp>(loc, less(x[0], x[1]), x[1], x[0]); })
      .Case([&](slm::MinOp) { return b.create<arith::SelectOp>(loc, less(x[1], x[0]), x[1], x[0]); })
      .Case([&](slm::NegOp) { return b.create<arith::NegFOp>(loc, x[0]); })
      .Case([&](slm::AbsOp) { return b.create<math::AbsFOp>(loc, x[0]); })
      .Case([&](slm::ExpOp) { return b.create<math::ExpOp>(loc, x[0]); })
      .Case([&](slm::LogOp) { return b.create<math::LogOp>(loc, x[0]); })
      .Case([&](slm::SqrtOp) { return b.create<math::SqrtOp>(loc, x[0]); })
      .Case([&](slm::RsqrtOp) {
        return b.create<arith::DivFOp>(loc, f32(1), b.create<math::SqrtOp>(loc, x[0]));
      })
      .Case([&](slm::ReciprocalOp) { return b.create<arith::DivFOp>(loc, f32(1), x[0]); })
      .Case([&](slm::SigmoidOp) { return sigmoid(x[0]); })
      .Case([&](slm::SiluOp) { return b.create<arith::MulFOp>(loc, x[0], sigmoid(x[0])); })
      .Case([&](slm::ReluOp) {
        return b.create<arith::SelectOp>(loc, less(f32(0), x[0]), x[0], f32(0));
      })
      .Case([&](slm::SinOp) { return b.create<math::SinOp>(loc, x[0]); })
      .Case([&](slm::CosOp) { return b.create<math::CosOp>(loc, x[0]); })
      .Default([](Operation *) -> Value { llvm_unreachable("not fusible"); });
}

/// op(..., producer(...), ...) with producer read by op alone -> one
/// slm.elementwise computing both.
struct AbsorbProducer : RewritePattern {
  explicit AbsorbProducer(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!isFusible(op))
      return failure();
    auto resultType = tensorType(op->getResult(0));
    Operation *producer = nullptr;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp();
          def && isFusible(def) && tensorType(operand) == resultType &&
          llvm::all_of(def->getUsers(), [&](Operation *user) { return user == op; })) {
        producer = def;
        break;
      }
    if (!producer)
      return failure();
    Value produced = producer->getResult(0);
    // Inputs: the op's other operands, then the producer's, each once.
    SmallVector<Value> inputs;
    for (ValueRange operands : {ValueRange(op->getOperands()), ValueRange(producer->getOperands())})
      for (Value v : operands)
        if (v != produced && !llvm::is_contained(inputs, v))
          inputs.push_back(v);
    Location loc = op->getLoc();
    auto fused = rewriter.create<slm::ElementwiseOp>(loc, resultType, inputs);
    Block *body = rewriter.createBlock(&fused.getBody());
    body->addArguments(SmallVector<Type>(inputs.size(), rewriter.getF32Type()),
                       SmallVector<Location>(inputs.size(), loc));
    auto elementOf = [&](Value v) { return body->getArgument(llvm::find(inputs, v) - inputs.begin()); };
    SmallVector<Value> producerElements;
    for (Value v : producer->getOperands())
      producerElements.push_back(elementOf(v));
    Value producedElement = scalarOf(rewriter, loc, producer, producerElements);
    SmallVector<Value> elements;
    for (Value v : op->getOperands())
      elements.push_back(v == produced ? producedElement : elementOf(v));
    rewriter.create<slm::YieldOp>(loc, scalarOf(rewriter, loc, op, elements));
    rewriter.replaceOp(op, fused.getResult());
    rewriter.eraseOp(producer);
    return success();
  }
};

struct FuseElementwisePass : impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<AbsorbProducer>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace slmc
