//===- SpecializeShapes.cpp - fix the KV-cache capacity -------------------===//

#include "passes/Passes.h"

#include "dialects/slm/IR/SlmOps.h"

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
    slm::ModelAttr model = slm::getModel(module);
    if (!model || !model->hasKvCache())
      return; // a static graph has nothing to specialize
    func::FuncOp forward = slm::getForward(module);
    if (!forward) {
      module.emitError("a decoder needs a @forward function");
      return signalPassFailure();
    }
    int64_t positions = model->maxPositions;
    int64_t capacity = maxContext > 0 ? maxContext : positions;
    if (capacity <= 0 || (positions > 0 && capacity > positions)) {
      module.emitError() << "max-context " << capacity << " is outside the model's 1.." << positions
                         << " positions";
      return signalPassFailure();
    }
    // The contract: cache arguments follow (tokens, position), each feeds one
    // attention op, whose updated caches are returned in the same order. A
    // windowed layer's cache is a ring of the window's rows.
    Block &body = forward.getBody().front();
    for (BlockArgument arg : body.getArguments().drop_front(2)) {
      auto type = llvm::cast<RankedTensorType>(arg.getType());
      SmallVector<int64_t> shape(type.getShape());
      shape[0] = slm::cacheRows(arg, capacity);
      arg.setType(RankedTensorType::get(shape, type.getElementType()));
    }
    slm::propagateCacheTypes(forward);
    slm::ModelContract specialized = *model;
    specialized.maxPositions = capacity;
    slm::setModel(module, specialized);
  }
};

} // namespace
} // namespace slmc
