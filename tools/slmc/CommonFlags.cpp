//===- CommonFlags.cpp - flags several subcommands share ------------------===//

#include "tools/slmc/CommonFlags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, tokenizer, "",
          "tokenizer file: a llama2.c tokenizer.bin or a Hugging Face tokenizer.json "
          "(Hugging Face folders bring their own; llama2.c and ONNX models need this)");
ABSL_FLAG(std::string, o, "", "output file (default: standard output)");
ABSL_FLAG(bool, json, false, "print one JSON object instead of text");
