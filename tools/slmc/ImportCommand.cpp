//===- ImportCommand.cpp - slmc import ------------------------------------===//

#include "tools/slmc/Command.h"
#include "tools/slmc/CommonFlags.h"

#include "absl/flags/flag.h"
#include "compiler/runner/ModelLoader.h"
#include "compiler/support/Error.h"
#include "mlir/IR/OperationSupport.h"

ABSL_FLAG(bool, optimize, true,
          "run the optimize stage (fusion into slm blocks; exported decoders get a KV cache); "
          "--nooptimize prints the IR as the importer wrote it");

namespace slmc::cli {
namespace {

llvm::Error runImport(const std::vector<std::string> &args) {
  if (args.size() != 1)
    return makeError("expected exactly one MODEL, got {0} arguments", args.size());
  auto model = importModel(args[0], {}, absl::GetFlag(FLAGS_optimize));
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
      "slmc import MODEL [--nooptimize] [-o out.mlir]",
      "MODEL is a Hugging Face folder (config.json + safetensors), an .onnx file or a\n"
      "llama2.c checkpoint. The IR is printed as the optimize stage leaves it, in slm's\n"
      "blocks whatever the format (an exported decoder with a KV cache); --nooptimize\n"
      "prints it as the importer wrote it. Weights appear as dense_resource references by\n"
      "tensor name; their bytes are not printed.",
      {"o", "optimize"},
      runImport};
  return command;
}

} // namespace slmc::cli
