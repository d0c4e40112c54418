//===- Tokenizer.cpp - text <-> token ids ---------------------------------===//

#include "compiler/tokenizer/Tokenizer.h"

#include "compiler/support/Error.h"
#include "compiler/tokenizer/HfBpeTokenizer.h"
#include "compiler/tokenizer/Llama2cTokenizer.h"

#include "llvm/Support/MemoryBuffer.h"

namespace slmc {

std::string Tokenizer::decode(llvm::ArrayRef<int32_t> tokens) const {
  std::string text;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i == 0 && tokens[i] == bosId())
      continue;
    // -1: the first token follows nothing, so it keeps its leading space.
    text += decodePiece(i == 0 ? -1 : tokens[i - 1], tokens[i]);
  }
  return text;
}

std::string Tokenizer::decodeText(llvm::ArrayRef<int32_t> ids, bool skipSpecial) const {
  (void)skipSpecial; // pieces never print special tokens
  return decode(ids);
}

llvm::Expected<std::unique_ptr<Tokenizer>> loadTokenizer(llvm::StringRef path, int32_t vocabSize) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError("{0}: cannot read tokenizer: {1}", path, buffer.getError().message());
  return parseTokenizer(path, (*buffer)->getBuffer(), vocabSize);
}

llvm::StringRef tokenizerKind(llvm::StringRef contents) {
  // JSON opens with '{'; a llama2.c file with its binary int32 max_token_length.
  size_t first = contents.find_first_not_of(" \t\r\n");
  return first != llvm::StringRef::npos && contents[first] == '{' ? "huggingface" : "llama2c";
}

llvm::Expected<std::unique_ptr<Tokenizer>> parseTokenizer(llvm::StringRef name,
                                                          llvm::StringRef contents,
                                                          int32_t vocabSize) {
  if (tokenizerKind(contents) == "huggingface")
    return parseHfBpeTokenizer(name, contents, vocabSize);
  return parseLlama2cTokenizer(name, contents, vocabSize);
}

llvm::Expected<std::vector<int32_t>> encodeTextFile(llvm::StringRef path,
                                                    const Tokenizer &tokenizer) {
  auto text = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!text)
    return makeError("{0}: cannot read: {1}", path, text.getError().message());
  auto tokens = tokenizer.encode((*text)->getBuffer(), /*addSpecial=*/true);
  if (!tokens)
    return makeError("{0}: {1}", path, llvm::toString(tokens.takeError()));
  return tokens;
}

} // namespace slmc
