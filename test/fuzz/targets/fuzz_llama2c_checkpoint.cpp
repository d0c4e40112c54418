//===- fuzz_llama2c_checkpoint.cpp - a llama2.c checkpoint ----------------===//
//
// Bytes as a llama2.c model file (legacy or version 1): the header's counts,
// the sizes they imply against the file's, and the import into slm IR.
//
//===----------------------------------------------------------------------===//

#include "ImportContext.h"
#include "InputFile.h"
#include "compiler/frontends/llama2c/Llama2cImporter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext &context = slmc::fuzz::importContext();
  slmc::fuzz::InputFile input(data, size);
  if (!input.ok())
    return 0;
  auto module = slmc::importLlama2c(context, input.path());
  if (!module)
    llvm::consumeError(module.takeError());
  return 0;
}
