//===- SlmDialect.cpp - the slm dialect -----------------------------------===//

#include "dialects/slm/IR/SlmDialect.h"

#include "dialects/slm/IR/KernelVariants.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace slm;

#include "dialects/slm/IR/SlmDialect.cpp.inc"
#include "dialects/slm/IR/SlmEnums.cpp.inc"

void SlmDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/slm/IR/SlmOps.cpp.inc"
      >();
  registerAttributes();
}

SlmDialect &SlmDialect::get(MLIRContext *context) {
  return *context->getOrLoadDialect<SlmDialect>();
}

Operation *SlmDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  auto elements = llvm::dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, elements);
}

//===----------------------------------------------------------------------===//
// The model contract on a module
//===----------------------------------------------------------------------===//

ModelAttr slm::getModel(ModuleOp module) {
  return SlmDialect::get(module.getContext()).getModelAttrHelper().getAttr(module);
}

void slm::setModel(ModuleOp module, const ModelContract &contract) {
  SlmDialect::get(module.getContext())
      .getModelAttrHelper()
      .setAttr(module, ModelAttr::get(module.getContext(), contract));
}

func::FuncOp slm::getForward(ModuleOp module) { return module.lookupSymbol<func::FuncOp>("forward"); }

int64_t slm::cacheRows(BlockArgument cache, int64_t positions) {
  for (Operation *user : cache.getUsers())
    if (auto attention = llvm::dyn_cast<AttentionOp>(user))
      if (auto window = attention.getWindow();
          window && (attention.getKeyCache() == cache || attention.getValueCache() == cache))
        return std::min<int64_t>(positions, static_cast<int64_t>(*window));
  return positions;
}

void slm::propagateCacheTypes(func::FuncOp forward) {
  forward.walk([](AttentionOp op) {
    if (!op.getKeyCache())
      return;
    op.getUpdatedCaches()[0].setType(op.getKeyCache().getType());
    op.getUpdatedCaches()[1].setType(op.getValueCache().getType());
  });
  Block &body = forward.getBody().front();
  forward.setFunctionType(FunctionType::get(forward.getContext(), body.getArgumentTypes(),
                                            body.getTerminator()->getOperandTypes()));
}

int64_t slm::storageBytes(Type elementType) {
  return std::max<int64_t>(1, elementType.getIntOrFloatBitWidth() / 8);
}

int64_t slm::storageBytes(RankedTensorType type, int64_t dynamicExtent) {
  int64_t elements = 1;
  for (int64_t d : type.getShape())
    elements *= ShapedType::isDynamic(d) ? dynamicExtent : d;
  return elements * storageBytes(type.getElementType());
}

int64_t slm::storageBytes(RankedTensorType type, WeightLayout layout) {
  if (layout == WeightLayout::row_major)
    return storageBytes(type);
  int64_t stripes = llvm::divideCeil(type.getDimSize(0), kPanelColumns);
  return stripes * kPanelColumns * type.getDimSize(1) * storageBytes(type.getElementType());
}

void slm::arrangeAsPanels(const float *matrix, int64_t rows, int64_t columns, float *panels) {
  int64_t stripes = llvm::divideCeil(rows, kPanelColumns);
  std::fill(panels, panels + stripes * kPanelColumns * columns, 0.0f);
  for (int64_t j = 0; j < rows; ++j)
    for (int64_t p = 0; p < columns; ++p)
      panels[(j / kPanelColumns * columns + p) * kPanelColumns + j % kPanelColumns] =
          matrix[j * columns + p];
}

//===----------------------------------------------------------------------===//
// Where the discardable attributes may appear
//===----------------------------------------------------------------------===//

