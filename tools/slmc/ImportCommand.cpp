//===- ImportCommand.cpp - slmc import ------------------------------------===//

#include "tools/slmc/Command.h"
#include "tools/slmc/CommonFlags.h"

#include "absl/flags/flag.h"
#include "compiler/driver/ModelLoader.h"
#include "compiler/support/Error.h"
#include "mlir/IR/OperationSupport.h"

namespace slmc::cli {
namespace {

llvm::Error runImport(const std::vector<std::string> &args) {
  if (args.size() != 1)
    return makeError("expected exactly one MODEL, got {0} arguments", args.size());
  auto model = importModel(args[0]);
  if (!model)
    return model.takeError();
  // Weights are printed as references to their named blobs, never as bytes.
  mlir::OpPrintingFlags flags;
  flags.elideLargeResourceString(0);
  std::string text;
  llvm::raw_string_ostream os(text);
  model->module->print(os, flags);
  return writeOutput(absl::GetFlag(FLAGS_o), text);
}

} // namespace

const Command &importCommand() {
  static const Command command{
      "import",
      "Import a model and print its slm IR",
      "slmc import MODEL [-o out.mlir]",
      "MODEL is a Hugging Face folder (config.json + safetensors), an .onnx file or a\n"
      "llama2.c checkpoint. Weights appear as dense_resource references by tensor name;\n"
      "their bytes are not printed.",
      {"o"},
      runImport};
  return command;
}

} // namespace slmc::cli
