//===- SlmOps.cpp - verifiers and folders of slm ops ----------------------===//

#include "dialects/slm/IR/SlmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace slm;

namespace {
RankedTensorType ranked(Type type) { return llvm::cast<RankedTensorType>(type); }

/// A dimension check that passes when either side is dynamic.
bool dimsDiffer(int64_t a, int64_t b) {
  return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
}

LogicalResult verifyAxisInRange(Operation *op, int64_t axis, int64_t rank) {
  if (!normalizeAxis(axis, rank))
    return op->emitOpError("axis ") << axis << " is out of range for rank " << rank;
  return success();
}
} // namespace

#define GET_OP_CLASSES
#include "dialects/slm/IR/SlmOps.cpp.inc"

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult CastOp::fold(FoldAdaptor) {
  return getInput().getType() == getType() ? getInput() : nullptr;
}

OpFoldResult ShapeOp::fold(FoldAdaptor) {
  auto input = ranked(getInput().getType());
  if (!input.hasStaticShape())
    return nullptr;
  auto type = ranked(getType());
  int64_t rank = input.getRank();
  int64_t start = static_cast<int64_t>(getStart());
  start = std::clamp(start < 0 ? start + rank : start, int64_t{0}, rank);
  ArrayRef<int64_t> dims = input.getShape().slice(start, type.getDimSize(0));
  return DenseElementsAttr::get(type, dims);
}

LogicalResult SoftmaxOp::verify() {
  return verifyAxisInRange(*this, getAxis(), ranked(getType()).getRank());
}

LogicalResult LogSoftmaxOp::verify() {
  return verifyAxisInRange(*this, getAxis(), ranked(getType()).getRank());
}

