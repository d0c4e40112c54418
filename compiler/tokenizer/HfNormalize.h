//===- HfNormalize.h - tokenizer.json normalizer and pre-tokenizer -*- C++ -*-===//
//
// The string rewrites a Hugging Face tokenizer applies before BPE: the
// "normalizer" (Prepend, Replace, Sequence of them) and the "pre_tokenizer"
// (none, or Metaspace). Other types are refused by name, since ignoring one
// would silently give ids the model never saw.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <string>
#include <vector>

namespace slmc {

/// Text being rewritten, with the byte offset in the caller's text that each
/// byte came from, so that errors point into the text the caller passed.
struct TrackedText {
  std::string text;
  std::vector<size_t> origin;

  static TrackedText of(llvm::StringRef text);
  TrackedText slice(size_t begin, size_t end) const;
};

/// tokenizer.json's "normalizer", applied to each stretch of text between
/// added tokens that are not themselves normalized.
class Normalizer {
public:
  /// `spec` is the JSON value (null or absent: no normalizer).
  static llvm::Expected<Normalizer> parse(llvm::StringRef path, const llvm::json::Value *spec);
  TrackedText apply(TrackedText text) const;

private:
  struct Step {
    bool prepend;
    std::string pattern;
    std::string content;
  };
  static llvm::Error addSteps(llvm::StringRef path, const llvm::json::Value &spec,
                              std::vector<Step> &steps);
  std::vector<Step> steps_;
};

/// tokenizer.json's "pre_tokenizer": splits normalized text into the words
/// that BPE merges separately.
class PreTokenizer {
public:
  /// `spec` is the JSON value (null or absent: the text is one word).
  static llvm::Expected<PreTokenizer> parse(llvm::StringRef path, const llvm::json::Value *spec);
  std::vector<TrackedText> apply(TrackedText text) const;

private:
  enum class Prepend { Always, First, Never };
  bool metaspace_ = false;
  std::string replacement_;
  Prepend prepend_ = Prepend::Always;
  bool split_ = true;
};

} // namespace slmc
