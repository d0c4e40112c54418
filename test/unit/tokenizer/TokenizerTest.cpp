//===- TokenizerTest.cpp - llama2.c and Hugging Face tokenizers -----------===//
//
// Expected ids come from independent references run once:
// llama2c_reference.py (a transcription of run.c's quadratic encode()) and
// hf_bpe_reference.py (a brute-force BPE over tokenizer.json), both beside
// this file; the Hugging Face figures also equal those of the `tokenizers`
// library itself.
//
//===----------------------------------------------------------------------===//

#include "compiler/tokenizer/Tokenizer.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

using namespace slmc;

namespace {
const std::string kDataDir = SLMC_TEST_DATA_DIR;
const std::string kLlama2c = kDataDir + "/stories260K/tok512.bin";
const std::string kHf = kDataDir + "/tinystories-656k/tokenizer.json";
const std::string kCalibration = SLMC_TEST_DATA_DIR "/text/tinystories_train_head.txt";

std::unique_ptr<Tokenizer> load(const std::string &path) {
  llvm::Expected<std::unique_ptr<Tokenizer>> tokenizer = loadTokenizer(path);
  if (!tokenizer) {
    ADD_FAILURE() << llvm::toString(tokenizer.takeError());
    return nullptr;
  }
  return std::move(*tokenizer);
}

std::vector<int32_t> encode(const Tokenizer &tokenizer, llvm::StringRef text, bool addBos = true) {
  llvm::Expected<std::vector<int32_t>> ids = tokenizer.encode(text, addBos);
  if (!ids) {
    ADD_FAILURE() << llvm::toString(ids.takeError());
    return {};
  }
  return *ids;
}

std::string encodeError(const Tokenizer &tokenizer, llvm::StringRef text) {
  llvm::Expected<std::vector<int32_t>> ids = tokenizer.encode(text, true);
  if (ids)
    return "(no error)";
  return llvm::toString(ids.takeError());
}

/// A file in a fresh temporary folder, removed with the object.
class TempFile {
public:
  TempFile(llvm::StringRef name, llvm::StringRef contents) {
    llvm::SmallString<128> dir;
    EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("slmc-tokenizer-test", dir));
    dir_ = dir.str().str();
    path_ = dir_ + "/" + name.str();
    std::error_code error;
    llvm::raw_fd_ostream out(path_, error);
    EXPECT_FALSE(error);
    out << contents;
  }
  ~TempFile() {
    llvm::sys::fs::remove(path_);
    llvm::sys::fs::remove(dir_);
  }
  const std::string &path() const { return path_; }

private:
  std::string dir_;
  std::string path_;
};

std::string loadError(const std::string &path, int32_t vocabSize = 0) {
  llvm::Expected<std::unique_ptr<Tokenizer>> tokenizer = loadTokenizer(path, vocabSize);
  if (tokenizer)
    return "(no error)";
  return llvm::toString(tokenizer.takeError());
}

std::string readFile(const std::string &path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer = llvm::MemoryBuffer::getFile(path);
  return buffer ? (*buffer)->getBuffer().str() : "";
}

/// A llama2.c tokenizer.bin of `pieces` with their scores.
std::string llama2cFile(const std::vector<std::pair<std::string, float>> &pieces) {
  std::string bytes;
  auto append = [&](const void *data, size_t size) {
    bytes.append(static_cast<const char *>(data), size);
  };
  int32_t maxLength = 0;
  for (const auto &piece : pieces)
    maxLength = std::max(maxLength, static_cast<int32_t>(piece.first.size()));
  append(&maxLength, 4);
  for (const auto &[piece, score] : pieces) {
    int32_t length = piece.size();
    append(&score, 4);
    append(&length, 4);
    append(piece.data(), piece.size());
  }
  return bytes;
}

uint64_t fnv1a64(const std::vector<int32_t> &ids) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (int32_t id : ids)
    for (int shift = 0; shift < 32; shift += 8) {
      hash ^= (static_cast<uint32_t>(id) >> shift) & 0xFF;
      hash *= 0x100000001b3ull;
    }
  return hash;
}

