//===- TargetsCommand.cpp - slmc targets ----------------------------------===//

#include "tools/slmc/Command.h"

#include "compiler/support/Error.h"
#include "compiler/targets/Target.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

namespace slmc::cli {
namespace {

llvm::Error runTargets(const std::vector<std::string> &args) {
  if (!args.empty())
    return makeError("slmc targets takes no arguments");
  auto host = resolveTarget("host");
  for (const Target &t : allTargets()) {
    bool runnable = missingHostFeatures(t.requiredFeatures).empty();
    llvm::outs() << llvm::formatv("{0,-20} {1}{2}\n", t.name, t.description,
                                  host && host->name == t.name ? "  [host]"
                                  : runnable                  ? "  [runs here]"
                                                              : "");
    llvm::outs() << llvm::formatv("    triple {0}, cpu {1}\n    features {2}\n", t.triple, t.cpu,
                                  llvm::join(t.requiredFeatures, " "));
  }
  if (!host)
    llvm::consumeError(host.takeError());
  return llvm::Error::success();
}

} // namespace

const Command &targetsCommand() {
  static const Command command{"targets", "List the targets slmc compiles for", "slmc targets",
                               "host stands for the best target the running CPU supports.", {},
                               runTargets};
  return command;
}

} // namespace slmc::cli
