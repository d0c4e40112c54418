//===- OnnxNode.cpp - what an op converter sees of its node ---------------===//

#include "compiler/frontends/onnx/OnnxNode.h"

#include "compiler/frontends/onnx/OnnxImporter.h"
#include "compiler/support/Error.h"
#include "dialects/slm/IR/SlmOps.h"

#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

#include <onnx/onnx_pb.h> // onnx-ml.pb.h with ONNX_API defined

using namespace mlir;
using llvm::Expected;

namespace slmc::onnx_import {

//===----------------------------------------------------------------------===//
// KnownInts
//===----------------------------------------------------------------------===//

bool KnownInts::complete() const {
  return llvm::all_of(values, [](const auto &v) { return v.has_value(); });
}

std::optional<SmallVector<int64_t>> KnownInts::all() const {
  if (!complete())
    return std::nullopt;
  SmallVector<int64_t> result;
  for (const auto &v : values)
    result.push_back(*v);
  return result;
}

SmallVector<int64_t> KnownInts::asDims() const {
  SmallVector<int64_t> dims;
  for (const auto &v : values)
    dims.push_back(v ? *v : ShapedType::kDynamic);
  return dims;
}

RankedTensorType tensorType(Value value) { return llvm::cast<RankedTensorType>(value.getType()); }

//===----------------------------------------------------------------------===//
// GraphState
//===----------------------------------------------------------------------===//

Expected<Value> GraphState::lookup(StringRef name, StringRef user) {
  if (auto it = values.find(name); it != values.end())
    return it->second;
  auto init = initializers.find(name);
  if (init == initializers.end())
    return makeError("{0}: {1} uses \"{2}\", which no graph input, initializer or earlier node "
                     "defines",
                     path, user, name);
  auto data = decodeTensor(*init->second, tensors);
  if (!data)
    return data.takeError();
  MLIRContext *context = builder.getContext();
  Location loc = NameLoc::get(StringAttr::get(context, name));
  Value value = builder.create<slm::ConstantOp>(loc, toElementsAttr(context, *data, name));
  values[name] = value;
  return value;
}

//===----------------------------------------------------------------------===//
// Node
//===----------------------------------------------------------------------===//

Node::Node(GraphState &graph, const onnx::NodeProto &proto, SmallVector<Value> inputs)
    : graph_(graph), proto_(proto), inputs_(std::move(inputs)), outputs_(proto.output_size()),
      loc_(NameLoc::get(StringAttr::get(graph.builder.getContext(), label()),
                        FileLineColLoc::get(graph.builder.getContext(), graph.path, 0, 0))) {}

StringRef Node::opType() const { return proto_.op_type(); }

std::string nodeLabel(const onnx::NodeProto &node) {
  if (!node.name().empty() || node.output_size() == 0)
    return node.name();
  return node.output(0);
}

std::string Node::label() const { return nodeLabel(proto_); }

unsigned Node::numOutputs() const { return proto_.output_size(); }

bool Node::wantsOutput(unsigned i) const { return i < numOutputs() && !proto_.output(i).empty(); }

void Node::setOutput(unsigned i, Value value) {
  // Converters may offer optional outputs the node does not declare.
  if (i < outputs_.size())
    outputs_[i] = value;
}

Value Node::output(unsigned i) const { return i < outputs_.size() ? outputs_[i] : Value(); }

const onnx::AttributeProto *Node::attribute(StringRef name) const {
  for (const auto &attr : proto_.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

int64_t Node::attrInt(StringRef name, int64_t fallback) const {
  const auto *attr = attribute(name);
  return attr && attr->type() == onnx::AttributeProto::INT ? attr->i() : fallback;
}

float Node::attrFloat(StringRef name, float fallback) const {
  const auto *attr = attribute(name);
  return attr && attr->type() == onnx::AttributeProto::FLOAT ? attr->f() : fallback;
}

std::optional<SmallVector<int64_t>> Node::attrInts(StringRef name) const {
  const auto *attr = attribute(name);
  if (!attr || attr->type() != onnx::AttributeProto::INTS)
    return std::nullopt;
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

std::string Node::attrString(StringRef name, StringRef fallback) const {
  const auto *attr = attribute(name);
  return attr && attr->type() == onnx::AttributeProto::STRING ? attr->s() : fallback.str();
}

std::string Node::where() const {
  return llvm::formatv("{0}: node \"{1}\" ({2}, opset {3})", graph_.path, label(), opType(),
                       opset())
      .str();
}

llvm::Error Node::unsupported(const Twine &why) const {
  return llvm::make_error<OnnxUnsupportedError>(
      where() + ": " + why.str(), std::vector<std::string>{opType().str() + ": " + why.str()});
}

llvm::Error Node::invalid(const Twine &why) const {
  return makeError("{0}: {1}", where(), why.str());
}

llvm::Error Node::requireFloat(Value value) const {
  if (tensorType(value).getElementType().isF32())
    return llvm::Error::success();
  return unsupported("slm computes this operator in f32 only");
}

Expected<SmallVector<Value>> Node::finish(Operation *op, bool infer) {
  graph_.diagnostic.clear();
  auto fail = [&](StringRef fallback) {
    std::string message = graph_.diagnostic.empty() ? fallback.str() : graph_.diagnostic;
    op->erase();
    return invalid(message);
  };
  if (infer) {
    // Inferring before creation would abort on failure (the generated
    // builders report_fatal_error), so the op is built with placeholder
    // types and typed here.
    SmallVector<Type> types;
    auto inferable = llvm::cast<InferTypeOpInterface>(op);
    if (failed(inferable.inferReturnTypes(context(), op->getLoc(), op->getOperands(),
                                          op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
                                          op->getRegions(), types)))
      return fail(("cannot infer the result type of " + op->getName().getStringRef()).str());
    for (auto [result, type] : llvm::zip(op->getResults(), types))
      result.setType(type);
  }
  if (failed(mlir::verify(op, /*verifyRecursively=*/false)))
    return fail(("invalid " + op->getName().getStringRef()).str());
  SmallVector<Value> folded;
  if (succeeded(builder().tryFold(op, folded)) && !folded.empty()) {
    op->erase();
    return folded;
  }
  return SmallVector<Value>(op->getResults());
}

Value Node::constant(ElementsAttr value) { return builder().create<slm::ConstantOp>(loc_, value); }

Value Node::intConstant(ArrayRef<int64_t> values, bool scalar, Type elementType) {
  if (!elementType)
    elementType = builder().getI64Type();
  unsigned width = elementType.getIntOrFloatBitWidth();
  SmallVector<APInt> ints;
  for (int64_t v : values)
    ints.push_back(APInt(width, static_cast<uint64_t>(v), /*isSigned=*/width > 1));
  SmallVector<int64_t> shape;
  if (!scalar)
    shape.push_back(values.size());
  return constant(DenseElementsAttr::get(RankedTensorType::get(shape, elementType), ints));
}

Value Node::scalarConstant(Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  if (auto floatType = llvm::dyn_cast<FloatType>(elementType)) {
    APFloat f(value);
    bool lost;
    f.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    return constant(DenseElementsAttr::get(type, f));
  }
  unsigned width = elementType.getIntOrFloatBitWidth();
  return constant(DenseElementsAttr::get(
      type, APInt(width, static_cast<uint64_t>(static_cast<int64_t>(value)), width > 1)));
}

Expected<Value> Node::shapeOf(Value value, int64_t start, std::optional<int64_t> end) {
  RankedTensorType type = tensorType(value);
  int64_t rank = type.getRank();
  auto clamp = [&](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t{0}, rank); };
  KnownInts dims;
  for (int64_t i = clamp(start), e = clamp(end.value_or(rank)); i < e; ++i)
    if (type.isDynamicDim(i))
      dims.values.push_back(std::nullopt);
    else
      dims.values.push_back(type.getDimSize(i));
  return withKnown(dims, builder().getI64Type(), [&] {
    IntegerAttr endAttr = end ? builder().getI64IntegerAttr(*end) : IntegerAttr();
    return make<slm::ShapeOp>(value, builder().getI64IntegerAttr(start), endAttr);
  });
}

Expected<Value> Node::castTo(Value value, Type elementType) {
  RankedTensorType type = tensorType(value);
  if (type.getElementType() == elementType)
    return value;
  std::optional<KnownInts> converted;
  if (auto input = known(value); input && elementType.isSignlessInteger()) {
    converted = input;
    unsigned width = elementType.getIntOrFloatBitWidth();
    for (auto &v : converted->values)
      if (v)
        v = width == 1 ? int64_t(*v != 0) : width == 32 ? int64_t(static_cast<int32_t>(*v)) : *v;
  }
  return withKnown(converted, elementType,
                   [&]() { return makeTyped<slm::CastOp>(type.clone(elementType), value); });
}

std::optional<KnownInts> Node::known(Value value) const {
  if (auto it = graph_.known.find(value); it != graph_.known.end())
    return it->second;
  auto type = tensorType(value);
  if (type.getRank() > 1 || !type.getElementType().isSignlessInteger())
    return std::nullopt;
  auto constantOp = value.getDefiningOp<slm::ConstantOp>();
  if (!constantOp)
    return std::nullopt;
  auto dense = llvm::dyn_cast<DenseIntElementsAttr>(constantOp.getValue());
  if (!dense)
    return std::nullopt;
  bool isBool = type.getElementType().isSignlessInteger(1);
  KnownInts result;
  result.scalar = type.getRank() == 0;
  for (const APInt &v : dense.getValues<APInt>())
    result.values.push_back(isBool ? int64_t(v.getZExtValue()) : v.getSExtValue());
  return result;
}

std::optional<SmallVector<int64_t>> Node::constantInts(Value value) const {
  if (auto k = known(value))
    return k->all();
  return std::nullopt;
}

std::optional<double> Node::constantScalar(Value value) const {
  auto constantOp = value.getDefiningOp<slm::ConstantOp>();
  if (!constantOp || tensorType(value).getNumElements() != 1)
    return std::nullopt;
  auto dense = llvm::dyn_cast<DenseElementsAttr>(constantOp.getValue());
  if (!dense)
    return std::nullopt;
  if (auto floats = llvm::dyn_cast<DenseFPElementsAttr>(dense))
    return (*floats.getValues<APFloat>().begin()).convertToDouble();
  if (auto ints = llvm::dyn_cast<DenseIntElementsAttr>(dense)) {
    APInt v = *ints.getValues<APInt>().begin();
    return static_cast<double>(v.getBitWidth() == 1 ? v.getZExtValue() : v.getSExtValue());
  }
  return std::nullopt;
}

Expected<Value> Node::withKnown(const std::optional<KnownInts> &value, Type elementType,
                                llvm::function_ref<Expected<Value>()> build) {
  if (value) {
    if (auto all = value->all())
      return intConstant(*all, value->scalar, elementType);
  }
  auto built = build();
  if (built && value)
    graph_.known[*built] = *value;
  return built;
}

} // namespace slmc::onnx_import
