//===- IntroduceKvCache.cpp - a graph-level decoder -> a cached decoder ---===//
//
// An exported decoder runs the whole sequence on every call. Once its blocks
// are fused, what it computes per position is visible: rotary embeddings at
// positions counted from 0, causal attention over its own tokens. Appending
// tokens to a KV cache computes the same logits for the new tokens, so the
// graph becomes a decoder step with the contract of checkpoint imports:
// (tokens, position, caches...) -> (logits, updated caches...).
//
// Graphs exported "with past" (input_ids, attention_mask, position_ids,
// past_key_values.N.key/value -> logits, present.N.key/value) are the same
// step written with the caller holding the cache: each attention reads
// concat(past, new) and the graph returns it. They become the same decoder:
// the attention takes the new entries and slmc's cache, the rotary
// embeddings the step's position, and the mask, position and past inputs go.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "passes/optimize/GraphInputs.h"
#include "passes/optimize/Matchers.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace slmc {
#define GEN_PASS_DEF_INTRODUCEKVCACHE
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

/// The view ops (reshapes, transposes) between concat(past, new) and `v`, in
/// order, when `v` is such a view of a concat whose first input is `past`.
std::optional<SmallVector<Operation *>> viewOfConcat(Value v, Value past, slm::ConcatOp &concat) {
  SmallVector<Operation *> chain;
  while (true) {
    Operation *def = v.getDefiningOp();
    if (auto c = llvm::dyn_cast_or_null<slm::ConcatOp>(def)) {
      if (c.getInputs().size() != 2 || c.getInputs()[0] != past ||
          c.getInputs()[1].getType() != c.getResult().getType())
        return std::nullopt;
      concat = c;
      std::reverse(chain.begin(), chain.end());
      return chain;
    }
    if (!llvm::isa_and_nonnull<slm::ReshapeOp, slm::TransposeOp>(def) || !v.hasOneUse())
      return std::nullopt;
    chain.push_back(def);
    v = def->getOperand(0);
  }
}

/// How one layer's attention reads a graph's past: key and value are views
/// of concat(past, new) along the tokens.
struct PastRead {
  slm::ConcatOp keys, values;
  SmallVector<Operation *> keyView, valueView;
};

/// The ops that compute, from `arguments` only, nothing but the positions of
/// rotary embeddings (the first position id, the past's length).
llvm::DenseSet<Operation *> positionOnlyOps(func::FuncOp forward, ArrayRef<Value> arguments) {
  llvm::DenseSet<Operation *> ops;
  // In program order every producer comes first; an op qualifies when all its
  // operands are those arguments, constants or qualifying ops, and is kept
  // when all its users are qualifying ops or rotary positions.
  llvm::DenseSet<Value> fromArguments(arguments.begin(), arguments.end());
  forward.walk([&](Operation *op) {
    if (op->getNumResults() == 0 || llvm::isa<slm::ConstantOp>(op) || op->getNumRegions())
      return;
    bool reads = false, only = true;
    for (Value operand : op->getOperands()) {
      bool argument = fromArguments.contains(operand);
      reads |= argument;
      only &= argument || constantOf(operand);
    }
    if (reads && only && isMemoryEffectFree(op) && !llvm::isa<slm::ConcatOp>(op))
      for (Value result : op->getResults())
        fromArguments.insert(result), ops.insert(op);
  });
  // Drop ops whose results reach anything but rotary positions.
  bool changed = true;
  while (changed) {
    changed = false;
    for (Operation *op : llvm::to_vector(ops))
      for (OpOperand &use : op->getUses()) {
        auto rotary = llvm::dyn_cast<slm::RotaryOp>(use.getOwner());
        bool position = rotary && use.getOperandNumber() == 1;
        if (!position && !ops.contains(use.getOwner())) {
          ops.erase(op);
          changed = true;
          break;
        }
      }
  }
  return ops;
}

