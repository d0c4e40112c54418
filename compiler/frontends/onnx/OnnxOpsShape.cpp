//===- OnnxOpsShape.cpp - ONNX operators that change shapes ---------------===//
//
// Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Expand and
// Tile. Result types come from what is known of the shape operands, so that
// static dimensions survive Shape -> Gather -> Concat -> Reshape chains.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/OnnxConverters.h"

#include "dialects/slm/IR/SlmOps.h"

#include <numeric>

using namespace mlir;
using llvm::Expected;

namespace slmc::onnx_import {
namespace {

constexpr int64_t kDynamic = ShapedType::kDynamic;

/// The known values of a 1-D shape operand, or as many unknowns as it has
/// elements; null when even its length is unknown (the result's rank would
/// be too).
std::optional<KnownInts> shapeOperand(Node &node, Value shape) {
  RankedTensorType type = tensorType(shape);
  if (type.getRank() != 1 || type.isDynamicDim(0))
    return std::nullopt;
  if (auto known = node.known(shape))
    return known;
  KnownInts unknown;
  unknown.values.resize(type.getDimSize(0));
  return unknown;
}

/// Carries what is known of a rank <= 1 tensor through an op that keeps
/// its elements in order (reshape, squeeze, unsqueeze).
std::optional<KnownInts> relabel(Node &node, Value input, int64_t resultRank) {
  auto known = node.known(input);
  if (!known || resultRank > 1 || (resultRank == 0 && known->values.size() != 1))
    return std::nullopt;
  known->scalar = resultRank == 0;
  return known;
}

llvm::Error convertShape(Node &node) {
  std::optional<int64_t> end;
  if (node.hasAttr("end"))
    end = node.attrInt("end", 0);
  SLMC_TRY(Value shape, node.shapeOf(node.input(0), node.attrInt("start", 0), end));
  node.setOutput(0, shape);
  return llvm::Error::success();
}

llvm::Error convertSize(Node &node) {
  RankedTensorType type = tensorType(node.input(0));
  if (type.hasStaticShape()) {
    node.setOutput(0, node.intConstant({type.getNumElements()}, /*scalar=*/true));
    return llvm::Error::success();
  }
  SLMC_TRY(Value shape, node.shapeOf(node.input(0)));
  SmallVector<int64_t> axes = {0};
  SLMC_TRY(Value size,
           node.make<slm::ReduceProdOp>(shape, node.builder().getDenseI64ArrayAttr(axes),
                                        node.builder().getBoolAttr(false)));
  node.setOutput(0, size);
  return llvm::Error::success();
}

Expected<Value> reshape(Node &node, Value input, Value shape, bool allowZero) {
  RankedTensorType type = tensorType(input);
  auto target = shapeOperand(node, shape);
  if (!target)
    return node.unsupported("the target shape's length is only known at run time");
  SmallVector<int64_t> dims;
  std::optional<size_t> inferred;
  for (auto [i, value] : llvm::enumerate(target->values)) {
    if (!value) {
      dims.push_back(kDynamic);
    } else if (*value == -1) {
      if (inferred)
        return node.invalid("the target shape has more than one -1");
      inferred = i;
      dims.push_back(kDynamic);
    } else if (*value == 0 && !allowZero) {
      if (static_cast<int64_t>(i) >= type.getRank())
        return node.invalid("a 0 in the target shape has no input dimension to copy");
      dims.push_back(type.getDimSize(i));
    } else if (*value < 0) {
      return node.invalid(llvm::formatv("invalid target dimension {0}", *value).str());
    } else {
      dims.push_back(*value);
    }
  }
  if (inferred && type.hasStaticShape()) {
    int64_t rest = 1;
    bool restStatic = true;
    for (auto [i, d] : llvm::enumerate(dims))
      if (i != *inferred) {
        restStatic &= d != kDynamic;
        rest *= d == kDynamic ? 1 : d;
      }
    if (restStatic && rest != 0) {
      if (type.getNumElements() % rest)
        return node.invalid(llvm::formatv("cannot reshape {0} elements into blocks of {1}",
                                          type.getNumElements(), rest)
                                .str());
      dims[*inferred] = type.getNumElements() / rest;
    }
  }
  RankedTensorType resultType = type.clone(dims);
  return node.withKnown(relabel(node, input, resultType.getRank()), type.getElementType(), [&] {
    return node.makeTyped<slm::ReshapeOp>(resultType, input, shape, allowZero);
  });
}

llvm::Error convertReshape(Node &node) {
  bool allowZero = node.opset() >= 14 && node.attrInt("allowzero", 0) != 0;
  SLMC_TRY(Value result, reshape(node, node.input(0), node.input(1), allowZero));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertFlatten(Node &node) {
  Value input = node.input(0);
  RankedTensorType type = tensorType(input);
  int64_t rank = type.getRank();
  int64_t axis = node.attrInt("axis", 1);
  if (axis < -rank || axis > rank)
    return node.invalid(llvm::formatv("axis {0} is out of range for rank {1}", axis, rank).str());
  if (axis < 0)
    axis += rank;
  auto product = [](ArrayRef<int64_t> dims) -> int64_t {
    if (llvm::is_contained(dims, kDynamic))
      return kDynamic;
    return std::accumulate(dims.begin(), dims.end(), int64_t{1}, std::multiplies<>());
  };
  int64_t outer = product(type.getShape().take_front(axis));
  int64_t inner = product(type.getShape().drop_front(axis));
  Value shape;
  if (outer != kDynamic || inner != kDynamic) {
    shape = node.intConstant({outer == kDynamic ? -1 : outer, inner == kDynamic ? -1 : inner});
  } else {
    // Both sides dynamic: multiply the dimensions out at run time.
    SmallVector<Value, 2> sides;
    for (auto [start, end] : {std::pair{int64_t{0}, axis}, std::pair{axis, rank}}) {
      SLMC_TRY(Value dims, node.shapeOf(input, start, end));
      SmallVector<int64_t> axes = {0};
      SLMC_TRY(Value side,
               node.make<slm::ReduceProdOp>(dims, node.builder().getDenseI64ArrayAttr(axes),
                                            node.builder().getBoolAttr(true)));
      sides.push_back(side);
    }
    SLMC_TRY(shape, concat(node, sides, 0));
  }
  SLMC_TRY(Value result, reshape(node, input, shape, /*allowZero=*/false));
  node.setOutput(0, result);
  return llvm::Error::success();
}

/// The axes of Squeeze/Unsqueeze: an input from opset 13 on.
Expected<std::optional<SmallVector<int64_t>>> axesInput(Node &node) {
  Value axes = node.input(1);
  if (!axes)
    return std::optional<SmallVector<int64_t>>();
  auto values = node.constantInts(axes);
  if (!values)
    return node.unsupported("the axes are only known at run time");
  return std::optional<SmallVector<int64_t>>(std::move(*values));
}

llvm::Error convertSqueeze(Node &node) {
  Value input = node.input(0);
  RankedTensorType type = tensorType(input);
  SLMC_TRY(auto axes, axesInput(node));
  if (!axes) {
    // Without axes every size-1 dimension goes, which needs static sizes.
    axes.emplace();
    for (int64_t i = 0; i < type.getRank(); ++i) {
      if (type.isDynamicDim(i))
        return node.unsupported("squeezing without axes needs static dimensions");
      if (type.getDimSize(i) == 1)
        axes->push_back(i);
    }
  }
  auto attr = node.builder().getDenseI64ArrayAttr(*axes);
  int64_t resultRank = type.getRank() - static_cast<int64_t>(axes->size());
  SLMC_TRY(Value result, node.withKnown(relabel(node, input, resultRank), type.getElementType(),
                                        [&] { return node.make<slm::SqueezeOp>(input, attr); }));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertUnsqueeze(Node &node) {
  Value input = node.input(0);
  SLMC_TRY(auto axes, axesInput(node));
  if (!axes)
    return node.invalid("Unsqueeze needs axes");
  auto attr = node.builder().getDenseI64ArrayAttr(*axes);
  RankedTensorType type = tensorType(input);
  int64_t resultRank = type.getRank() + static_cast<int64_t>(axes->size());
  SLMC_TRY(Value result, node.withKnown(relabel(node, input, resultRank), type.getElementType(),
                                        [&] { return node.make<slm::UnsqueezeOp>(input, attr); }));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertTranspose(Node &node) {
  Value input = node.input(0);
  int64_t rank = tensorType(input).getRank();
  SmallVector<int64_t> permutation;
  if (auto perm = node.attrInts("perm")) {
    permutation = *perm;
  } else {
    for (int64_t i = rank - 1; i >= 0; --i)
      permutation.push_back(i);
  }
  SLMC_TRY(Value result,
           node.make<slm::TransposeOp>(input, node.builder().getDenseI64ArrayAttr(permutation)));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertExpand(Node &node) {
  SLMC_TRY(Value result, expand(node, node.input(0), node.input(1)));
  node.setOutput(0, result);
  return llvm::Error::success();
}

/// Tile as unsqueeze -> expand -> reshape: [d0, d1] repeated [r0, r1] is
/// [1, d0, 1, d1] expanded to [r0, d0, r1, d1], then merged pairwise.
llvm::Error convertTile(Node &node) {
  Value input = node.input(0);
  RankedTensorType type = tensorType(input);
  int64_t rank = type.getRank();
  auto repeats = node.constantInts(node.input(1));
  if (!repeats)
    return node.unsupported("the repeats are only known at run time");
  if (static_cast<int64_t>(repeats->size()) != rank)
    return node.invalid("repeats must have one entry per input dimension");
  SmallVector<int64_t> evenAxes, expanded;
  for (int64_t i = 0; i < rank; ++i) {
    evenAxes.push_back(2 * i);
    expanded.append({(*repeats)[i], 1});
  }
  SLMC_TRY(Value spread,
           node.make<slm::UnsqueezeOp>(input, node.builder().getDenseI64ArrayAttr(evenAxes)));
  SLMC_TRY(Value tiled, expand(node, spread, node.intConstant(expanded)));
  SLMC_TRY(Value dims, node.shapeOf(input));
  SLMC_TRY(Value target, arith(node, Arith::Mul, dims, node.intConstant(*repeats)));
  SLMC_TRY(Value result, reshape(node, tiled, target, /*allowZero=*/true));
  node.setOutput(0, result);
  return llvm::Error::success();
}

/// DepthToSpace and SpaceToDepth move blocks between the channels and the
/// spatial dimensions of [N, C, H, W]: reshape to 6-d, permute, reshape back.
/// The batch stays dynamic through reshape's 0 (copy that dimension).
llvm::Error convertBlockShuffle(Node &node) {
  Value input = node.input(0);
  RankedTensorType type = tensorType(input);
  int64_t b = node.attrInt("blocksize", 0);
  if (type.getRank() != 4 || b <= 0)
    return node.invalid("needs a [N, C, H, W] input and a positive blocksize");
  if (type.isDynamicDim(1) || type.isDynamicDim(2) || type.isDynamicDim(3))
    return node.unsupported("needs static channel and spatial dimensions");
  int64_t c = type.getDimSize(1), h = type.getDimSize(2), w = type.getDimSize(3);
  SmallVector<int64_t> blocks, permutation, result;
  if (node.opType() == "SpaceToDepth") {
    if (h % b || w % b)
      return node.invalid("the spatial dimensions must be multiples of the blocksize");
    blocks = {0, c, h / b, b, w / b, b};
    permutation = {0, 3, 5, 1, 2, 4};
    result = {0, c * b * b, h / b, w / b};
  } else {
    if (c % (b * b))
      return node.invalid("the channels must be a multiple of blocksize^2");
    bool crd = node.attrString("mode", "DCR") == "CRD";
    blocks = crd ? SmallVector<int64_t>{0, c / (b * b), b, b, h, w}
                 : SmallVector<int64_t>{0, b, b, c / (b * b), h, w};
    permutation =
        crd ? SmallVector<int64_t>{0, 1, 4, 2, 5, 3} : SmallVector<int64_t>{0, 3, 4, 1, 5, 2};
    result = {0, c / (b * b), h * b, w * b};
  }
  SLMC_TRY(Value split, reshape(node, input, node.intConstant(blocks), /*allowZero=*/false));
  SLMC_TRY(Value moved,
           node.make<slm::TransposeOp>(split, node.builder().getDenseI64ArrayAttr(permutation)));
  SLMC_TRY(Value merged, reshape(node, moved, node.intConstant(result), /*allowZero=*/false));
  node.setOutput(0, merged);
  return llvm::Error::success();
}

const OpConverter kConverters[] = {
    {"DepthToSpace", convertBlockShuffle, 1},
    {"SpaceToDepth", convertBlockShuffle, 1},
    {"Shape", convertShape, 1},
    {"Size", convertSize, 1},
    {"Reshape", convertReshape, 2},
    {"Flatten", convertFlatten, 1},
    {"Squeeze", convertSqueeze, 1},
    {"Unsqueeze", convertUnsqueeze, 1},
    {"Transpose", convertTranspose, 1},
    {"Expand", convertExpand, 2},
    {"Tile", convertTile, 2},
};

} // namespace

Expected<Value> expand(Node &node, Value input, Value shape) {
  RankedTensorType type = tensorType(input);
  auto target = shapeOperand(node, shape);
  if (!target)
    return node.unsupported("the target shape's length is only known at run time");
  int64_t rank = std::max<int64_t>(type.getRank(), target->values.size());
  int64_t inputOffset = rank - type.getRank();
  int64_t targetOffset = rank - target->values.size();
  SmallVector<int64_t> dims;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t in = i >= inputOffset ? type.getDimSize(i - inputOffset) : 1;
    std::optional<int64_t> want =
        i >= targetOffset ? target->values[i - targetOffset] : std::optional<int64_t>(1);
    if (want && *want < 0)
      return node.invalid(llvm::formatv("cannot expand to a negative size {0}", *want).str());
    if (!want) {
      // A dimension other than 1 can only be kept.
      dims.push_back(in != kDynamic && in != 1 ? in : kDynamic);
    } else if (*want == 1 || in == *want) {
      dims.push_back(in);
    } else if (in == 1 || in == kDynamic) {
      dims.push_back(*want);
    } else {
      return node.invalid(
          llvm::formatv("cannot expand dimension {0} of size {1} to {2}", i, in, *want).str());
    }
  }
  return node.makeTyped<slm::ExpandOp>(type.clone(dims), input, shape);
}

Expected<Value> shapeWithDim(Node &node, Value input, int64_t axis, int64_t size) {
  int64_t rank = tensorType(input).getRank();
  SmallVector<Value, 3> pieces;
  if (axis > 0) {
    SLMC_TRY(Value before, node.shapeOf(input, 0, axis));
    pieces.push_back(before);
  }
  pieces.push_back(node.intConstant({size}));
  if (axis + 1 < rank) {
    SLMC_TRY(Value after, node.shapeOf(input, axis + 1));
    pieces.push_back(after);
  }
  return concat(node, pieces, 0);
}

ArrayRef<OpConverter> shapeConverters() { return kConverters; }

} // namespace slmc::onnx_import
