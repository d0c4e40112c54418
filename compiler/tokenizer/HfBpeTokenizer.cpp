//===- HfBpeTokenizer.cpp - Hugging Face tokenizer.json through libslmtok -===//
//
// The compiler's face of runtime/tokenizer (libslmtok), the one implementation
// that devices run too. What this adds is the compiler's policy: a character
// the vocabulary cannot spell is an error that names it, never a silent <unk>.
//
//===----------------------------------------------------------------------===//

#include "compiler/tokenizer/HfBpeTokenizer.h"

#include "compiler/support/Error.h"
#include "compiler/tokenizer/TextChars.h"

#include "slm_tokenizer.h"

#include <cstdlib>

namespace slmc {
namespace {

struct FreeTokenizer {
  void operator()(slm_tokenizer *tokenizer) const { slm_tok_free(tokenizer); }
};

class HfBpeTokenizer final : public Tokenizer {
public:
  HfBpeTokenizer(std::string path, slm_tokenizer *tokenizer)
      : path_(std::move(path)), tokenizer_(tokenizer) {}

  llvm::Expected<std::vector<int32_t>> encode(llvm::StringRef text, bool addSpecial,
                                              bool allowUnknown) const override {
    UnencodableChars unencodable;
    for (size_t at = 0, length; at < text.size(); at += length) { // bytes that are not UTF-8
      length = charLength(text, at);
      if (length == 1 && static_cast<unsigned char>(text[at]) >= 0x80)
        unencodable.add(text.substr(at, 1), at);
    }
    if (!unencodable.empty())
      return unencodable.error(path_);
    // libslmtok reports the characters it could only spell as <unk>; each is
    // found again in the text for its offset (normalizers rarely change them).
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
    if (!unencodable.empty() && !allowUnknown)
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

  std::string tokenString(int32_t id) const override {
    size_t length = 0;
    const char *token = slm_tok_token(tokenizer_.get(), id, &length);
    return token ? std::string(token, length) : std::string();
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

  int32_t vocabSize() const override { return slm_tok_vocab_size(tokenizer_.get()); }

private:
  std::string path_;
  std::unique_ptr<slm_tokenizer, FreeTokenizer> tokenizer_;
};
} // namespace

llvm::Expected<std::unique_ptr<Tokenizer>>
parseHfBpeTokenizer(llvm::StringRef path, llvm::StringRef contents, int32_t vocabSize) {
  char error[512];
  slm_tokenizer *loaded = slm_tok_load_json(contents.data(), contents.size(), error, sizeof error);
  if (!loaded)
    return makeError("{0}: {1}", path, error);
  auto tokenizer = std::make_unique<HfBpeTokenizer>(path.str(), loaded);
  if (tokenizer->vocabSize() == 0)
    return makeError("{0}: the vocab is empty", path);
  if (vocabSize != 0 && tokenizer->vocabSize() > vocabSize)
    return makeError("{0}: has ids up to {1} but the model's vocabulary has only {2}", path,
                     tokenizer->vocabSize() - 1, vocabSize);
  return std::move(tokenizer);
}

} // namespace slmc
