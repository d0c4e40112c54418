//===- SymbolicShapes.cpp - which dynamic dimensions are equal ------------===//

#include "passes/optimize/SymbolicShapes.h"

#include "dialects/slm/IR/SlmOps.h"
#include "mlir/IR/Matchers.h"

#include <algorithm>

using namespace mlir;

namespace slmc {
namespace {

using Dims = SmallVector<SymbolicDim, 6>;

RankedTensorType rankedType(Value v) { return llvm::dyn_cast<RankedTensorType>(v.getType()); }

int64_t normalizedAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

/// The constant integer elements of `v`, or nullopt.
std::optional<SmallVector<int64_t>> constantInts(Value v) {
  DenseIntElementsAttr dense;
  if (!matchPattern(v, m_Constant(&dense)))
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &i : dense)
    values.push_back(i.getSExtValue());
  return values;
}

/// numpy broadcasting of dimensions that must be equal or 1: the result is
/// a symbol only when every entry that is not a static 1 is that symbol (a
/// symbol that happens to be 1 still equals the result).
SymbolicDim broadcastDim(ArrayRef<SymbolicDim> entries) {
  std::optional<SymbolicDim> result;
  for (const SymbolicDim &d : entries) {
    if (d.isStatic() && d.value == 1)
      continue;
    if (d.isStatic())
      return d;
    if (d.isUnknown() || (result && !(*result == d)))
      return SymbolicDim::unknown();
    result = d;
  }
  return result.value_or(SymbolicDim::of(1));
}

Dims broadcast(ArrayRef<const Dims *> operands) {
  size_t rank = 0;
  for (const Dims *d : operands)
    rank = std::max(rank, d->size());
  Dims result;
  for (size_t i = 0; i < rank; ++i) {
    SmallVector<SymbolicDim, 3> entries;
    for (const Dims *d : operands)
      if (i + d->size() >= rank)
        entries.push_back((*d)[i + d->size() - rank]);
    result.push_back(broadcastDim(entries));
  }
  return result;
}

/// Elementwise arithmetic on integer vectors of shapes (x + 0 and x * 1 keep
/// a symbol; two numbers combine).
std::optional<SmallVector<SymbolicDim, 6>> combineElements(Operation *op, const SymbolicShape &lhs,
                                                           const SymbolicShape &rhs) {
  if (!lhs.elements || !rhs.elements)
    return std::nullopt;
  const auto &a = *lhs.elements, &b = *rhs.elements;
  size_t n = std::max(a.size(), b.size());
  if ((a.size() != n && a.size() != 1) || (b.size() != n && b.size() != 1))
    return std::nullopt;
  SmallVector<SymbolicDim, 6> result;
  for (size_t i = 0; i < n; ++i) {
    SymbolicDim x = a[a.size() == 1 ? 0 : i], y = b[b.size() == 1 ? 0 : i];
    SymbolicDim r = SymbolicDim::unknown();
    bool isAdd = llvm::isa<slm::AddOp>(op), isSub = llvm::isa<slm::SubOp>(op),
         isMul = llvm::isa<slm::MulOp>(op), isDiv = llvm::isa<slm::DivOp>(op);
    if (x.isStatic() && y.isStatic()) {
      if (isAdd)
        r = SymbolicDim::of(x.value + y.value);
      else if (isSub)
        r = SymbolicDim::of(x.value - y.value);
      else if (isMul)
        r = SymbolicDim::of(x.value * y.value);
      else if (isDiv && y.value != 0 && x.value % y.value == 0)
        r = SymbolicDim::of(x.value / y.value);
    } else if (y.isStatic() && (((isAdd || isSub) && y.value == 0) ||
                                ((isMul || isDiv) && y.value == 1))) {
      r = x;
    } else if (x.isStatic() && ((isAdd && x.value == 0) || (isMul && x.value == 1))) {
      r = y;
    }
    result.push_back(r);
  }
  return result;
}

/// A product of dimensions: the static factor and the symbols, sorted;
/// nullopt when a factor is unknown.
struct Product {
  int64_t constant = 1;
  SmallVector<int64_t, 4> symbols;
};
std::optional<Product> productOf(ArrayRef<SymbolicDim> dims, std::optional<size_t> skip = {}) {
  Product p;
  for (auto [i, d] : llvm::enumerate(dims)) {
    if (skip && i == *skip)
      continue;
    if (d.isUnknown())
      return std::nullopt;
    if (d.isStatic())
      p.constant *= d.value;
    else
      p.symbols.push_back(d.value);
  }
  llvm::sort(p.symbols);
  return p;
}

/// The dimensions of reshape(input, target): 0 copies, -1 is what the
/// element count leaves once equal symbols cancel.
Dims reshapeDims(const Dims &input, ArrayRef<SymbolicDim> target, bool allowZero) {
  Dims result;
  std::optional<size_t> inferred;
  for (auto [i, t] : llvm::enumerate(target)) {
    if (t.isStatic() && t.value == -1) {
      inferred = i;
      result.push_back(SymbolicDim::unknown());
    } else if (t.isStatic() && t.value == 0 && !allowZero) {
      result.push_back(i < input.size() ? input[i] : SymbolicDim::unknown());
    } else if (t.isStatic() && t.value < 0) {
      result.push_back(SymbolicDim::unknown());
    } else {
      result.push_back(t);
    }
  }
  if (!inferred)
    return result;
  auto in = productOf(input), out = productOf(result, inferred);
  if (!in || !out || out->constant <= 0)
    return result;
  SmallVector<int64_t, 4> rest;
  if (!std::includes(in->symbols.begin(), in->symbols.end(), out->symbols.begin(),
                     out->symbols.end()))
    return result;
  std::set_difference(in->symbols.begin(), in->symbols.end(), out->symbols.begin(),
                      out->symbols.end(), std::back_inserter(rest));
  if (rest.empty() && in->constant % out->constant == 0)
    result[*inferred] = SymbolicDim::of(in->constant / out->constant);
  else if (rest.size() == 1 && in->constant == out->constant)
    result[*inferred] = SymbolicDim{SymbolicDim::Kind::Symbol, rest.front()};
  return result;
}

/// The elements of a slice of a vector with constant bounds (ONNX clamping).
std::optional<SmallVector<SymbolicDim, 6>> sliceElements(ArrayRef<SymbolicDim> elements,
                                                         slm::SliceOp op) {
  auto starts = constantInts(op.getStarts()), ends = constantInts(op.getEnds());
  auto axes = constantInts(op.getAxes()), steps = constantInts(op.getSteps());
  if (!starts || !ends || !axes || !steps || starts->size() != 1 || (*steps)[0] != 1 ||
      normalizedAxis((*axes)[0], 1) != 0)
    return std::nullopt;
  int64_t n = elements.size();
  auto clamp = [n](int64_t v) { return std::clamp(v < 0 ? v + n : v, int64_t{0}, n); };
  int64_t begin = clamp((*starts)[0]), end = clamp((*ends)[0]);
  return SmallVector<SymbolicDim, 6>(elements.begin() + begin,
                                     elements.begin() + std::max(begin, end));
}

} // namespace

