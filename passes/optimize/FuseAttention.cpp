//===- FuseAttention.cpp - attention sub-graphs -> slm.attention ----------===//
//
// softmax(scale * q·kᵀ + mask)·v over [1, heads, tokens, head_dim] tensors,
// with the mask applied by `where` with a large negative fill or added, the
// scale by a division or multiplication, and grouped-query keys and values
// repeated by unsqueeze/expand/reshape, is slm.attention on [tokens, heads,
// head_dim] with the unrepeated keys and values. The mask is checked by
// evaluating it for concrete sequences: it must hide exactly the keys after
// each query (causal), or be absent (not causal).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "passes/optimize/Matchers.h"
#include "passes/optimize/SequenceEvaluator.h"

#include <cmath>

namespace slmc {
#define GEN_PASS_DEF_FUSEATTENTION
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

/// How the scores are masked before the softmax.
struct Mask {
  enum Kind { None, Select, Additive } kind = None;
  Value value;          // the condition of `where`, or the added tensor
  bool hidesWhenTrue = true; // Select: the fill is taken where the condition holds
};

/// Whether `v` is a constant fill that makes a score vanish in the softmax.
bool isMaskingFill(Value v) {
  std::optional<double> fill = splatValue(v);
  return fill && (*fill <= -1e30 || std::isinf(*fill));
}

/// The unrepeated keys or values of grouped-query attention: `v` =
/// reshape(expand(reshape(kv [1, K, T, D] -> [1, K, 1, T, D]) -> [1, K, G, T, D])
/// -> [1, K*G, T, D]) gives kv; anything else is its own.
Value unrepeated(Value v) {
  auto outer = producer<slm::ReshapeOp>(v);
  auto expand = outer ? producer<slm::ExpandOp>(outer.getInput()) : slm::ExpandOp();
  auto inner = expand ? producer<slm::ReshapeOp>(expand.getInput()) : slm::ReshapeOp();
  if (!inner)
    return v;
  auto kv = tensorType(inner.getInput()), unit = tensorType(inner.getResult());
  auto repeated = tensorType(expand.getResult()), result = tensorType(v);
  if (kv.getRank() != 4 || unit.getRank() != 5 || unit.getDimSize(2) != 1)
    return v;
  ArrayRef<int64_t> kvDims = kv.getShape(), unitDims = unit.getShape();
  if (unitDims[0] != kvDims[0] || unitDims[1] != kvDims[1] || unitDims[3] != kvDims[2] ||
      unitDims[4] != kvDims[3])
    return v;
  ArrayRef<int64_t> r = repeated.getShape();
  if (r[0] != unitDims[0] || r[1] != unitDims[1] || ShapedType::isDynamic(r[2]) ||
      r[3] != unitDims[3] || r[4] != unitDims[4])
    return v;
  if (result.getDimSize(1) != r[1] * r[2] || result.getDimSize(2) != r[3] ||
      result.getDimSize(3) != r[4])
    return v;
  return inner.getInput();
}

/// Whether `t` ([.., tokens, keys] after dropping leading ones) hides exactly
/// the keys after each query, query i sitting at position keys - tokens + i.
bool isCausal(const exec::Tensor &t, const Mask &mask, int64_t tokens, int64_t keys) {
  if (t.size() != tokens * keys || t.dim(-1) != keys)
    return false;
  for (int64_t i = 0; i < tokens; ++i)
    for (int64_t j = 0; j < keys; ++j) {
      bool future = j > keys - tokens + i;
      int64_t e = i * keys + j;
      bool hidden;
      if (mask.kind == Mask::Select) {
        hidden = (t.intAt(e) != 0) == mask.hidesWhenTrue;
      } else {
        float v = t.floatAt(e);
        if (!(v <= -1e30f) && v != 0)
          return false;
        hidden = v <= -1e30f;
      }
      if (hidden != future)
        return false;
    }
  return true;
}

struct ScaledDotProductAttention : OpRewritePattern<slm::MatmulOp> {
  ScaledDotProductAttention(MLIRContext *context, SequenceEvaluator &evaluator)
      : OpRewritePattern(context), evaluator(evaluator) {}