/// Why the graph cannot become a cached decoder, or "" when it can; fills
/// `pastReads` (one per attention) for graphs with a past.
std::string whyNotCacheable(func::FuncOp forward, const GraphInputs &inputs,
                            ArrayRef<slm::AttentionOp> attentions,
                            const llvm::DenseSet<Operation *> &positionOps,
                            SmallVector<PastRead> &pastReads) {
  if (!inputs.tokens)
    return "it takes no token ids";
  auto ids = tensorType(forward.getArgument(*inputs.tokens));
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
  if (inputs.attentionMask && !forward.getArgument(*inputs.attentionMask).use_empty())
    return "its attention mask is used for more than hiding future keys";

  // With a past: each layer's attention reads its own past keys and values,
  // appended to the new ones, and the graph returns the concatenations.
  if (inputs.hasPast()) {
    if (inputs.pastKeyValues.size() != attentions.size())
      return "it has past keys and values for another number of layers than attentions";
    llvm::DenseSet<Operation *> presents;
    for (auto [layer, past] : llvm::enumerate(inputs.pastKeyValues)) {
      slm::AttentionOp attention = attentions[layer];
      PastRead read;
      auto keyView = viewOfConcat(attention.getKey(), forward.getArgument(past.first), read.keys);
      auto valueView =
          viewOfConcat(attention.getValue(), forward.getArgument(past.second), read.values);
      if (!keyView || !valueView)
        return "an attention does not read its layer's past keys and values followed by the "
               "new ones";
      read.keyView = *keyView, read.valueView = *valueView;
      for (slm::ConcatOp concat : {read.keys, read.values}) {
        presents.insert(concat);
        for (Operation *user : concat->getUsers())
          if (!llvm::isa<func::ReturnOp>(user) && user != read.keyView.front() &&
              user != read.valueView.front() &&
              !(read.keyView.empty() && user == attention) &&
              !(read.valueView.empty() && user == attention))
            return "a layer's keys or values with the past are used outside its attention";
      }
      pastReads.push_back(std::move(read));
    }
    for (Value result : forward.getBody().front().getTerminator()->getOperands().drop_front())
      if (!presents.contains(result.getDefiningOp()))
        return "it returns more than the logits and the keys and values with the past";
    for (auto [key, value] : inputs.pastKeyValues)
      for (unsigned argument : {key, value})
        for (Operation *user : forward.getArgument(argument).getUsers())
          if (!presents.contains(user) && !positionOps.contains(user))
            return "a past key or value is read outside its layer's attention";
  } else if (forward.getNumResults() != 1) {
    return "it returns more than the logits";
  }
  if (inputs.positionIds)
    for (Operation *user : forward.getArgument(*inputs.positionIds).getUsers())
      if (!positionOps.contains(user))
        return "its position ids are used for more than rotary embeddings";

  std::string why;
  forward.walk([&](Operation *op) {
    if (positionOps.contains(op))
      return WalkResult::advance();
    if (auto rotary = llvm::dyn_cast<slm::RotaryOp>(op)) {
      Operation *position = rotary.getPosition().getDefiningOp();
      if (!(position && positionOps.contains(position)) &&
          (inputs.hasPast() || !isSplat(rotary.getPosition(), 0)))
        why = "a rotary embedding does not start at the first new token's position";
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

/// The new entries of a view of concat(past, new): the same view ops applied
/// to `new` (the types match: the tokens are dynamic in both).
Value viewOfNew(OpBuilder &b, slm::ConcatOp concat, ArrayRef<Operation *> view) {
  IRMapping mapping;
  mapping.map(concat.getResult(), concat.getInputs()[1]);
  Value v = concat.getInputs()[1];
  for (Operation *op : view)
    v = b.clone(*op, mapping)->getResult(0);
  return v;
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
    llvm::DenseSet<Operation *> positionOps;
    SmallVector<PastRead> pastReads;
    std::string why = "its inputs are not token ids, masks, positions and past caches";
    if (inputs) {
      SmallVector<Value> positionSources;
      if (inputs->positionIds)
        positionSources.push_back(forward.getArgument(*inputs->positionIds));
      for (auto [key, value] : inputs->pastKeyValues)
        positionSources.append({forward.getArgument(key), forward.getArgument(value)});
      positionOps = positionOnlyOps(forward, positionSources);
      why = whyNotCacheable(forward, *inputs, attentions, positionOps, pastReads);
    }
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

    // (ids, mask?, positions?, past...) -> (tokens, position, caches...): the
    // ids become a view of the tokens; the other inputs lose their readers.
    SmallVector<BlockArgument> graphArguments(body.getArguments());
    BlockArgument ids = body.getArgument(*inputs->tokens);
    BlockArgument tokens = body.insertArgument(0u, RankedTensorType::get({ShapedType::kDynamic}, i64), loc);
    BlockArgument position = body.insertArgument(1u, RankedTensorType::get({}, i64), loc);
    b.setInsertionPointToStart(&body);
    ids.replaceAllUsesWith(reshapeTo(b, loc, tokens, tensorType(ids)));
    SmallVector<Value> caches;
    for (size_t i = 0; i < 2 * attentions.size(); ++i)
      caches.push_back(body.addArgument(cacheType, loc));

    // Rotary embeddings start at the step's position; attention reads and
    // extends the caches of its layer.
    forward.walk([&](slm::RotaryOp op) { op.getPositionMutable().assign(position); });
    SmallVector<Value> updated;
    for (auto [layer, attention] : llvm::enumerate(attentions)) {
      b.setInsertionPoint(attention);
      Value key = attention.getKey(), value = attention.getValue();
      if (!pastReads.empty()) { // the cache holds the past: attend with the new entries
        key = viewOfNew(b, pastReads[layer].keys, pastReads[layer].keyView);
        value = viewOfNew(b, pastReads[layer].values, pastReads[layer].valueView);
      }
      auto cached = b.create<slm::AttentionOp>(
          attention.getLoc(), attention.getQuery(), key, value,
          caches[2 * layer], caches[2 * layer + 1], position, attention.getScaleAttr(),
          attention.getCausalAttr(), attention.getWindowAttr(), attention.getSoftcapAttr());
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
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
      if (isOpTriviallyDead(&op))
        op.erase();
    for (BlockArgument argument : llvm::reverse(graphArguments)) {
      if (!argument.use_empty()) {
        forward.emitError("the graph's input ") << argument.getArgNumber() - 2
                                                << " is still read after the KV cache rewrite";
        return signalPassFailure();
      }
      body.eraseArgument(argument.getArgNumber());
    }

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
