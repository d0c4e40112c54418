//===- ArtifactReader.h - reading .slmpack manifests ------------*- C++ -*-===//
//
// For tools that describe artifacts (`slmc inspect`). The file is validated
// by the runtime itself (slm_artifact_inspect), so a file the compiler
// accepts is one the runtime accepts, for the same reasons.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/format/slmpack.pb.h"
#include "slm_runtime.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>

namespace slmc {

struct ArtifactManifest {
  slm::artifact::Manifest manifest;
  slm_artifact_layout layout; // the header: format version, section offsets and sizes
  std::optional<slm_public_key> signer; // the key that signed it, if signed
};

/// The manifest and layout of the artifact at `path`, after every check of
/// slm_artifact_open except the CPU's (the artifact may be for another machine);
/// with `trustedKeys`, it must be signed by one of them.
llvm::Expected<ArtifactManifest>
readArtifactManifest(llvm::StringRef path, llvm::ArrayRef<slm_public_key> trustedKeys = {});

/// A public key file (slm_public_key_read).
llvm::Expected<slm_public_key> readPublicKey(llvm::StringRef path);

/// The manifest and layout of an artifact the runtime has opened (`path`
/// names it in errors).
llvm::Expected<ArtifactManifest> manifestOf(const slm_artifact *artifact, llvm::StringRef path);

} // namespace slmc