RankedTensorType SymbolicShape::refine(RankedTensorType type) const {
  if (static_cast<int64_t>(dims.size()) != type.getRank())
    return type;
  SmallVector<int64_t> shape(type.getShape());
  for (auto [i, d] : llvm::enumerate(dims))
    if (d.isStatic() && d.value >= 0)
      shape[i] = d.value;
  return type.clone(shape);
}

SymbolicShapes::SymbolicShapes(func::FuncOp forward) {
  for (BlockArgument arg : forward.getArguments()) {
    SymbolicShape shape = fromType(arg);
    if (auto type = rankedType(arg))
      for (int64_t d = 0; d < type.getRank(); ++d)
        if (type.isDynamicDim(d))
          shape.dims[d] = SymbolicDim::symbol(arg.getArgNumber(), d);
    shapes_[arg] = std::move(shape);
  }
  for (Operation &op : forward.getBody().front())
    visit(&op);
}

const SymbolicShape &SymbolicShapes::of(Value value) const {
  static const SymbolicShape kNothing;
  auto it = shapes_.find(value);
  return it == shapes_.end() ? kNothing : it->second;
}

SymbolicShape SymbolicShapes::fromType(Value value) const {
  SymbolicShape shape;
  if (auto type = rankedType(value))
    for (int64_t d : type.getShape())
      shape.dims.push_back(ShapedType::isDynamic(d) ? SymbolicDim::unknown() : SymbolicDim::of(d));
  return shape;
}

