//===- TextChars.h - characters of the text being encoded -------*- C++ -*-===//
//
// The compiler's policy on text a vocabulary cannot spell (no token, no byte
// token): name every such character, rather than stopping at the first or
// quietly mapping it to <unk>.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace slmc {

/// The byte length of the UTF-8 character at `offset` of `text`; 1 for a byte
/// that does not start a valid sequence, so that any bytes can be walked.
size_t charLength(llvm::StringRef text, size_t offset);

/// Gathers the characters a vocabulary cannot encode so that one error names
/// them all.
class UnencodableChars {
public:
  /// `character` is one character (or stray bytes) found at byte `offset`.
  void add(llvm::StringRef character, size_t offset);
  bool empty() const { return found_.empty(); }
  /// "PATH: cannot encode U+00E9 'é' at byte offset 12 (and 1 more: ...)".
  llvm::Error error(llvm::StringRef path) const;

private:
  std::vector<std::string> found_;
};

} // namespace slmc
