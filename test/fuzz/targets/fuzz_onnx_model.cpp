//===- fuzz_onnx_model.cpp - an ONNX model with external data -------------===//
//
// Bytes as model.onnx (protobuf), imported into slm IR: the graph, the
// operators' attributes and shapes, the initializers' element counts, and
// external data, which the model may read from the file beside it:
// model.onnx.data holds TinyStories-656K's real initializers (the
// test/data/onnx-external seed reads them at their true offsets), so
// mutated offsets and lengths meet a real file's bounds.
//
//===----------------------------------------------------------------------===//

#include "ImportContext.h"
#include "InputFile.h"
#include "compiler/frontends/onnx/OnnxImporter.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext &context = slmc::fuzz::importContext();
  static const std::string model = [] {
    const std::string &dir = slmc::fuzz::scratchDirectory();
    llvm::sys::fs::create_link(SLMC_FUZZ_DATA "/onnx-external/model.onnx.data",
                               dir + "/model.onnx.data");
    return dir + "/model.onnx";
  }();
  if (!slmc::fuzz::writeInput(model, data, size))
    return 0;
  auto module = slmc::importOnnx(context, model);
  if (!module)
    llvm::consumeError(module.takeError());
  return 0;
}
