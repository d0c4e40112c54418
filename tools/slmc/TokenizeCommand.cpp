//===- TokenizeCommand.cpp - slmc tokenize / slmc detokenize --------------===//
//
// Text to ids and back with a model's tokenizer, through the same library the
// compiler and devices use (libslmtok for tokenizer.json). Unlike compile and
// run, a character the vocabulary cannot spell is not an error here: the ids
// are what the tokenizer's own library gives (<unk>), with a warning.
//
//===----------------------------------------------------------------------===//

#include "tools/slmc/Command.h"
#include "tools/slmc/CommonFlags.h"

#include "absl/flags/flag.h"
#include "compiler/support/Error.h"
#include "compiler/tokenizer/Tokenizer.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

ABSL_FLAG(std::string, file, "", "tokenize: a file whose whole contents are the text");
ABSL_FLAG(bool, special, true,
          "tokenize: add the special tokens the tokenizer frames a text with (e.g. BOS); "
          "--no-special leaves them out");
ABSL_FLAG(bool, skip_special, false, "detokenize: leave special tokens out of the text");

namespace slmc::cli {
namespace {

/// --tokenizer names a tokenizer file, or a Hugging Face model folder that
/// holds its tokenizer.json.
llvm::Expected<std::unique_ptr<Tokenizer>> openTokenizer() {
  std::string path = absl::GetFlag(FLAGS_tokenizer);
  if (path.empty())
    return makeError("--tokenizer FILE|MODEL is required (a tokenizer.json, a llama2.c "
                     "tokenizer.bin, or a Hugging Face model folder)");
  if (llvm::sys::fs::is_directory(path)) {
    llvm::SmallString<256> own(path);
    llvm::sys::path::append(own, "tokenizer.json");
    if (!llvm::sys::fs::exists(own))
      return makeError("{0}: the folder has no tokenizer.json", path);
    path = own.str().str();
  }
  return loadTokenizer(path);
}

llvm::Error runTokenize(const std::vector<std::string> &args) {
  if (!args.empty())
    return makeError("slmc tokenize takes no positional arguments (the text comes from --text "
                     "or --file)");
  std::string text = absl::GetFlag(FLAGS_text), file = absl::GetFlag(FLAGS_file);
  if (text.empty() == file.empty())
    return makeError("give the text with exactly one of --text T and --file F");
  if (!file.empty()) {
    auto contents = llvm::MemoryBuffer::getFile(file, /*IsText=*/false,
                                                /*RequiresNullTerminator=*/false);
    if (!contents)
      return makeError("{0}: cannot read: {1}", file, contents.getError().message());
    text = (*contents)->getBuffer().str();
  }
  auto tokenizer = openTokenizer();
  if (!tokenizer)
    return tokenizer.takeError();
  // Strict first, for the warning's list of characters; then as the library encodes.
  auto strict = (*tokenizer)->encode(text, absl::GetFlag(FLAGS_special));
  if (!strict) {
    std::string problem = llvm::toString(strict.takeError());
    auto lenient = (*tokenizer)->encode(text, absl::GetFlag(FLAGS_special), true);
    if (!lenient)
      return makeError("{0}", problem);
    llvm::errs() << "slmc tokenize: warning: " << problem << " (they become <unk>)\n";
    strict = std::move(lenient);
  }
  const std::vector<int32_t> &ids = *strict;
  if (absl::GetFlag(FLAGS_json)) {
    llvm::json::Array idArray, tokens;
    for (int32_t id : ids) {
      idArray.push_back(id);
      tokens.push_back((*tokenizer)->tokenString(id));
    }
    llvm::outs() << llvm::formatv(
        "{0}\n", llvm::json::Value(llvm::json::Object{{"ids", std::move(idArray)},
                                                      {"tokens", std::move(tokens)}}));
    return llvm::Error::success();
  }
  llvm::outs() << llvm::join(llvm::map_range(ids, [](int32_t id) { return std::to_string(id); }),
                             " ")
               << "\n";
  return llvm::Error::success();
}

llvm::Error runDetokenize(const std::vector<std::string> &args) {
  auto tokenizer = openTokenizer();
  if (!tokenizer)
    return tokenizer.takeError();
  std::vector<int32_t> ids;
  for (const std::string &arg : args) {
    llvm::SmallVector<llvm::StringRef> parts; // "1 2 3" and "1,2,3" both read
    llvm::StringRef(arg).split(parts, ',', -1, false);
    for (llvm::StringRef part : parts) {
      int64_t id;
      if (part.trim().getAsInteger(10, id) || id < 0 || id >= (*tokenizer)->vocabSize())
        return makeError("'{0}' is not a token id of this tokenizer (0 to {1})", part.trim(),
                         (*tokenizer)->vocabSize() - 1);
      ids.push_back(static_cast<int32_t>(id));
    }
  }
  std::string text = (*tokenizer)->decodeText(ids, absl::GetFlag(FLAGS_skip_special));
  if (absl::GetFlag(FLAGS_json))
    llvm::outs() << llvm::formatv("{0}\n",
                                  llvm::json::Value(llvm::json::Object{{"text", text}}));
  else
    llvm::outs() << text << "\n";
  return llvm::Error::success();
}

} // namespace

const Command &tokenizeCommand() {
  static const Command command{
      "tokenize", "Print the token ids of a text",
      "slmc tokenize --tokenizer FILE|MODEL (--text T | --file F) [--no-special] [--json]",
      "The ids are space-separated; --json prints {\"ids\": [...], \"tokens\": [...]}. Special "
      "tokens written in the text are recognised either way.",
      {"tokenizer", "text", "file", "special", "json"},
      runTokenize};
  return command;
}

const Command &detokenizeCommand() {
  static const Command command{
      "detokenize", "Print the text of token ids",
      "slmc detokenize --tokenizer FILE|MODEL [--skip-special] [--json] ID...",
      "IDs may be separate arguments or comma-separated. The text is the tokenizer's decoding "
      "of the whole sequence (Hugging Face: its decoder chain, special tokens kept unless "
      "--skip-special); --json prints {\"text\": ...}.",
      {"tokenizer", "skip_special", "json"},
      runDetokenize};
  return command;
}

} // namespace slmc::cli
