//===- Llama2cTokenizer.cpp - llama2.c tokenizer.bin ----------------------===//

#include "compiler/tokenizer/Llama2cTokenizer.h"

#include "compiler/support/Error.h"
#include "compiler/tokenizer/PairMerge.h"
#include "compiler/tokenizer/TextChars.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Endian.h"

namespace slmc {
namespace {
// run.c only merges pairs whose token scores above its initial best score.
constexpr float kNoScore = -1e10f;

class Llama2cTokenizer final : public Tokenizer {
public:
  Llama2cTokenizer(std::string path, std::vector<std::string> pieces, std::vector<float> scores)
      : path_(std::move(path)), pieces_(std::move(pieces)), scores_(std::move(scores)) {
    // run.c's bsearch finds any one of equal pieces; the first is as good.
    for (size_t id = 0; id < pieces_.size(); ++id)
      ids_.try_emplace(pieces_[id], static_cast<int32_t>(id));
    hasByteTokens_ = pieces_.size() >= 3 + 256;
    for (unsigned byte = 0; byte < 256 && hasByteTokens_; ++byte)
      hasByteTokens_ = pieces_[3 + byte] == byteTokenPiece(byte);
  }

  llvm::Expected<std::vector<int32_t>> encode(llvm::StringRef text, bool addSpecial,
                                              bool allowUnknown) const override {
    (void)allowUnknown; // llama2.c has no unknown token: a character it cannot spell is an error
    std::vector<int32_t> ids;
    if (addSpecial) {
      // The BOS takes part in merging below, which looks up its piece.
      if (bosId() < 0 || bosId() >= vocabSize())
        return makeError("{0}: BOS id {1} is outside its {2} tokens", path_, bosId(), vocabSize());
      ids.push_back(bosId());
    }
    if (!text.empty()) {
      auto space = ids_.find(" ");
      if (space == ids_.end())
        return makeError("{0}: has no ' ' token to prefix the text with", path_);
      ids.push_back(space->second);
    }
    UnencodableChars unencodable;
    // run.c looks up runs of at most 4 bytes that start anywhere but inside
    // such a run, so stray continuation bytes still form lookups.
    for (size_t start = 0, end; start < text.size(); start = end) {
      end = start + 1;
      while (end < text.size() && (text[end] & 0xC0) == 0x80 && end - start < 4)
        ++end;
      llvm::StringRef character = text.slice(start, end);
      if (auto it = ids_.find(character); it != ids_.end())
        ids.push_back(it->second);
      else if (hasByteTokens_)
        for (unsigned char byte : character)
          ids.push_back(3 + byte);
      else
        unencodable.add(character, start);
    }
    if (!unencodable.empty())
      return unencodable.error(path_);

    // run.c merges over the whole sequence, BOS and prefix included.
    std::string joined;
    mergePairs(ids, [&](int32_t left, int32_t right) -> std::optional<std::pair<double, int32_t>> {
      joined = pieces_[left];
      joined += pieces_[right];
      auto it = ids_.find(joined);
      if (it == ids_.end() || !(scores_[it->second] > kNoScore))
        return std::nullopt;
      return std::make_pair(-static_cast<double>(scores_[it->second]), it->second);
    });
    return ids;
  }

  std::string tokenString(int32_t id) const override {
    return id >= 0 && id < vocabSize() ? pieces_[id] : std::string();
  }

  std::string decodePiece(int32_t previous, int32_t token) const override {
    if (token < 0 || token >= vocabSize())
      return "";
    llvm::StringRef piece = pieces_[token];
    if (previous == bosId() && piece.starts_with(" "))
      piece = piece.drop_front();
    if (std::optional<uint8_t> byte = byteOfPiece(piece))
      return std::string(1, static_cast<char>(*byte));
    return piece.str();
  }

  int32_t vocabSize() const override { return static_cast<int32_t>(pieces_.size()); }

private:
  std::string path_;
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  llvm::StringMap<int32_t> ids_;
  bool hasByteTokens_;
};

int32_t readInt32(const char *at) { return llvm::support::endian::read32le(at); }
} // namespace

llvm::Expected<std::unique_ptr<Tokenizer>>
parseLlama2cTokenizer(llvm::StringRef path, llvm::StringRef contents, int32_t vocabSize) {
  if (contents.size() < 4)
    return makeError("{0}: truncated llama2.c tokenizer: {1} bytes, no max_token_length header",
                     path, contents.size());
  int32_t maxLength = readInt32(contents.data());
  if (maxLength <= 0)
    return makeError("{0}: not a llama2.c tokenizer: max_token_length is {1}", path, maxLength);

  std::vector<std::string> pieces;
  std::vector<float> scores;
  for (size_t offset = 4; offset < contents.size();) {
    if (contents.size() - offset < 8)
      return makeError("{0}: truncated llama2.c tokenizer: token {1} at byte {2} has no "
                       "score and length",
                       path, pieces.size(), offset);
    float score = llvm::bit_cast<float>(llvm::support::endian::read32le(contents.data() + offset));
    int32_t length = readInt32(contents.data() + offset + 4);
    offset += 8;
    if (length < 0 || length > maxLength)
      return makeError("{0}: not a llama2.c tokenizer: token {1} has length {2} (max_token_length "
                       "{3})",
                       path, pieces.size(), length, maxLength);
    if (contents.size() - offset < static_cast<size_t>(length))
      return makeError("{0}: truncated llama2.c tokenizer: token {1} needs {2} bytes, {3} left",
                       path, pieces.size(), length, contents.size() - offset);
    pieces.push_back(contents.substr(offset, length).str());
    scores.push_back(score);
    offset += length;
  }
  if (pieces.empty())
    return makeError("{0}: llama2.c tokenizer has no tokens", path);
  if (vocabSize != 0 && static_cast<size_t>(vocabSize) != pieces.size())
    return makeError("{0}: has {1} tokens but the model's vocabulary has {2}", path, pieces.size(),
                     vocabSize);
  return std::make_unique<Llama2cTokenizer>(path.str(), std::move(pieces), std::move(scores));
}

} // namespace slmc
