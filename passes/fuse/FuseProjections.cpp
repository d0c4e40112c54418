//===- FuseProjections.cpp - linears of one input -> one linear -----------===//
//
// The q/k/v projections of attention and the gate/up projections of a gated
// MLP read the same input: one linear with their weights stacked row by row
// computes all of them in one pass over the input, and a split hands each
// reader its columns. Float weights stack as floats; quantized weights stack
// their codes, scales and minimums when they share one format (rows are
// independent in every format), so that quantized models fuse too.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "compiler/weights/WeightBlob.h"
#include "dialects/slm/IR/KernelVariants.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "passes/optimize/Matchers.h"
#include "llvm/ADT/StringExtras.h"

namespace slmc {
#define GEN_PASS_DEF_FUSEPROJECTIONS
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

/// The bytes of a constant as row-major storage (splats expanded); nullopt
/// when they are not at hand (IR printed with its resources elided).
std::optional<std::string> constantBytes(slm::ConstantOp constant) {
  auto type = tensorType(constant.getResult());
  int64_t size = slm::storageBytes(type);
  ElementsAttr value = constant.getValue();
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(value); dense && dense.isSplat()) {
    ArrayRef<char> one = dense.getRawData();
    std::string bytes;
    for (int64_t i = 0; i < type.getNumElements(); ++i)
      bytes.append(one.begin(), one.end());
    return bytes;
  }
  ArrayRef<char> raw = weightBytes(value);
  if (static_cast<int64_t>(raw.size()) != size || type.getElementType().isInteger(1))
    return std::nullopt;
  return std::string(raw.begin(), raw.end());
}

std::string nameOf(slm::ConstantOp constant) {
  if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
    return resource.getRawHandle().getKey().str();
  return "constant";
}

/// "a.q_proj.weight", "a.k_proj.weight" -> "a.{q,k}_proj.weight".
std::string stackedName(ArrayRef<std::string> names) {
  StringRef first = names.front();
  size_t shortest = first.size(), prefix = first.size(), suffix = first.size();
  for (StringRef name : names) {
    shortest = std::min(shortest, name.size());
    size_t p = 0, s = 0;
    while (p < std::min(first.size(), name.size()) && first[p] == name[p])
      ++p;
    while (s < std::min(first.size(), name.size()) &&
           first[first.size() - 1 - s] == name[name.size() - 1 - s])
      ++s;
    prefix = std::min(prefix, p);
    suffix = std::min(suffix, s);
  }
  suffix = std::min(suffix, shortest - std::min(prefix, shortest));
  SmallVector<StringRef> middles;
  for (StringRef name : names)
    middles.push_back(name.drop_front(prefix).drop_back(suffix));
  return (first.take_front(prefix) + "{" + llvm::join(middles, ",") + "}" +
          first.take_back(suffix))
      .str();
}

/// A constant of `type` holding `pieces`' bytes one after the other: a blob
/// named after them, or a dense attribute when they all are dense.
Value stackedConstant(PatternRewriter &rewriter, Location loc, RankedTensorType type,
                      ArrayRef<slm::ConstantOp> pieces) {
  std::string bytes;
  std::vector<std::string> names;
  bool dense = true;
  for (slm::ConstantOp piece : pieces) {
    bytes += *constantBytes(piece);
    names.push_back(nameOf(piece));
    dense &= llvm::isa<DenseElementsAttr>(piece.getValue());
  }
  ArrayRef<char> raw(bytes.data(), bytes.size());
  ElementsAttr value = dense ? ElementsAttr(DenseElementsAttr::getFromRawBuffer(type, raw))
                             : ElementsAttr(copyWeight(type, stackedName(names), raw));
  return rewriter.create<slm::ConstantOp>(loc, value);
}

/// `values`' constants, all present with their bytes at hand, or nothing.
std::optional<SmallVector<slm::ConstantOp>> constantsOf(ArrayRef<Value> values) {
  SmallVector<slm::ConstantOp> constants;
  for (Value v : values) {
    slm::ConstantOp c = constantOf(v);
    if (!c || !constantBytes(c))
      return std::nullopt;
    constants.push_back(c);
  }
  return constants;
}

/// Whether `a` and `b` are the same value or constants with the same bytes.
bool sameConstantValues(Value a, Value b) {
  if (a == b)
    return true;
  slm::ConstantOp ca = constantOf(a), cb = constantOf(b);
  if (!ca || !cb || ca.getType() != cb.getType())
    return false;
  std::optional<std::string> x = constantBytes(ca), y = constantBytes(cb);
  return x && y && *x == *y;
}

/// Stacks tensors of [rows_i, ...] (the same trailing shape) into one.
RankedTensorType stackedType(ArrayRef<Value> values) {
  auto first = tensorType(values.front());
  SmallVector<int64_t> shape(first.getShape());
  shape[0] = 0;
  for (Value v : values)
    shape[0] += tensorType(v).getDimSize(0);
  return RankedTensorType::get(shape, first.getElementType());
}

bool sameTrailingShape(ArrayRef<Value> values) {
  auto first = tensorType(values.front());
  return llvm::all_of(values, [&](Value v) {
    auto t = tensorType(v);
    return t.getElementType() == first.getElementType() && t.getRank() == first.getRank() &&
           t.getShape().drop_front() == first.getShape().drop_front();
  });
}

