//===- IntroduceKvCache.cpp - a graph-level decoder -> a cached decoder ---===//
//
// An exported decoder runs the whole sequence on every call. Once its blocks
// are fused, what it computes per position is visible: rotary embeddings at
// positions counted from 0, causal attention over its own tokens. Appending
// tokens to a KV cache computes the same logits for the new tokens, so the
// graph becomes a decoder step with the contract of checkpoint imports:
// (tokens, position, caches...) -> (logits, updated caches...).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "passes/optimize/GraphInputs.h"
#include "passes/optimize/Matchers.h"

namespace slmc {
#define GEN_PASS_DEF_INTRODUCEKVCACHE
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

/// Why the graph cannot become a cached decoder, or "" when it can.
std::string whyNotCacheable(func::FuncOp forward, const GraphInputs &inputs,
                            ArrayRef<slm::AttentionOp> attentions) {
  if (inputs.hasPast() || inputs.attentionMask || inputs.positionIds ||
      forward.getNumArguments() != 1)
    return "it takes more inputs than token ids";
  auto ids = tensorType(forward.getArgument(0));
  if (!ids.getElementType().isSignlessInteger(64) || ids.getRank() > 2 ||
      (ids.getRank() == 2 && ids.getDimSize(0) != 1) || !ids.isDynamicDim(ids.getRank() - 1))
    return "its token ids are not [1, tokens] or [tokens] of i64";
  auto logits = llvm::cast<RankedTensorType>(forward.getResultTypes()[0]);
  if (logits.getRank() != ids.getRank() + 1 || !logits.isDynamicDim(ids.getRank() - 1) ||
      (logits.getRank() == 3 && logits.getDimSize(0) != 1))
    return "its first result is not the logits of every token";
  if (attentions.empty())
    return "it has no attention to cache";
  for (slm::AttentionOp attention : attentions)
    if (!attention.getCausal() || attention.getKeyCache())
      return "an attention is not causal over the sequence";
  std::string why;
  forward.walk([&](Operation *op) {
    if (auto rotary = llvm::dyn_cast<slm::RotaryOp>(op)) {
      if (!isSplat(rotary.getPosition(), 0))
        why = "a rotary embedding does not start at position 0";
    } else if (llvm::isa<slm::ShapeOp, slm::RangeOp, slm::TriluOp, slm::SoftmaxOp>(op)) {
      // What is left of masks and positions that no fused op took in.
      why = ("the graph still computes " + op->getName().getStringRef() +
             " from the sequence")
                .str();
    } else if (auto matmul = llvm::dyn_cast<slm::MatmulOp>(op);
               matmul && !constantOf(matmul.getRhs())) {
      why = "an attention was not recognized";
    }
    return why.empty() ? WalkResult::advance() : WalkResult::interrupt();
  });
  return why;
}

struct IntroduceKvCachePass : impl::IntroduceKvCacheBase<IntroduceKvCachePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    slm::ModelAttr model = slm::getModel(module);
    func::FuncOp forward = slm::getForward(module);
    if (!model || model->hasKvCache() || !forward || model->vocabSize <= 0)
      return;
    std::optional<GraphInputs> inputs = GraphInputs::classify(forward);
    SmallVector<slm::AttentionOp> attentions;
    forward.walk([&](slm::AttentionOp op) { attentions.push_back(op); });
    bool softmax = false;
    forward.walk([&](slm::SoftmaxOp) { softmax = true; });
    if (attentions.empty() && !softmax)
      return; // no attention, recognized or not: not a decoder
    std::string why = inputs ? whyNotCacheable(forward, *inputs, attentions)
                             : "its inputs are not token ids, masks, positions and past caches";
    if (!why.empty()) {
      // Not an error: the graph still runs, over the whole sequence per call.
      forward.emitRemark("stays a graph without KV cache: ") << why;
      return;
    }
    slm::AttentionOp first = attentions.front();
    auto queries = tensorType(first.getQuery()), keys = tensorType(first.getKey());
    slm::DecoderShape shape{0, static_cast<int64_t>(attentions.size()), queries.getDimSize(1),
                            keys.getDimSize(1), keys.getDimSize(2)};
    for (slm::AttentionOp attention : attentions)
      if (tensorType(attention.getKey()) != keys || tensorType(attention.getValue()) != keys ||
          tensorType(attention.getQuery()).getDimSize(1) != shape.heads) {
        forward.emitRemark("stays a graph without KV cache: its layers differ in shape");
        return;
      }
    forward.walk([&](slm::EmbeddingOp op) {
      if (!shape.hiddenSize)
        shape.hiddenSize = tensorType(op.getTable()).getDimSize(1);
    });
    if (!shape.hiddenSize) {
      forward.emitRemark("stays a graph without KV cache: no token embedding");
      return;
    }

    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    Block &body = forward.getBody().front();
    Location loc = forward.getLoc();
    auto i64 = b.getI64Type();
    auto cacheType = RankedTensorType::get({ShapedType::kDynamic, shape.kvHeads, shape.headDim},
                                           b.getF32Type());

