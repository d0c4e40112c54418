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

#include "InputFile.h"
#include "compiler/InitAll.h"
#include "compiler/frontends/onnx/OnnxImporter.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <fstream>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // As slmc imports: one context with every dialect loaded.
  static mlir::MLIRContext &context = [] () -> mlir::MLIRContext & {
    static mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
    slmc::loadAllDialects(context);
    return context;
  }();
  static const std::string model = [] {
    const std::string &dir = slmc::fuzz::scratchDirectory();
    llvm::sys::fs::create_link(SLMC_FUZZ_DATA "/onnx-external/model.onnx.data",
                               dir + "/model.onnx.data");
    return dir + "/model.onnx";
  }();
  {
    std::ofstream out(model, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
    if (!out)
      return 0;
  }
  auto module = slmc::importOnnx(context, model);
  if (!module)
    llvm::consumeError(module.takeError());
  return 0;
}
