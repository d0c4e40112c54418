//===- TextChars.cpp - characters of the text being encoded ---------------===//

#include "compiler/tokenizer/TextChars.h"

#include "compiler/support/Error.h"

#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FormatVariadic.h"

namespace slmc {
namespace {
std::string describe(llvm::StringRef character) {
  const auto *begin = reinterpret_cast<const llvm::UTF8 *>(character.data());
  const auto *cursor = begin;
  llvm::UTF32 codepoint = 0;
  if (llvm::convertUTF8Sequence(&cursor, begin + character.size(), &codepoint,
                                llvm::strictConversion) != llvm::conversionOK ||
      cursor != begin + character.size()) {
    std::string bytes = "invalid UTF-8";
    for (unsigned char byte : character)
      bytes += llvm::formatv(" 0x{0:X-2}", byte).str();
    return bytes;
  }
  // Control characters would garble the message; the code point names them.
  bool printable =
      codepoint >= 0x20 && codepoint != 0x7F && !(codepoint >= 0x80 && codepoint < 0xA0);
  if (!printable)
    return llvm::formatv("U+{0:X-4}", codepoint).str();
  return llvm::formatv("U+{0:X-4} '{1}'", codepoint, character).str();
}
} // namespace

size_t charLength(llvm::StringRef text, size_t offset) {
  const auto *begin = reinterpret_cast<const llvm::UTF8 *>(text.data()) + offset;
  unsigned length = llvm::getNumBytesForUTF8(*begin);
  if (length > text.size() - offset || !llvm::isLegalUTF8Sequence(begin, begin + length))
    return 1;
  return length;
}

void UnencodableChars::add(llvm::StringRef character, size_t offset) {
  found_.push_back(llvm::formatv("{0} at byte offset {1}", describe(character), offset).str());
}

llvm::Error UnencodableChars::error(llvm::StringRef path) const {
  std::string others;
  for (size_t i = 1; i < found_.size(); ++i)
    others += (i == 1 ? "" : ", ") + found_[i];
  if (found_.size() == 1)
    return makeError("{0}: cannot encode {1}", path, found_[0]);
  return makeError("{0}: cannot encode {1} (and {2} more: {3})", path, found_[0], found_.size() - 1,
                   others);
}

} // namespace slmc
