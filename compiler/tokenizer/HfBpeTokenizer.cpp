//===- HfBpeTokenizer.cpp - Hugging Face tokenizer.json (BPE) -------------===//

#include "compiler/tokenizer/HfBpeTokenizer.h"

#include "compiler/support/Error.h"
#include "compiler/tokenizer/HfNormalize.h"
#include "compiler/tokenizer/PairMerge.h"
#include "compiler/tokenizer/TextChars.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"

#include <array>
#include <bitset>

namespace slmc {
namespace {
constexpr llvm::StringLiteral kSpaceMark = "\xE2\x96\x81"; // U+2581, SentencePiece's space

// Ids can size tables; a larger one is a broken file, not a vocabulary.
constexpr int64_t kMaxId = 1 << 24;

// Added tokens are found leftmost-longest, as the tokenizers library's
// Aho-Corasick automaton finds them.
class AddedTokenMatcher {
public:
  void add(std::string content, int32_t id) {
    // A token that normalizes to nothing can never be found.
    if (content.empty())
      return;
    firstBytes_.set(static_cast<unsigned char>(content.front()));
    auto longer = llvm::upper_bound(tokens_, content.size(), [](size_t size, const Token &token) {
      return size > token.content.size();
    });
    tokens_.insert(longer, {std::move(content), id});
  }

  /// Calls `onText` for each stretch of `text` between added tokens and
  /// appends the tokens' ids to `ids` in between.
  template <typename OnText>
  void split(const TrackedText &text, std::vector<int32_t> &ids, OnText onText) const {
    llvm::StringRef bytes = text.text;
    size_t start = 0;
    for (size_t at = 0; at < bytes.size();) {
      const Token *hit =
          firstBytes_.test(static_cast<unsigned char>(bytes[at])) ? match(bytes, at) : nullptr;
      if (!hit) {
        ++at;
        continue;
      }
      if (at > start)
        onText(text.slice(start, at));
      ids.push_back(hit->id);
      at += hit->content.size();
      start = at;
    }
    if (start < bytes.size())
      onText(start == 0 ? text : text.slice(start, bytes.size()));
  }

private:
  struct Token {
    std::string content;
    int32_t id;
  };

  const Token *match(llvm::StringRef bytes, size_t at) const {
    for (const Token &token : tokens_)
      if (bytes.substr(at).starts_with(token.content))
        return &token;
    return nullptr;
  }

  std::vector<Token> tokens_;
  std::bitset<256> firstBytes_;
};

uint64_t pairKey(int32_t left, int32_t right) {
  return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
}

class HfBpeTokenizer final : public Tokenizer {
public:
  static llvm::Expected<std::unique_ptr<HfBpeTokenizer>> create(llvm::StringRef path,
                                                                const llvm::json::Object &top);

  llvm::Expected<std::vector<int32_t>> encode(llvm::StringRef text, bool addBos) const override {
    std::vector<int32_t> ids;
    if (addBos)
      ids.push_back(bosId());
    UnencodableChars unencodable;
    // Tokens marked normalized are looked for in normalized text, in their
    // normalized form; the others in the text as given (tokenizers'
    // AddedVocabulary::extract_and_normalize).
    rawAdded_.split(TrackedText::of(text), ids, [&](const TrackedText &stretch) {
      normalizedAdded_.split(normalizer_.apply(stretch), ids, [&](const TrackedText &normalized) {
        for (const TrackedText &word : preTokenizer_.apply(normalized))
          encodeWord(word, ids, unencodable);
      });
    });
    if (!unencodable.empty())
      return unencodable.error(path_);
    return ids;
  }

  std::string decodePiece(int32_t previous, int32_t token) const override {
    if (token < 0 || token >= vocabSize() || special_[token])
      return "";
    std::string text;
    if (std::optional<uint8_t> byte = byteOfPiece(pieces_[token])) {
      text.push_back(static_cast<char>(*byte));
    } else {
      llvm::StringRef rest = pieces_[token];
      for (size_t mark; (mark = rest.find(kSpaceMark)) != llvm::StringRef::npos;
           rest = rest.drop_front(mark + kSpaceMark.size()))
        text += rest.take_front(mark).str() + " ";
      text += rest.str();
    }
    // The decoder's Strip(start=1) drops the space the normalizer prefixed.
    if (previous == bosId() && llvm::StringRef(text).starts_with(" "))
      text.erase(0, 1);
    return text;
  }

