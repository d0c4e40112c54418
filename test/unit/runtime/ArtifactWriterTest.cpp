//===- ArtifactWriterTest.cpp - writing and reading .slmpack files --------===//

#include "FakeArtifact.h"
#include "compiler/artifact/ArtifactReader.h"
#include "runtime/src/slm_checksum.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"

#include <gtest/gtest.h>

using namespace slmc;
using namespace slmc::test;

namespace {

uint64_t readHeader(const std::string &file, size_t at) {
  return llvm::support::endian::read64le(&file[at]);
}

bool allZero(llvm::StringRef bytes) {
  return bytes.find_first_not_of('\0') == llvm::StringRef::npos;
}

TEST(ArtifactWriter, LaysOutWeightsAligned) {
  ArtifactContents contents = fakeContents();
  // fake_model.c reads bias, a and b at these offsets.
  EXPECT_EQ(contents.weights[0].offset, 0u);
  EXPECT_EQ(contents.weights[1].offset, 64u);
  EXPECT_EQ(contents.weights[2].offset, 192u);
  EXPECT_EQ(layoutWeights(contents.weights), 192u + 128u);
}

TEST(ArtifactWriter, WritesTheDocumentedLayout) {
  TempDir dir;
  std::string path = dir.path("model.slmpack");
  ArtifactContents contents = fakeContents();
  writeOrFail(contents, path);
  std::string file = readFile(path);
  ASSERT_GE(file.size(), 128u);

  EXPECT_EQ(file.substr(0, 8), std::string("SLMPACK\0", 8));
  EXPECT_EQ(llvm::support::endian::read32le(&file[8]), 1u);
  EXPECT_EQ(llvm::support::endian::read32le(&file[12]), 128u);
  EXPECT_EQ(readHeader(file, 16), file.size());
  EXPECT_EQ(readHeader(file, 24), 128u);
  uint64_t manifestSize = readHeader(file, 32), codeOffset = readHeader(file, 40),
           codeSize = readHeader(file, 48), weightsOffset = readHeader(file, 56),
           weightsSize = readHeader(file, 64);
  EXPECT_EQ(codeOffset % 4096, 0u);
  EXPECT_EQ(weightsOffset % 4096, 0u);
  EXPECT_EQ(codeSize, contents.code.size());
  EXPECT_EQ(weightsOffset + weightsSize, file.size());
  EXPECT_TRUE(allZero(llvm::StringRef(file).slice(80, 128))) << "reserved header bytes";
  EXPECT_TRUE(allZero(llvm::StringRef(file).slice(128 + manifestSize, codeOffset)));
  EXPECT_TRUE(allZero(llvm::StringRef(file).slice(codeOffset + codeSize, weightsOffset)));
  EXPECT_EQ(file.substr(codeOffset, codeSize), contents.code);
  for (const WeightBlob &weight : contents.weights)
    EXPECT_EQ(file.substr(weightsOffset + weight.offset, weight.bytes.size()),
              std::string(weight.bytes.begin(), weight.bytes.end()))
        << weight.name;
  EXPECT_TRUE(allZero(llvm::StringRef(file).slice(weightsOffset + 4, weightsOffset + 64)));

  std::string zeroedChecksum = file;
  llvm::support::endian::write64le(&zeroedChecksum[SLM_CHECKSUM_OFFSET], 0);
  EXPECT_EQ(readHeader(file, SLM_CHECKSUM_OFFSET),
            slm_slmpack_checksum(zeroedChecksum.data(), zeroedChecksum.size()));
}

TEST(ArtifactWriter, PlacesWeightsAtTheirOffsetsInAnyOrder) {
  TempDir dir;
  ArtifactContents contents = fakeContents();
  std::swap(contents.weights[0], contents.weights[2]);
  writeOrFail(contents, dir.path("model.slmpack"));
  EXPECT_EQ(openOutcome(dir.path("model.slmpack")), "OK");
  writeOrFail(fakeContents(), dir.path("ordered.slmpack"));
  // The same section; only the manifest's list of tensors differs.
  std::string swapped = readFile(dir.path("model.slmpack")),
              ordered = readFile(dir.path("ordered.slmpack"));
  size_t weightsSize = readHeader(ordered, 64);
  EXPECT_EQ(swapped.substr(swapped.size() - weightsSize), ordered.substr(ordered.size() - weightsSize));
  llvm::Expected<ArtifactManifest> read = readArtifactManifest(dir.path("model.slmpack"));
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  EXPECT_EQ(read->manifest.tensors(0).name(), "b");
  EXPECT_EQ(read->manifest.tensors(0).offset(), 192u);
}

TEST(ArtifactWriter, SameContentsGiveTheSameBytes) {
  TempDir dir;
  writeOrFail(fakeContents(), dir.path("first.slmpack"));
  writeOrFail(fakeContents(), dir.path("second.slmpack"));
  std::string first = readFile(dir.path("first.slmpack"));
  EXPECT_FALSE(first.empty());
  EXPECT_TRUE(first == readFile(dir.path("second.slmpack")));
}

TEST(ArtifactWriter, ReadsBackTheManifest) {
  TempDir dir;
  std::string path = dir.path("model.slmpack");
  ArtifactContents contents = fakeContents();
  writeOrFail(contents, path);
  llvm::Expected<ArtifactManifest> read = readArtifactManifest(path);
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  const slm::artifact::Manifest &manifest = read->manifest;
  EXPECT_EQ(manifest.producer(), "slmc test");
  EXPECT_EQ(manifest.tokenizer().data(), kTokenizerBytes);
  ASSERT_EQ(manifest.tensors_size(), 3);
  const slm::artifact::TensorInfo &a = manifest.tensors(1);
  EXPECT_EQ(a.name(), "a");
  EXPECT_EQ(std::vector<int64_t>(a.shape().begin(), a.shape().end()), std::vector<int64_t>{kVocab});
  EXPECT_EQ(a.dtype(), "f32");
  EXPECT_EQ(a.layout(), "row_major");
  EXPECT_EQ(a.offset(), 64u);
  EXPECT_EQ(a.size(), kVocab * sizeof(float));
  EXPECT_EQ(read->layout.format_version, 1u);
  EXPECT_EQ(read->layout.code_size, contents.code.size());
  EXPECT_EQ(read->layout.weights_size, 320u);
  EXPECT_EQ(read->layout.file_size, readFile(path).size());
}

TEST(ArtifactWriter, ReadingReportsTheRuntimesError) {
  TempDir dir;
  std::string path = dir.path("model.slmpack");
  writeFile(path, std::string(200, 'x'));
  llvm::Expected<ArtifactManifest> read = readArtifactManifest(path);
  ASSERT_FALSE(bool(read));
  EXPECT_EQ(llvm::toString(read.takeError()), path + ": bad magic (not a .slmpack file)");
}

TEST(ArtifactWriter, ReplacesAnExistingFile) {
  TempDir dir;
  std::string path = dir.path("model.slmpack");
  writeFile(path, "old contents");
  writeOrFail(fakeContents(), path);
  EXPECT_EQ(openOutcome(path), "OK");
  EXPECT_EQ(dir.list(), std::vector<std::string>{"model.slmpack"});
}

TEST(ArtifactWriter, LeavesNothingBehindOnFailure) {
  TempDir dir;
  ArtifactContents contents = fakeContents();
  contents.weights[2].offset = 100;
  std::string path = dir.path("model.slmpack");
  llvm::Error error = writeArtifact(contents, path);
  EXPECT_EQ(llvm::toString(std::move(error)),
            path + ": weight 'b' at offset 100 is not 64-byte aligned");
  contents.weights[2].offset = 128;
  error = writeArtifact(contents, path);
  EXPECT_EQ(llvm::toString(std::move(error)),
            path + ": weight 'b' at offset 128 overlaps weight 'a' at offset 64");
  EXPECT_TRUE(dir.list().empty());

  // The temporary file exists by the time renaming it over a directory fails.
  ASSERT_FALSE(llvm::sys::fs::create_directory(path));
  error = writeArtifact(fakeContents(), path);
  EXPECT_TRUE(llvm::StringRef(llvm::toString(std::move(error))).starts_with(path + ": cannot rename "));
  EXPECT_EQ(dir.list(), std::vector<std::string>{"model.slmpack"});

  std::string unwritable = dir.path("no/such/dir/model.slmpack");
  error = writeArtifact(fakeContents(), unwritable);
  EXPECT_TRUE(llvm::StringRef(llvm::toString(std::move(error)))
                  .starts_with(unwritable + ": cannot create a temporary file beside it: "));
  EXPECT_EQ(dir.list(), std::vector<std::string>{"model.slmpack"});
}

TEST(Checksum, IsSlmhash64AsDocumented) {
  // Golden values from a transcription of docs/ARTIFACT.md's pseudo-code.
  std::string bytes;
  for (int i = 0; i < 203; ++i)
    bytes += static_cast<char>((i * 7 + 3) & 255);
  auto hash = [](llvm::ArrayRef<llvm::StringRef> pieces, uint64_t size) {
    slm_hash64_state state;
    slm_hash64_begin(&state, size);
    for (llvm::StringRef piece : pieces)
      slm_hash64_update(&state, piece.data(), piece.size());
    return slm_hash64_end(&state);
  };
  EXPECT_EQ(hash({}, 0), 0x9e3779b93051c0c9ull);
  EXPECT_EQ(hash({"a"}, 1), 0xc4384365a63d8dfull);
  EXPECT_EQ(hash({bytes}, bytes.size()), 0xdba4424d122b60f0ull);
  llvm::StringRef all = bytes;
  for (size_t split : {1, 7, 8, 9, 100, 202})
    for (size_t second : {size_t{0}, size_t{3}, size_t{17}})
      EXPECT_EQ(hash({all.take_front(split), all.slice(split, split + second),
                      all.substr(split + second)},
                     bytes.size()),
                0xdba4424d122b60f0ull)
          << "split at " << split << " and " << split + second;
}

} // namespace
