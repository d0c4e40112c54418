//===- CommonFlags.cpp - flags several subcommands share ------------------===//

#include "tools/slmc/CommonFlags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, tokenizer, "",
          "tokenizer file: a llama2.c tokenizer.bin or a Hugging Face tokenizer.json "
          "(Hugging Face folders bring their own; llama2.c and ONNX models need this)");
ABSL_FLAG(std::string, o, "", "output file (default: standard output)");
ABSL_FLAG(bool, json, false, "print one JSON object instead of text");
ABSL_FLAG(int32_t, threads, 0,
          "threads of a compiled artifact's runtime session (0: one per CPU); the reference "
          "executor uses oneDNN's threads");
