//===- FakeArtifact.h - test artifacts around fake_model.c ------*- C++ -*-===//
#pragma once

#include "Outcome.h"
#include "compiler/artifact/ArtifactWriter.h"
#include "slm_runtime.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>
#include <vector>

namespace slmc::test {

constexpr int64_t kVocab = 32; // as fake_model.c's VOCAB
constexpr int64_t kMaxContext = 16;
constexpr int64_t kMaxTokensPerCall = 4;
extern const std::string kTokenizerBytes;

/// fake_model.c's code with its weights and a manifest describing them: a
/// decoder_step entry point "slm_forward" and a graph entry point "slm_add".
/// The weights point into static storage.
ArtifactContents fakeContents();

/// The logits fake_model.c computes for the token at position
/// tokens.size() - 1, having seen `tokens`.
std::vector<float> expectedLogits(llvm::ArrayRef<int32_t> tokens);

std::string readFile(llvm::StringRef path);
void writeFile(llvm::StringRef path, llvm::StringRef bytes);

/// A fresh directory, removed with everything in it by the destructor.
class TempDir {
public:
  TempDir();
  ~TempDir();
  std::string path(llvm::StringRef name) const;
  /// The names of the files in the directory.
  std::vector<std::string> list() const;

private:
  std::string dir_;
};

/// Writes contents to `path`, failing the test on error.
void writeOrFail(const ArtifactContents &contents, const std::string &path);

struct ArtifactCloser {
  void operator()(slm_artifact *artifact) const { slm_artifact_close(artifact); }
};
using ArtifactPtr = std::unique_ptr<slm_artifact, ArtifactCloser>;
struct SessionDestroyer {
  void operator()(slm_session *session) const { slm_session_destroy(session); }
};
using SessionPtr = std::unique_ptr<slm_session, SessionDestroyer>;

/// Opens `path` with slm_artifact_open, failing the test on error.
ArtifactPtr openOrFail(const std::string &path);

/// "OK", or the status name and message of a failed slm_artifact_open, as in
/// "FORMAT: model.slmpack: bad magic (not a .slmpack file)".
std::string openOutcome(const std::string &path);

} // namespace slmc::test