std::vector<int32_t> slice(const std::vector<int32_t> &ids, size_t begin, size_t count) {
  return std::vector<int32_t>(ids.begin() + begin, ids.begin() + begin + count);
}

/// The 196 KB calibration text (test/data/text).
std::string calibrationText() {
  std::string text = readFile(kCalibration);
  if (text.empty())
    ADD_FAILURE() << "cannot read " << kCalibration;
  return text;
}

double millisecondsToEncode(const Tokenizer &tokenizer, const std::string &text,
                            std::vector<int32_t> &ids) {
  auto start = std::chrono::steady_clock::now();
  ids = encode(tokenizer, text);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

//===----------------------------------------------------------------------===//
// llama2.c tokenizer.bin
//===----------------------------------------------------------------------===//

TEST(Llama2cTokenizer, LoadsAllRecords) {
  auto tokenizer = load(kLlama2c);
  ASSERT_TRUE(tokenizer);
  EXPECT_EQ(tokenizer->vocabSize(), 512);
}

TEST(Llama2cTokenizer, EncodesLikeRunC) {
  auto tokenizer = load(kLlama2c);
  ASSERT_TRUE(tokenizer);
  EXPECT_EQ(encode(*tokenizer, "Once upon a time"), (std::vector<int32_t>{1, 403, 407, 261, 378}));
  EXPECT_EQ(encode(*tokenizer, "Once upon a time", false),
            (std::vector<int32_t>{403, 407, 261, 378}));
  EXPECT_EQ(encode(*tokenizer, "Once upon a time, there was a little girl named Lily."),
            (std::vector<int32_t>{1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421,
                                  395, 317, 426}));
  // No dummy prefix for empty text.
  EXPECT_EQ(encode(*tokenizer, ""), (std::vector<int32_t>{1}));
  EXPECT_EQ(encode(*tokenizer, "", false), (std::vector<int32_t>{}));
}

TEST(Llama2cTokenizer, FallsBackToByteTokens) {
  auto tokenizer = load(kLlama2c);
  ASSERT_TRUE(tokenizer);
  // ï and ☃ are not pieces: <0xC3><0xAF> = 198 178, <0xE2><0x98><0x83> = 229 155 134.
  std::vector<int32_t> ids = encode(*tokenizer, "naïve ☃ café");
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 297, 412, 198, 178, 360, 410, 229, 155, 134, 280, 412,
                                       431, 485}));
  EXPECT_EQ(tokenizer->decodePiece(297, 198), "\xC3");
  EXPECT_EQ(tokenizer->decode(ids), "naïve ☃ café");
}

TEST(Llama2cTokenizer, DecodesPiecesLikeRunC) {
  auto tokenizer = load(kLlama2c);
  ASSERT_TRUE(tokenizer);
  EXPECT_EQ(tokenizer->decodePiece(1, 403), "Once");
  EXPECT_EQ(tokenizer->decodePiece(403, 407), " upon");
  std::string text = "Once upon a time, there was a little girl named Lily.\nShe said, \"Hi!\"";
  EXPECT_EQ(tokenizer->decode(encode(*tokenizer, text)), text);
  // Without BOS the dummy prefix is printed.
  EXPECT_EQ(tokenizer->decode(encode(*tokenizer, text, false)), " " + text);
}

TEST(Llama2cTokenizer, MergesHighestScoreLeftmostFirst) {
  TempFile file("tokenizer.bin", llama2cFile({{"<unk>", 0},
                                              {"\n<s>\n", 0},
                                              {"\n</s>\n", 0},
                                              {" ", -1},
                                              {"a", -1},
                                              {"b", -1},
                                              {"c", -1},
                                              {"aa", -3},
                                              {"ab", -5},
                                              {"bc", -2}}));
  auto tokenizer = load(file.path());
  ASSERT_TRUE(tokenizer);
  // "bc" outscores "ab"; of the two equal "aa" pairs the left one merges.
  EXPECT_EQ(encode(*tokenizer, "abc"), (std::vector<int32_t>{1, 3, 4, 9}));
  EXPECT_EQ(encode(*tokenizer, "aaa"), (std::vector<int32_t>{1, 3, 7, 4}));
}

