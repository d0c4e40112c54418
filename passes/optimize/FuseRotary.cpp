//===- FuseRotary.cpp - rotary sub-graphs -> slm.rotary -------------------===//
//
// x * cos + rotate_half(x) * sin, with rotate_half(x) = concat(-x2, x1) of the
// two halves of the last dimension, is slm.rotary in the rotate-half layout;
// the complex-number form on channel pairs (re * cos - im * sin, re * sin +
// im * cos, stacked back) is slm.rotary in the interleaved layout. Either
// holds when cos and sin are cos(p f_i) and sin(p f_i) of every token's
// position p, for frequencies f_i = theta^(-2i / d): whether the graph stores
// them as tables or computes them, the patterns check the values by
// evaluating them for concrete sequences (SequenceEvaluator), and derive
// theta. Graphs with a past (past_key_values, position_ids) rotate from the
// first new token's position, which the op reads from the graph's inputs.
// The fused op works on [tokens, heads, head_dim]; transposes and
// reshapes around it put x in that layout and back, and cancel with their
// neighbours later.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "passes/optimize/Matchers.h"
#include "passes/optimize/SequenceEvaluator.h"

#include <cmath>

namespace slmc {
#define GEN_PASS_DEF_FUSEROTARY
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

/// A constant 1-d integer operand's values.
std::optional<SmallVector<int64_t>> constantInts(Value v) {
  slm::ConstantOp constant = constantOf(v);
  auto dense = constant ? llvm::dyn_cast<DenseIntElementsAttr>(constant.getValue()) : nullptr;
  if (!dense)
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &i : dense)
    values.push_back(i.getSExtValue());
  return values;
}

/// `v` = x[..., begin:end] for some x, along the last dimension, step 1.
Value lastDimSlice(Value v, int64_t begin, int64_t end) {
  auto slice = producer<slm::SliceOp>(v);
  if (!slice)
    return {};
  auto input = tensorType(slice.getInput());
  int64_t rank = input.getRank(), dim = input.getShape().back();
  auto starts = constantInts(slice.getStarts()), ends = constantInts(slice.getEnds());
  auto axes = constantInts(slice.getAxes()), steps = constantInts(slice.getSteps());
  if (!starts || !ends || !axes || !steps || starts->size() != 1 || (*steps)[0] != 1 ||
      !isLastAxis((*axes)[0], rank))
    return {};
  int64_t s = (*starts)[0] < 0 ? (*starts)[0] + dim : (*starts)[0];
  int64_t e = (*ends)[0] < 0 ? (*ends)[0] + dim : std::min((*ends)[0], dim);
  return s == begin && e == end ? slice.getInput() : Value();
}

/// `v` = concat(-x[..., half:], x[..., :half]) for some x; returns x.
Value rotatedHalfOf(Value v) {
  auto concat = producer<slm::ConcatOp>(v);
  if (!concat || concat.getInputs().size() != 2)
    return {};
  int64_t rank = tensorType(v).getRank(), dim = tensorType(v).getShape().back();
  if (!isLastAxis(static_cast<int64_t>(concat.getAxis()), rank) || dim % 2)
    return {};
  auto neg = producer<slm::NegOp>(concat.getInputs()[0]);
  if (!neg)
    return {};
  Value high = lastDimSlice(neg.getInput(), dim / 2, dim);
  Value low = lastDimSlice(concat.getInputs()[1], 0, dim / 2);
  return high && high == low ? high : Value();
}

/// The rows of an evaluated [.., tokens, .., width] table as [tokens][width].
std::optional<std::vector<std::vector<float>>> tableRows(const exec::Tensor &t, int64_t tokens,
                                                        int64_t width) {
  if (t.size() != tokens * width || t.dim(-1) != width || t.dtype() != exec::DType::F32)
    return std::nullopt;
  std::vector<std::vector<float>> rows(tokens, std::vector<float>(width));
  for (int64_t p = 0; p < tokens; ++p)
    for (int64_t i = 0; i < width; ++i)
      rows[p][i] = t.data<float>()[p * width + i];
  return rows;
}

/// How the columns of a cos/sin table map to the rotated pairs: the
/// rotate-half layout repeats the head_dim/2 angles ([f0 .. f_{n-1}, f0 ..
/// f_{n-1}]); an interleaved graph that works on pairs has one column per
/// pair.
enum class TableColumns { RepeatedHalves, OnePerPair };

