//===- OnnxOpsData.cpp - ONNX operators that select and combine data ------===//
//
// Concat, Split, Slice, Pad, Gather, GatherElements, GatherND and Trilu.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/OnnxConverters.h"

#include "dialects/slm/IR/SlmOps.h"

#include <limits>

using namespace mlir;
using llvm::Expected;

namespace slmc::onnx_import {
namespace {

constexpr int64_t kDynamic = ShapedType::kDynamic;
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

/// Which elements of a dimension an ONNX slice selects.
struct SliceRange {
  int64_t start = 0;
  int64_t step = 1;
  int64_t length = 0;
};

/// ONNX Slice's clamping: bounds past either end select up to that end.
SliceRange sliceRange(int64_t dim, int64_t start, int64_t end, int64_t step) {
  SliceRange range;
  range.step = step;
  if (dim == 0)
    return range;
  auto wrap = [&](int64_t v) { return v < 0 ? v + dim : v; };
  if (step > 0) {
    int64_t s = std::clamp<int64_t>(wrap(start), 0, dim);
    int64_t e = std::clamp<int64_t>(wrap(end), 0, dim);
    range.start = s;
    range.length = e > s ? (e - s - 1) / step + 1 : 0;
  } else {
    int64_t s = std::clamp<int64_t>(wrap(start), 0, dim - 1);
    int64_t e = std::clamp<int64_t>(wrap(end), -1, dim - 1);
    int64_t stride = step == std::numeric_limits<int64_t>::min() ? kInt64Max : -step;
    range.start = s;
    range.length = s > e ? (s - e - 1) / stride + 1 : 0;
  }
  return range;
}

std::optional<int64_t> knownAt(const std::optional<KnownInts> &known, size_t i) {
  if (!known || i >= known->values.size())
    return std::nullopt;
  return known->values[i];
}

Expected<Value> buildSlice(Node &node, Value data, Value starts, Value ends, Value axes,
                           Value steps) {
  RankedTensorType type = tensorType(data);
  int64_t rank = type.getRank();
  int64_t count = tensorType(starts).getDimSize(0);
  if (count == kDynamic)
    return node.unsupported("the number of sliced axes is only known at run time");
  if (!axes) {
    SmallVector<int64_t> all;
    for (int64_t i = 0; i < count; ++i)
      all.push_back(i);
    axes = node.intConstant(all);
  }
  if (!steps)
    steps = node.intConstant(SmallVector<int64_t>(count, 1));

  auto knownStarts = node.known(starts), knownEnds = node.known(ends),
       knownSteps = node.known(steps);
  auto knownAxes = node.constantInts(axes);
  auto dataValues = node.known(data);
  SmallVector<int64_t> dims(type.getShape());
  std::optional<KnownInts> values;
  if (!knownAxes) {
    dims.assign(rank, kDynamic);
  } else {
    for (auto [i, axis] : llvm::enumerate(*knownAxes)) {
      auto normalized = slm::normalizeAxis(axis, rank);
      if (!normalized)
        return node.invalid(llvm::formatv("axis {0} is out of range", axis).str());
      auto start = knownAt(knownStarts, i), end = knownAt(knownEnds, i),
           step = knownAt(knownSteps, i);
      if (step && *step == 0)
        return node.invalid("slice steps must not be 0");
      if (!start || !end || !step || type.isDynamicDim(*normalized)) {
        dims[*normalized] = kDynamic;
        continue;
      }
      SliceRange range = sliceRange(type.getDimSize(*normalized), *start, *end, *step);
      dims[*normalized] = range.length;
      if (dataValues && !dataValues->scalar && *normalized == 0) {
        values.emplace();
        for (int64_t k = 0; k < range.length; ++k)
          values->values.push_back(dataValues->values[range.start + k * range.step]);
      }
    }
  }
  return node.withKnown(values, type.getElementType(), [&] {
    return node.makeTyped<slm::SliceOp>(type.clone(dims), data, starts, ends, axes, steps);
  });
}

llvm::Error convertSlice(Node &node) {
  SLMC_TRY(Value result, buildSlice(node, node.input(0), node.input(1), node.input(2),
                                    node.input(3), node.input(4)));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertConcat(Node &node) {
  if (!node.hasAttr("axis"))
    return node.invalid("Concat needs an axis");
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < node.numInputs(); ++i)
    if (Value input = node.input(i))
      inputs.push_back(input);
  SLMC_TRY(Value result, concat(node, inputs, node.attrInt("axis", 0)));
  node.setOutput(0, result);
  return llvm::Error::success();
}

/// Equal pieces of a dimension only known at run time: piece i is
/// [i * chunk, (i + 1) * chunk) with chunk = ceil(dim / parts).
Expected<SmallVector<Value>> splitDynamic(Node &node, Value input, int64_t axis, int64_t parts) {
  SLMC_TRY(Value dim, node.shapeOf(input, axis, axis + 1));
  SLMC_TRY(Value roundedUp, arith(node, Arith::Add, dim, node.intConstant({parts - 1})));
  SLMC_TRY(Value chunk, arith(node, Arith::Div, roundedUp, node.intConstant({parts})));
  SmallVector<Value> pieces;
  for (int64_t i = 0; i < parts; ++i) {
    SLMC_TRY(Value start, arith(node, Arith::Mul, chunk, node.intConstant({i})));
    SLMC_TRY(Value end, arith(node, Arith::Mul, chunk, node.intConstant({i + 1})));
    SLMC_TRY(Value piece,
             buildSlice(node, input, start, end, node.intConstant({axis}), node.intConstant({1})));
    pieces.push_back(piece);
  }
  return pieces;
}

llvm::Error convertSplit(Node &node) {
  Value input = node.input(0);
  RankedTensorType type = tensorType(input);
  auto axis = slm::normalizeAxis(node.attrInt("axis", 0), type.getRank());
  if (!axis)
    return node.invalid("the split axis is out of range");
  unsigned outputs = node.numOutputs();
  SmallVector<int64_t> sizes;
  if (Value split = node.input(1)) {
    auto values = node.constantInts(split);
    if (!values)
      return node.unsupported("the split sizes are only known at run time");
    sizes = *values;
  } else {
    int64_t parts = node.opset() >= 18 ? node.attrInt("num_outputs", outputs) : outputs;
    if (parts <= 0)
      return node.invalid("Split needs at least one output");
    if (type.isDynamicDim(*axis)) {
      SLMC_TRY(auto pieces, splitDynamic(node, input, *axis, parts));
      for (auto [i, piece] : llvm::enumerate(pieces))
        if (i < outputs)
          node.setOutput(i, piece);
      return llvm::Error::success();
    }
    // From opset 18 the last piece may be smaller; before, pieces are equal.
    int64_t dim = type.getDimSize(*axis);
    int64_t chunk = (dim + parts - 1) / parts;
    for (int64_t i = 0; i < parts; ++i)
      sizes.push_back(std::clamp<int64_t>(dim - i * chunk, 0, chunk));
  }
  if (sizes.size() != outputs)
    return node.invalid(
        llvm::formatv("{0} split sizes for {1} outputs", sizes.size(), outputs).str());
  SLMC_TRY(auto pieces,
           node.makeMany<slm::SplitOp>(sizes.size(), input, node.builder().getI64IntegerAttr(*axis),
                                       node.builder().getDenseI64ArrayAttr(sizes)));
  for (auto [i, piece] : llvm::enumerate(pieces))
    node.setOutput(i, piece);
  return llvm::Error::success();
}

/// Pad: each padded axis becomes a concat of the borders and the tensor;
/// negative pads crop first.
llvm::Error convertPad(Node &node) {
  Value result = node.input(0);
  RankedTensorType type = tensorType(result);
  int64_t rank = type.getRank();
  auto pads = node.constantInts(node.input(1));
  if (!pads)
    return node.unsupported("the pads are only known at run time");
  SmallVector<int64_t> axes;
  if (Value axesInput = node.input(3)) {
    auto values = node.constantInts(axesInput);
    if (!values)
      return node.unsupported("the axes are only known at run time");
    for (int64_t axis : *values) {
      auto normalized = slm::normalizeAxis(axis, rank);
      if (!normalized)
        return node.invalid(llvm::formatv("axis {0} is out of range", axis).str());
      axes.push_back(*normalized);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  if (pads->size() != 2 * axes.size())
    return node.invalid("pads must hold a begin and an end for every axis");
  std::string mode = node.attrString("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect" && mode != "wrap")
    return node.unsupported("pad mode \"" + mode + "\"");
  Value padValue = node.input(2);
  if (!padValue)
    padValue = node.scalarConstant(type.getElementType(), 0);

  for (auto [i, axis] : llvm::enumerate(axes)) {
    int64_t before = (*pads)[i], after = (*pads)[i + axes.size()];
    if (before < 0 || after < 0) {
      SLMC_TRY(result, sliceAxis(node, result, axis, before < 0 ? -before : 0,
                                 after < 0 ? after : kInt64Max));
      before = std::max<int64_t>(before, 0);
      after = std::max<int64_t>(after, 0);
    }
    auto border = [&](int64_t size, bool atStart) -> Expected<Value> {
      if (mode == "reflect")
        return atStart ? sliceAxis(node, result, axis, size, 0, -1)
                       : sliceAxis(node, result, axis, -2, -2 - size, -1);
      if (mode == "wrap")
        return atStart ? sliceAxis(node, result, axis, -size, kInt64Max)
                       : sliceAxis(node, result, axis, 0, size);
      Value fill = padValue;
      if (mode == "edge") {
        SLMC_TRY(fill, atStart ? sliceAxis(node, result, axis, 0, 1)
                               : sliceAxis(node, result, axis, -1, kInt64Max));
      }
      SLMC_TRY(Value shape, shapeWithDim(node, result, axis, size));
      return expand(node, fill, shape);
    };
    SmallVector<Value, 3> pieces;
    if (before > 0) {
      SLMC_TRY(Value piece, border(before, true));
      pieces.push_back(piece);
    }
    pieces.push_back(result);
    if (after > 0) {
      SLMC_TRY(Value piece, border(after, false));
      pieces.push_back(piece);
    }
    if (pieces.size() > 1) {
      SLMC_TRY(result, concat(node, pieces, axis));
    }
  }
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertGather(Node &node) {
  Value data = node.input(0), indices = node.input(1);
  int64_t axis = node.attrInt("axis", 0);
  std::optional<KnownInts> values;
  auto knownData = node.known(data), knownIndices = node.known(indices);
  if (knownData && !knownData->scalar && knownIndices) {
    values.emplace();
    values->scalar = knownIndices->scalar;
    int64_t size = knownData->values.size();
    for (const auto &index : knownIndices->values) {
      if (!index || *index < -size || *index >= size)
        values->values.push_back(std::nullopt);
      else
        values->values.push_back(knownData->values[*index < 0 ? *index + size : *index]);
    }
  }
  SLMC_TRY(Value result, node.withKnown(values, tensorType(data).getElementType(), [&] {
    return node.make<slm::GatherOp>(data, indices, node.builder().getI64IntegerAttr(axis));
  }));
  node.setOutput(0, result);
  return llvm::Error::success();
}

/// GatherND (batch_dims 0): the last index dimension addresses the leading
/// data dimensions, which are flattened so that one gather picks the slices.
llvm::Error convertGatherND(Node &node) {
  Value data = node.input(0), indices = node.input(1);
  if (node.attrInt("batch_dims", 0) != 0)
    return node.unsupported("batch_dims other than 0");
  RankedTensorType dataType = tensorType(data), indexType = tensorType(indices);
  if (indexType.getRank() < 1 || indexType.isDynamicDim(indexType.getRank() - 1))
    return node.unsupported("the index depth must be static");
  int64_t depth = indexType.getShape().back();
  if (depth < 1 || depth > dataType.getRank())
    return node.invalid("the index depth exceeds the data rank");
  ArrayRef<int64_t> addressed = dataType.getShape().take_front(depth);
  if (llvm::is_contained(addressed, kDynamic))
    return node.unsupported("the indexed data dimensions must be static");
  SmallVector<int64_t> strides(depth, 1);
  for (int64_t i = depth - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * addressed[i + 1];
  Type index = indexType.getElementType();
  // Negative indices count from the end of their dimension.
  Value zero = node.scalarConstant(index, 0);
  SLMC_TRY(Value negative, node.make<slm::LessOp>(indices, zero));
  SLMC_TRY(Value wrapped,
           node.make<slm::AddOp>(indices,
                                 node.intConstant(SmallVector<int64_t>(addressed), false, index)));
  SLMC_TRY(Value positive, node.make<slm::WhereOp>(negative, wrapped, indices));
  SLMC_TRY(Value scaled, node.make<slm::MulOp>(positive, node.intConstant(strides, false, index)));
  SLMC_TRY(Value linear,
           node.make<slm::ReduceSumOp>(scaled, node.builder().getDenseI64ArrayAttr({-1}),
                                       node.builder().getBoolAttr(false)));
  int64_t rows = strides.front() * addressed.front();
  SmallVector<Value, 2> flatShape = {node.intConstant({rows})};
  if (depth < dataType.getRank()) {
    SLMC_TRY(Value rest, node.shapeOf(data, depth));
    flatShape.push_back(rest);
  }
  SLMC_TRY(Value shape, concat(node, flatShape, 0));
  SLMC_TRY(Value flat, node.makeTyped<slm::ReshapeOp>(
                           dataType.clone(llvm::to_vector(llvm::concat<const int64_t>(
                               ArrayRef<int64_t>(rows), dataType.getShape().drop_front(depth)))),
                           data, shape, false));
  SLMC_TRY(Value result,
           node.make<slm::GatherOp>(flat, linear, node.builder().getI64IntegerAttr(0)));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertGatherElements(Node &node) {
  SLMC_TRY(Value result, node.make<slm::GatherElementsOp>(
                             node.input(0), node.input(1),
                             node.builder().getI64IntegerAttr(node.attrInt("axis", 0))));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertTrilu(Node &node) {
  Value input = node.input(0), k = node.input(1);
  if (k && tensorType(k).getRank() == 1) {
    SmallVector<int64_t> axes = {0};
    SLMC_TRY(k, node.make<slm::SqueezeOp>(k, node.builder().getDenseI64ArrayAttr(axes)));
  }
  bool upper = node.attrInt("upper", 1) != 0;
  SLMC_TRY(Value result, node.makeTyped<slm::TriluOp>(input.getType(), input, k, upper));
  node.setOutput(0, result);
  return llvm::Error::success();
}

const OpConverter kConverters[] = {
    {"Concat", convertConcat, 1},     {"Split", convertSplit, 1},
    {"Slice", convertSlice, 3},       {"Pad", convertPad, 2},
    {"Gather", convertGather, 2},     {"GatherElements", convertGatherElements, 2},
    {"GatherND", convertGatherND, 2}, {"Trilu", convertTrilu, 1},
};

} // namespace

Expected<Value> concat(Node &node, ArrayRef<Value> inputs, int64_t axis) {
  std::optional<KnownInts> values = KnownInts();
  for (Value input : inputs) {
    auto known = node.known(input);
    if (!known || known->scalar) {
      values.reset();
      break;
    }
    llvm::append_range(values->values, known->values);
  }
  return node.withKnown(values, tensorType(inputs.front()).getElementType(), [&] {
    return node.make<slm::ConcatOp>(ValueRange(inputs), node.builder().getI64IntegerAttr(axis));
  });
}

Expected<Value> sliceAxis(Node &node, Value input, int64_t axis, int64_t start, int64_t end,
                          int64_t step) {
  return buildSlice(node, input, node.intConstant({start}), node.intConstant({end}),
                    node.intConstant({axis}), node.intConstant({step}));
}

ArrayRef<OpConverter> dataConverters() { return kConverters; }

} // namespace slmc::onnx_import