void SymbolicShapes::visit(Operation *op) {
  if (op->getNumResults() == 0)
    return;
  auto dims = [&](Value v) -> const Dims & { return of(v).dims; };
  auto elements = [&](Value v) -> const std::optional<SmallVector<SymbolicDim, 6>> & {
    return of(v).elements;
  };
  SmallVector<SymbolicShape, 2> results(op->getNumResults());
  SymbolicShape &result = results.front();

  if (auto c = llvm::dyn_cast<slm::ConstantOp>(op)) {
    if (auto values = constantInts(c.getResult()); values && rankedType(c.getResult()).getRank() <= 1) {
      result.elements.emplace();
      for (int64_t v : *values)
        result.elements->push_back(SymbolicDim::of(v));
    }
  } else if (auto shape = llvm::dyn_cast<slm::ShapeOp>(op)) {
    const Dims &in = dims(shape.getInput());
    int64_t rank = in.size();
    int64_t start = std::clamp(normalizedAxis(shape.getStart(), rank), int64_t{0}, rank);
    int64_t end = std::clamp(normalizedAxis(shape.getEnd().value_or(rank), rank), start, rank);
    result.elements.emplace(in.begin() + start, in.begin() + end);
  } else if (op->hasTrait<OpTrait::SameOperandsAndResultType>() ||
             op->hasTrait<OpTrait::SameOperandsAndResultShape>() ||
             llvm::isa<slm::RmsNormOp, slm::LayerNormOp, slm::RotaryOp, slm::TriluOp>(op)) {
    result.dims = dims(op->getOperand(0));
    Type element = rankedType(op->getResult(0)).getElementType();
    if (llvm::isa<slm::CastOp>(op) && element.isInteger() && !element.isInteger(1))
      result.elements = elements(op->getOperand(0));
  } else if (llvm::isa<slm::AddOp, slm::SubOp, slm::MulOp, slm::DivOp, slm::PowOp, slm::MaxOp,
                       slm::MinOp, slm::ModOp, slm::EqualOp, slm::LessOp, slm::LessEqualOp,
                       slm::GreaterOp, slm::GreaterEqualOp, slm::AndOp, slm::OrOp, slm::XorOp,
                       slm::WhereOp>(op)) {
    SmallVector<const Dims *, 3> operands;
    for (Value v : op->getOperands())
      operands.push_back(&dims(v));
    result.dims = broadcast(operands);
    if (llvm::isa<slm::AddOp, slm::SubOp, slm::MulOp, slm::DivOp>(op))
      result.elements = combineElements(op, of(op->getOperand(0)), of(op->getOperand(1)));
  } else if (auto matmul = llvm::dyn_cast<slm::MatmulOp>(op)) {
    const Dims &l = dims(matmul.getLhs()), &r = dims(matmul.getRhs());
    if (l.size() >= 2 && r.size() >= 2) {
      Dims lb(l.begin(), l.end() - 2), rb(r.begin(), r.end() - 2);
      result.dims = broadcast({&lb, &rb});
      result.dims.push_back(l[l.size() - 2]);
      result.dims.push_back(r.back());
    }
  } else if (auto linear = llvm::dyn_cast<slm::LinearOp>(op)) {
    const Dims &in = dims(linear.getInput());
    result.dims.assign(in.begin(), in.end() - 1);
    result.dims.push_back(fromType(linear.getResult()).dims.back());
  } else if (auto embedding = llvm::dyn_cast<slm::EmbeddingOp>(op)) {
    result.dims = dims(embedding.getIndices());
    result.dims.push_back(fromType(embedding.getResult()).dims.back());
  } else if (auto transpose = llvm::dyn_cast<slm::TransposeOp>(op)) {
    const Dims &in = dims(transpose.getInput());
    for (int64_t p : transpose.getPermutation())
      result.dims.push_back(in[p]);
  } else if (auto concat = llvm::dyn_cast<slm::ConcatOp>(op)) {
    int64_t rank = rankedType(concat.getResult()).getRank();
    int64_t axis = normalizedAxis(concat.getAxis(), rank);
    for (int64_t d = 0; d < rank; ++d) {
      SymbolicDim known = SymbolicDim::unknown();
      int64_t total = 0;
      for (Value v : concat.getInputs()) {
        SymbolicDim e = dims(v)[d];
        if (d == axis)
          total = e.isStatic() && total >= 0 ? total + e.value : -1;
        else if (!e.isUnknown())
          known = e; // the inputs agree off the axis
      }
      result.dims.push_back(d == axis ? (total >= 0 ? SymbolicDim::of(total) : SymbolicDim::unknown())
                                      : known);
    }
    if (rank == 1 && llvm::all_of(concat.getInputs(), [&](Value v) { return elements(v); })) {
      result.elements.emplace();
      for (Value v : concat.getInputs())
        result.elements->append(of(v).elements->begin(), of(v).elements->end());
    }
  } else if (auto split = llvm::dyn_cast<slm::SplitOp>(op)) {
    const Dims &in = dims(split.getInput());
    int64_t axis = normalizedAxis(split.getAxis(), in.size());
    const auto &inElements = elements(split.getInput());
    int64_t offset = 0;
    for (auto [i, size] : llvm::enumerate(split.getSizes())) {
      results[i].dims = in;
      results[i].dims[axis] = size >= 0 ? SymbolicDim::of(size) : SymbolicDim::unknown();
      if (inElements && in.size() == 1 && size >= 0 &&
          offset + size <= static_cast<int64_t>(inElements->size()))
        results[i].elements.emplace(inElements->begin() + offset,
                                    inElements->begin() + offset + size);
      offset += size;
    }
  } else if (auto slice = llvm::dyn_cast<slm::SliceOp>(op)) {
    const Dims &in = dims(slice.getInput());
    result.dims = in;
    auto axes = constantInts(slice.getAxes()), starts = constantInts(slice.getStarts());
    auto steps = constantInts(slice.getSteps());
    const auto &ends = elements(slice.getEnds());
    if (axes && starts && steps && ends && ends->size() == axes->size() &&
        starts->size() == axes->size() && steps->size() == axes->size()) {
      for (auto [i, a] : llvm::enumerate(*axes)) {
        int64_t axis = normalizedAxis(a, in.size());
        if (axis < 0 || axis >= static_cast<int64_t>(in.size()))
          continue;
        // A table sliced from 0 to the sequence's length is that long: a
        // longer sequence is outside the positions the table (and so the
        // model) has.
        const SymbolicDim &end = (*ends)[i];
        bool fromStart = (*starts)[i] == 0 && (*steps)[i] == 1;
        result.dims[axis] = fromStart && end.isSymbol() && in[axis].isStatic() ? end
                            : fromStart && end.isStatic() && end.value >= INT32_MAX
                                ? in[axis]
                                : SymbolicDim::unknown();
      }
    } else {
      result.dims.assign(in.size(), SymbolicDim::unknown());
    }
    if (const auto &inElements = elements(slice.getInput()); inElements && in.size() == 1)
      result.elements = sliceElements(*inElements, slice);
  } else if (auto gather = llvm::dyn_cast<slm::GatherOp>(op)) {
    const Dims &in = dims(gather.getInput());
    int64_t axis = normalizedAxis(gather.getAxis(), in.size());
    result.dims.assign(in.begin(), in.begin() + axis);
    result.dims.append(dims(gather.getIndices()).begin(), dims(gather.getIndices()).end());
    result.dims.append(in.begin() + axis + 1, in.end());
    const auto &inElements = elements(gather.getInput());
    auto indices = constantInts(gather.getIndices());
    if (inElements && in.size() == 1 && indices && rankedType(gather.getIndices()).getRank() <= 1) {
      int64_t n = inElements->size();
      result.elements.emplace();
      for (int64_t i : *indices) {
        int64_t at = i < 0 ? i + n : i;
        if (at < 0 || at >= n) {
          result.elements.reset();
          break;
        }
        result.elements->push_back((*inElements)[at]);
      }
    }
  } else if (auto squeeze = llvm::dyn_cast<slm::SqueezeOp>(op)) {
    const Dims &in = dims(squeeze.getInput());
    SmallVector<int64_t> axes;
    for (int64_t a : squeeze.getAxes())
      axes.push_back(normalizedAxis(a, in.size()));
    for (auto [d, dim] : llvm::enumerate(in))
      if (!llvm::is_contained(axes, static_cast<int64_t>(d)))
        result.dims.push_back(dim);
    result.elements = elements(squeeze.getInput());
  } else if (auto unsqueeze = llvm::dyn_cast<slm::UnsqueezeOp>(op)) {
    const Dims &in = dims(unsqueeze.getInput());
    int64_t rank = in.size() + unsqueeze.getAxes().size();
    SmallVector<int64_t> axes;
    for (int64_t a : unsqueeze.getAxes())
      axes.push_back(normalizedAxis(a, rank));
    for (int64_t d = 0, next = 0; d < rank; ++d)
      result.dims.push_back(llvm::is_contained(axes, d) ? SymbolicDim::of(1) : in[next++]);
    result.elements = elements(unsqueeze.getInput());
  } else if (auto reshape = llvm::dyn_cast<slm::ReshapeOp>(op)) {
    if (const auto &target = elements(reshape.getShape()))
      result.dims = reshapeDims(dims(reshape.getInput()), *target, reshape.getAllowzero());
    if (rankedType(reshape.getResult()).getRank() <= 1)
      result.elements = elements(reshape.getInput());
  } else if (auto expand = llvm::dyn_cast<slm::ExpandOp>(op)) {
    if (const auto &target = elements(expand.getShape())) {
      Dims t(target->begin(), target->end());
      result.dims = broadcast({&dims(expand.getInput()), &t});
    }
  } else if (llvm::isa<slm::ReduceSumOp, slm::ReduceMeanOp, slm::ReduceMaxOp, slm::ReduceMinOp,
                       slm::ReduceProdOp>(op)) {
    const Dims &in = dims(op->getOperand(0));
    auto axesAttr = op->getAttrOfType<DenseI64ArrayAttr>("axes");
    auto keep = op->getAttrOfType<BoolAttr>("keepdims");
    SmallVector<int64_t> axes;
    for (int64_t a : axesAttr.asArrayRef())
      axes.push_back(normalizedAxis(a, in.size()));
    for (auto [d, dim] : llvm::enumerate(in)) {
      if (!llvm::is_contained(axes, static_cast<int64_t>(d)))
        result.dims.push_back(dim);
      else if (!keep || keep.getValue())
        result.dims.push_back(SymbolicDim::of(1));
    }
  }

  // What the types already pin down holds; an op the analysis does not know
  // keeps its types' knowledge.
  for (auto [i, value] : llvm::enumerate(op->getResults())) {
    SymbolicShape typed = fromType(value);
    SymbolicShape &known = results[i];
    if (known.dims.size() != typed.dims.size())
      known.dims = typed.dims;
    for (auto [k, t] : llvm::zip(known.dims, typed.dims))
      if (t.isStatic())
        k = t;
    // Elements are known of integer scalars and vectors whose length is
    // known (from the type or from the analysis: a concat of known parts).
    auto type = rankedType(value);
    int64_t length = known.dims.empty() ? 1 : known.dims.front().isStatic() ? known.dims.front().value : -1;
    if (known.elements && (!type || type.getRank() > 1 || !type.getElementType().isInteger() ||
                           static_cast<int64_t>(known.elements->size()) != length))
      known.elements.reset();
    shapes_[value] = std::move(known);
  }
}

} // namespace slmc
