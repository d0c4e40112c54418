//===- Error.h - error values of slmc's libraries ---------------*- C++ -*-===//
//
// slmc's libraries report failures as llvm::Error / llvm::Expected carrying
// one human-readable message that names the file and what was wrong with it;
// tools print it and exit non-zero.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "llvm/Support/Error.h"
#include "llvm/Support/FormatVariadic.h"

namespace slmc {

/// An error with the formatted message, e.g. makeError("{0}: bad magic", path).
template <typename... Args>
llvm::Error makeError(const char *format, Args &&...args) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 llvm::formatv(format, std::forward<Args>(args)...).str());
}

} // namespace slmc
