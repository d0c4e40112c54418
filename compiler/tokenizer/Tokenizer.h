//===- Tokenizer.h - text <-> token ids -------------------------*- C++ -*-===//
#pragma once

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace slmc {

/// Encodes text into token ids the way a model saw it in training, and decodes
/// ids back to bytes one piece at a time the way llama2.c prints them.
class Tokenizer {
public:
  virtual ~Tokenizer() = default;

  /// The ids of `text`, with the special tokens the tokenizer frames a text
  /// with (its post-processor's, e.g. BOS; llama2.c's BOS) when `addSpecial`.
  /// Characters the vocabulary cannot encode are an error that lists each one
  /// (as U+XXXX and its byte offset in `text`), unless `allowUnknown`: then
  /// they become what the tokenizer's own library makes of them (<unk>).
  virtual llvm::Expected<std::vector<int32_t>> encode(llvm::StringRef text, bool addSpecial,
                                                      bool allowUnknown = false) const = 0;

  /// A token's string as the vocabulary holds it ("Ġthe", "▁the", "<0x0A>").
  virtual std::string tokenString(int32_t id) const = 0;

  /// The text of `ids` as the tokenizer's own library decodes a whole
  /// sequence (Hugging Face: its decoder chain; special tokens kept unless
  /// `skipSpecial`; llama2.c: its pieces).
  virtual std::string decodeText(llvm::ArrayRef<int32_t> ids, bool skipSpecial) const = 0;

  /// The bytes that `token` stands for when it follows `previous` in a
  /// generated sequence: byte tokens (<0xNN>) become that byte and the
  /// leading space of the first piece after BOS is dropped.
  virtual std::string decodePiece(int32_t previous, int32_t token) const = 0;

  /// The whole text of `tokens` (a leading BOS is not printed).
  std::string decode(llvm::ArrayRef<int32_t> tokens) const;

  virtual int32_t vocabSize() const = 0;
  /// The id of a token string as the vocabulary or the added tokens hold it, or -1.
  virtual int32_t tokenId(llvm::StringRef token) const = 0;
  int32_t bosId() const { return bos_; }
  int32_t eosId() const { return eos_; }
  /// Models name their own BOS/EOS ids (config.json, llama2.c's fixed 1/2).
  virtual void setSpecialIds(int32_t bos, int32_t eos) {
    bos_ = bos;
    eos_ = eos;
  }

private:
  int32_t bos_ = 1;
  int32_t eos_ = 2;
};

/// Loads a llama2.c tokenizer.bin or a Hugging Face tokenizer.json (chosen by
/// content, not by name), both read and run by libslmtok (runtime/tokenizer),
/// the implementation devices run too. `vocabSize` is the model's vocabulary
/// size, checked against the file's (0 skips the check).
llvm::Expected<std::unique_ptr<Tokenizer>> loadTokenizer(llvm::StringRef path,
                                                         int32_t vocabSize = 0);

/// Parses the contents of either tokenizer file format; `name` (a path, or
/// where the bytes came from) appears in errors.
llvm::Expected<std::unique_ptr<Tokenizer>> parseTokenizer(llvm::StringRef name,
                                                          llvm::StringRef contents,
                                                          int32_t vocabSize = 0);

/// The tokens of a whole text file with BOS in front (as perplexity and
/// calibration read text); errors name the file.
llvm::Expected<std::vector<int32_t>> encodeTextFile(llvm::StringRef path,
                                                    const Tokenizer &tokenizer);

/// "huggingface" for tokenizer.json contents, else "llama2c".
llvm::StringRef tokenizerKind(llvm::StringRef contents);

} // namespace slmc
