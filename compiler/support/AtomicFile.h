//===- AtomicFile.h - files that are whole or absent ------------*- C++ -*-===//
#pragma once

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

namespace slmc {

/// Writes `pieces`, in order, to a unique temporary file beside `path` and
/// renames it over `path`: readers never see half a file, and a failure
/// leaves nothing behind. Errors name the path and the cause.
llvm::Error writeFileAtomically(llvm::StringRef path,
                                llvm::ArrayRef<llvm::ArrayRef<char>> pieces);

} // namespace slmc