/// The theta for which cos/sin are the rotary angles of positions 0 ..
/// tokens-1 for a head of `headDim` channels, checked entry by entry;
/// nullopt when there is none.
std::optional<double> rotaryTheta(SequenceEvaluator &evaluator, Value cos, Value sin,
                                  int64_t headDim, TableColumns columns) {
  constexpr int64_t kTokens = 6;
  int64_t half = headDim / 2;
  int64_t width = columns == TableColumns::RepeatedHalves ? headDim : half;
  auto c = evaluator.evaluate(cos, kTokens, 0), s = evaluator.evaluate(sin, kTokens, 0);
  if (!c || !s || half < 2)
    return std::nullopt;
  auto cosRows = tableRows(*c, kTokens, width), sinRows = tableRows(*s, kTokens, width);
  if (!cosRows || !sinRows)
    return std::nullopt;
  // Position 1 holds the frequencies themselves (all at most 1 radian).
  std::vector<double> frequency(half);
  for (int64_t i = 0; i < half; ++i)
    frequency[i] = std::atan2((*sinRows)[1][i], (*cosRows)[1][i]);
  if (std::abs(frequency[0] - 1.0) > 1e-5 || frequency[1] <= 0)
    return std::nullopt;
  auto matches = [&](double theta) {
    for (int64_t p = 0; p < kTokens; ++p)
      for (int64_t i = 0; i < width; ++i) {
        double angle = p * std::pow(theta, -2.0 * (i % half) / headDim);
        if (std::abs((*cosRows)[p][i] - std::cos(angle)) > 1e-4 ||
            std::abs((*sinRows)[p][i] - std::sin(angle)) > 1e-4)
          return false;
      }
    return true;
  };
  // The fit carries the f32 rounding of the table; the model's theta is
  // usually a round number (10000, 500000, ...) that matches as well.
  double fitted = std::pow(frequency[1], -static_cast<double>(headDim) / 2);
  double magnitude = std::pow(10.0, std::floor(std::log10(fitted)) - 3);
  double rounded = std::round(fitted / magnitude) * magnitude;
  std::optional<double> theta = matches(rounded)  ? std::optional<double>(rounded)
                                : matches(fitted) ? std::optional<double>(fitted)
                                                  : std::nullopt;
  if (!theta || !evaluator.inputs().hasPast())
    return theta;
  // After a past, the angles are those of the positions that follow it.
  constexpr int64_t kPast = 3, kNew = 2;
  auto cp = evaluator.evaluate(cos, kNew, kPast), sp = evaluator.evaluate(sin, kNew, kPast);
  if (!cp || !sp)
    return std::nullopt;
  auto cosAfter = tableRows(*cp, kNew, width), sinAfter = tableRows(*sp, kNew, width);
  if (!cosAfter || !sinAfter)
    return std::nullopt;
  for (int64_t p = 0; p < kNew; ++p)
    for (int64_t i = 0; i < width; ++i) {
      double angle = (kPast + p) * std::pow(*theta, -2.0 * (i % half) / headDim);
      if (std::abs((*cosAfter)[p][i] - std::cos(angle)) > 1e-4 ||
          std::abs((*sinAfter)[p][i] - std::sin(angle)) > 1e-4)
        return std::nullopt;
    }
  return theta;
}

/// The position of the first new token, as the graph knows it: its first
/// position id, or else the length of the past, or else 0. (rotaryTheta has
/// checked that the angles are those of consecutive positions from there.)
Value startPosition(PatternRewriter &rewriter, Location loc, Operation *op,
                    const GraphInputs &inputs) {
  auto forward = op->getParentOfType<func::FuncOp>();
  auto i64 = rewriter.getI64Type();
  auto first = [&](Value vector) { // vector[0] of a [n] vector
    return rewriter.create<slm::GatherOp>(loc, RankedTensorType::get({}, i64), vector,
                                          indexConstant(rewriter, loc, 0),
                                          rewriter.getI64IntegerAttr(0));
  };
  if (inputs.positionIds) {
    Value ids = forward.getArgument(*inputs.positionIds);
    auto type = tensorType(ids);
    if (type.getRank() == 1)
      return first(ids);
    // [1, tokens]: the first column, then its one element.
    Value column = rewriter.create<slm::GatherOp>(loc, RankedTensorType::get({1}, i64), ids,
                                                  indexConstant(rewriter, loc, 0),
                                                  rewriter.getI64IntegerAttr(type.getRank() - 1));
    return first(column);
  }
  if (inputs.hasPast()) {
    Value key = forward.getArgument(inputs.pastKeyValues.front().first);
    Value length = rewriter.create<slm::ShapeOp>(loc, RankedTensorType::get({1}, i64), key,
                                                 rewriter.getI64IntegerAttr(2),
                                                 rewriter.getI64IntegerAttr(3));
    return first(length);
  }
  return indexConstant(rewriter, loc, 0);
}

