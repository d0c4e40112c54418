//===- AtomicFile.cpp - files that are whole or absent --------------------===//

#include "compiler/support/AtomicFile.h"

#include "compiler/support/Error.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/raw_ostream.h"

namespace slmc {

llvm::Error writeFileAtomically(llvm::StringRef path,
                                llvm::ArrayRef<llvm::ArrayRef<char>> pieces) {
  llvm::SmallString<128> tempPath;
  int fd;
  if (std::error_code error =
          llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%%%", fd, tempPath))
    return makeError("{0}: cannot create a temporary file beside it: {1}", path, error.message());
  llvm::FileRemover removeOnFailure(tempPath);
  llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
  for (llvm::ArrayRef<char> piece : pieces)
    out.write(piece.data(), piece.size());
  out.close();
  if (std::error_code error = out.error()) {
    out.clear_error();
    return makeError("{0}: cannot write: {1}", tempPath, error.message());
  }
  if (std::error_code error = llvm::sys::fs::rename(tempPath, path))
    return makeError("{0}: cannot rename {1} to it: {2}", path, tempPath, error.message());
  removeOnFailure.releaseFile();
  return llvm::Error::success();
}

} // namespace slmc
