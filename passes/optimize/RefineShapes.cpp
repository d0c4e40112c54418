//===- RefineShapes.cpp - dynamic dimensions that are static in fact ------===//
//
// Gives every value of @forward the most static type SymbolicShapes proves,
// so that the canonical forms (constant reshape shapes, cancelling reshapes)
// and the fusion patterns, which match static head and channel counts, see
// through the shape arithmetic of exported graphs.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/slm/IR/SlmOps.h"
#include "passes/optimize/SymbolicShapes.h"

namespace slmc {
#define GEN_PASS_DEF_REFINESHAPES
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

struct RefineShapesPass : impl::RefineShapesBase<RefineShapesPass> {
  void runOnOperation() override {
    func::FuncOp forward = slm::getForward(getOperation());
    if (!forward)
      return;
    SymbolicShapes shapes(forward);
    Block &body = forward.getBody().front();
    for (Operation &op : body)
      for (Value result : op.getResults())
        if (auto type = llvm::dyn_cast<RankedTensorType>(result.getType())) {
          result.setType(shapes.of(result).refine(type));
        }
    forward.setFunctionType(FunctionType::get(&getContext(), forward.getArgumentTypes(),
                                              body.getTerminator()->getOperandTypes()));
  }
};

} // namespace
} // namespace slmc