/// The largest position a table of angles in `v`'s computation holds: the
/// length of a constant [positions, ...] table it slices or gathers rows of.
std::optional<int64_t> tableLength(Value v) {
  SetVector<Operation *> slice;
  if (Operation *def = v.getDefiningOp()) {
    getBackwardSlice(def, &slice);
    slice.insert(def);
  }
  for (Operation *op : slice) {
    Value table;
    if (auto s = llvm::dyn_cast<slm::SliceOp>(op))
      table = s.getInput();
    else if (auto g = llvm::dyn_cast<slm::GatherOp>(op); g && g.getAxis() == 0)
      table = g.getInput();
    else if (auto e = llvm::dyn_cast<slm::EmbeddingOp>(op)) // rows at the position ids
      table = e.getTable();
    if (constantOf(table) && tensorType(table).getRank() == 2 &&
        tensorType(table).getElementType().isF32())
      return tensorType(table).getDimSize(0);
  }
  return std::nullopt;
}

/// The table of angles ends at `positions`: so does the model. (The
/// contract is the module's; no pattern here reads it.)
void recordPositions(Operation *op, int64_t positions) {
  auto module = op->getParentOfType<ModuleOp>();
  slm::ModelAttr model = slm::getModel(module);
  if (!model || (model->maxPositions > 0 && model->maxPositions <= positions))
    return;
  slm::ModelContract contract = *model;
  contract.maxPositions = positions;
  slm::setModel(module, contract);
}

/// How a rotary embedding replaces a sub-graph: x's token axis first and its
/// heads flattened, the op's theta and layout.
struct RotaryPlan {
  SmallVector<int64_t> permutation; // x -> [tokens, heads.., head_dim]
  int64_t heads = 1;
  double theta = 0;
  slm::RotaryLayout layout;
};

/// The plan for x of type `type` ([.., head_dim], one axis the tokens', the
/// others heads) whose angles `cos` and `sin` hold, right-aligned against
/// `anglesOf` (x, or its pairs for an interleaved graph); nullopt when the
/// angles are not those of consecutive positions.
std::optional<RotaryPlan> planRotary(RankedTensorType type, Value cos, Value sin,
                                     RankedTensorType anglesOf, slm::RotaryLayout layout,
                                     TableColumns columns, SequenceEvaluator &evaluator) {
  int64_t headDim = type.getShape().back();
  if (ShapedType::isDynamic(headDim) || headDim % 2 || tensorType(cos) != tensorType(sin))
    return std::nullopt;
  // The token axis of x: where the angle tables, right-aligned, are not 1.
  auto angles = tensorType(cos);
  int64_t offset = anglesOf.getRank() - angles.getRank();
  if (angles.getRank() < 2 || offset < 0)
    return std::nullopt;
  std::optional<int64_t> tokenAxis;
  for (int64_t i = 0; i + 1 < angles.getRank(); ++i)
    if (angles.getDimSize(i) != 1) {
      if (tokenAxis)
        return std::nullopt;
      tokenAxis = i + offset;
    }
  if (!tokenAxis || *tokenAxis >= type.getRank() - 1)
    return std::nullopt;
  // Every other dimension of x but the last is a head: all static.
  RotaryPlan plan;
  plan.layout = layout;
  plan.permutation.push_back(*tokenAxis);
  for (int64_t i = 0; i + 1 < type.getRank(); ++i)
    if (i != *tokenAxis) {
      if (type.isDynamicDim(i))
        return std::nullopt;
      plan.permutation.push_back(i);
      plan.heads *= type.getDimSize(i);
    }
  plan.permutation.push_back(type.getRank() - 1);
  std::optional<double> theta = rotaryTheta(evaluator, cos, sin, headDim, columns);
  if (!theta)
    return std::nullopt;
  plan.theta = *theta;
  return plan;
}

