//===- ShareWeights.cpp - one constant per distinct weight ----------------===//
//
// Exporters write a tied weight twice: the embedding table [vocab, hidden]
// for the Gather and its transpose [hidden, vocab] for the output MatMul,
// which FuseLinear turns back into [vocab, hidden]. CSE does not see that
// they are the same, because two dense_resource blobs are different
// attributes whatever their bytes. This pass compares bytes (by hash, then
// in full) and keeps the first constant of each distinct weight, so a tied
// model is stored, quantized and streamed once, as its checkpoint is.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "compiler/weights/WeightBlob.h"
#include "dialects/slm/IR/SlmOps.h"
#include "llvm/ADT/Hashing.h"

namespace slmc {
#define GEN_PASS_DEF_SHAREWEIGHTS
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

struct ShareWeightsPass : impl::ShareWeightsBase<ShareWeightsPass> {
  void runOnOperation() override {
    func::FuncOp forward = slm::getForward(getOperation());
    if (!forward)
      return;
    // Weights by (type, hash of bytes); a walk because the question is about
    // all constants at once, not a local rewrite.
    llvm::DenseMap<std::pair<Type, llvm::hash_code>, SmallVector<slm::ConstantOp, 1>> seen;
    SmallVector<slm::ConstantOp> constants;
    forward.walk([&](slm::ConstantOp op) { constants.push_back(op); });
    for (slm::ConstantOp op : constants) {
      if (!llvm::isa<DenseResourceElementsAttr>(op.getValue()))
        continue; // small dense constants are uniqued by the canonicalizer
      llvm::ArrayRef<char> bytes = weightBytes(op.getValue());
      if (bytes.empty())
        continue; // bytes elided from printed IR: nothing to compare
      auto &candidates = seen[{op.getType(), llvm::hash_value(llvm::StringRef(bytes.data(), bytes.size()))}];
      auto same = llvm::find_if(candidates, [&](slm::ConstantOp other) {
        return weightBytes(other.getValue()) == bytes;
      });
      if (same == candidates.end()) {
        candidates.push_back(op);
        continue;
      }
      op.getResult().replaceAllUsesWith(same->getResult());
      op.erase();
    }
  }
};

} // namespace
} // namespace slmc
