//===- ModelLoader.cpp - any supported model file -> slm IR ---------------===//

#include "compiler/driver/ModelLoader.h"

#include "compiler/InitAll.h"
#include "compiler/frontends/hf/HfImporter.h"
#include "compiler/frontends/llama2c/Llama2cImporter.h"
#include "compiler/frontends/onnx/OnnxImporter.h"
#include "compiler/support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace slmc {

llvm::Expected<ImportedModel> importModel(llvm::StringRef path) {
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
  model.info = readModelInfo(*model.module);
  return model;
}

llvm::Expected<std::unique_ptr<Tokenizer>> loadModelTokenizer(llvm::StringRef modelPath,
                                                              llvm::StringRef tokenizerPath,
                                                              const ModelInfo &info) {
  std::string path = tokenizerPath.str();
  if (path.empty()) {
    if (!llvm::sys::fs::is_directory(modelPath))
      return makeError("{0}: llama2.c checkpoints and ONNX files carry no tokenizer; pass "
                       "--tokenizer FILE (a llama2.c tokenizer.bin or a tokenizer.json)",
                       modelPath);
    llvm::SmallString<256> own(modelPath);
    llvm::sys::path::append(own, "tokenizer.json");
    path = own.str().str();
  }
  auto tokenizer = loadTokenizer(path, info.vocabSize);
  if (!tokenizer)
    return tokenizer.takeError();
  (*tokenizer)->setSpecialIds(info.bosId, info.eosId);
  return tokenizer;
}

} // namespace slmc
