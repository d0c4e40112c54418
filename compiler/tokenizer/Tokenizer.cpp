//===- Tokenizer.cpp - text <-> token ids through libslmtok ---------------===//
//
// The compiler's face of runtime/tokenizer (libslmtok), the one implementation
// of both tokenizer formats, which devices run too. What this adds is the
// compiler's policy: a character the vocabulary cannot spell is an error that
// names it (with its byte offset), never a silent <unk>.
//
//===----------------------------------------------------------------------===//

#include "compiler/tokenizer/Tokenizer.h"

#include "compiler/support/Error.h"
#include "compiler/tokenizer/TextChars.h"

#include "llvm/Support/MemoryBuffer.h"

#include "slm_tokenizer.h"

#include <cstdlib>

namespace slmc {
namespace {

struct FreeTokenizer {
  void operator()(slm_tokenizer *tokenizer) const { slm_tok_free(tokenizer); }
};

class LibTokenizer final : public Tokenizer {
public:
  LibTokenizer(std::string path, slm_tokenizer *tokenizer, bool llama2c)
      : path_(std::move(path)), tokenizer_(tokenizer), llama2c_(llama2c) {}

  llvm::Expected<std::vector<int32_t>> encode(llvm::StringRef text, bool addSpecial,
                                              bool allowUnknown) const override {
    UnencodableChars unencodable;
    if (!llama2c_) { // tokenizer.json takes UTF-8: name the bytes that are not
      for (size_t at = 0, length; at < text.size(); at += length) {
        length = charLength(text, at);
        if (length == 1 && static_cast<unsigned char>(text[at]) >= 0x80)
          unencodable.add(text.substr(at, 1), at);
      }
      if (!unencodable.empty())
        return unencodable.error(path_);
    }
    // libslmtok reports the characters it cannot spell; each is found again
    // in the text for its offset (normalizers rarely change them).
    struct Context {
      llvm::StringRef text;
      size_t cursor;
      UnencodableChars *unencodable;
    } context{text, 0, &unencodable};
    slm_tok_encode_options options = {
        addSpecial,
        [](void *opaque, const char *character, size_t length) {
          auto *c = static_cast<Context *>(opaque);
          llvm::StringRef piece(character, length);
          size_t at = c->text.find(piece, c->cursor);
          if (at == llvm::StringRef::npos)
            at = c->cursor;
          else
            c->cursor = at + length;
          c->unencodable->add(piece, at);
        },
        &context};
    int32_t *ids = nullptr;
    size_t count = 0;
    char error[512];
    if (slm_tok_encode(tokenizer_.get(), text.data(), text.size(), &options, &ids, &count, error,
                       sizeof error) < 0)
      return makeError("{0}: {1}", path_, error);
    std::vector<int32_t> result(ids, ids + count);
    std::free(ids);
    // llama2.c has no unknown token: what it cannot spell is always an error.
    if (!unencodable.empty() && (!allowUnknown || llama2c_))
      return unencodable.error(path_);
    return result;
  }

  std::string decodePiece(int32_t previous, int32_t token) const override {
    char *text = nullptr;
    size_t length = 0;
    std::string piece;
    if (slm_tok_decode_piece(tokenizer_.get(), previous, token, &text, &length) == 0 && text)
      piece.assign(text, length);
    std::free(text);
    return piece;
  }

  std::string decodeText(llvm::ArrayRef<int32_t> ids, bool skipSpecial) const override {
    char *text = nullptr, error[256];
    size_t length = 0;
    std::string result;
    if (slm_tok_decode(tokenizer_.get(), ids.data(), ids.size(), skipSpecial, &text, &length,
                       error, sizeof error) == 0)
      result.assign(text, length);
    std::free(text);
    return result;
  }

  std::string tokenString(int32_t id) const override {
    size_t length = 0;
    const char *token = slm_tok_token(tokenizer_.get(), id, &length);
    return token ? std::string(token, length) : std::string();
  }

  int32_t vocabSize() const override { return slm_tok_vocab_size(tokenizer_.get()); }
  int32_t tokenId(llvm::StringRef token) const override {
    return slm_tok_id(tokenizer_.get(), token.data(), token.size());
  }

  void setSpecialIds(int32_t bos, int32_t eos) override {
    Tokenizer::setSpecialIds(bos, eos);
    slm_tok_set_special_ids(tokenizer_.get(), bos, eos);
  }

private:
  std::string path_;
  std::unique_ptr<slm_tokenizer, FreeTokenizer> tokenizer_;
  bool llama2c_;
};

} // namespace

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
  bool llama2c = tokenizerKind(contents) == "llama2c";
  char error[512];
  slm_tokenizer *loaded =
      llama2c ? slm_tok_load_llama2c(contents.data(), contents.size(), error, sizeof error)
              : slm_tok_load_json(contents.data(), contents.size(), error, sizeof error);
  if (!loaded)
    return makeError("{0}: {1}", name, error);
  auto tokenizer = std::make_unique<LibTokenizer>(name.str(), loaded, llama2c);
  int32_t size = tokenizer->vocabSize();
  if (size == 0)
    return makeError("{0}: the vocab is empty", name);
  // A llama2.c file holds exactly the model's tokens; a model may pad its
  // vocabulary beyond a tokenizer.json's, which must fit in it.
  if (llama2c && vocabSize != 0 && size != vocabSize)
    return makeError("{0}: has {1} tokens but the model's vocabulary has {2}", name, size,
                     vocabSize);
  if (!llama2c && vocabSize != 0 && size > vocabSize)
    return makeError("{0}: has ids up to {1} but the model's vocabulary has only {2}", name,
                     size - 1, vocabSize);
  return std::move(tokenizer);
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
