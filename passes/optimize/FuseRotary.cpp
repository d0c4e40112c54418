//===- FuseRotary.cpp - rotary sub-graphs -> slm.rotary -------------------===//
//
// x * cos + rotate_half(x) * sin, with rotate_half(x) = concat(-x2, x1) of the
// two halves of the last dimension, is slm.rotary in the rotate-half layout
// when cos and sin hold cos(p f_i) and sin(p f_i) of every token's position p,
// for frequencies f_i = theta^(-2i / d): whether the graph stores them as
// tables or computes them, the pattern checks the values by evaluating them
// for concrete sequences (SequenceEvaluator), and derives theta. The fused op
// works on [tokens, heads, head_dim]; transposes and reshapes around it put x
// in that layout and back, and cancel with their neighbours later.
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

/// The rows of an evaluated [.., tokens, .., head_dim] table as [tokens][head_dim].
std::optional<std::vector<std::vector<float>>> tableRows(const exec::Tensor &t, int64_t tokens,
                                                        int64_t headDim) {
  if (t.size() != tokens * headDim || t.dim(-1) != headDim || t.dtype() != exec::DType::F32)
    return std::nullopt;
  std::vector<std::vector<float>> rows(tokens, std::vector<float>(headDim));
  for (int64_t p = 0; p < tokens; ++p)
    for (int64_t i = 0; i < headDim; ++i)
      rows[p][i] = t.data<float>()[p * headDim + i];
  return rows;
}

/// The theta for which cos/sin are the rotate-half angles of positions
/// 0 .. tokens-1, checked entry by entry; nullopt when there is none.
std::optional<double> rotateHalfTheta(SequenceEvaluator &evaluator, Value cos, Value sin,
                                      int64_t headDim) {
  constexpr int64_t kTokens = 6;
  auto c = evaluator.evaluate(cos, kTokens, 0), s = evaluator.evaluate(sin, kTokens, 0);
  if (!c || !s)
    return std::nullopt;
  auto cosRows = tableRows(*c, kTokens, headDim), sinRows = tableRows(*s, kTokens, headDim);
  if (!cosRows || !sinRows)
    return std::nullopt;
  int64_t half = headDim / 2;
  // Position 1 holds the frequencies themselves (all at most 1 radian).
  std::vector<double> frequency(half);
  for (int64_t i = 0; i < half; ++i)
    frequency[i] = std::atan2((*sinRows)[1][i], (*cosRows)[1][i]);
  if (std::abs(frequency[0] - 1.0) > 1e-5 || half < 2 || frequency[1] <= 0)
    return std::nullopt;
  auto matches = [&](double theta) {
    for (int64_t p = 0; p < kTokens; ++p)
      for (int64_t i = 0; i < headDim; ++i) {
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
  if (matches(rounded))
    return rounded;
  return matches(fitted) ? std::optional<double>(fitted) : std::nullopt;
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
    if (constantOf(table) && tensorType(table).getRank() == 2 &&
        tensorType(table).getElementType().isF32())
      return tensorType(table).getDimSize(0);
  }
  return std::nullopt;
}

struct RotateHalf : OpRewritePattern<slm::AddOp> {
  RotateHalf(MLIRContext *context, SequenceEvaluator &evaluator)
      : OpRewritePattern(context), evaluator(evaluator) {}

  LogicalResult matchAndRewrite(slm::AddOp op, PatternRewriter &rewriter) const override {
    auto type = tensorType(op.getResult());
    if (type.getRank() < 3 || !type.getElementType().isF32())
      return failure();
    int64_t headDim = type.getShape().back();
    if (ShapedType::isDynamic(headDim) || headDim % 2)
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
    if (!matched || tensorType(cos) != tensorType(sin))
      return failure();
    // The token axis of x: where the angle tables, right-aligned, are not 1.
    auto angles = tensorType(cos);
    if (angles.getRank() < 2)
      return failure();
    int64_t offset = type.getRank() - angles.getRank();
    std::optional<int64_t> tokenAxis;
    for (int64_t i = 0; i + 1 < angles.getRank(); ++i)
      if (angles.getDimSize(i) != 1) {
        if (tokenAxis)
          return failure();
        tokenAxis = i + offset;
      }
    if (offset < 0 || !tokenAxis || angles.getShape().back() != headDim)
      return failure();
    // Every other dimension of x but the last is a head: all static.
    SmallVector<int64_t> permutation{*tokenAxis};
    int64_t heads = 1;
    for (int64_t i = 0; i + 1 < type.getRank(); ++i)
      if (i != *tokenAxis) {
        if (type.isDynamicDim(i))
          return failure();
        permutation.push_back(i);
        heads *= type.getDimSize(i);
      }
    permutation.push_back(type.getRank() - 1);
    std::optional<double> theta = rotateHalfTheta(evaluator, cos, sin, headDim);
    if (!theta)
      return failure();
    if (std::optional<int64_t> positions = tableLength(cos))
      recordPositions(op, *positions);

    Location loc = op.getLoc();
    Value xt = transposeBy(rewriter, loc, x, permutation);
    auto tokensFirst = tensorType(xt);
    auto blocks = RankedTensorType::get({tokensFirst.getDimSize(0), heads, headDim},
                                        type.getElementType());
    Value rotated = rewriter.create<slm::RotaryOp>(
        loc, blocks, reshapeTo(rewriter, loc, xt, blocks), indexConstant(rewriter, loc, 0),
        rewriter.getF64FloatAttr(*theta),
        slm::RotaryLayoutAttr::get(getContext(), slm::RotaryLayout::rotate_half), nullptr);
    SmallVector<int64_t> inverse(permutation.size());
    for (auto [i, p] : llvm::enumerate(permutation))
      inverse[p] = i;
    rewriter.replaceOp(op, transposeBy(rewriter, loc, reshapeTo(rewriter, loc, rotated, tokensFirst),
                                       inverse));
    return success();
  }

  /// The table of angles ends at `positions`: so does the model. (The
  /// contract is the module's; no pattern here reads it.)
  static void recordPositions(Operation *op, int64_t positions) {
    auto module = op->getParentOfType<ModuleOp>();
    slm::ModelAttr model = slm::getModel(module);
    if (!model || (model->maxPositions > 0 && model->maxPositions <= positions))
      return;
    slm::ModelContract contract = *model;
    contract.maxPositions = positions;
    slm::setModel(module, contract);
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
    patterns.add<RotateHalf>(&getContext(), evaluator);
    GreedyRewriteConfig config;
    config.listener = &evaluator;
    if (failed(applyPatternsAndFoldGreedily(forward, std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
} // namespace slmc
