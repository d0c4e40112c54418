//===- Command.h - slmc's subcommands ---------------------------*- C++ -*-===//
#pragma once

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace slmc::cli {

/// One `slmc NAME ...` subcommand: its help text, the flags it accepts (by
/// their Abseil names) and what it does with its positional arguments.
struct Command {
  const char *name;
  const char *summary;
  const char *usage;
  const char *details;
  std::vector<const char *> flags;
  llvm::Error (*run)(const std::vector<std::string> &positional);
};

const Command &importCommand();
const Command &compileCommand();
const Command &runCommand();
const Command &evalCommand();
const Command &inspectCommand();
const Command &targetsCommand();
const Command &synthCommand();
const Command &benchCommand();
const Command &tokenizeCommand();
const Command &detokenizeCommand();
const Command &keygenCommand();

/// Writes `text` to `path` so that a failure leaves no partial file, or to
/// stdout when path is empty or "-".
llvm::Error writeOutput(llvm::StringRef path, llvm::StringRef text);

} // namespace slmc::cli