LogicalResult RmsNormOp::verify() {
  auto input = ranked(getInput().getType());
  auto weight = ranked(getWeight().getType());
  if (input.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  if (weight.getRank() != 1 || dimsDiffer(weight.getDimSize(0), input.getShape().back()))
    return emitOpError("weight must be 1-d with one entry per feature of the last dimension (")
           << input.getShape().back() << "), got " << weight;
  if (getEpsilon().convertToFloat() < 0)
    return emitOpError("epsilon must be non-negative");
  return success();
}

LogicalResult HadamardOp::verify() {
  auto input = ranked(getInput().getType());
  int64_t block = getBlock();
  if (input.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  if (block < 2 || !llvm::isPowerOf2_64(block))
    return emitOpError("block must be a power of two >= 2, got ") << block;
  int64_t features = input.getShape().back();
  if (!ShapedType::isDynamic(features) && features % block)
    return emitOpError("the last dimension (") << features << ") is not a multiple of block ("
                                               << block << ")";
  auto signs = ranked(getSigns().getType());
  if (dimsDiffer(signs.getDimSize(0), features))
    return emitOpError("signs must have one entry per feature of the last dimension (")
           << features << "), got " << signs;
  return success();
}

LogicalResult AddRmsNormOp::verify() {
  auto input = ranked(getInput().getType());
  auto weight = ranked(getWeight().getType());
  if (input.getRank() < 1 || weight.getRank() != 1 ||
      dimsDiffer(weight.getDimSize(0), input.getShape().back()))
    return emitOpError("weight must be 1-d with one entry per feature of the last dimension (")
           << input.getShape().back() << "), got " << weight;
  if (getEpsilon().convertToFloat() < 0)
    return emitOpError("epsilon must be non-negative");
  return success();
}

LogicalResult ElementwiseOp::verify() {
  auto result = ranked(getType());
  Block &body = getBody().front();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError("body takes ") << body.getNumArguments() << " elements for "
                                      << getInputs().size() << " inputs";
  for (auto [input, arg] : llvm::zip(getInputs(), body.getArguments())) {
    auto type = ranked(input.getType());
    if (arg.getType() != type.getElementType())
      return emitOpError("body argument ") << arg.getArgNumber() << " is " << arg.getType()
                                           << ", the element of " << type;
    bool single = type.hasStaticShape() && type.getNumElements() == 1;
    if (!single && !areCompatibleTensorTypes(TypeRange{type}, TypeRange{result}))
      return emitOpError("input ") << arg.getArgNumber() << " " << type
                                   << " neither has the result's shape " << result
                                   << " nor is a single element";
  }
  for (Operation &op : body.without_terminator())
    if (!llvm::isa<arith::ArithDialect, math::MathDialect>(op.getDialect()))
      return op.emitOpError("may not be in an slm.elementwise body (arith and math ops only)");
  return success();
}

LogicalResult LayerNormOp::verify() {
  auto input = ranked(getInput().getType());
  auto axis = normalizeAxis(getAxis(), input.getRank());
  if (!axis)
    return emitOpError("axis ") << static_cast<int64_t>(getAxis())
                                << " is out of range for rank " << input.getRank();
  // scale and bias broadcast against the normalised trailing dimensions.
  ArrayRef<int64_t> normalized = input.getShape().drop_front(*axis);
  for (Value param : {getScale(), getBias()}) {
    if (!param)
      continue;
    auto shape = ranked(param.getType()).getShape();
    if (shape.size() > normalized.size())
      return emitOpError("scale/bias rank exceeds the normalised dimensions");
    for (auto [p, n] : llvm::zip(llvm::reverse(shape), llvm::reverse(normalized)))
      if (p != 1 && dimsDiffer(p, n))
        return emitOpError("scale/bias shape does not broadcast to the normalised dimensions");
  }
  return success();
}

LogicalResult RotaryOp::verify() {
  auto input = ranked(getInput().getType());
  if (input.getRank() != 3)
    return emitOpError("input must be [tokens, heads, head_dim]");
  int64_t headDim = input.getDimSize(2);
  if (auto rotaryDim = getRotaryDim()) {
    int64_t dim = static_cast<int64_t>(*rotaryDim);
    if (dim <= 0 || dim % 2 || (!ShapedType::isDynamic(headDim) && dim > headDim))
      return emitOpError("rotary_dim ") << dim << " must be even, positive and <= head_dim "
                                        << headDim;
  } else if (!ShapedType::isDynamic(headDim) && headDim % 2) {
    return emitOpError("head_dim ") << headDim << " must be even";
  }
  if (getTheta().convertToDouble() <= 0)
    return emitOpError("theta must be positive");
  if (auto scale = getScale(); scale && !(scale->convertToFloat() > 0))
    return emitOpError("scale must be positive");
  if (Value frequencies = getFrequencies()) {
    auto type = ranked(frequencies.getType());
    int64_t pairs = getRotaryDim() ? static_cast<int64_t>(*getRotaryDim()) / 2
                    : ShapedType::isDynamic(headDim) ? ShapedType::kDynamic
                                                     : headDim / 2;
    if (type.getRank() != 1 || !type.getElementType().isF32() ||
        (!ShapedType::isDynamic(pairs) && type.getDimSize(0) != pairs))
      return emitOpError("frequencies must be a tensor<") << pairs << "xf32> (one per pair)";
  }
  return success();
}

LogicalResult AttentionOp::verify() {
  auto query = ranked(getQuery().getType());
  auto key = ranked(getKey().getType());
  auto value = ranked(getValue().getType());
  if (key.getRank() != 3)
    return emitOpError("key must be [tokens, kv_heads, head_dim]");
  if (dimsDiffer(query.getDimSize(2), key.getDimSize(2)))
    return emitOpError("query and key head_dim differ: ")
           << query.getDimSize(2) << " vs " << key.getDimSize(2);
  for (int64_t i : {0, 1})
    if (dimsDiffer(key.getDimSize(i), value.getDimSize(i)))
      return emitOpError("key and value differ in dimension ") << i;
  int64_t qHeads = query.getDimSize(1), kvHeads = key.getDimSize(1);
  if (!ShapedType::isDynamic(qHeads) && !ShapedType::isDynamic(kvHeads) &&
      (kvHeads == 0 || qHeads % kvHeads))
    return emitOpError("query heads (") << qHeads << ") must be a multiple of key/value heads ("
                                        << kvHeads << ")";
  if (dimsDiffer(query.getDimSize(0), key.getDimSize(0)))
    return emitOpError("query and key must have the same number of tokens");
  if (auto window = getWindow()) {
    if (static_cast<int64_t>(*window) <= 0)
      return emitOpError("window must be positive");
    if (!getCausal())
      return emitOpError("a window needs causal attention");
  }
  if (auto softcap = getSoftcap(); softcap && !(softcap->convertToFloat() > 0.0f))
    return emitOpError("softcap must be positive");
  if (!getKeyCache() || !getValueCache() || !getPosition())
    return getKeyCache() || getValueCache() || getPosition()
               ? emitOpError("needs both caches and the position together")
               : success();
  bool int8 = ranked(getKeyCache().getType()).getElementType().isSignlessInteger(8);
  for (auto [cache, fresh, name] :
       {std::tuple{getKeyCache(), key, "key"}, std::tuple{getValueCache(), value, "value"}}) {
    auto type = ranked(cache.getType());
    if (type.getElementType().isSignlessInteger(8) != int8)
      return emitOpError("the key and value caches must both be f32 or both int8");
    // An int8 cache row: the f32 scale's 4 bytes, then head_dim codes.
    int64_t row = ShapedType::isDynamic(fresh.getDimSize(2))
                      ? ShapedType::kDynamic
                      : fresh.getDimSize(2) + (int8 ? DecoderShape::kInt8CacheScaleBytes : 0);
    if (type.getRank() != 3 || dimsDiffer(type.getDimSize(1), fresh.getDimSize(1)) ||
        dimsDiffer(type.getDimSize(2), row))
      return emitOpError(name) << " cache must be [capacity, kv_heads, "
                               << (int8 ? "4 + head_dim" : "head_dim") << "] matching the "
                               << name << ", got " << type;
  }
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto input = ranked(getInput().getType());
  auto result = ranked(getType());
  auto shape = ranked(getShape().getType());
  if (dimsDiffer(shape.getDimSize(0), result.getRank()))
    return emitOpError("shape has ") << shape.getDimSize(0) << " entries but the result has rank "
                                     << result.getRank();
  if (input.hasStaticShape() && result.hasStaticShape() &&
      input.getNumElements() != result.getNumElements())
    return emitOpError("cannot reshape ") << input << " (" << input.getNumElements()
                                          << " elements) to " << result << " ("
                                          << result.getNumElements() << " elements)";
  return success();
}

LogicalResult SliceOp::verify() {
  auto input = ranked(getInput().getType());
  auto result = ranked(getType());
  if (input.getRank() != result.getRank())
    return emitOpError("result rank ") << result.getRank() << " differs from the input rank "
                                       << input.getRank();
  int64_t n = ranked(getStarts().getType()).getDimSize(0);
  for (Value v : {getEnds(), getAxes(), getSteps()})
    if (dimsDiffer(n, ranked(v.getType()).getDimSize(0)))
      return emitOpError("starts, ends, axes and steps must have the same length");
  return success();
}

LogicalResult FillOp::verify() {
  auto result = ranked(getType());
  auto value = llvm::cast<TypedAttr>(getValue());
  if (value.getType() != result.getElementType())
    return emitOpError("value type ") << value.getType() << " differs from the element type "
                                      << result.getElementType();
  if (dimsDiffer(ranked(getShape().getType()).getDimSize(0), result.getRank()))
    return emitOpError("shape length differs from the result rank");
  return success();
}

LogicalResult TriluOp::verify() {
  if (ranked(getType()).getRank() < 2)
    return emitOpError("input must have rank >= 2");
  return success();
}

//===----------------------------------------------------------------------===//
// Quantized weights
//===----------------------------------------------------------------------===//

LogicalResult DequantizeOp::verify() {
  auto result = ranked(getType());
  if (result.getRank() != 2 || !result.hasStaticShape())
    return emitOpError("result must be a static [rows, columns] matrix");
  int64_t rows = result.getDimSize(0), columns = result.getDimSize(1);
  WeightFormatAttr format = getFormat();
  auto expect = [&](Value v, ArrayRef<int64_t> shape, StringRef what) -> LogicalResult {
    if (ranked(v.getType()).getShape() != shape)
      return emitOpError(what) << " must be [" << shape[0] << ", " << shape[1] << "] for "
                               << format << " and " << result << ", got " << v.getType();
    return success();
  };
  WeightFormat layout = format.layout();
  if (failed(expect(getPacked(), {rows, layout.packedRowBytes(columns)}, "packed codes")) ||
      failed(expect(getScales(), {rows, layout.groupsPerRow(columns)}, "scales")))
    return failure();
  if (format.getSymmetric() == static_cast<bool>(getMinimums()))
    return emitOpError(format.getSymmetric() ? "symmetric formats take no minimums"
                                             : "asymmetric formats need minimums");
  if (getMinimums() &&
      failed(expect(getMinimums(), {rows, layout.groupsPerRow(columns)}, "minimums")))
    return failure();
  if (format.getCodebook() != static_cast<bool>(getCodebook()))
    return emitOpError(format.getCodebook() ? "codebook formats need a codebook"
                                            : "integer formats take no codebook");
  if (getCodebook() &&
      ranked(getCodebook().getType()).getShape() != ArrayRef<int64_t>{layout.codebookEntries()})
    return emitOpError("codebook must be [") << layout.codebookEntries() << "] for " << format
                                              << ", got " << getCodebook().getType();
  return success();
}
