//===- CommonFlags.h - flags several subcommands share ----------*- C++ -*-===//
#pragma once

#include "absl/flags/declare.h"
#include "llvm/Support/Error.h"

#include <string>
#include <string_view>

ABSL_DECLARE_FLAG(std::string, tokenizer);
ABSL_DECLARE_FLAG(std::string, text);
ABSL_DECLARE_FLAG(std::string, o);
ABSL_DECLARE_FLAG(bool, json);
ABSL_DECLARE_FLAG(int32_t, threads);
ABSL_DECLARE_FLAG(std::string, teacher);
ABSL_DECLARE_FLAG(uint64_t, seed);

namespace slmc::cli {
/// Flags are shown as users type them: --max-context, not --max_context.
std::string dashed(std::string_view name);
/// True when the flag (underscore spelling) holds other than its default.
bool isFlagSet(std::string_view name);
/// A model given to run, eval or compile as a file that is neither a folder
/// nor an artifact (a llama2.c checkpoint or an ONNX graph) carries no
/// tokenizer: an error saying to pass --tokenizer when none is. `required`
/// false (compile of an ONNX file, which may be a plain graph) lets it pass.
llvm::Error checkTokenizerFlag(llvm::StringRef model, bool required = true);
} // namespace slmc::cli
