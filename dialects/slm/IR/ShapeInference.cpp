//===- ShapeInference.cpp - result types of slm ops -----------------------===//
//
// Every op whose result type follows from its operands infers it here, so
// that importers build ops without computing shapes themselves and the
// verifier checks what an importer claims.
//
//===----------------------------------------------------------------------===//

#include "dialects/slm/IR/SlmOps.h"
#include "mlir/Dialect/Traits.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace slm;

namespace {
constexpr int64_t kDynamic = ShapedType::kDynamic;

RankedTensorType ranked(Type type) { return llvm::cast<RankedTensorType>(type); }

/// Two dimensions that must agree: the static one wins, a clash is nullopt.
std::optional<int64_t> unifyDim(int64_t a, int64_t b) {
  if (ShapedType::isDynamic(a))
    return b;
  if (ShapedType::isDynamic(b) || a == b)
    return a;
  return std::nullopt;
}
} // namespace

namespace slm {

bool areCompatibleTensorTypes(TypeRange inferred, TypeRange actual) {
  if (inferred.size() != actual.size())
    return false;
  for (auto [a, b] : llvm::zip(inferred, actual)) {
    auto ta = llvm::dyn_cast<RankedTensorType>(a);
    auto tb = llvm::dyn_cast<RankedTensorType>(b);
    if (!ta || !tb || ta.getElementType() != tb.getElementType() ||
        failed(verifyCompatibleShape(ta.getShape(), tb.getShape())))
      return false;
  }
  return true;
}

std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

LogicalResult inferBroadcastType(std::optional<Location> location,
                                 ArrayRef<Type> operands, Type elementType,
                                 SmallVectorImpl<Type> &inferred) {
  SmallVector<int64_t> shape;
  for (Type operand : operands) {
    SmallVector<int64_t> next;
    if (!OpTrait::util::getBroadcastedShape(shape, ranked(operand).getShape(), next))
      return emitOptionalError(location, "operand shapes do not broadcast");
    shape = std::move(next);
  }
  inferred.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

LogicalResult inferReduceType(std::optional<Location> location, Type input,
                              ArrayRef<int64_t> axes, bool keepdims, Type elementType,
                              SmallVectorImpl<Type> &inferred) {
  auto type = ranked(input);
  int64_t rank = type.getRank();
  llvm::SmallBitVector reduced(rank);
  for (int64_t axis : axes) {
    auto normalized = normalizeAxis(axis, rank);
    if (!normalized)
      return emitOptionalError(location, "axis ", axis, " is out of range for rank ", rank);
    if (reduced.test(*normalized))
      return emitOptionalError(location, "axis ", axis, " is listed twice");
    reduced.set(*normalized);
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced.test(i))
      shape.push_back(type.getDimSize(i));
    else if (keepdims)
      shape.push_back(1);
  }
  inferred.push_back(
      RankedTensorType::get(shape, elementType ? elementType : type.getElementType()));
  return success();
}

} // namespace slm

LogicalResult WhereOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                                        Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  return inferBroadcastType(location,
                            {adaptor.getCondition().getType(), adaptor.getOnTrue().getType(),
                             adaptor.getOnFalse().getType()},
                            ranked(adaptor.getOnTrue().getType()).getElementType(), inferred);
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto lhs = ranked(adaptor.getLhs().getType());
  auto rhs = ranked(adaptor.getRhs().getType());
  if (lhs.getRank() < 1 || rhs.getRank() < 1)
    return emitOptionalError(location, "matmul operands must have rank >= 1");
  // numpy: a 1-d lhs is a row vector, a 1-d rhs a column vector; both extra
  // dimensions are dropped from the result.
  SmallVector<int64_t> l(lhs.getShape()), r(rhs.getShape());
  bool lhsVector = l.size() == 1, rhsVector = r.size() == 1;
  if (lhsVector)
    l.insert(l.begin(), 1);
  if (rhsVector)
    r.push_back(1);
  auto k = unifyDim(l.back(), r[r.size() - 2]);
  if (!k)
    return emitOptionalError(location, "matmul contraction dimensions differ: ", l.back(),
                             " vs ", r[r.size() - 2]);
  SmallVector<int64_t> batch;
  if (!OpTrait::util::getBroadcastedShape(ArrayRef(l).drop_back(2), ArrayRef(r).drop_back(2),
                                          batch))
    return emitOptionalError(location, "matmul batch dimensions do not broadcast");
  if (!lhsVector)
    batch.push_back(l[l.size() - 2]);
  if (!rhsVector)
    batch.push_back(r.back());
  inferred.push_back(RankedTensorType::get(batch, lhs.getElementType()));
  return success();
}