/// The stacked weight of `linears`, or null when their weights do not stack.
Value stackedWeight(PatternRewriter &rewriter, Location loc, ArrayRef<slm::LinearOp> linears) {
  SmallVector<Value> weights;
  for (slm::LinearOp l : linears)
    weights.push_back(l.getWeight());
  if (!sameTrailingShape(weights))
    return {};
  if (auto floats = constantsOf(weights))
    return stackedConstant(rewriter, loc, stackedType(weights), *floats);
  // Stored at half width: the stored constants stacked, then widened.
  SmallVector<Value> stored;
  for (Value w : weights)
    if (slm::WidenOp widen = slm::widenedWeight(w))
      stored.push_back(widen.getInput());
  if (stored.size() == weights.size()) {
    auto constants = constantsOf(stored);
    if (!constants || !sameTrailingShape(stored))
      return {};
    return rewriter.create<slm::WidenOp>(
        loc, stackedType(weights), stackedConstant(rewriter, loc, stackedType(stored), *constants));
  }
  // Quantized: one format (and one codebook), stacked codes, scales and
  // minimums.
  SmallVector<Value> codes, scales, minimums;
  slm::WeightFormatAttr format;
  Value codebook;
  for (Value w : weights) {
    slm::DequantizeOp dequantize = slm::dequantizedWeight(w);
    if (!dequantize || (format && dequantize.getFormat() != format))
      return {};
    if (dequantize.getCodebook()) {
      if (!codebook)
        codebook = dequantize.getCodebook();
      else if (!sameConstantValues(codebook, dequantize.getCodebook()))
        return {};
    }
    format = dequantize.getFormat();
    codes.push_back(dequantize.getPacked());
    scales.push_back(dequantize.getScales());
    if (dequantize.getMinimums())
      minimums.push_back(dequantize.getMinimums());
  }
  auto codeConstants = constantsOf(codes), scaleConstants = constantsOf(scales);
  auto minimumConstants = constantsOf(minimums);
  if (!codeConstants || !scaleConstants || !minimumConstants)
    return {};
  Value stackedMinimums =
      minimums.empty() ? Value()
                       : stackedConstant(rewriter, loc, stackedType(minimums), *minimumConstants);
  return rewriter.create<slm::DequantizeOp>(
      loc, stackedType(weights), stackedConstant(rewriter, loc, stackedType(codes), *codeConstants),
      stackedConstant(rewriter, loc, stackedType(scales), *scaleConstants), stackedMinimums,
      codebook, format);
}

/// Whether `weight` (a constant, or storage slm.dequantize or slm.widen
/// reads) is read by `reader` alone.
bool readOnlyBy(Value weight, Operation *reader) {
  if (!weight.hasOneUse())
    return false;
  Operation *definer = weight.getDefiningOp();
  return !definer || !llvm::isa<slm::DequantizeOp, slm::WidenOp>(definer) ||
         llvm::all_of(definer->getOperands(), [&](Value storage) { return storage.hasOneUse(); });
}

/// The first of several linears that read the same input (with weights that
/// stack and all or none with a constant bias) -> one linear and a split.
struct StackLinearsOfOneInput : OpRewritePattern<slm::LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(slm::LinearOp op, PatternRewriter &rewriter) const override {
    SmallVector<slm::LinearOp> linears;
    for (Operation *user : op.getInput().getUsers())
      if (auto linear = llvm::dyn_cast<slm::LinearOp>(user);
          linear && linear.getInput() == op.getInput() && linear->getBlock() == op->getBlock() &&
          !llvm::is_contained(linears, linear))
        linears.push_back(linear);
    if (linears.size() < 2)
      return failure();
    llvm::sort(linears, [](slm::LinearOp a, slm::LinearOp b) {
      return a->isBeforeInBlock(b.getOperation());
    });
    if (linears.front() != op)
      return failure(); // the first one of the group fuses it
    // Stacking copies the weights: one that another op reads too (a tied
    // table's class of rows, which an embedding also looks up) would be
    // stored twice.
    if (!llvm::all_of(linears, [](slm::LinearOp l) { return readOnlyBy(l.getWeight(), l); }))
      return failure();
    bool biases = static_cast<bool>(op.getBias());
    SmallVector<Value> biasValues;
    for (slm::LinearOp l : linears) {
      if (static_cast<bool>(l.getBias()) != biases)
        return failure();
      if (biases)
        biasValues.push_back(l.getBias());
    }
    std::optional<SmallVector<slm::ConstantOp>> biasConstants;
    if (biases && !(biasConstants = constantsOf(biasValues)))
      return failure();

    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    Value weight = stackedWeight(rewriter, loc, linears);
    if (!weight)
      return failure();
    Value bias = biases ? stackedConstant(rewriter, loc, stackedType(biasValues), *biasConstants)
                        : Value();
    auto fused = rewriter.create<slm::LinearOp>(loc, op.getInput(), weight, bias);
    SmallVector<int64_t> sizes;
    for (slm::LinearOp l : linears)
      sizes.push_back(tensorType(l.getResult()).getShape().back());
    auto split = rewriter.create<slm::SplitOp>(loc, fused.getResult(), -1, sizes);
    for (auto [l, piece] : llvm::zip(linears, split.getResults()))
      rewriter.replaceOp(l, piece);
    return success();
  }
};

struct FuseProjectionsPass : impl::FuseProjectionsBase<FuseProjectionsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<StackLinearsOfOneInput>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace slmc
