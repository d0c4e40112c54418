//===- SinkConstants.cpp - constants just before their first reader -------===//

#include "passes/Passes.h"

#include "dialects/slm/IR/SlmOps.h"

namespace slmc {
#define GEN_PASS_DEF_SINKCONSTANTS
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

struct SinkConstantsPass : impl::SinkConstantsBase<SinkConstantsPass> {
  void runOnOperation() override {
    llvm::DenseSet<Operation *> moved;
    getOperation().walk([&](Operation *op) {
      for (Value operand : op->getOperands())
        if (auto constant = operand.getDefiningOp<slm::ConstantOp>();
            constant && constant->getBlock() == op->getBlock() && moved.insert(constant).second)
          constant->moveBefore(op);
    });
  }
};

} // namespace
} // namespace slmc
