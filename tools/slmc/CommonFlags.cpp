//===- CommonFlags.cpp - flags several subcommands share ------------------===//

#include "tools/slmc/CommonFlags.h"

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "compiler/runner/RuntimeModel.h"
#include "compiler/support/Error.h"
#include "llvm/Support/FileSystem.h"

#include <algorithm>

ABSL_FLAG(std::string, tokenizer, "",
          "tokenizer file: a llama2.c tokenizer.bin or a Hugging Face tokenizer.json "
          "(Hugging Face folders bring their own; llama2.c and ONNX models need this)");
ABSL_FLAG(std::string, text, "",
          "eval: the text file to evaluate on; tokenize: the text to encode");
ABSL_FLAG(std::string, o, "", "output file (default: standard output)");
ABSL_FLAG(bool, json, false, "print one JSON object instead of text");
ABSL_FLAG(int32_t, threads, 0,
          "threads of a compiled artifact's runtime session (0: one per CPU); the reference "
          "executor uses oneDNN's threads");
ABSL_FLAG(std::string, teacher, "",
          "a reference model with the student's vocabulary: eval compares with it (adds "
          "kl_to_teacher and top1_agreement); compile --quant calibrates against it (default: "
          "the float student)");
ABSL_FLAG(uint64_t, seed, 0,
          "random seed: run samples with it, compile --quant draws its calibration windows "
          "with it (same seed, same result)");

std::string slmc::cli::dashed(std::string_view name) {
  std::string text(name);
  std::replace(text.begin(), text.end(), '_', '-');
  return text;
}

bool slmc::cli::isFlagSet(std::string_view name) {
  // Debian's Abseil keeps IsSpecifiedOnCommandLine() private: a flag still at
  // its default counts as not given.
  absl::CommandLineFlag *flag = absl::FindCommandLineFlag(std::string(name));
  return flag && flag->CurrentValue() != flag->DefaultValue();
}

llvm::Error slmc::cli::checkTokenizerFlag(llvm::StringRef model, bool required) {
  if (!required || !absl::GetFlag(FLAGS_tokenizer).empty() || !llvm::sys::fs::exists(model) ||
      llvm::sys::fs::is_directory(model) || isArtifact(model))
    return llvm::Error::success();
  return makeError("{0}: llama2.c checkpoints and ONNX files carry no tokenizer; pass "
                   "--tokenizer FILE (a llama2.c tokenizer.bin or a tokenizer.json)",
                   model);
}
