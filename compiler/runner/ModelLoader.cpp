//===- ModelLoader.cpp - any supported model file -> slm IR ---------------===//

#include "compiler/runner/ModelLoader.h"

#include "compiler/InitAll.h"
#include "compiler/artifact/ArtifactReader.h"
#include "compiler/runner/ReferenceModel.h"
#include "compiler/runner/RuntimeModel.h"
#include "runtime/include/slm_runtime.h"
#include "compiler/frontends/hf/HfImporter.h"
#include "compiler/frontends/llama2c/Llama2cImporter.h"
#include "compiler/frontends/onnx/OnnxImporter.h"
#include "compiler/quant/TableRowClasses.h"
#include "compiler/support/Error.h"
#include "dialects/slm/IR/SlmDialect.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace slmc {

llvm::Expected<ImportedModel> importModel(llvm::StringRef path, const IrDump &dump,
                                          bool optimize) {
  ImportedModel model;
  // Imported weights are referenced by name from resource blobs; threading
  // in the context buys nothing for import and costs a thread pool.
  model.context = std::make_unique<mlir::MLIRContext>(mlir::MLIRContext::Threading::DISABLED);
  loadAllDialects(*model.context);
  if (!llvm::sys::fs::exists(path))
    return makeError("{0}: no such file or directory", path);
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> module =
      llvm::sys::fs::is_directory(path)               ? importHuggingFace(*model.context, path)
      : llvm::sys::path::extension(path) == ".onnx" ? importOnnx(*model.context, path)
                                                      : importLlama2c(*model.context, path);
  if (!module)
    return module.takeError();
  model.module = std::move(*module);
  dumpIr("import", *model.module, dump);
  if (optimize)
    if (auto error = runStage("optimize", *model.module, addOptimizePasses, dump))
      return makeError("{0}: {1}", path, llvm::toString(std::move(error)));
  if (slm::ModelAttr contract = slm::getModel(*model.module))
    model.contract = *contract;
  return model;
}

llvm::Expected<std::unique_ptr<Tokenizer>> loadModelTokenizer(llvm::StringRef modelPath,
                                                              llvm::StringRef tokenizerPath,
                                                              const slm::ModelContract &model) {
  std::string path = tokenizerPath.str();
  if (path.empty()) {
    if (!llvm::sys::fs::is_directory(modelPath))
      return makeError("{0}: llama2.c checkpoints and ONNX files carry no tokenizer; name one "
                       "(a llama2.c tokenizer.bin or a tokenizer.json)",
                       modelPath);
    llvm::SmallString<256> own(modelPath);
    llvm::sys::path::append(own, "tokenizer.json");
    path = own.str().str();
  }
  auto tokenizer = loadTokenizer(path, model.vocabSize);
  if (!tokenizer)
    return tokenizer.takeError();
  (*tokenizer)->setSpecialIds(model.bosTokenId, model.eosTokenId);
  return tokenizer;
}

llvm::Expected<RunnableModel> openRunnable(llvm::StringRef path, llvm::StringRef tokenizerPath,
                                           int threads, int64_t positions, bool needsTokenizer) {
  RunnableModel runnable;
  if (isArtifact(path)) {
    auto artifact = openArtifact(path);
    if (!artifact)
      return artifact.takeError();
    slm_model_info info;
    slm_artifact_info(artifact->artifact.get(), &info);
    runnable.backend = std::string("compiled for ") + info.target;
    auto manifest = readArtifactManifest(path);
    if (!manifest)
      return manifest.takeError();
    runnable.weights.parameters = manifest->manifest.model().parameters();
    for (const slm::artifact::TensorInfo &tensor : manifest->manifest.tensors())
      if (tensor.dtype() == "f32" || tensor.dtype() == "f16" || tensor.dtype() == "bf16" ||
          tensor.dtype() == "i8" ||
          llvm::StringRef(tensor.name()).ends_with(kRowOrderSuffix))
        runnable.weights.bits += static_cast<int64_t>(tensor.size()) * 8;
    runnable.tokenizer = std::move(artifact->tokenizer);
    if (manifest->manifest.tokenizer().has_chat()) {
      const slm::artifact::ChatTemplate &chat = manifest->manifest.tokenizer().chat();
      ChatFormat format{chat.source(), chat.bos_token(), chat.eos_token(), {}};
      for (int64_t id : chat.stop_token_ids())
        format.stopIds.push_back(static_cast<int32_t>(id));
      if (auto error = checkChatTemplate(path.str() + ": the chat template", format.templateSource))
        return std::move(error);
      runnable.chat = std::move(format);
    }
    if (!tokenizerPath.empty()) {
      auto own = loadTokenizer(tokenizerPath, static_cast<int32_t>(info.vocab_size));
      if (!own)
        return own.takeError();
      (*own)->setSpecialIds(info.bos_token_id, info.eos_token_id);
      runnable.tokenizer = std::move(*own);
    }
    auto model = createRuntimeModel(artifact->artifact, threads);
    if (!model)
      return model.takeError();
    runnable.model = std::move(*model);
    return runnable;
  }
  auto imported = importModel(path);
  if (!imported)
    return imported.takeError();
  if (needsTokenizer) {
    auto tokenizer = loadModelTokenizer(path, tokenizerPath, imported->contract);
    if (!tokenizer)
      return tokenizer.takeError();
    runnable.tokenizer = std::move(*tokenizer);
    if (llvm::sys::fs::is_directory(path)) {
      auto chat = readChatFormat(path, *runnable.tokenizer, imported->contract.eosTokenId);
      if (!chat)
        return chat.takeError();
      runnable.chat = std::move(*chat);
    }
  }
  if (imported->contract.maxPositions > 0)
    positions = std::min(positions, imported->contract.maxPositions);
  auto model = createReferenceModel(*imported->module, positions);
  if (!model)
    return model.takeError();
  runnable.backend = "reference executor";
  runnable.weights = countWeightBits(*imported->module);
  runnable.model = std::move(*model);
  runnable.imported = std::move(*imported);
  return runnable;
}

} // namespace slmc
