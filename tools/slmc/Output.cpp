//===- Output.cpp - writing results without leaving partial files ---------===//

#include "tools/slmc/Command.h"

#include "compiler/support/AtomicFile.h"
#include "llvm/Support/raw_ostream.h"

namespace slmc::cli {

llvm::Error writeOutput(llvm::StringRef path, llvm::StringRef text) {
  if (path.empty() || path == "-") {
    llvm::outs() << text;
    llvm::outs().flush();
    return llvm::Error::success();
  }
  return writeFileAtomically(path, {llvm::ArrayRef<char>(text.data(), text.size())});
}

} // namespace slmc::cli