  int32_t vocabSize() const override { return static_cast<int32_t>(pieces_.size()); }

private:
  HfBpeTokenizer(std::string path, Normalizer normalizer, PreTokenizer preTokenizer)
      : path_(std::move(path)), normalizer_(std::move(normalizer)),
        preTokenizer_(std::move(preTokenizer)) {
    byteIds_.fill(-1);
  }

  llvm::Error readModel(const llvm::json::Object &model);
  llvm::Error readAddedTokens(const llvm::json::Array &tokens);

  void encodeWord(const TrackedText &word, std::vector<int32_t> &ids,
                  UnencodableChars &unencodable) const {
    llvm::StringRef text = word.text;
    if (ignoreMerges_)
      if (auto whole = vocab_.find(text); whole != vocab_.end()) {
        ids.push_back(whole->second);
        return;
      }
    std::vector<int32_t> symbols;
    for (size_t at = 0, length; at < text.size(); at += length) {
      length = charLength(text, at);
      llvm::StringRef character = text.substr(at, length);
      if (auto it = vocab_.find(character); it != vocab_.end())
        symbols.push_back(it->second);
      else if (llvm::all_of(character.bytes(), [&](uint8_t byte) { return byteIds_[byte] >= 0; }))
        for (uint8_t byte : character.bytes())
          symbols.push_back(byteIds_[byte]);
      else
        unencodable.add(character, word.origin[at]);
    }
    mergePairs(symbols,
               [&](int32_t left, int32_t right) -> std::optional<std::pair<double, int32_t>> {
                 auto it = merges_.find(pairKey(left, right));
                 if (it == merges_.end())
                   return std::nullopt;
                 return std::make_pair(static_cast<double>(it->second.first), it->second.second);
               });
    ids.insert(ids.end(), symbols.begin(), symbols.end());
  }