    // (ids) -> (tokens, position, caches...): the ids become a view of the tokens.
    BlockArgument ids = body.getArgument(0);
    BlockArgument tokens = body.insertArgument(0u, RankedTensorType::get({ShapedType::kDynamic}, i64), loc);
    BlockArgument position = body.insertArgument(1u, RankedTensorType::get({}, i64), loc);
    b.setInsertionPointToStart(&body);
    ids.replaceAllUsesWith(reshapeTo(b, loc, tokens, tensorType(ids)));
    body.eraseArgument(ids.getArgNumber());
    SmallVector<Value> caches;
    for (size_t i = 0; i < 2 * attentions.size(); ++i)
      caches.push_back(body.addArgument(cacheType, loc));

    // Rotary embeddings start at the step's position; attention reads and
    // extends the caches of its layer.
    forward.walk([&](slm::RotaryOp op) { op.getPositionMutable().assign(position); });
    SmallVector<Value> updated;
    for (auto [layer, attention] : llvm::enumerate(attentions)) {
      b.setInsertionPoint(attention);
      auto cached = b.create<slm::AttentionOp>(
          attention.getLoc(), attention.getQuery(), attention.getKey(), attention.getValue(),
          caches[2 * layer], caches[2 * layer + 1], position, attention.getScaleAttr(),
          attention.getCausalAttr());
      attention.getOutput().replaceAllUsesWith(cached.getOutput());
      attention.erase();
      updated.append(cached.getUpdatedCaches().begin(), cached.getUpdatedCaches().end());
    }

    // (logits [1, tokens, vocab], ...) -> (logits [tokens, vocab], caches...).
    auto ret = llvm::cast<func::ReturnOp>(body.getTerminator());
    b.setInsertionPoint(ret);
    auto logitsType = RankedTensorType::get({ShapedType::kDynamic, model->vocabSize},
                                            b.getF32Type());
    SmallVector<Value> results{reshapeTo(b, loc, ret.getOperand(0), logitsType)};
    results.append(updated);
    b.create<func::ReturnOp>(ret.getLoc(), results);
    ret.erase();

    // The signature and its names, as the decoder builder writes them.
    StringRef name = slm::SlmDialect::NameAttrHelper::getNameStr();
    StringAttr logitsName = forward.getResultAttrOfType<StringAttr>(0, name);
    forward.setFunctionType(FunctionType::get(ctx, body.getArgumentTypes(),
                                              ValueRange(results).getTypes()));
    forward.removeArgAttrsAttr();
    forward.removeResAttrsAttr();
    forward.setArgAttr(0, name, b.getStringAttr("tokens"));
    forward.setArgAttr(1, name, b.getStringAttr("position"));
    if (logitsName)
      forward.setResultAttr(0, name, logitsName);

    slm::ModelContract contract = *model;
    contract.architecture = "decoder";
    contract.decoder = shape;
    slm::setModel(module, contract);
  }
};

} // namespace
} // namespace slmc
