//===- RuntimeModel.h - a LanguageModel on a compiled artifact --*- C++ -*-===//
#pragma once

#include "compiler/runner/LanguageModel.h"
#include "compiler/tokenizer/Tokenizer.h"

#include <memory>

struct slm_artifact;

namespace slmc {

/// An opened .slmpack artifact: its runtime handle and the tokenizer it carries.
struct OpenedArtifact {
  std::shared_ptr<slm_artifact> artifact;
  std::unique_ptr<Tokenizer> tokenizer;
  int64_t maxContext = 0;
};

/// True when the file starts with the .slmpack magic.
bool isArtifact(llvm::StringRef path);

/// Opens and validates an artifact through the tiny runtime (checksum, CPU
/// features, ...) and loads the tokenizer it carries.
llvm::Expected<OpenedArtifact> openArtifact(llvm::StringRef path);

/// A session of the runtime, `threads` threads (0: one per CPU).
llvm::Expected<std::unique_ptr<LanguageModel>>
createRuntimeModel(std::shared_ptr<slm_artifact> artifact, int threads = 0);

} // namespace slmc
