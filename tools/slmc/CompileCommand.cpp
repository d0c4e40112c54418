//===- CompileCommand.cpp - slmc compile ----------------------------------===//

#include "tools/slmc/Command.h"
#include "tools/slmc/CommonFlags.h"

#include "absl/flags/flag.h"
#include "compiler/driver/Compile.h"
#include "compiler/support/Error.h"

#include <chrono>

ABSL_FLAG(std::string, target, "host",
          "the device to compile for (see slmc targets); host picks the best for this CPU");
ABSL_FLAG(int64_t, max_context, 0,
          "KV-cache capacity in positions (default: the model's context length)");
ABSL_FLAG(int64_t, max_tokens, 64,
          "the most tokens one forward call processes (longer prompts are prefilled in chunks)");

namespace slmc::cli {
namespace {

llvm::Error runCompile(const std::vector<std::string> &args) {
  if (args.size() != 1)
    return makeError("expected exactly one MODEL, got {0} arguments", args.size());
  std::string output = absl::GetFlag(FLAGS_o);
  if (output.empty())
    return makeError("-o FILE.slmpack is required");
  CompileOptions options;
  options.target = absl::GetFlag(FLAGS_target);
  options.maxContext = absl::GetFlag(FLAGS_max_context);
  options.maxTokensPerCall = absl::GetFlag(FLAGS_max_tokens);
  if (options.maxContext < 0)
    return makeError("--max-context must be positive, got {0}", options.maxContext);
  auto start = std::chrono::steady_clock::now();
  if (llvm::Error error =
          compileModelFile(args[0], absl::GetFlag(FLAGS_tokenizer), options, output))
    return error;
  llvm::errs() << llvm::formatv(
      "compiled {0} -> {1} in {2:F2} s\n", args[0], output,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return llvm::Error::success();
}

} // namespace

const Command &compileCommand() {
  static const Command command{
      "compile",
      "Compile a model into a device-ready .slmpack artifact",
      "slmc compile MODEL --target T [--max-context N] [--max-tokens N] [--tokenizer FILE] -o "
      "out.slmpack",
      "The artifact holds the machine code for the target, the weights laid out for its\n"
      "kernels, the memory plan and the tokenizer: the tiny runtime (libslmrt) runs it\n"
      "with no other file. Compiling the same inputs twice gives identical bytes.",
      {"target", "max_context", "max_tokens", "tokenizer", "o"},
      runCompile};
  return command;
}

} // namespace slmc::cli
