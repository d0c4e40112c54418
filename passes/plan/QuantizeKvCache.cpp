//===- QuantizeKvCache.cpp - a decoder's KV cache stored as int8 ----------===//
//
// The KV cache grows with the context: at 4096 positions Qwen3-0.6B's f32
// cache is 470 MB, most of the memory a device gives a model. Stored as int8
// with one f32 scale per position and head it is a quarter of that (plus
// 4 bytes per head_dim values). The change is one of storage: the caches'
// types (ModelContract.h gives the row layout) and the contract that
// records it; the attention ops read and write the rows as the type says.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/slm/IR/SlmOps.h"

namespace slmc {
#define GEN_PASS_DEF_QUANTIZEKVCACHE
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

struct QuantizeKvCachePass : impl::QuantizeKvCacheBase<QuantizeKvCachePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    slm::ModelAttr model = slm::getModel(module);
    if (!model || !model->hasKvCache() || model->decoder->int8KvCache)
      return; // no cache, or already int8
    func::FuncOp forward = slm::getForward(module);
    if (!forward) {
      module.emitError("a decoder needs a @forward function");
      return signalPassFailure();
    }
    slm::ModelContract quantized = *model;
    quantized.decoder->int8KvCache = true;
    int64_t row = quantized.decoder->cacheRowElements();
    Block &body = forward.getBody().front();
    auto i8 = IntegerType::get(&getContext(), 8);
    for (BlockArgument arg : body.getArguments().drop_front(2)) {
      auto type = llvm::cast<RankedTensorType>(arg.getType());
      arg.setType(RankedTensorType::get({type.getDimSize(0), type.getDimSize(1), row}, i8));
    }
    slm::propagateCacheTypes(forward);
    slm::setModel(module, quantized);
  }
};

} // namespace
} // namespace slmc
