//===- SpecializeShapes.cpp - fix the KV-cache capacity -------------------===//

#include "passes/Passes.h"

#include "compiler/frontends/decoder/DecoderConfig.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace slmc {
#define GEN_PASS_DEF_SPECIALIZESHAPES
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

struct SpecializeShapesPass : impl::SpecializeShapesBase<SpecializeShapesPass> {
  using SpecializeShapesBase::SpecializeShapesBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    ModelInfo info = readModelInfo(module);
    if (!info.kvCache)
      return; // a static graph has nothing to specialize
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    if (!forward) {
      module.emitError("a decoder needs a @forward function");
      return signalPassFailure();
    }
    int64_t capacity = maxContext > 0 ? maxContext : info.maxPositions;
    if (capacity <= 0 || (info.maxPositions > 0 && capacity > info.maxPositions)) {
      module.emitError() << "max-context " << capacity << " is outside the model's 1.."
                         << info.maxPositions << " positions";
      return signalPassFailure();
    }
    // Cache arguments follow (tokens, position) and feed exactly one attention
    // op, whose updated caches are returned.
    Block &body = forward.getBody().front();
    for (BlockArgument arg : body.getArguments().drop_front(2)) {
      auto type = llvm::cast<RankedTensorType>(arg.getType());
      SmallVector<int64_t> shape(type.getShape());
      shape[0] = capacity;
      arg.setType(RankedTensorType::get(shape, type.getElementType()));
    }
    forward.walk([](slm::AttentionOp op) {
      if (!op.getKeyCache())
        return;
      op.getUpdatedCaches()[0].setType(op.getKeyCache().getType());
      op.getUpdatedCaches()[1].setType(op.getValueCache().getType());
    });
    auto ret = llvm::cast<func::ReturnOp>(body.getTerminator());
    forward.setFunctionType(FunctionType::get(&getContext(), body.getArgumentTypes(),
                                              ret.getOperandTypes()));
    writeModelInfo(module, [&] {
      ModelInfo updated = info;
      updated.maxPositions = capacity;
      return updated;
    }());
  }
};

} // namespace
} // namespace slmc