TEST(Llama2cTokenizer, NamesCharactersWithoutPieceOrByteToken) {
  TempFile file("tokenizer.bin",
                llama2cFile({{"<unk>", 0}, {"\n<s>\n", 0}, {"\n</s>\n", 0}, {" ", -1}, {"a", -1}}));
  auto tokenizer = load(file.path());
  ASSERT_TRUE(tokenizer);
  EXPECT_EQ(encodeError(*tokenizer, "aéa☃"),
            file.path() + ": cannot encode U+00E9 'é' at byte offset 1 (and 1 more: U+2603 '☃' at "
                          "byte offset 4)");
  TempFile noSpace("tokenizer.bin", llama2cFile({{"<unk>", 0}, {"\n<s>\n", 0}, {"a", -1}}));
  auto spaceless = load(noSpace.path());
  ASSERT_TRUE(spaceless);
  EXPECT_EQ(encodeError(*spaceless, "a"),
            noSpace.path() + ": has no ' ' token to prefix the text with");
  spaceless->setSpecialIds(3, 2);
  EXPECT_EQ(encodeError(*spaceless, ""), noSpace.path() + ": BOS id 3 is outside its 3 tokens");
}

TEST(Llama2cTokenizer, RejectsTruncatedAndGarbageFiles) {
  std::string real = readFile(kLlama2c);
  ASSERT_FALSE(real.empty());
  TempFile truncated("truncated.bin", llvm::StringRef(real).take_front(95));
  EXPECT_EQ(loadError(truncated.path()),
            truncated.path() + ": truncated llama2.c tokenizer: token 6 needs 6 bytes, 1 left");
  TempFile header("header.bin", llvm::StringRef(real).take_front(6));
  EXPECT_EQ(loadError(header.path()),
            header.path() + ": truncated llama2.c tokenizer: token 0 at byte 4 has no score and "
                            "length");
  TempFile text("garbage.bin", "this is not a tokenizer at all");
  EXPECT_EQ(loadError(text.path()),
            text.path() + ": truncated llama2.c tokenizer: token 0 needs 544501614 bytes, 18 left");
  TempFile negative("garbage.bin", "\xff\xff\xff\xff garbage");
  EXPECT_EQ(loadError(negative.path()),
            negative.path() + ": not a llama2.c tokenizer: max_token_length is -1");
  TempFile tooLong("garbage.bin", llama2cFile({{"<unk>", 0}}).replace(0, 1, "\x02"));
  EXPECT_EQ(loadError(tooLong.path()),
            tooLong.path() +
                ": not a llama2.c tokenizer: token 0 has length 5 (max_token_length 2)");
  TempFile empty("empty.bin", "");
  EXPECT_NE(loadError(empty.path()).find(empty.path() + ": truncated"), std::string::npos);
  EXPECT_EQ(loadError(kLlama2c, 32000),
            kLlama2c + ": has 512 tokens but the model's vocabulary has 32000");
  EXPECT_EQ(loadError(kLlama2c, 512), "(no error)");
  EXPECT_NE(loadError(kDataDir + "/no-such-file.bin").find("cannot read tokenizer"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// Hugging Face tokenizer.json
//===----------------------------------------------------------------------===//

TEST(HfBpeTokenizer, LoadsTinyStories) {
  auto tokenizer = load(kHf);
  ASSERT_TRUE(tokenizer);
  EXPECT_EQ(tokenizer->vocabSize(), 2048);
  EXPECT_EQ(loadError(kHf, 2048), "(no error)");
  EXPECT_EQ(loadError(kHf, 4096), "(no error)");
  EXPECT_EQ(loadError(kHf, 1000),
            kHf + ": has ids up to 2047 but the model's vocabulary has only 1000");
}

TEST(HfBpeTokenizer, EncodesSentences) {
  auto tokenizer = load(kHf);
  ASSERT_TRUE(tokenizer);
  // Pieces: ▁ On ce▁ upon▁a▁tim e,▁ there▁was▁a▁ little▁girl . — merges cross spaces.
  EXPECT_EQ(encode(*tokenizer, "Once upon a time, there was a little girl."),
            (std::vector<int32_t>{1, 80, 147, 201, 282, 215, 286, 1890, 10}));
  EXPECT_EQ(tokenizer->decodePiece(201, 282), "upon a tim");
  EXPECT_EQ(encode(*tokenizer, "Once upon a time, there was a little girl.", false),
            (std::vector<int32_t>{80, 147, 201, 282, 215, 286, 1890, 10}));
  // ".\nThe▁" crosses a line break and a space.
  EXPECT_EQ(encode(*tokenizer, "One day, the dog ran.\nThe end."),
            (std::vector<int32_t>{1, 80, 299, 93, 401, 494, 446, 183, 10}));
  EXPECT_EQ(encode(*tokenizer, "  two  spaces "),
            (std::vector<int32_t>{1, 80, 80, 80, 1209, 80, 415, 53, 55, 368}));
  EXPECT_EQ(encode(*tokenizer, ""), (std::vector<int32_t>{1}));
}

TEST(HfBpeTokenizer, SplitsOutAddedTokensAsTokenizersDoes) {
  auto tokenizer = load(kHf);
  ASSERT_TRUE(tokenizer);
  // The tokens are marked normalized: they are looked for as "▁<|end_story|>"
  // in the normalized text, so one glued to a preceding letter is plain text.
  EXPECT_EQ(encode(*tokenizer, "x <|end_story|> y"), (std::vector<int32_t>{1, 80, 76, 2, 80, 77}));
  EXPECT_EQ(encode(*tokenizer, "<|start_story|>Once upon a time"),
            (std::vector<int32_t>{1, 1, 147, 201, 282, 57}));
  EXPECT_EQ(encode(*tokenizer, "a<|start_story|>b"),
            (std::vector<int32_t>{1, 85, 208, 212, 210, 54}));
}

TEST(HfBpeTokenizer, DecodesPieces) {
  auto tokenizer = load(kHf);
  ASSERT_TRUE(tokenizer);
  EXPECT_EQ(tokenizer->decodePiece(1, 80), "");
  EXPECT_EQ(tokenizer->decodePiece(80, 80), " ");
  EXPECT_EQ(tokenizer->decodePiece(80, 1), "");
  EXPECT_EQ(tokenizer->decodePiece(80, 2), "");
  EXPECT_EQ(tokenizer->decodePiece(80, 0), "");
  for (std::string text : {"Once upon a time, there was a little girl.",
                           "One day, the dog ran.\nThe end.", "  two  spaces "})
    EXPECT_EQ(tokenizer->decode(encode(*tokenizer, text)), text);
}

TEST(HfBpeTokenizer, NamesEveryUnencodableCharacter) {
  auto tokenizer = load(kHf);
  ASSERT_TRUE(tokenizer);
  EXPECT_EQ(encodeError(*tokenizer, "naïve ☃"),
            kHf + ": cannot encode U+00EF 'ï' at byte offset 2 (and 1 more: U+2603 '☃' at byte "
                  "offset 7)");
  EXPECT_EQ(encodeError(*tokenizer, "caf\xC3"),
            kHf + ": cannot encode invalid UTF-8 0xC3 at byte offset 3");
  EXPECT_EQ(encodeError(*tokenizer, "a\x01"), kHf + ": cannot encode U+0001 at byte offset 1");
}

TEST(HfBpeTokenizer, MatchesBruteForceOnCalibrationText) {
  auto tokenizer = load(kHf);
  ASSERT_TRUE(tokenizer);
  std::string text = calibrationText();
  ASSERT_FALSE(text.empty());

  std::vector<int32_t> head = encode(*tokenizer, text.substr(0, 5000));
  ASSERT_EQ(head.size(), 1111u);
  EXPECT_EQ(fnv1a64(head), 0xdd87e28ed02c6f3eull);
  EXPECT_EQ(
      slice(head, 0, 50),
      (std::vector<int32_t>{1,   80,  429,  598,  303,  489, 1148, 177, 1051, 652,  163, 641, 478,
                            535, 58,  275,  737,  64,   364, 580,  167, 617,  478,  519, 68,  921,
                            265, 519, 573,  1148, 177,  628, 333,  886, 1896, 178,  75,  104, 1745,
                            88,  754, 1430, 169,  1325, 122, 3,    303, 761,  1469, 624}));

  std::vector<int32_t> whole;
  double ms = millisecondsToEncode(*tokenizer, text, whole);
  ASSERT_EQ(whole.size(), 49835u);
  EXPECT_EQ(fnv1a64(whole), 0x03936a26ee5a959dull);
  EXPECT_EQ(
      slice(whole, whole.size() - 50, 50),
      (std::vector<int32_t>{374,  856,  275, 113, 585,  366, 154,  744, 189,  714,  94,  736, 1176,
                            284,  672,  549, 54,  637,  889, 289,  61,  782,  1018, 93,  293, 1910,
                            1161, 75,   108, 549, 54,   637, 1759, 751, 94,   425,  53,  802, 108,
                            551,  1016, 53,  350, 1878, 217, 955,  202, 2026, 169,  1254}));
  EXPECT_EQ(tokenizer->decode(whole), text);
  EXPECT_LT(ms, 1000.0);
  std::printf("[ timing ] HF BPE: %zu bytes as one word -> %zu tokens in %.1f ms\n", text.size(),
              whole.size(), ms);
}

TEST(Llama2cTokenizer, EncodesCalibrationTextFast) {
  auto tokenizer = load(kLlama2c);
  ASSERT_TRUE(tokenizer);
  std::string text = calibrationText();
  ASSERT_FALSE(text.empty());
  std::vector<int32_t> ids;
  double ms = millisecondsToEncode(*tokenizer, text, ids);
  EXPECT_EQ(tokenizer->decode(ids), text);
  EXPECT_LT(ms, 1000.0);
  std::printf("[ timing ] llama2.c: %zu bytes -> %zu tokens in %.1f ms\n", text.size(), ids.size(),
              ms);
}

TEST(HfBpeTokenizer, SupportsMetaspaceByteFallbackAndArrayMerges) {
  TempFile file("tokenizer.json", R"json({
    "added_tokens": [{"id": 1, "content": "<s>", "special": true, "normalized": false}],
    "normalizer": null,
    "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first",
                      "split": true},
    "post_processor": {"type": "TemplateProcessing",
                       "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                  {"Sequence": {"id": "A", "type_id": 0}}],
                       "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
    "decoder": {"type": "Sequence", "decoders": [
      {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
      {"type": "ByteFallback"}, {"type": "Fuse"},
      {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    "model": {"type": "BPE", "byte_fallback": true,
              "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0xC3>": 3, "<0xA9>": 4, "\u2581": 5,
                        "a": 6, "b": 7, "\u2581a": 8, "ab": 9, "\u2581ab": 10},
              "merges": [["\u2581", "a"], ["a", "b"], ["\u2581a", "b"]]}
  })json");
  auto tokenizer = load(file.path());
  ASSERT_TRUE(tokenizer);
  // Words "▁ab" "▁ab" "▁é": é falls back to its two bytes; "first" prefixes
  // only the start of the input, not the text after <s>; the post-processor
  // adds <s> when asked.
  EXPECT_EQ(encode(*tokenizer, "ab ab é"), (std::vector<int32_t>{1, 10, 10, 5, 3, 4}));
  EXPECT_EQ(encode(*tokenizer, "ab<s>ab", false), (std::vector<int32_t>{10, 1, 9}));
  EXPECT_EQ(tokenizer->decode(encode(*tokenizer, "ab ab é")), "ab ab é");
}

TEST(HfBpeTokenizer, PlacesUnknownTokensAsTheTokenizersLibraryDoes) {
  // tokenizers/src/models/bpe/model.rs, merge_word: an unknown character is
  // held until the next character of the vocabulary (or the end), so byte
  // tokens found in between come first; fuse_unk makes a run of unknown
  // characters one <unk>; without an unk_token the character is dropped and
  // its neighbours may merge.
  auto tokenizerWith = [](const char *model) {
    std::string json = std::string(R"({"model": {"type": "BPE", "byte_fallback": true, )") +
                       model + "}}";
    TempFile file("tokenizer.json", json);
    return load(file.path());
  };
  const char *vocab = R"("vocab": {"<unk>": 0, "a": 1, "<0xC3>": 2, "<0xA9>": 3, "aa": 4},
                         "merges": ["a a"])";
  auto separate = tokenizerWith((std::string(R"("unk_token": "<unk>", "fuse_unk": false, )") +
                                 vocab).c_str());
  auto fused = tokenizerWith((std::string(R"("unk_token": "<unk>", "fuse_unk": true, )") +
                              vocab).c_str());
  auto none = tokenizerWith(vocab);
  ASSERT_TRUE(separate && fused && none);
  auto lenient = [](const Tokenizer &t, llvm::StringRef text) {
    auto ids = t.encode(text, false, /*allowUnknown=*/true);
    EXPECT_TRUE(static_cast<bool>(ids)) << llvm::toString(ids.takeError());
    return ids ? *ids : std::vector<int32_t>();
  };
  EXPECT_EQ(lenient(*separate, "\u2603\u00e9a"), (std::vector<int32_t>{2, 3, 0, 1}));
  EXPECT_EQ(lenient(*separate, "\u2603\u2603a"), (std::vector<int32_t>{0, 0, 1}));
  EXPECT_EQ(lenient(*fused, "\u2603\u2603a\u2603"), (std::vector<int32_t>{0, 1, 0}));
  EXPECT_EQ(lenient(*none, "a\u2603a"), (std::vector<int32_t>{4}));
  // The compiler itself refuses such text, naming the characters.
  EXPECT_NE(encodeError(*separate, "a\u2603").find("cannot encode U+2603"), std::string::npos)
      << encodeError(*separate, "a\u2603");
}

TEST(HfBpeTokenizer, MergesAsTheTokenizersLibraryBuildsThem) {
  // BpeBuilder::build: with a continuing_subword_prefix the merged token is
  // a + b without b's prefix; a pair listed twice keeps its last rank.
  TempFile prefixed("tokenizer.json", R"({"model": {"type": "BPE",
      "continuing_subword_prefix": "##",
      "vocab": {"a": 0, "##b": 1, "ab": 2}, "merges": ["a ##b"]}})");
  auto wordPiecey = load(prefixed.path());
  ASSERT_TRUE(wordPiecey);
  EXPECT_EQ(encode(*wordPiecey, "ab", false), (std::vector<int32_t>{2}));
  TempFile twice("tokenizer.json", R"({"model": {"type": "BPE",
      "vocab": {"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4},
      "merges": ["a b", "b c", "a b"]}})");
  auto relisted = load(twice.path());
  ASSERT_TRUE(relisted);
  EXPECT_EQ(encode(*relisted, "abc", false), (std::vector<int32_t>{0, 4})); // "b c" ranks first
  // char::to_lowercase: U+0130 lowercases to "i" and a combining dot.
  TempFile lower("tokenizer.json", R"({"normalizer": {"type": "Lowercase"},
      "model": {"type": "BPE", "vocab": {"i": 0, "\u0307": 1, "x": 2}, "merges": []}})");
  auto lowercase = load(lower.path());
  ASSERT_TRUE(lowercase);
  EXPECT_EQ(encode(*lowercase, "\u0130X", false), (std::vector<int32_t>{0, 1, 2}));
}