  std::string path_;
  Normalizer normalizer_;
  PreTokenizer preTokenizer_;
  AddedTokenMatcher rawAdded_;
  AddedTokenMatcher normalizedAdded_;
  llvm::StringMap<int32_t> vocab_;
  /// (left, right) -> (rank, merged id).
  llvm::DenseMap<uint64_t, std::pair<uint32_t, int32_t>> merges_;
  /// The <0xNN> token of each byte, -1 where byte fallback cannot use one.
  std::array<int32_t, 256> byteIds_;
  bool ignoreMerges_ = false;
  std::vector<std::string> pieces_;
  std::vector<bool> special_;
};

llvm::Error HfBpeTokenizer::readModel(const llvm::json::Object &model) {
  if (std::optional<double> dropout = model.getNumber("dropout"); dropout && *dropout > 0)
    return makeError("{0}: BPE dropout is not supported (it makes encoding random)", path_);
  for (llvm::StringRef affix : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (std::optional<llvm::StringRef> value = model.getString(affix); value && !value->empty())
      return makeError("{0}: BPE {1} '{2}' is not supported", path_, affix, *value);
  ignoreMerges_ = model.getBoolean("ignore_merges").value_or(false);

  const llvm::json::Object *vocab = model.getObject("vocab");
  if (!vocab)
    return makeError("{0}: model has no \"vocab\" object", path_);
  for (const auto &[piece, value] : *vocab) {
    std::optional<int64_t> id = value.getAsInteger();
    if (!id || *id < 0 || *id >= kMaxId)
      return makeError("{0}: vocab entry '{1}' has no valid id", path_, piece.str());
    vocab_[piece] = static_cast<int32_t>(*id);
    if (pieces_.size() <= static_cast<size_t>(*id))
      pieces_.resize(*id + 1);
    pieces_[*id] = piece.str();
  }

  if (model.getBoolean("byte_fallback").value_or(false))
    for (unsigned byte = 0; byte < 256; ++byte)
      if (auto it = vocab_.find(byteTokenPiece(byte)); it != vocab_.end())
        byteIds_[byte] = it->second;

  const llvm::json::Array *merges = model.getArray("merges");
  for (size_t rank = 0; merges && rank < merges->size(); ++rank) {
    const llvm::json::Value &merge = (*merges)[rank];
    std::optional<llvm::StringRef> left, right;
    // Older files write "a b", newer ones ["a", "b"].
    if (std::optional<llvm::StringRef> line = merge.getAsString(); line && line->contains(' ')) {
      std::tie(left, right) = line->split(' ');
    } else if (const llvm::json::Array *pair = merge.getAsArray(); pair && pair->size() == 2) {
      left = (*pair)[0].getAsString();
      right = (*pair)[1].getAsString();
    }
    if (!left || !right)
      return makeError("{0}: merge {1} is neither \"a b\" nor [\"a\", \"b\"]", path_, rank);
    auto leftId = vocab_.find(*left), rightId = vocab_.find(*right),
         mergedId = vocab_.find((*left + *right).str());
    if (leftId == vocab_.end() || rightId == vocab_.end() || mergedId == vocab_.end())
      return makeError("{0}: merge {1} ('{2}' '{3}') uses a token that is not in the vocab", path_,
                       rank, *left, *right);
    // A repeated pair takes its last rank, as in the tokenizers library.
    merges_[pairKey(leftId->second, rightId->second)] = {static_cast<uint32_t>(rank),
                                                         mergedId->second};
  }
  return llvm::Error::success();
}

llvm::Error HfBpeTokenizer::readAddedTokens(const llvm::json::Array &tokens) {
  for (const llvm::json::Value &value : tokens) {
    const llvm::json::Object *token = value.getAsObject();
    std::optional<int64_t> id = token ? token->getInteger("id") : std::nullopt;
    std::optional<llvm::StringRef> content = token ? token->getString("content") : std::nullopt;
    if (!id || *id < 0 || *id >= kMaxId || !content || content->empty())
      return makeError("{0}: an added token has no valid id and content", path_);
    for (llvm::StringRef option : {"lstrip", "rstrip", "single_word"})
      if (token->getBoolean(option).value_or(false))
        return makeError("{0}: added token '{1}' sets {2}, which is not supported", path_, *content,
                         option);
    bool special = token->getBoolean("special").value_or(false);
    if (pieces_.size() <= static_cast<size_t>(*id))
      pieces_.resize(*id + 1);
    pieces_[*id] = content->str();
    special_.resize(pieces_.size());
    special_[*id] = special;
    if (!token->getBoolean("normalized").value_or(!special)) {
      rawAdded_.add(content->str(), static_cast<int32_t>(*id));
      continue;
    }
    TrackedText normalized = normalizer_.apply(TrackedText::of(*content));
    normalizedAdded_.add(std::move(normalized.text), static_cast<int32_t>(*id));
  }
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<HfBpeTokenizer>>
HfBpeTokenizer::create(llvm::StringRef path, const llvm::json::Object &top) {
  const llvm::json::Object *model = top.getObject("model");
  if (!model)
    return makeError("{0}: not a tokenizer.json: no \"model\" object", path);
  llvm::StringRef type = model->getString("type").value_or("(none)");
  if (type != "BPE")
    return makeError("{0}: model type '{1}' is not supported (only BPE)", path, type);

  llvm::Expected<Normalizer> normalizer = Normalizer::parse(path, top.get("normalizer"));
  if (!normalizer)
    return normalizer.takeError();
  llvm::Expected<PreTokenizer> preTokenizer = PreTokenizer::parse(path, top.get("pre_tokenizer"));
  if (!preTokenizer)
    return preTokenizer.takeError();

  std::unique_ptr<HfBpeTokenizer> tokenizer(
      new HfBpeTokenizer(path.str(), std::move(*normalizer), std::move(*preTokenizer)));
  if (llvm::Error error = tokenizer->readModel(*model))
    return std::move(error);
  if (const llvm::json::Array *added = top.getArray("added_tokens"))
    if (llvm::Error error = tokenizer->readAddedTokens(*added))
      return std::move(error);
  tokenizer->special_.resize(tokenizer->pieces_.size());
  if (tokenizer->pieces_.empty())
    return makeError("{0}: the vocab is empty", path);
  return tokenizer;
}
} // namespace

llvm::Expected<std::unique_ptr<Tokenizer>>
parseHfBpeTokenizer(llvm::StringRef path, llvm::StringRef contents, int32_t vocabSize) {
  llvm::Expected<llvm::json::Value> root = llvm::json::parse(contents);
  if (!root)
    return makeError("{0}: malformed JSON: {1}", path, llvm::toString(root.takeError()));
  const llvm::json::Object *top = root->getAsObject();
  if (!top)
    return makeError("{0}: not a tokenizer.json: the top level is not an object", path);
  llvm::Expected<std::unique_ptr<HfBpeTokenizer>> tokenizer = HfBpeTokenizer::create(path, *top);
  if (!tokenizer)
    return tokenizer.takeError();
  if (vocabSize != 0 && (*tokenizer)->vocabSize() > vocabSize)
    return makeError("{0}: has ids up to {1} but the model's vocabulary has only {2}", path,
                     (*tokenizer)->vocabSize() - 1, vocabSize);
  return std::move(*tokenizer);
}

} // namespace slmc
