//===- SynthTokenizer.cpp - a tokenizer.json of any vocabulary size -------===//

#include "compiler/synth/SynthTokenizer.h"

#include "compiler/synth/SynthRandom.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <vector>

namespace slmc::synth {

namespace {
constexpr const char *kSpace = "\xE2\x96\x81"; // ▁

void writeAddedToken(llvm::json::OStream &j, int64_t id, llvm::StringRef content) {
  j.object([&] {
    j.attribute("id", id);
    j.attribute("content", content);
    j.attribute("single_word", false);
    j.attribute("lstrip", false);
    j.attribute("rstrip", false);
    j.attribute("normalized", false);
    j.attribute("special", true);
  });
}
} // namespace

std::string synthTokenizerJson(int64_t vocabSize, uint64_t seed,
                               llvm::ArrayRef<const char *> special) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  for (int byte = 0; byte < 256; ++byte)
    tokens.push_back(llvm::formatv("<0x{0:X-2}>", byte).str());
  // Single characters: ▁ and printable ASCII but the space (▁ stands for it).
  std::vector<std::string> pieces = {kSpace};
  for (char c = '!'; c <= '~'; ++c)
    pieces.push_back(std::string(1, c));
  llvm::StringSet<> known;
  for (const std::string &t : tokens)
    known.insert(t);
  for (const std::string &p : pieces)
    known.insert(p);
  tokens.insert(tokens.end(), pieces.begin(), pieces.end());

  // Merged pieces: a known piece followed by a letter or another piece not
  // starting with ▁, as SentencePiece vocabularies look (▁ only in front).
  std::vector<std::string> merges;
  Random random(seed, /*stream=*/0x70CE);
  std::string letters = "etaoinshrdlucmfwypvbgkjqxz";
  while (static_cast<int64_t>(tokens.size()) < vocabSize) {
    const std::string &left = pieces[random.below(pieces.size())];
    std::string right = random.below(2) ? std::string(1, letters[random.below(letters.size())])
                                        : pieces[random.below(pieces.size())];
    if (llvm::StringRef(right).starts_with(kSpace) || left.size() + right.size() > 16 ||
        !known.contains(right))
      continue;
    std::string merged = left + right;
    if (!known.insert(merged).second)
      continue;
    merges.push_back(left + " " + right);
    pieces.push_back(merged);
    tokens.push_back(std::move(merged));
  }
  tokens.resize(vocabSize); // a vocabulary smaller than the base set keeps its first ids
  // A chat format's tokens replace the last merged pieces, whose merges go
  // too (the pieces a merge joins come before what it makes).
  int64_t firstSpecial = vocabSize - static_cast<int64_t>(special.size());
  if (!special.empty()) {
    llvm::StringSet<> replaced;
    for (int64_t id = firstSpecial; id < vocabSize; ++id)
      replaced.insert(tokens[id]);
    llvm::erase_if(merges, [&](const std::string &m) {
      auto [left, right] = llvm::StringRef(m).split(' ');
      return replaced.contains((left + right).str());
    });
    for (auto [i, token] : llvm::enumerate(special))
      tokens[firstSpecial + i] = token;
  }

  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream j(os, 1);
  j.object([&] {
    j.attribute("version", "1.0");
    j.attribute("truncation", nullptr);
    j.attribute("padding", nullptr);
    j.attributeArray("added_tokens", [&] {
      for (int64_t id = 0; id < 3; ++id)
        writeAddedToken(j, id, tokens[id]);
      for (int64_t id = firstSpecial; id < vocabSize; ++id)
        writeAddedToken(j, id, tokens[id]);
    });
    j.attributeObject("normalizer", [&] {
      j.attribute("type", "Sequence");
      j.attributeArray("normalizers", [&] {
        j.object([&] {
          j.attribute("type", "Prepend");
          j.attribute("prepend", kSpace);
        });
        j.object([&] {
          j.attribute("type", "Replace");
          j.attributeObject("pattern", [&] { j.attribute("String", " "); });
          j.attribute("content", kSpace);
        });
      });
    });
    j.attribute("pre_tokenizer", nullptr);
    j.attributeObject("post_processor", [&] {
      j.attribute("type", "TemplateProcessing");
      j.attributeArray("single", [&] {
        j.object([&] {
          j.attributeObject("SpecialToken", [&] {
            j.attribute("id", "<s>");
            j.attribute("type_id", 0);
          });
        });
        j.object([&] {
          j.attributeObject("Sequence", [&] {
            j.attribute("id", "A");
            j.attribute("type_id", 0);
          });
        });
      });
      j.attributeArray("pair", [] {});
      j.attributeObject("special_tokens", [&] {
        j.attributeObject("<s>", [&] {
          j.attribute("id", "<s>");
          j.attributeArray("ids", [&] { j.value(1); });
          j.attributeArray("tokens", [&] { j.value("<s>"); });
        });
      });
    });
    j.attributeObject("decoder", [&] {
      j.attribute("type", "Sequence");
      j.attributeArray("decoders", [&] {
        j.object([&] {
          j.attribute("type", "Replace");
          j.attributeObject("pattern", [&] { j.attribute("String", kSpace); });
          j.attribute("content", " ");
        });
        j.object([&] { j.attribute("type", "ByteFallback"); });
        j.object([&] { j.attribute("type", "Fuse"); });
        j.object([&] {
          j.attribute("type", "Strip");
          j.attribute("content", " ");
          j.attribute("start", 1);
          j.attribute("stop", 0);
        });
      });
    });
    j.attributeObject("model", [&] {
      j.attribute("type", "BPE");
      j.attribute("dropout", nullptr);
      j.attribute("unk_token", "<unk>");
      j.attribute("continuing_subword_prefix", nullptr);
      j.attribute("end_of_word_suffix", nullptr);
      j.attribute("fuse_unk", true);
      j.attribute("byte_fallback", true);
      j.attribute("ignore_merges", false);
      j.attributeObject("vocab", [&] {
        for (auto [id, token] : llvm::enumerate(tokens))
          j.attribute(token, static_cast<int64_t>(id));
      });
      j.attributeArray("merges", [&] {
        for (const std::string &m : merges)
          j.value(m);
      });
    });
  });
  os << "\n";
  return text;
}

} // namespace slmc::synth