TEST(HfBpeTokenizer, RejectsBrokenAndUnsupportedFiles) {
  TempFile malformed("tokenizer.json", R"({"model": {"type": "BPE", )");
  EXPECT_EQ(loadError(malformed.path()),
            malformed.path() + ": JSON: expected a member name at line 1, column 27");

  // Each: tokenizer.json text, then the error after "PATH: ".
  const std::pair<const char *, const char *> unsupported[] = {
      {R"({"version": "1.0"})", "not a tokenizer.json: no \"model\" object"},
      {R"({"model": {"type": "Unigram", "vocab": []}})",
       "model type 'Unigram' is not supported (supported: BPE)"},
      {R"({"normalizer": {"type": "BertNormalizer"}, "model": {"type": "BPE", "vocab": {"a": 0}}})",
       "normalizer type 'BertNormalizer' is not supported (supported: NFC, NFD, NFKC, NFKD, "
       "Lowercase, Strip, Prepend, Replace, Sequence)"},
      {R"({"pre_tokenizer": {"type": "BertPreTokenizer"},
           "model": {"type": "BPE", "vocab": {"a": 0}}})",
       "pre_tokenizer type 'BertPreTokenizer' is not supported (supported: ByteLevel, Split, "
       "Digits, Metaspace, Whitespace, WhitespaceSplit, Punctuation, Sequence)"},
      {R"({"decoder": {"type": "WordPiece"}, "model": {"type": "BPE", "vocab": {"a": 0}}})",
       "decoder type 'WordPiece' is not supported (supported: ByteLevel, Metaspace, ByteFallback, "
       "Fuse, Strip, Replace, Sequence)"},
      {R"({"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(?<=a)b"},
                             "behavior": "Isolated"},
           "model": {"type": "BPE", "vocab": {"a": 0}}})",
       "pre_tokenizer Split: regex: lookbehind ((?<=...) and (?<!...)) is not supported (at "
       "offset 2 of the pattern)"},
      {R"({"pre_tokenizer": {"type": "Metaspace", "prepend_scheme": "sometimes"},
           "model": {"type": "BPE", "vocab": {"a": 0}}})",
       "pre_tokenizer: Metaspace prepend_scheme is not always, first or never: 'sometimes'"},
      {R"({"model": {"type": "BPE", "dropout": 0.1, "vocab": {"a": 0}}})",
       "model: BPE dropout is for training; a dropout above 0 is not supported"},
      {R"({"model": {"type": "BPE", "vocab": {"a": -1}}})",
       "model.vocab: the id of \"a\" is not an id"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [7]}})",
       "model.merges[0] is neither \"a b\" nor [\"a\", \"b\"]"},
      {R"({"model": {"type": "BPE", "vocab": {}}})", "the vocab is empty"},
      {R"({"model": {"type": "BPE"}})", "model.vocab is missing or not an object"},
      {R"({"added_tokens": [{"id": 1, "content": "<m>", "lstrip": 3}],
           "model": {"type": "BPE", "vocab": {"a": 0}}})",
       "added_tokens: \"lstrip\" is not a boolean"},
      {R"({"added_tokens": [{"content": "<m>"}], "model": {"type": "BPE", "vocab": {"a": 0}}})",
       "added_tokens: an entry without a \"content\" string and an id"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a a"]}})",
       "model.merges[0] (\"a\" + \"a\") names a token the vocabulary lacks"},
      {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\x80\": 0}}}",
       "JSON: a string that is not valid UTF-8 at line 1, column 41"},
      {R"({"post_processor": {"type": "RobertaProcessing", "cls": ["<s>", -7], "sep": ["</s>", 2]},
           "model": {"type": "BPE", "vocab": {"a": 0}}})",
       "post_processor: cls and sep must be [token, id]: 'RobertaProcessing'"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 4194304}}})",
       "model.vocab: the id of \"a\" is not an id"},
  };
  for (const auto &[json, message] : unsupported) {
    TempFile file("tokenizer.json", json);
    EXPECT_EQ(loadError(file.path()), file.path() + ": " + message);
  }
}

} // namespace
