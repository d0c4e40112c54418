//===- ArtifactValidationTest.cpp - bad files get clear errors ------------===//
//
// Every check of slm_artifact_open, each with its exact message. Run these
// under AddressSanitizer when changing the header or manifest decoders: a bad
// file must give an error, never a crash or an out-of-bounds read.
//
//===----------------------------------------------------------------------===//

#include "FakeArtifact.h"
#include "runtime/src/slm_checksum.h"
#include "runtime/src/slm_signature.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>

using namespace slmc;
using namespace slmc::test;

namespace {

// Header offsets (docs/ARTIFACT.md).
constexpr size_t kVersionAt = 8, kHeaderSizeAt = 12, kManifestOffsetAt = 24,
                 kManifestSizeAt = 32, kCodeOffsetAt = 40, kCodeSizeAt = 48,
                 kWeightsOffsetAt = 56, kWeightsSizeAt = 64;

class ArtifactValidationTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string good = dir_.path("good.slmpack");
    writeOrFail(fakeContents(), good);
    file_ = readFile(good);
    path_ = dir_.path("model.slmpack");
  }

  uint64_t field(size_t at) const { return llvm::support::endian::read64le(&file_[at]); }
  void setField32(size_t at, uint32_t value) { llvm::support::endian::write32le(&file_[at], value); }
  void setField(size_t at, uint64_t value) { llvm::support::endian::write64le(&file_[at], value); }

  void fixChecksum() {
    llvm::support::endian::write64le(&file_[SLM_CHECKSUM_OFFSET], 0);
    setField(SLM_CHECKSUM_OFFSET, slm_slmpack_checksum(file_.data(), file_.size()));
  }

  /// Opens `bytes` (the modified file by default) and returns the outcome.
  std::string open(const std::string &bytes) {
    writeFile(path_, bytes);
    return openOutcome(path_);
  }
  std::string open() { return open(file_); }

  /// The file with its manifest replaced by `manifest`, zero-padded to the
  /// same size, and the checksum recomputed: only the decoder can object.
  std::string withManifest(const std::string &manifest) {
    size_t size = field(kManifestSizeAt);
    EXPECT_LE(manifest.size(), size);
    std::string padded = manifest + std::string(size - manifest.size(), '\0');
    file_.replace(field(kManifestOffsetAt), size, padded);
    fixChecksum();
    return file_;
  }

  /// An unknown length-delimited field (number 15) of exactly `size` bytes.
  static std::string filler(size_t size) {
    size_t payload = size - 2 < 128 ? size - 2 : size - 3;
    std::string field = "\x7a";
    if (payload < 128)
      field += static_cast<char>(payload);
    else
      field += {static_cast<char>(0x80 | (payload & 0x7f)), static_cast<char>(payload >> 7)};
    return field + std::string(payload, 'x');
  }

  std::string format(const std::string &message) const { return "FORMAT: " + path_ + ": " + message; }

  TempDir dir_;
  std::string file_;
  std::string path_;
};

TEST_F(ArtifactValidationTest, TheUnmodifiedFileOpens) { EXPECT_EQ(open(), "OK"); }

TEST_F(ArtifactValidationTest, MissingFile) {
  EXPECT_EQ(openOutcome(path_), "IO: " + path_ + ": cannot open: No such file or directory");
}

TEST_F(ArtifactValidationTest, TruncatedInsideTheHeader) {
  for (size_t size : {0, 5, 8, 100, 127})
    EXPECT_EQ(open(file_.substr(0, size)),
              format("file is " + std::to_string(size) +
                     " bytes, shorter than the 128-byte header (truncated?)"));
}

TEST_F(ArtifactValidationTest, TruncatedAfterTheHeader) {
  size_t size = file_.size();
  for (size_t cut : {size_t{128}, size_t{140} /* in the manifest */, field(kCodeOffsetAt) + 10,
                     field(kWeightsOffsetAt) + 1, size - 1})
    EXPECT_EQ(open(file_.substr(0, cut)),
              format("file is " + std::to_string(cut) + " bytes but its header says " +
                     std::to_string(size) + " (truncated?)"));
}

TEST_F(ArtifactValidationTest, BytesAppended) {
  EXPECT_EQ(open(file_ + "extra"), format("file is " + std::to_string(file_.size() + 5) +
                                          " bytes but its header says " +
                                          std::to_string(file_.size()) + " (bytes appended?)"));
}

TEST_F(ArtifactValidationTest, BadMagic) {
  file_[3] = 'X';
  EXPECT_EQ(open(), format("bad magic (not a .slmpack file)"));
  EXPECT_EQ(open("#!/bin/sh\necho this is no model\n"), format("bad magic (not a .slmpack file)"));
}