LogicalResult LinearOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto input = ranked(adaptor.getInput().getType());
  auto weight = ranked(adaptor.getWeight().getType());
  if (input.getRank() < 1 || weight.getRank() != 2)
    return emitOptionalError(location,
                             "linear takes an input of rank >= 1 and a 2-d weight [out, in]");
  if (!unifyDim(input.getShape().back(), weight.getDimSize(1)))
    return emitOptionalError(location, "linear input has ", input.getShape().back(),
                             " features but the weight expects ", weight.getDimSize(1));
  if (auto bias = adaptor.getBias()) {
    auto biasType = ranked(bias.getType());
    if (biasType.getRank() != 1 || !unifyDim(biasType.getDimSize(0), weight.getDimSize(0)))
      return emitOptionalError(location, "linear bias must be 1-d with one entry per output");
  }
  SmallVector<int64_t> shape(input.getShape());
  shape.back() = weight.getDimSize(0);
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult EmbeddingOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto table = ranked(adaptor.getTable().getType());
  if (table.getRank() != 2)
    return emitOptionalError(location, "embedding table must be 2-d [vocab, hidden]");
  SmallVector<int64_t> shape(ranked(adaptor.getIndices().getType()).getShape());
  shape.push_back(table.getDimSize(1));
  inferred.push_back(RankedTensorType::get(shape, table.getElementType()));
  return success();
}

LogicalResult GatedActivationOp::inferReturnTypes(MLIRContext *,
                                                  std::optional<Location> location,
                                                  Adaptor adaptor,
                                                  SmallVectorImpl<Type> &inferred) {
  auto gate = ranked(adaptor.getGate().getType());
  if (gate.getRank() < 1)
    return emitOptionalError(location, "gated_activation needs a gate of rank >= 1");
  if (Value up = adaptor.getUp()) {
    if (!areCompatibleTensorTypes(gate, up.getType()))
      return emitOptionalError(location, "gated_activation gate ", gate, " and up ",
                               up.getType(), " differ");
    inferred.push_back(gate);
    return success();
  }
  SmallVector<int64_t> shape(gate.getShape());
  if (!ShapedType::isDynamic(shape.back())) {
    if (shape.back() % 2)
      return emitOptionalError(location, "gated_activation of one operand needs an even last "
                               "dimension (gate and up halves), got ", shape.back());
    shape.back() /= 2;
  }
  inferred.push_back(RankedTensorType::get(shape, gate.getElementType()));
  return success();
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto query = ranked(adaptor.getQuery().getType());
  auto value = ranked(adaptor.getValue().getType());
  if (query.getRank() != 3 || value.getRank() != 3)
    return emitOptionalError(location,
                             "attention query/key/value must be [tokens, heads, head_dim]");
  // The output has the query's tokens and heads and the value's head width.
  inferred.push_back(RankedTensorType::get(
      {query.getDimSize(0), query.getDimSize(1), value.getDimSize(2)}, query.getElementType()));
  if (adaptor.getKeyCache()) {
    inferred.push_back(adaptor.getKeyCache().getType());
    inferred.push_back(adaptor.getValueCache().getType());
  }
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto input = ranked(adaptor.getInput().getType());
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  if (static_cast<int64_t>(perm.size()) != input.getRank())
    return emitOptionalError(location, "permutation has ", perm.size(),
                             " entries for a tensor of rank ", input.getRank());
  llvm::SmallBitVector seen(perm.size());
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= input.getRank() || seen.test(p))
      return emitOptionalError(location, "permutation is not a permutation of 0..rank-1");
    seen.set(p);
    shape.push_back(input.getDimSize(p));
  }
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  if (adaptor.getInputs().empty())
    return emitOptionalError(location, "concat needs at least one input");
  auto first = ranked(adaptor.getInputs().front().getType());
  auto axis = normalizeAxis(adaptor.getAxis(), first.getRank());
  if (!axis)
    return emitOptionalError(location, "concat axis ", adaptor.getAxis(),
                             " is out of range for rank ", first.getRank());
  SmallVector<int64_t> shape(first.getShape());
  shape[*axis] = 0;
  for (Value input : adaptor.getInputs()) {
    auto type = ranked(input.getType());
    if (type.getRank() != first.getRank() || type.getElementType() != first.getElementType())
      return emitOptionalError(location, "concat inputs must share rank and element type");
    for (int64_t i = 0; i < type.getRank(); ++i) {
      if (i == *axis) {
        shape[i] = ShapedType::isDynamic(shape[i]) || type.isDynamicDim(i)
                       ? kDynamic
                       : shape[i] + type.getDimSize(i);
      } else if (auto dim = unifyDim(shape[i], type.getDimSize(i))) {
        shape[i] = *dim;
      } else {
        return emitOptionalError(location, "concat inputs differ in dimension ", i);
      }
    }
  }
  inferred.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult SplitOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                                        Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto input = ranked(adaptor.getInput().getType());
  auto axis = normalizeAxis(adaptor.getAxis(), input.getRank());
  if (!axis)
    return emitOptionalError(location, "split axis is out of range");
  int64_t total = 0;
  for (int64_t size : adaptor.getSizes()) {
    if (size < 0)
      return emitOptionalError(location, "split sizes must be non-negative");
    total += size;
    SmallVector<int64_t> shape(input.getShape());
    shape[*axis] = size;
    inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  }
  if (!input.isDynamicDim(*axis) && total != input.getDimSize(*axis))
    return emitOptionalError(location, "split sizes add up to ", total, " but the dimension is ",
                             input.getDimSize(*axis));
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto input = ranked(adaptor.getInput().getType());
  auto indices = ranked(adaptor.getIndices().getType());
  auto axis = normalizeAxis(adaptor.getAxis(), input.getRank());
  if (!axis)
    return emitOptionalError(location, "gather axis is out of range");
  SmallVector<int64_t> shape(input.getShape().take_front(*axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, input.getShape().drop_front(*axis + 1));
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult GatherElementsOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &inferred) {
  auto input = ranked(adaptor.getInput().getType());
  auto indices = ranked(adaptor.getIndices().getType());
  if (input.getRank() != indices.getRank() || !normalizeAxis(adaptor.getAxis(), input.getRank()))
    return emitOptionalError(location, "gather_elements needs indices of the input's rank and an "
                                       "axis in range");
  inferred.push_back(RankedTensorType::get(indices.getShape(), input.getElementType()));
  return success();
}