/// Replaces `op`'s single result by the rotary embedding of x by `plan`,
/// reshaped to the result's type.
void replaceByRotary(PatternRewriter &rewriter, Operation *op, Value x, const RotaryPlan &plan,
                     const GraphInputs &inputs) {
  Location loc = op->getLoc();
  Value xt = transposeBy(rewriter, loc, x, plan.permutation);
  auto tokensFirst = tensorType(xt);
  auto blocks = RankedTensorType::get(
      {tokensFirst.getDimSize(0), plan.heads, tokensFirst.getShape().back()},
      tokensFirst.getElementType());
  Value rotated = rewriter.create<slm::RotaryOp>(
      loc, blocks, reshapeTo(rewriter, loc, xt, blocks), startPosition(rewriter, loc, op, inputs),
      /*frequencies=*/Value(), rewriter.getF64FloatAttr(plan.theta),
      slm::RotaryLayoutAttr::get(op->getContext(), plan.layout), nullptr, nullptr);
  SmallVector<int64_t> inverse(plan.permutation.size());
  for (auto [i, p] : llvm::enumerate(plan.permutation))
    inverse[p] = i;
  Value back = transposeBy(rewriter, loc, reshapeTo(rewriter, loc, rotated, tokensFirst), inverse);
  rewriter.replaceOp(op, reshapeTo(rewriter, loc, back, tensorType(op->getResult(0))));
}

/// x * cos + rotate_half(x) * sin, in either order of every product and sum.
struct RotateHalf : OpRewritePattern<slm::AddOp> {
  RotateHalf(MLIRContext *context, SequenceEvaluator &evaluator)
      : OpRewritePattern(context), evaluator(evaluator) {}

  LogicalResult matchAndRewrite(slm::AddOp op, PatternRewriter &rewriter) const override {
    auto type = tensorType(op.getResult());
    if (type.getRank() < 3 || !type.getElementType().isF32())
      return failure();
    Value x, cos, sin;
    bool matched = eitherOrder(op.getLhs(), op.getRhs(), [&](Value direct, Value rotated) {
      auto a = producer<slm::MulOp>(direct), b = producer<slm::MulOp>(rotated);
      if (!a || !b)
        return false;
      return eitherOrder(a.getLhs(), a.getRhs(), [&](Value xa, Value c) {
        return eitherOrder(b.getLhs(), b.getRhs(), [&](Value h, Value s) {
          Value half = rotatedHalfOf(h);
          if (!half || half != xa || tensorType(xa) != type)
            return false;
          x = xa, cos = c, sin = s;
          return true;
        });
      });
    });
    if (!matched)
      return failure();
    auto plan = planRotary(type, cos, sin, type, slm::RotaryLayout::rotate_half,
                           TableColumns::RepeatedHalves, evaluator);
    if (!plan)
      return failure();
    if (std::optional<int64_t> positions = tableLength(cos))
      recordPositions(op, *positions);
    replaceByRotary(rewriter, op, x, *plan, evaluator.inputs());
    return success();
  }

  SequenceEvaluator &evaluator;
};

/// `v` is component `k` (0 real, 1 imaginary) of pairs [.., n, 2]: split
/// along the last axis into ones and reshaped (squeezed) to [.., n], or
/// gathered at k along the last axis. Returns the pairs.
Value pairComponent(Value v, unsigned k) {
  if (auto gather = producer<slm::GatherOp>(v)) {
    auto pairs = tensorType(gather.getInput());
    std::optional<double> index = splatValue(gather.getIndices());
    if (pairs.getShape().back() == 2 && isLastAxis(gather.getAxis(), pairs.getRank()) && index &&
        (*index == k || *index == static_cast<double>(k) - 2) &&
        tensorType(gather.getIndices()).getRank() == 0)
      return gather.getInput();
    return {};
  }
  auto reshape = producer<slm::ReshapeOp>(v);
  auto split = reshape ? producer<slm::SplitOp>(reshape.getInput()) : slm::SplitOp();
  if (!split || split.getResults().size() != 2 || reshape.getInput() != split.getResult(k))
    return {};
  auto pairs = tensorType(split.getInput());
  auto component = tensorType(v);
  if (pairs.getShape().back() != 2 || !isLastAxis(split.getAxis(), pairs.getRank()) ||
      component.getRank() != pairs.getRank() - 1 ||
      component.getShape() != pairs.getShape().drop_back())
    return {};
  return split.getInput();
}

