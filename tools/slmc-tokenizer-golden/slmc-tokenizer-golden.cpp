//===- slmc-tokenizer-golden.cpp - libslmtok against recorded goldens ------===//
//
// slmc-tokenizer-golden TOKENIZER.json GOLDEN.jsonl
//
// Each line of GOLDEN.jsonl is {text, add_special_tokens, ids, decoded}, as an
// independent implementation (Hugging Face's tokenizers) produced it: the ids
// must equal libslmtok's encoding of text, and decoded its decoding of ids
// (special tokens kept). Prints every mismatch and a summary; exits 1 on any.
//
//===----------------------------------------------------------------------===//

#include "slm_tokenizer.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <memory>
#include <vector>

namespace {
std::string show(const std::vector<int32_t> &ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i)
    s += (i ? " " : "") + std::to_string(ids[i]);
  return s;
}
} // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    llvm::errs() << "usage: slmc-tokenizer-golden TOKENIZER.json GOLDEN.jsonl\n";
    return 2;
  }
  auto tokenizerFile = llvm::MemoryBuffer::getFile(argv[1]);
  auto goldenFile = llvm::MemoryBuffer::getFile(argv[2]);
  if (!tokenizerFile || !goldenFile) {
    llvm::errs() << "slmc-tokenizer-golden: cannot read " << (tokenizerFile ? argv[2] : argv[1])
                 << "\n";
    return 2;
  }
  char error[512];
  std::unique_ptr<slm_tokenizer, void (*)(slm_tokenizer *)> tokenizer(
      slm_tok_load_json((*tokenizerFile)->getBufferStart(), (*tokenizerFile)->getBufferSize(),
                        error, sizeof error),
      slm_tok_free);
  if (!tokenizer) {
    llvm::errs() << argv[1] << ": " << error << "\n";
    return 2;
  }
  int total = 0, failed = 0;
  llvm::SmallVector<llvm::StringRef> lines;
  (*goldenFile)->getBuffer().split(lines, '\n', -1, false);
  for (llvm::StringRef line : lines) {
    llvm::Expected<llvm::json::Value> record = llvm::json::parse(line);
    const llvm::json::Object *object = record ? record->getAsObject() : nullptr;
    const llvm::json::Array *idsJson = object ? object->getArray("ids") : nullptr;
    std::optional<llvm::StringRef> text = object ? object->getString("text") : std::nullopt;
    std::optional<llvm::StringRef> decoded = object ? object->getString("decoded") : std::nullopt;
    std::optional<bool> addSpecial =
        object ? object->getBoolean("add_special_tokens") : std::nullopt;
    if (!idsJson || !text || !decoded || !addSpecial) {
      if (!record)
        llvm::consumeError(record.takeError());
      llvm::errs() << argv[2] << ": line " << total + 1 << " is not a golden record\n";
      return 2;
    }
    std::vector<int32_t> want;
    for (const llvm::json::Value &id : *idsJson)
      want.push_back(static_cast<int32_t>(id.getAsInteger().value_or(-1)));
    ++total;

    slm_tok_encode_options options = {*addSpecial, nullptr, nullptr};
    int32_t *ids = nullptr;
    size_t count = 0;
    std::vector<int32_t> got;
    if (slm_tok_encode(tokenizer.get(), text->data(), text->size(), &options, &ids, &count, error,
                       sizeof error) < 0) {
      llvm::outs() << "FAIL encode " << llvm::json::Value(*text) << ": " << error << "\n";
      ++failed;
      continue;
    }
    got.assign(ids, ids + count);
    std::free(ids);
    char *textOut = nullptr;
    size_t textLen = 0;
    bool decodedOk = slm_tok_decode(tokenizer.get(), want.data(), want.size(), 0, &textOut,
                                    &textLen, error, sizeof error) == 0 &&
                     llvm::StringRef(textOut, textLen) == *decoded;
    std::string decodedText = textOut ? std::string(textOut, textLen) : std::string(error);
    std::free(textOut);
    if (got != want || !decodedOk) {
      ++failed;
      llvm::outs() << "FAIL " << llvm::json::Value(*text) << " add_special_tokens=" << *addSpecial
                   << "\n";
      if (got != want)
        llvm::outs() << "  ids want: " << show(want) << "\n  ids got:  " << show(got) << "\n";
      if (!decodedOk)
        llvm::outs() << "  decoded want: " << llvm::json::Value(*decoded)
                     << "\n  decoded got:  " << llvm::json::Value(decodedText) << "\n";
    }
  }
  llvm::outs() << argv[2] << ": " << total - failed << " of " << total
               << " records encode and decode as the golden says\n";
  return failed ? 1 : 0;
}