LogicalResult UnsqueezeOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto input = ranked(adaptor.getInput().getType());
  int64_t rank = input.getRank() + adaptor.getAxes().size();
  llvm::SmallBitVector inserted(rank);
  for (int64_t axis : adaptor.getAxes()) {
    auto normalized = normalizeAxis(axis, rank);
    if (!normalized || inserted.test(*normalized))
      return emitOptionalError(location, "unsqueeze axis ", axis, " is out of range or repeated");
    inserted.set(*normalized);
  }
  SmallVector<int64_t> shape;
  auto next = input.getShape().begin();
  for (int64_t i = 0; i < rank; ++i)
    shape.push_back(inserted.test(i) ? 1 : *next++);
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult SqueezeOp::inferReturnTypes(MLIRContext *, std::optional<Location> location,
                                          Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto input = ranked(adaptor.getInput().getType());
  llvm::SmallBitVector removed(input.getRank());
  for (int64_t axis : adaptor.getAxes()) {
    auto normalized = normalizeAxis(axis, input.getRank());
    if (!normalized || removed.test(*normalized))
      return emitOptionalError(location, "squeeze axis ", axis, " is out of range or repeated");
    if (!input.isDynamicDim(*normalized) && input.getDimSize(*normalized) != 1)
      return emitOptionalError(location, "squeeze axis ", axis, " has size ",
                               input.getDimSize(*normalized), ", not 1");
    removed.set(*normalized);
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < input.getRank(); ++i)
    if (!removed.test(i))
      shape.push_back(input.getDimSize(i));
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult ShapeOp::inferReturnTypes(MLIRContext *context, std::optional<Location> location,
                                        Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  int64_t rank = ranked(adaptor.getInput().getType()).getRank();
  auto clamp = [&](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t{0}, rank); };
  int64_t start = clamp(adaptor.getStart());
  int64_t end = clamp(adaptor.getEnd().value_or(rank));
  inferred.push_back(
      RankedTensorType::get({std::max<int64_t>(end - start, 0)}, IntegerType::get(context, 64)));
  return success();
}