/// `v` is `u` with a unit dimension appended ([.., n] -> [.., n, 1]).
Value withoutUnitDim(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def || !llvm::isa<slm::ReshapeOp, slm::UnsqueezeOp>(def))
    return {};
  Value u = def->getOperand(0);
  auto from = tensorType(u), to = tensorType(v);
  if (to.getRank() != from.getRank() + 1 || to.getShape().back() != 1 ||
      to.getShape().drop_back() != from.getShape())
    return {};
  return u;
}

/// The pairs of an interleaved rotary embedding as torch writes it on
/// complex numbers' real and imaginary parts (llama2.c's model.py):
///   re, im = x.reshape(.., n, 2).unbind(-1)
///   stack([re * cos - im * sin, re * sin + im * cos], -1)
/// The concat of the two unit-dimension results is the rotated pairs.
struct InterleavedPairs : OpRewritePattern<slm::ConcatOp> {
  InterleavedPairs(MLIRContext *context, SequenceEvaluator &evaluator)
      : OpRewritePattern(context), evaluator(evaluator) {}

  LogicalResult matchAndRewrite(slm::ConcatOp op, PatternRewriter &rewriter) const override {
    auto type = tensorType(op.getResult());
    if (op.getInputs().size() != 2 || type.getRank() < 4 || type.getShape().back() != 2 ||
        !isLastAxis(op.getAxis(), type.getRank()) || !type.getElementType().isF32())
      return failure();
    Value real = withoutUnitDim(op.getInputs()[0]), imag = withoutUnitDim(op.getInputs()[1]);
    auto sub = producer<slm::SubOp>(real);
    auto add = producer<slm::AddOp>(imag);
    if (!sub || !add)
      return failure();
    // re * cos - im * sin
    Value pairs, cos, sin;
    auto product = [](Value v, auto &&f) {
      auto mul = producer<slm::MulOp>(v);
      return mul && eitherOrder(mul.getLhs(), mul.getRhs(), f);
    };
    bool matched = product(sub.getLhs(), [&](Value re, Value c) {
      return product(sub.getRhs(), [&](Value im, Value s) {
        Value p = pairComponent(re, 0);
        if (!p || pairComponent(im, 1) != p)
          return false;
        pairs = p, cos = c, sin = s;
        Value re0 = re, im0 = im;
        // re * sin + im * cos
        return eitherOrder(add.getLhs(), add.getRhs(), [&](Value a, Value b) {
          return product(a, [&](Value r, Value s2) { return r == re0 && s2 == sin; }) &&
                 product(b, [&](Value i, Value c2) { return i == im0 && c2 == cos; });
        });
      });
    });
    if (!matched || tensorType(pairs) != type)
      return failure();
    SmallVector<int64_t> headShape(type.getShape().drop_back());
    headShape.back() *= 2;
    auto xType = RankedTensorType::get(headShape, type.getElementType());
    if (xType.getNumDynamicDims() > 1)
      return failure();
    auto anglesOf = RankedTensorType::get(type.getShape().drop_back(), type.getElementType());
    auto plan = planRotary(xType, cos, sin, anglesOf, slm::RotaryLayout::interleaved,
                           TableColumns::OnePerPair, evaluator);
    if (!plan)
      return failure();
    if (std::optional<int64_t> positions = tableLength(cos))
      recordPositions(op, *positions);
    replaceByRotary(rewriter, op, reshapeTo(rewriter, op.getLoc(), pairs, xType), *plan,
                    evaluator.inputs());
    return success();
  }

  SequenceEvaluator &evaluator;
};

struct FuseRotaryPass : impl::FuseRotaryBase<FuseRotaryPass> {
  void runOnOperation() override {
    func::FuncOp forward = slm::getForward(getOperation());
    std::optional<GraphInputs> inputs = forward ? GraphInputs::classify(forward) : std::nullopt;
    if (!inputs)
      return; // angles cannot be evaluated without knowing the inputs
    SequenceEvaluator evaluator(forward, *inputs);
    RewritePatternSet patterns(&getContext());
    patterns.add<RotateHalf, InterleavedPairs>(&getContext(), evaluator);
    GreedyRewriteConfig config;
    config.listener = &evaluator;
    if (failed(applyPatternsAndFoldGreedily(forward, std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
} // namespace slmc