TEST_F(ArtifactValidationTest, NewerVersion) {
  setField32(kVersionAt, 7);
  EXPECT_EQ(open(), format("format version 7 is newer than this runtime's 1"));
  setField32(kVersionAt, 0);
  EXPECT_EQ(open(), format("format version 0 is not one this runtime knows"));
}

TEST_F(ArtifactValidationTest, WrongHeaderSize) {
  setField32(kHeaderSizeAt, 64);
  EXPECT_EQ(open(), format("header size is 64, but format version 1 has 128"));
}

TEST_F(ArtifactValidationTest, SectionsOutOfBounds) {
  const std::string good = file_;
  const std::string size = std::to_string(file_.size());
  uint64_t codeOffset = field(kCodeOffsetAt), weightsOffset = field(kWeightsOffsetAt);
  struct Case {
    size_t at;
    uint64_t value;
    std::string message;
  } cases[] = {
      {kManifestOffsetAt, 256, "manifest section at 256 does not follow the header"},
      {kManifestSizeAt, ~0ull,
       "manifest section (18446744073709551615 bytes at 128) runs past the end of the " + size +
           "-byte file"},
      {kCodeOffsetAt, 0, "code section at 0 overlaps the manifest section, which ends at " +
                             std::to_string(128 + field(kManifestSizeAt))},
      {kCodeOffsetAt, codeOffset + 64, "code section offset " + std::to_string(codeOffset + 64) +
                                           " is not 4096-aligned"},
      {kCodeSizeAt, ~0ull - 100,
       "code section (18446744073709551515 bytes at " + std::to_string(codeOffset) +
           ") runs past the end of the " + size + "-byte file"},
      {kCodeSizeAt, weightsOffset - codeOffset + 64,
       "weights section at " + std::to_string(weightsOffset) +
           " overlaps the code section, which ends at " + std::to_string(weightsOffset + 64)},
      {kWeightsOffsetAt, 1ull << 62,
       "weights section (" + std::to_string(field(kWeightsSizeAt)) + " bytes at " +
           std::to_string(1ull << 62) + ") runs past the end of the " + size + "-byte file"},
      {kWeightsSizeAt, field(kWeightsSizeAt) - 1,
       "the weights section ends at " + std::to_string(file_.size() - 1) +
           ", before the end of the " + size + "-byte file"},
  };
  for (const Case &c : cases) {
    file_ = good;
    setField(c.at, c.value);
    EXPECT_EQ(open(), format(c.message));
  }
}

TEST_F(ArtifactValidationTest, FlippedByteInEachSection) {
  const std::string good = file_;
  uint64_t manifestEnd = 128 + field(kManifestSizeAt), codeOffset = field(kCodeOffsetAt),
           weightsOffset = field(kWeightsOffsetAt);
  struct Case {
    const char *where;
    uint64_t at;
  } cases[] = {
      {"header reserved bytes", 100},
      {"checksum", SLM_CHECKSUM_OFFSET + 3},
      {"manifest", 130},
      {"manifest's last byte", manifestEnd - 1},
      {"gap before the code", manifestEnd + 1},
      {"code", codeOffset + 200},
      {"gap before the weights", weightsOffset - 1},
      {"weights", weightsOffset + 64},
      {"gap between weights", weightsOffset + 10},
      {"last byte", good.size() - 1},
  };
  for (const Case &c : cases) {
    file_ = good;
    file_[c.at] ^= 0x10;
    EXPECT_EQ(open(), "CHECKSUM: " + path_ + ": checksum mismatch (file corrupted)") << c.where;
  }
}

// The manifest decoder is nanopb's (runtime/src/manifest.c): its own words for
// what went wrong, and the byte where it stopped reading.
TEST_F(ArtifactValidationTest, CorruptedManifestLengths) {
  const std::string good = file_;
  size_t size = field(kManifestSizeAt);
  struct Case {
    std::string manifest, message;
  } cases[] = {
      {"\x0a\xff\xff\x03", "end-of-stream at byte 4"}, // a 65535-byte producer
      {std::string("\x12\x05\x0a\x10" "abc", 7), "end-of-stream at byte 7"},
      {filler(size - 2) + "\x3a\x05", "parent stream too short at byte " + std::to_string(size)},
      {std::string("\x2a\x04\x1a\x02\x12\x09", 6), // a shape inside an entry point input
       "parent stream too short at byte 6"},
  };
  for (const Case &c : cases) {
    file_ = good;
    EXPECT_EQ(open(withManifest(c.manifest)), format("corrupted manifest: " + c.message));
  }
}