namespace {

/// Checks @forward's signature against a decoder contract.
LogicalResult verifyDecoderSignature(ModuleOp module, const ModelContract &contract) {
  func::FuncOp forward = getForward(module);
  if (!forward)
    return success();
  const DecoderShape &d = *contract.decoder;
  FunctionType type = forward.getFunctionType();
  auto fail = [&](const Twine &what) {
    return forward.emitOpError("does not match the model contract: ") << what;
  };
  if (static_cast<int64_t>(type.getNumInputs()) != d.forwardArguments() ||
      type.getNumResults() != type.getNumInputs() - 1)
    return fail(Twine("a decoder of ") + Twine(d.layers) + " layers takes " +
                Twine(d.forwardArguments()) + " arguments and returns " +
                Twine(d.forwardArguments() - 1) + " results");
  auto tensor = [](Type t) { return llvm::dyn_cast<RankedTensorType>(t); };
  auto tokens = tensor(type.getInput(0)), position = tensor(type.getInput(1));
  if (!tokens || tokens.getRank() != 1 || !tokens.getElementType().isSignlessInteger(64))
    return fail("the tokens must be a 1-d i64 tensor");
  if (!position || position.getRank() != 0 || !position.getElementType().isSignlessInteger(64))
    return fail("the position must be a 0-d i64 tensor");
  auto logits = tensor(type.getResult(0));
  if (!logits || logits.getRank() != 2 || logits.getDimSize(1) != contract.vocabSize ||
      !logits.getElementType().isF32())
    return fail("the logits must be [tokens, " + Twine(contract.vocabSize) + "] f32");
  for (unsigned i = 2; i < type.getNumInputs(); ++i) {
    auto cache = tensor(type.getInput(i));
    bool element = d.int8KvCache ? cache && cache.getElementType().isSignlessInteger(8)
                                 : cache && cache.getElementType().isF32();
    if (!cache || cache.getRank() != 3 || cache.getDimSize(1) != d.kvHeads ||
        cache.getDimSize(2) != d.cacheRowElements() || !element)
      return fail("argument " + Twine(i) + " must be a KV cache [capacity, " + Twine(d.kvHeads) +
                  ", " + Twine(d.cacheRowElements()) + "] " + (d.int8KvCache ? "i8" : "f32"));
    if (!cache.isDynamicDim(0) && contract.maxPositions > 0 &&
        cache.getDimSize(0) > contract.maxPositions)
      return fail("a KV cache of " + Twine(cache.getDimSize(0)) + " positions exceeds the model's " +
                  Twine(contract.maxPositions));
    if (type.getResult(i - 1) != cache)
      return fail("result " + Twine(i - 1) + " must be the updated cache of argument " + Twine(i));
  }
  return success();
}

LogicalResult verifyOffset(Operation *op, StringRef name, IntegerAttr offset) {
  if (!offset || offset.getInt() < 0 || offset.getInt() % kBufferAlignment)
    return op->emitOpError() << name << " must be a non-negative multiple of " << kBufferAlignment;
  return success();
}

} // namespace

