//===- CodeGeneration.cpp - planned, lowered and emitted code -------------===//

#include "compiler/codegen/CompiledModel.h"

#include "compiler/codegen/SharedObjectEmitter.h"
#include "compiler/pipeline/Pipeline.h"
#include "compiler/support/Error.h"
#include "compiler/weights/WeightBlob.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include <cstring>

using namespace mlir;

namespace slmc {
namespace {

/// The manifest's dtype of a tensor: "f32", "f16", "i64", "i32", "i8", "i1".
std::string dtypeName(Type t) {
  if (t.isBF16())
    return "bf16";
  if (llvm::isa<FloatType>(t))
    return "f" + std::to_string(t.getIntOrFloatBitWidth());
  return "i" + std::to_string(t.getIntOrFloatBitWidth());
}

/// The text of an MLIR type, for messages.
std::string mlirTypeText(Type type) {
  std::string text;
  llvm::raw_string_ostream(text) << type;
  return text;
}

/// The bytes of a constant in its own order: i1 as one byte per element,
/// splats expanded; a blob's bytes are viewed, not copied.
PlacedWeight placeRowMajor(slm::ConstantOp op, uint64_t offset) {
  auto type = llvm::cast<RankedTensorType>(op.getType());
  PlacedWeight w;
  w.shape.assign(type.getShape().begin(), type.getShape().end());
  w.dtype = dtypeName(type.getElementType());
  w.offset = offset;
  ElementsAttr value = op.getValue();
  if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(value)) {
    w.name = resource.getRawHandle().getKey().str();
    w.bytes = weightBytes(value);
    return w;
  }
  auto dense = llvm::cast<DenseElementsAttr>(value);
  w.name = "constant@" + std::to_string(w.offset);
  w.owned = std::make_shared<std::string>();
  if (type.getElementType().isSignlessInteger(1)) {
    for (bool b : dense.getValues<bool>())
      w.owned->push_back(static_cast<char>(b));
  } else if (dense.isSplat()) {
    ArrayRef<char> one = dense.getRawData();
    for (int64_t i = 0; i < type.getNumElements(); ++i)
      w.owned->append(one.begin(), one.end());
  } else {
    w.owned->assign(dense.getRawData().begin(), dense.getRawData().end());
  }
  w.bytes = ArrayRef<char>(w.owned->data(), w.owned->size());
  return w;
}

/// The bytes of a constant as the kernels read them: in its
/// #slm.weight_layout, row-major without one.
llvm::Expected<PlacedWeight> placeConstant(slm::ConstantOp op) {
  slm::SlmDialect &slm = slm::SlmDialect::get(op.getContext());
  PlacedWeight w = placeRowMajor(op, slm.getWeightOffsetAttrHelper().getAttr(op).getInt());
  auto layout = slm.getWeightLayoutAttrHelper().getAttr(op);
  if (!layout)
    return w;
  // panels16, the only other layout, on static f32 matrices (the verifier).
  auto type = llvm::cast<RankedTensorType>(op.getType());
  if (w.bytes.size() != static_cast<size_t>(type.getNumElements()) * sizeof(float))
    return makeError("weight '{0}' holds {1} bytes where its type {2} needs {3}", w.name,
                     w.bytes.size(), mlirTypeText(type), type.getNumElements() * sizeof(float));
  std::vector<float> aligned; // for a blob not aligned for floats
  const float *matrix = reinterpret_cast<const float *>(w.bytes.data());
  if (reinterpret_cast<uintptr_t>(matrix) % alignof(float)) {
    aligned.resize(type.getNumElements());
    std::memcpy(aligned.data(), w.bytes.data(), w.bytes.size());
    matrix = aligned.data();
  }
  auto panels =
      std::make_shared<std::string>(slm::storageBytes(type, layout.getValue()), '\0');
  slm::arrangeAsPanels(matrix, type.getDimSize(0), type.getDimSize(1),
                       reinterpret_cast<float *>(panels->data()));
  w.layout = slm::stringifyWeightLayout(layout.getValue()).str();
  w.owned = std::move(panels);
  w.bytes = ArrayRef<char>(w.owned->data(), w.owned->size());
  return w;
}

std::vector<TensorSignature> signatures(func::FuncOp f, TypeRange types, bool results) {
  std::vector<TensorSignature> list;
  for (auto [i, type] : llvm::enumerate(types)) {
    auto tensor = llvm::cast<RankedTensorType>(type);
    StringRef key = slm::SlmDialect::NameAttrHelper::getNameStr();
    auto name = results ? f.getResultAttrOfType<StringAttr>(i, key)
                        : f.getArgAttrOfType<StringAttr>(i, key);
    list.push_back({name ? name.str() : "#" + std::to_string(i),
                    std::vector<int64_t>(tensor.getShape().begin(), tensor.getShape().end()),
                    dtypeName(tensor.getElementType())});
  }
  return list;
}

/// Kernel calls of the entry function by callee, in order of first call.
std::vector<KernelCalls> countKernelCalls(ModuleOp module, StringRef entryPoint) {
  std::vector<KernelCalls> calls;
  llvm::StringMap<size_t> index;
  module.lookupSymbol<LLVM::LLVMFuncOp>(entryPoint).walk([&](LLVM::CallOp call) {
    StringRef callee = call.getCallee().value_or("");
    auto [it, inserted] = index.try_emplace(callee, calls.size());
    if (inserted)
      calls.push_back({callee.str(), 0});
    ++calls[it->second].count;
  });
  return calls;
}

} // namespace