TEST_F(ArtifactValidationTest, CorruptedManifestVarints) {
  const std::string good = file_;
  size_t size = field(kManifestSizeAt);
  struct Case {
    std::string manifest, message;
  } cases[] = {
      {filler(size - 1) + "\x80", "end-of-stream at byte " + std::to_string(size)},
      {std::string("\x1a\x02\x10\xff", 4), "end-of-stream at byte 4"}, // in the model's vocab_size
      {"\x1a\x0c\x10" + std::string(11, '\xff'), "varint overflow at byte 14"},
      {std::string(11, '\xff'), "varint overflow at byte 10"},
      {filler(size - 3) + "\x09\x01\x02", "wrong wire type at byte " + std::to_string(size - 2)},
      {"\x0b", "wrong wire type at byte 1"},
      {std::string("\x00", 1), "zero tag at byte 1"},
      {"\x08\x01", "wrong wire type at byte 1"},
      {std::string("\x1a\x02\x10\x00" "\x1a\x02\x12\x00", 8), "wrong wire type at byte 8"},
  };
  for (const Case &c : cases) {
    file_ = good;
    EXPECT_EQ(open(withManifest(c.manifest)), format("corrupted manifest: " + c.message));
  }
}

// Random damage to the manifest (with a valid checksum, so only the decoder and
// the checks stand guard): every outcome is an open or a named error, never a crash.
TEST_F(ArtifactValidationTest, DamagedManifestsAreRefusedOrOpen) {
  const std::string good = file_;
  const size_t offset = field(kManifestOffsetAt), size = field(kManifestSizeAt);
  std::mt19937 random(8);
  for (int trial = 0; trial < 400; ++trial) {
    file_ = good;
    for (int flips = 1 + trial % 4; flips > 0; --flips)
      file_[offset + random() % size] = static_cast<char>(random());
    fixChecksum();
    std::string result = open();
    EXPECT_TRUE(result == "OK" || result.rfind("FORMAT: " + path_ + ": ", 0) == 0 ||
                result.rfind("UNSUPPORTED: " + path_ + ": ", 0) == 0)
        << result;
  }
}

TEST_F(ArtifactValidationTest, ManifestThatDoesNotFitTheRuntime) {
  struct Case {
    std::function<void(slm::artifact::Manifest &)> edit;
    std::string expected;
  } cases[] = {
      {[](auto &m) { m.mutable_entry_points(0)->set_kind("train_step"); },
       "UNSUPPORTED: " + path_ +
           ": entry point 'slm_forward' has kind 'train_step', which this runtime does not know"},
      {[](auto &m) { m.clear_entry_points(); }, format("manifest lists no entry points")},
      {[](auto &m) { m.mutable_entry_points(1)->set_kind("decoder_step"); },
       format("more than one 'decoder_step' entry point")},
      {[](auto &m) { m.mutable_entry_points(1)->clear_name(); }, format("entry point 1 has no name")},
      {[](auto &m) { m.mutable_model()->set_vocab_size(0); },
       format("manifest: vocab_size 0 is out of range")},
      {[](auto &m) { m.mutable_model()->set_max_context(-3); },
       format("manifest: max_context -3 is not positive")},
      {[](auto &m) { m.mutable_memory()->set_max_tokens_per_call(0); },
       format("manifest: max_tokens_per_call 0 is not positive")},
      {[](auto &m) { m.mutable_memory()->set_logits_size(511); },
       format("manifest: logits_size 511 is smaller than max_tokens_per_call 4 x vocab_size 32 x 4")},
      {[](auto &m) { m.mutable_entry_points(1)->mutable_inputs(1)->set_dtype("f16"); },
       "UNSUPPORTED: " + path_ +
           ": entry point 'slm_add': tensor 'y' has dtype 'f16', which this runtime does not know"},
      {[](auto &m) { m.mutable_entry_points(1)->mutable_outputs(0)->set_shape(1, -3); },
       format("entry point 'slm_add': tensor 'z' has an invalid shape")},
      {[](auto &m) { m.mutable_entry_points(1)->set_name("slm_subtract"); },
       format("its code does not export entry point 'slm_subtract'")},
  };
  for (const Case &c : cases) {
    ArtifactContents contents = fakeContents();
    c.edit(contents.manifest);
    writeOrFail(contents, path_);
    EXPECT_EQ(openOutcome(path_), c.expected);
  }
}

TEST_F(ArtifactValidationTest, CodeThatIsNoSharedObject) {
  ArtifactContents contents = fakeContents();
  contents.code = "not an ELF file";
  writeOrFail(contents, path_);
  std::string outcome = openOutcome(path_);
  EXPECT_TRUE(llvm::StringRef(outcome).starts_with("FORMAT: " + path_ + ": cannot load its code: "))
      << outcome;
}

