//===- TextChars.h - characters of the text being encoded -------*- C++ -*-===//
//
// Tokenizers start from the UTF-8 characters of their input, spell a
// character their vocabulary lacks as byte tokens (<0xNN>) where it has them,
// and otherwise must name every such character, rather than stopping at the
// first or quietly mapping it to <unk>.
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

/// The piece of the byte token for `byte`: "<0xE9>".
std::string byteTokenPiece(uint8_t byte);

/// The byte that `piece` stands for if it is a byte token.
std::optional<uint8_t> byteOfPiece(llvm::StringRef piece);

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