llvm::Expected<CompiledModel> generateCode(ModuleOp module, const CodegenOptions &options) {
  PlanOptions plan{options.maxContext, options.maxTokensPerCall, options.target.features,
                   options.w8a8, options.int8KvCache};
  if (auto error = runStage("fuse", module, addFusePasses, options.dump))
    return std::move(error);
  if (auto error = runStage(
          "plan", module, [&](OpPassManager &pm) { addPlanPasses(pm, plan); }, options.dump))
    return std::move(error);

  CompiledModel m;
  m.target = options.target;
  slm::SlmDialect &slm = slm::SlmDialect::get(module.getContext());
  if (slm::ModelAttr model = slm::getModel(module))
    m.model = *model;
  func::FuncOp forward = slm::getForward(module);
  bool decoder = m.model.hasKvCache();
  m.entryPoint = decoder ? "slm_forward" : "slm_graph";
  m.entryKind = decoder ? "decoder_step" : "graph";
  m.weightsSize = slm.getWeightsSizeAttrHelper().getAttr(module).getInt();
  slm::MemoryPlanAttr memory = slm.getMemoryPlanAttrHelper().getAttr(module);
  m.arenaSize = memory.getArenaSize();
  m.kvCacheSize = memory.getKvCacheSize();
  m.maxTokensPerCall = memory.getMaxTokens();
  llvm::DenseSet<uint64_t> placed;
  llvm::Error placing = llvm::Error::success();
  forward.walk([&](slm::ConstantOp op) {
    if (!slm.getWeightOffsetAttrHelper().isAttrPresent(op))
      return WalkResult::advance(); // read when the code was generated
    if (!placed.insert(slm.getWeightOffsetAttrHelper().getAttr(op).getInt()).second)
      return WalkResult::advance(); // the same bytes as a constant before it
    llvm::Expected<PlacedWeight> w = placeConstant(op);
    if (!w) {
      placing = w.takeError();
      return WalkResult::interrupt();
    }
    m.weights.push_back(std::move(*w));
    return WalkResult::advance();
  });
  if (placing)
    return std::move(placing);
  if (decoder) {
    m.logitsSize = m.maxTokensPerCall * m.model.vocabSize * sizeof(float);
  } else {
    m.inputs = signatures(forward, forward.getArgumentTypes(), false);
    m.outputs = signatures(forward, forward.getResultTypes(), true);
  }

  if (auto error = runStage("lower", module, addLowerPasses, options.dump))
    return std::move(error);
  m.kernelCalls = countKernelCalls(module, m.entryPoint);
  // slm's bookkeeping attributes have no meaning in LLVM IR.
  for (NamedAttribute attr : llvm::to_vector(module->getAttrs()))
    if (attr.getName().strref().starts_with("slm."))
      module->removeAttr(attr.getName());
  auto code = emitSharedObject(module, options.target, {m.entryPoint});
  if (!code)
    return code.takeError();
  m.code = std::move(*code);
  return m;
}

} // namespace slmc