/// Runtime feature names and the compiler builtin that tests each, an oracle
/// independent of the runtime's CPUID code.
bool hostHas(const std::string &feature) {
  __builtin_cpu_init();
#define FEATURE(name)                                                                              \
  if (feature == name)                                                                             \
    return __builtin_cpu_supports(name);
  FEATURE("sse4.2")
  FEATURE("avx")
  FEATURE("avx2")
  FEATURE("fma")
  FEATURE("f16c")
  FEATURE("bmi2")
  FEATURE("avx512f")
  FEATURE("avx512bw")
  FEATURE("avx512dq")
  FEATURE("avx512vl")
  FEATURE("avx512vnni")
  FEATURE("avxvnni")
#undef FEATURE
  ADD_FAILURE() << "no builtin for " << feature;
  return false;
}

const std::vector<std::string> kFeatures = {"sse4.2",   "avx",      "avx2",     "fma",
                                            "f16c",     "bmi2",     "avx512f",  "avx512bw",
                                            "avx512dq", "avx512vl", "avx512vnni", "avxvnni"};

TEST_F(ArtifactValidationTest, RequiredCpuFeatures) {
  std::vector<std::string> present, missing;
  for (const std::string &feature : kFeatures)
    (hostHas(feature) ? present : missing).push_back(feature);

  ArtifactContents contents = fakeContents();
  for (const std::string &feature : present)
    contents.manifest.mutable_target()->add_required_features(feature);
  writeOrFail(contents, path_);
  EXPECT_EQ(openOutcome(path_), "OK") << "requiring " << llvm::join(present, ", ");

  if (missing.empty())
    GTEST_SKIP() << "this CPU has every feature the runtime knows";
  contents.manifest.mutable_target()->add_required_features(missing.front());
  writeOrFail(contents, path_);
  EXPECT_EQ(openOutcome(path_),
            "UNSUPPORTED: " + path_ + ": compiled for x86-64-test; this CPU lacks " + missing.front());
}

TEST_F(ArtifactValidationTest, UnknownCpuFeature) {
  ArtifactContents contents = fakeContents();
  contents.manifest.mutable_target()->add_required_features("sse4.2");
  contents.manifest.mutable_target()->add_required_features("avx10.2");
  writeOrFail(contents, path_);
  EXPECT_EQ(openOutcome(path_), "UNSUPPORTED: " + path_ +
                                    ": compiled for x86-64-test, which requires CPU feature "
                                    "'avx10.2' that this runtime does not know");
  // Inspection is for artifacts of other machines: it does not look at the CPU.
  slm_artifact *artifact;
  ASSERT_EQ(slm_artifact_inspect(path_.c_str(), &artifact), SLM_OK) << slm_last_error();
  slm_artifact_close(artifact);
}

} // namespace

namespace {

SigningKey testKey(uint8_t fill) {
  std::array<uint8_t, 32> seed;
  seed.fill(fill);
  return signingKeyFromSeed(seed);
}

/// "OK" or the status and message of slm_artifact_open_trusted.
std::string openTrusted(const std::string &path, std::vector<slm_public_key> keys) {
  slm_artifact *artifact = nullptr;
  slm_status status = slm_artifact_open_trusted(path.c_str(), keys.data(), keys.size(), &artifact);
  slm_artifact_close(artifact);
  if (status == SLM_OK)
    return "OK";
  return (status == SLM_ERROR_SIGNATURE ? "SIGNATURE: " : "OTHER: ") +
         std::string(slm_last_error());
}

} // namespace

