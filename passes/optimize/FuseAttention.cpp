//===- FuseAttention.cpp - attention sub-graphs -> slm.attention ----------===//
//
// softmax(scale * q·kᵀ + mask)·v over [1, heads, tokens, head_dim] tensors,
// with the mask applied by `where` with a large negative fill or added, the
// scale by a division or multiplication, and grouped-query keys and values
// repeated by unsqueeze/expand/reshape (before or after the heads are moved
// in front of the tokens), is slm.attention on [tokens, heads,
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

/// One of q, k or v as the attention sees it: `value`, reshaped to `shape`
/// when its type differs, is [1, tokens, heads, dim] (tokens first, as a
/// projection's output is split into heads) or [1, heads, tokens, dim].
struct Operand {
  Value value;
  RankedTensorType shape;
  bool tokensFirst = false;

  int64_t headAxis() const { return tokensFirst ? 2 : 1; }
  int64_t heads() const { return shape.getDimSize(headAxis()); }
  int64_t dim() const { return shape.getDimSize(3); }

  /// [tokens, heads, dim], the layout of slm.attention.
  Value blocks(PatternRewriter &rewriter, Location loc) const {
    Value x = tensorType(value) == shape ? value : reshapeTo(rewriter, loc, value, shape);
    if (!tokensFirst)
      x = transposeBy(rewriter, loc, x, {0, 2, 1, 3});
    auto t = tensorType(x);
    return reshapeTo(rewriter, loc, x,
                     RankedTensorType::get({t.getDimSize(1), t.getDimSize(2), t.getDimSize(3)},
                                           t.getElementType()));
  }
};

Operand asIs(Value v, bool tokensFirst) { return {v, tensorType(v), tokensFirst}; }

/// Heads first is tokens first transposed by {0, 2, 1, 3}: sees through it.
Operand tokensFirstIfTransposed(Operand x) {
  auto transpose = producer<slm::TransposeOp>(x.value);
  if (x.tokensFirst || tensorType(x.value) != x.shape || !transpose ||
      transpose.getPermutation() != ArrayRef<int64_t>{0, 2, 1, 3})
    return x;
  return asIs(transpose.getInput(), true);
}

/// The unrepeated keys or values of grouped-query attention: `v` =
/// reshape(expand(reshape(kv -> unit) -> repeated) -> [.., K*G, ..]), where
/// unit is the rank-4 layout with a one inserted after the head axis and the
/// expansion repeats it G times, gives kv (as unit without the one). Anything
/// else is its own.
Operand unrepeated(Operand x) {
  auto outer = producer<slm::ReshapeOp>(x.value);
  auto expand = outer ? producer<slm::ExpandOp>(outer.getInput()) : slm::ExpandOp();
  auto inner = expand ? producer<slm::ReshapeOp>(expand.getInput()) : slm::ReshapeOp();
  if (!inner || x.shape.getRank() != 4)
    return x;
  int64_t axis = x.headAxis();
  ArrayRef<int64_t> unit = tensorType(inner.getResult()).getShape();
  ArrayRef<int64_t> repeated = tensorType(expand.getResult()).getShape();
  ArrayRef<int64_t> result = x.shape.getShape();
  if (unit.size() != 5 || repeated.size() != 5 || unit[axis + 1] != 1 ||
      ShapedType::isDynamic(repeated[axis + 1]) || ShapedType::isDynamic(unit[axis]))
    return x;
  SmallVector<int64_t> kv;
  for (int64_t d = 0; d < 5; ++d) {
    if (d != axis + 1 && repeated[d] != unit[d])
      return x;
    if (d != axis + 1)
      kv.push_back(unit[d]);
  }
  for (int64_t d = 0; d < 4; ++d)
    if (result[d] != (d == axis ? kv[d] * repeated[axis + 1] : kv[d]))
      return x;
  return {inner.getInput(), RankedTensorType::get(kv, x.shape.getElementType()), x.tokensFirst};
}

/// q, or v ([1, heads, tokens, dim] as the product sees it).
Operand headsFirstOperand(Value v) {
  Operand x = asIs(v, false);
  if (auto transpose = producer<slm::TransposeOp>(v);
      transpose && transpose.getPermutation() == ArrayRef<int64_t>{0, 2, 1, 3})
    x = asIs(transpose.getInput(), true);
  return tokensFirstIfTransposed(unrepeated(x));
}

/// k from kᵀ ([1, heads, dim, tokens]): a transpose of heads-first or of
/// tokens-first keys.
std::optional<Operand> keysOperand(Value keysT) {
  auto transpose = producer<slm::TransposeOp>(keysT);
  if (!transpose)
    return std::nullopt;
  if (transpose.getPermutation() == ArrayRef<int64_t>{0, 1, 3, 2})
    return headsFirstOperand(transpose.getInput());
  if (transpose.getPermutation() == ArrayRef<int64_t>{0, 2, 3, 1})
    return unrepeated(asIs(transpose.getInput(), true));
  return std::nullopt;
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
    std::optional<Operand> k = keysOperand(product.getRhs());
    Operand q = headsFirstOperand(product.getLhs()), v = headsFirstOperand(op.getRhs());
    if (!k || q.shape.getRank() != 4 || k->shape.getRank() != 4 || v.shape.getRank() != 4 ||
        q.shape.getDimSize(0) != 1 || k->shape.getDimSize(0) != 1 || v.shape.getDimSize(0) != 1)
      return failure();
    int64_t heads = q.heads(), kvHeads = k->heads();
    int64_t headDim = q.dim(), valueDim = v.dim();
    if (ShapedType::isDynamic(heads) || ShapedType::isDynamic(kvHeads) || kvHeads == 0 ||
        heads % kvHeads || v.heads() != kvHeads || k->dim() != headDim ||
        ShapedType::isDynamic(headDim) || ShapedType::isDynamic(valueDim))
      return failure();
    if (mask.kind != Mask::None && !causalMask(mask))
      return failure();

    // [1, heads, tokens, dim] <-> [tokens, heads, dim] around the fused op.
    Location loc = op.getLoc();
    auto attention = rewriter.create<slm::AttentionOp>(
        loc, q.blocks(rewriter, loc), k->blocks(rewriter, loc), v.blocks(rewriter, loc), Value(),
        Value(), Value(),
        rewriter.getF32FloatAttr(static_cast<float>(scale)),
        mask.kind != Mask::None ? rewriter.getUnitAttr() : nullptr, /*window=*/nullptr, /*softcap=*/nullptr);
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