LogicalResult SlmDialect::verifyOperationAttribute(Operation *op, NamedAttribute attribute) {
  StringRef name = attribute.getName().strref();
  Attribute value = attribute.getValue();
  auto onlyOn = [&](bool allowed, StringRef where) -> LogicalResult {
    if (!allowed)
      return op->emitOpError() << "may not carry " << name << ": it belongs on " << where;
    return success();
  };
  if (name == ModelAttrHelper::getNameStr()) {
    auto module = llvm::dyn_cast<ModuleOp>(op);
    auto model = llvm::dyn_cast<ModelAttr>(value);
    if (failed(onlyOn(module != nullptr, "the module")))
      return failure();
    if (!model)
      return op->emitOpError() << name << " must be an #slm.model attribute";
    return model->decoder ? verifyDecoderSignature(module, *model) : success();
  }
  if (name == WeightsSizeAttrHelper::getNameStr())
    return failure(failed(onlyOn(llvm::isa<ModuleOp>(op), "the module")) ||
                   failed(verifyOffset(op, name, llvm::dyn_cast<IntegerAttr>(value))));
  if (name == MemoryPlanAttrHelper::getNameStr()) {
    if (failed(onlyOn(llvm::isa<ModuleOp>(op), "the module")))
      return failure();
    if (!llvm::isa<MemoryPlanAttr>(value))
      return op->emitOpError() << name << " must be an #slm.memory_plan attribute";
    return success();
  }
  if (name == WeightOffsetAttrHelper::getNameStr())
    return failure(failed(onlyOn(llvm::isa<ConstantOp>(op), "slm.constant")) ||
                   failed(verifyOffset(op, name, llvm::dyn_cast<IntegerAttr>(value))));
  if (name == WeightLayoutAttrHelper::getNameStr()) {
    auto layout = llvm::dyn_cast<WeightLayoutAttr>(value);
    if (failed(onlyOn(llvm::isa<ConstantOp>(op), "slm.constant")))
      return failure();
    if (!layout)
      return op->emitOpError() << name << " must be an #slm.weight_layout attribute";
    auto type = llvm::cast<RankedTensorType>(op->getResult(0).getType());
    if (layout.getValue() == WeightLayout::panels16 &&
        (type.getRank() != 2 || !type.getElementType().isF32() || !type.hasStaticShape()))
      return op->emitOpError() << name << " panels16 needs a static f32 matrix, not " << type;
    return success();
  }
  if (name == ArenaOffsetAttrHelper::getNameStr()) {
    auto offsets = llvm::dyn_cast<DenseI64ArrayAttr>(value);
    if (!offsets || offsets.size() != static_cast<int64_t>(op->getNumResults()))
      return op->emitOpError() << name << " must list one offset per result";
    for (int64_t offset : offsets.asArrayRef())
      if (offset < -1 || (offset >= 0 && offset % kBufferAlignment))
        return op->emitOpError() << name << " " << offset << " must be -1 (no space of its own) "
                                 << "or a multiple of " << kBufferAlignment;
    return success();
  }
  if (name == ScratchOffsetAttrHelper::getNameStr()) {
    auto kernel = getKernelAttrHelper().getAttr(op);
    if (!kernel || !kernelNeedsScratch(kernel.getValue()))
      return op->emitOpError() << name << " belongs on ops whose kernel needs scratch";
    return verifyOffset(op, name, llvm::dyn_cast<IntegerAttr>(value));
  }
  if (name == KernelAttrHelper::getNameStr()) {
    auto kernel = llvm::dyn_cast<KernelAttr>(value);
    if (!kernel)
      return op->emitOpError() << name << " must be an #slm.kernel attribute";
    return verifyKernelChoice(op, kernel.getValue());
  }
  if (name == NameAttrHelper::getNameStr() || name == CacheOffsetAttrHelper::getNameStr())
    return op->emitOpError() << name << " belongs on function arguments or results";
  return op->emitOpError() << "unknown slm attribute " << name;
}

LogicalResult SlmDialect::verifyRegionArgAttribute(Operation *op, unsigned region, unsigned argIndex,
                                                   NamedAttribute attribute) {
  StringRef name = attribute.getName().strref();
  Attribute value = attribute.getValue();
  if (name == NameAttrHelper::getNameStr()) {
    if (!llvm::isa<StringAttr>(value))
      return op->emitOpError() << name << " of argument " << argIndex << " must be a string";
    return success();
  }
  if (name == CacheOffsetAttrHelper::getNameStr())
    return verifyOffset(op, name, llvm::dyn_cast<IntegerAttr>(value));
  if (name == ArenaOffsetAttrHelper::getNameStr()) {
    // An argument that the entry point converts into the arena first (tokens).
    auto offsets = llvm::dyn_cast<DenseI64ArrayAttr>(value);
    if (!offsets || offsets.size() != 1 || offsets[0] < 0 || offsets[0] % kBufferAlignment)
      return op->emitOpError() << name << " of argument " << argIndex
                               << " must be one non-negative multiple of " << kBufferAlignment;
    return success();
  }
  return op->emitOpError() << name << " may not be an argument attribute";
}

LogicalResult SlmDialect::verifyRegionResultAttribute(Operation *op, unsigned region,
                                                      unsigned resultIndex,
                                                      NamedAttribute attribute) {
  StringRef name = attribute.getName().strref();
  if (name == NameAttrHelper::getNameStr() && llvm::isa<StringAttr>(attribute.getValue()))
    return success();
  return op->emitOpError() << name << " may not be a result attribute (only " 
                           << NameAttrHelper::getNameStr() << ", a string)";
}