TEST_F(ArtifactValidationTest, SignatureBlockBounds) {
  ArtifactContents contents = fakeContents();
  contents.signer = testKey(7);
  writeOrFail(contents, path_);
  file_ = readFile(path_);
  const std::string good = file_;
  uint64_t weightsEnd = field(kWeightsOffsetAt) + field(kWeightsSizeAt);
  uint64_t blockAt = llvm::alignTo(weightsEnd, SLM_SIGNATURE_BLOCK_ALIGNMENT);
  ASSERT_EQ(field(SLM_SIGNATURE_OFFSET_FIELD), blockAt);
  ASSERT_EQ(file_.size(), blockAt + SLM_SIGNATURE_BLOCK_SIZE);
  EXPECT_EQ(open(), "OK");
  const std::string size = std::to_string(file_.size());
  struct Case {
    size_t at;
    uint64_t value;
    std::string message;
  } cases[] = {
      {SLM_SIGNATURE_SIZE_FIELD, 100, "signature block is 100 bytes, not 104"},
      {SLM_SIGNATURE_SIZE_FIELD, 0,
       "signature block is 0 bytes, not 104"},
      {SLM_SIGNATURE_OFFSET_FIELD, 0,
       "signature block at 0, not at " + std::to_string(blockAt) +
           " (the first 64-byte boundary after the weights)"},
      {SLM_SIGNATURE_OFFSET_FIELD, ~0ull - 63,
       "signature block at 18446744073709551552, not at " + std::to_string(blockAt) +
           " (the first 64-byte boundary after the weights)"},
      {kWeightsSizeAt, field(kWeightsSizeAt) - 64,
       "signature block at " + std::to_string(blockAt) + ", not at " +
           std::to_string(llvm::alignTo(weightsEnd - 64, 64)) +
           " (the first 64-byte boundary after the weights)"},
  };
  for (const Case &c : cases) {
    file_ = good;
    setField(c.at, c.value);
    fixChecksum();
    EXPECT_EQ(open(), format(c.message)) << c.at << " = " << c.value;
  }
  // Both fields zero: an unsigned file must end with its weights.
  file_ = good;
  setField(SLM_SIGNATURE_OFFSET_FIELD, 0);
  setField(SLM_SIGNATURE_SIZE_FIELD, 0);
  fixChecksum();
  EXPECT_EQ(open(), format("the weights section ends at " + std::to_string(weightsEnd) +
                           ", before the end of the " + size + "-byte file"));
  file_ = good;
  file_[blockAt] = 'X';
  fixChecksum();
  EXPECT_EQ(open(), format("bad signature block magic"));
}

TEST_F(ArtifactValidationTest, TrustedKeys) {
  SigningKey key = testKey(7), other = testKey(9);
  std::string unsigned_ = path_;
  writeOrFail(fakeContents(), unsigned_);
  ArtifactContents contents = fakeContents();
  contents.signer = key;
  std::string signed_ = dir_.path("signed.slmpack");
  writeOrFail(contents, signed_);

  EXPECT_EQ(openTrusted(signed_, {}), "OK");
  EXPECT_EQ(openTrusted(signed_, {key.publicKey}), "OK");
  EXPECT_EQ(openTrusted(signed_, {other.publicKey, key.publicKey}), "OK");
  EXPECT_EQ(openTrusted(signed_, {other.publicKey}),
            "SIGNATURE: " + signed_ + ": signed by key " +
                llvm::toHex(llvm::ArrayRef(key.publicKey.bytes).take_front(8), true) +
                "..., which is not one of the 1 trusted key");
  EXPECT_EQ(openTrusted(unsigned_, {key.publicKey}),
            "SIGNATURE: " + unsigned_ +
                ": not signed, and only artifacts signed by a trusted key may be opened");
  slm_artifact *opened = nullptr;
  ASSERT_EQ(slm_artifact_inspect(signed_.c_str(), &opened), SLM_OK);
  slm_public_key signer;
  EXPECT_EQ(slm_artifact_signer(opened, &signer), 1);
  EXPECT_EQ(llvm::ArrayRef(signer.bytes), llvm::ArrayRef(key.publicKey.bytes));
  slm_artifact_close(opened);

  // Every section's bytes are signed: one flipped byte in each (checksum fixed) is refused.
  file_ = readFile(signed_);
  const std::string good = file_;
  const std::string mismatch =
      "SIGNATURE: " + path_ + ": the signature by key " +
      llvm::toHex(llvm::ArrayRef(key.publicKey.bytes).take_front(8), true) +
      "... does not match the file's contents (changed after signing?)";
  for (uint64_t at : {uint64_t{100}, uint64_t{128} + 3, field(kCodeOffsetAt) + 100,
                      field(kWeightsOffsetAt) + 5}) {
    file_ = good;
    file_[at] ^= 1;
    fixChecksum();
    writeFile(path_, file_);
    EXPECT_EQ(openTrusted(path_, {key.publicKey}), mismatch) << "byte " << at;
  }
  // The signature itself and the signer's key.
  for (uint64_t at : {field(SLM_SIGNATURE_OFFSET_FIELD) + SLM_SIGNATURE_BYTES_OFFSET + 10,
                      field(SLM_SIGNATURE_OFFSET_FIELD) + SLM_SIGNATURE_KEY_OFFSET}) {
    file_ = good;
    file_[at] ^= 1;
    fixChecksum();
    writeFile(path_, file_);
    EXPECT_NE(openTrusted(path_, {key.publicKey}), "OK") << "byte " << at;
  }
}