  LogicalResult matchAndRewrite(slm::MatmulOp op, PatternRewriter &rewriter) const override {
    auto softmax = producer<slm::SoftmaxOp>(op.getLhs());
    auto outType = tensorType(op.getResult());
    if (!softmax || outType.getRank() != 4 || outType.getDimSize(0) != 1 ||
        !softmax->hasOneUse() ||
        !isLastAxis(static_cast<int64_t>(softmax.getAxis()), tensorType(softmax).getRank()))
      return failure();

    // Peel the mask and the scale off the scores.
    Value scores = softmax.getInput();
    Mask mask;
    double scale = 1;
    slm::MatmulOp product;
    while (!product) {
      if (auto where = producer<slm::WhereOp>(scores); where && mask.kind == Mask::None) {
        mask.kind = Mask::Select;
        mask.value = where.getCondition();
        if (isMaskingFill(where.getOnTrue())) {
          scores = where.getOnFalse();
        } else if (isMaskingFill(where.getOnFalse())) {
          mask.hidesWhenTrue = false;
          scores = where.getOnTrue();
        } else {
          return failure();
        }
      } else if (auto add = producer<slm::AddOp>(scores); add && mask.kind == Mask::None) {
        bool lhsScores = tensorType(add.getLhs()) == tensorType(add.getResult());
        mask.kind = Mask::Additive;
        mask.value = lhsScores ? add.getRhs() : add.getLhs();
        scores = lhsScores ? add.getLhs() : add.getRhs();
      } else if (auto div = producer<slm::DivOp>(scores)) {
        std::optional<double> c = splatValue(div.getRhs());
        if (!c || *c == 0)
          return failure();
        scale /= *c;
        scores = div.getLhs();
      } else if (auto mul = producer<slm::MulOp>(scores)) {
        std::optional<double> c = splatValue(mul.getRhs());
        Value other = mul.getLhs();
        if (!c) {
          c = splatValue(mul.getLhs());
          other = mul.getRhs();
        }
        if (!c)
          return failure();
        scale *= *c;
        scores = other;
      } else if (auto matmul = producer<slm::MatmulOp>(scores)) {
        product = matmul;
      } else {
        return failure();
      }
    }
    auto keysT = producer<slm::TransposeOp>(product.getRhs());
    if (!keysT || keysT.getPermutation() != ArrayRef<int64_t>{0, 1, 3, 2})
      return failure();
    Value q = product.getLhs();
    Value k = unrepeated(keysT.getInput()), v = unrepeated(op.getRhs());
    auto qType = tensorType(q), kType = tensorType(k), vType = tensorType(v);
    if (qType.getRank() != 4 || kType.getRank() != 4 || vType.getRank() != 4 ||
        qType.getDimSize(0) != 1 || kType.getDimSize(0) != 1 || vType.getDimSize(0) != 1)
      return failure();
    int64_t heads = qType.getDimSize(1), kvHeads = kType.getDimSize(1);
    int64_t headDim = qType.getDimSize(3), valueDim = vType.getDimSize(3);
    if (ShapedType::isDynamic(heads) || ShapedType::isDynamic(kvHeads) || kvHeads == 0 ||
        heads % kvHeads || vType.getDimSize(1) != kvHeads || kType.getDimSize(3) != headDim ||
        ShapedType::isDynamic(headDim) || ShapedType::isDynamic(valueDim))
      return failure();
    if (mask.kind != Mask::None && !causalMask(mask))
      return failure();

    // [1, heads, tokens, dim] <-> [tokens, heads, dim] around the fused op.
    Location loc = op.getLoc();
    auto blocks = [&](Value x) {
      auto t = tensorType(x);
      auto type = RankedTensorType::get({t.getDimSize(2), t.getDimSize(1), t.getDimSize(3)},
                                        t.getElementType());
      return reshapeTo(rewriter, loc, transposeBy(rewriter, loc, x, {0, 2, 1, 3}), type);
    };
    auto attention = rewriter.create<slm::AttentionOp>(
        loc, blocks(q), blocks(k), blocks(v), Value(), Value(), Value(),
        rewriter.getF32FloatAttr(static_cast<float>(scale)),
        mask.kind != Mask::None ? rewriter.getUnitAttr() : nullptr);
    auto perTokens = RankedTensorType::get(
        {outType.getDimSize(0), outType.getDimSize(2), heads, valueDim}, outType.getElementType());
    rewriter.replaceOp(op, transposeBy(rewriter, loc,
                                       reshapeTo(rewriter, loc, attention.getOutput(), perTokens),
                                       {0, 2, 1, 3}));
    return success();
  }

  /// Evaluated for a few sequences (and pasts, when the graph has them), the
  /// mask hides exactly the future keys of every query.
  bool causalMask(const Mask &mask) const {
    SmallVector<std::pair<int64_t, int64_t>> cases = {{1, 0}, {2, 0}, {5, 0}};
    if (evaluator.inputs().hasPast())
      cases.append({{1, 3}, {4, 2}});
    for (auto [tokens, past] : cases) {
      std::optional<exec::Tensor> value = evaluator.evaluate(mask.value, tokens, past);
      if (!value || !isCausal(*value, mask, tokens, tokens + past))
        return false;
    }
    return true;
  }

  SequenceEvaluator &evaluator;
};

struct FuseAttentionPass : impl::FuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    func::FuncOp forward = slm::getForward(getOperation());
    std::optional<GraphInputs> inputs = forward ? GraphInputs::classify(forward) : std::nullopt;
    if (!inputs)
      return; // masks cannot be evaluated without knowing the inputs
    SequenceEvaluator evaluator(forward, *inputs);
    RewritePatternSet patterns(&getContext());
    patterns.add<ScaledDotProductAttention>(&getContext(), evaluator);
    GreedyRewriteConfig config;
    config.listener = &evaluator;
    if (failed(applyPatternsAndFoldGreedily(forward, std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
} // namespace slmc
