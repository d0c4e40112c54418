//===- CodeGeneration.cpp - planned, lowered and emitted code -------------===//

#include "compiler/codegen/CompiledModel.h"

#include "compiler/codegen/SharedObjectEmitter.h"
#include "compiler/support/Error.h"
#include "compiler/weights/WeightBlob.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Pass/PassManager.h"
#include "passes/Passes.h"

#include <cstring>

using namespace mlir;

namespace slmc {
namespace {

/// Runs passes, turning their diagnostics into one error message.
llvm::Error runPasses(PassManager &pm, ModuleOp module) {
  std::string messages;
  ScopedDiagnosticHandler handler(module.getContext(), [&](Diagnostic &d) {
    llvm::raw_string_ostream os(messages);
    if (!messages.empty())
      os << "\n";
    os << d.getLocation() << ": " << d;
    return success();
  });
  if (failed(pm.run(module)))
    return makeError("code generation failed: {0}", messages);
  return llvm::Error::success();
}

/// The manifest's dtype of a tensor: "f32", "f16", "i64", "i32", "i8", "i1".
std::string dtypeName(Type t) {
  if (t.isBF16())
    return "bf16";
  if (llvm::isa<FloatType>(t))
    return "f" + std::to_string(t.getIntOrFloatBitWidth());
  return "i" + std::to_string(t.getIntOrFloatBitWidth());
}

/// The bytes of a constant as the kernels read them: row-major, i1 as one
/// byte per element, splats expanded.
PlacedWeight placeConstant(slm::ConstantOp op) {
  auto type = llvm::cast<RankedTensorType>(op.getType());
  PlacedWeight w;
  w.shape.assign(type.getShape().begin(), type.getShape().end());
  w.dtype = dtypeName(type.getElementType());
  w.offset = op->getAttrOfType<IntegerAttr>("slm.weight_offset").getInt();
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

std::vector<TensorSignature> signatures(func::FuncOp f, TypeRange types, bool results) {
  std::vector<TensorSignature> list;
  for (auto [i, type] : llvm::enumerate(types)) {
    auto tensor = llvm::cast<RankedTensorType>(type);
    auto name = results ? f.getResultAttrOfType<StringAttr>(i, "slm.name")
                        : f.getArgAttrOfType<StringAttr>(i, "slm.name");
    list.push_back({name ? name.str() : "#" + std::to_string(i),
                    std::vector<int64_t>(tensor.getShape().begin(), tensor.getShape().end()),
                    dtypeName(tensor.getElementType())});
  }
  return list;
}

int64_t moduleInt(ModuleOp module, StringRef name) {
  auto attr = module->getAttrOfType<IntegerAttr>(name);
  return attr ? attr.getInt() : 0;
}

} // namespace

llvm::Expected<CompiledModel> generateCode(ModuleOp module, const CodegenOptions &options) {
  PassManager plan(module.getContext());
  plan.addPass(createSpecializeShapes({options.maxContext}));
  plan.addPass(createLayoutWeights());
  plan.addPass(createPlanMemory({options.maxTokensPerCall, options.w8a8}));
  if (auto error = runPasses(plan, module))
    return std::move(error);

  CompiledModel m;
  m.target = options.target;
  m.info = readModelInfo(module);
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  bool decoder = m.info.kvCache;
  m.entryPoint = decoder ? "slm_forward" : "slm_graph";
  m.entryKind = decoder ? "decoder_step" : "graph";
  m.weightsSize = moduleInt(module, "slm.weights_size");
  m.arenaSize = moduleInt(module, "slm.arena_size");
  m.kvCacheSize = moduleInt(module, "slm.kv_cache_size");
  m.maxTokensPerCall = moduleInt(module, "slm.max_tokens");
  llvm::DenseSet<uint64_t> placed;
  forward.walk([&](slm::ConstantOp op) {
    PlacedWeight w = placeConstant(op);
    if (placed.insert(w.offset).second)
      m.weights.push_back(std::move(w));
  });
  if (decoder) {
    FunctionType type = forward.getFunctionType();
    auto cache = llvm::cast<RankedTensorType>(type.getInput(2));
    m.maxContext = cache.getDimSize(0);
    m.kvHeads = cache.getDimSize(1);
    m.headDim = cache.getDimSize(2);
    m.layers = (type.getNumInputs() - 2) / 2;
    m.logitsSize = m.maxTokensPerCall * m.info.vocabSize * sizeof(float);
    forward.walk([&](slm::AttentionOp op) {
      m.heads = llvm::cast<RankedTensorType>(op.getQuery().getType()).getDimSize(1);
    });
    forward.walk([&](slm::EmbeddingOp op) {
      m.hidden = llvm::cast<RankedTensorType>(op.getTable().getType()).getDimSize(1);
    });
  } else {
    m.inputs = signatures(forward, forward.getArgumentTypes(), false);
    m.outputs = signatures(forward, forward.getResultTypes(), true);
  }

  PassManager lower(module.getContext());
  lower.addPass(createConvertSlmToLLVM({options.target.features}));
  if (auto error = runPasses(lower, module))
    return std::move(error);
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
