//===- ArtifactWriter.h - writing .slmpack files ----------------*- C++ -*-===//
//
// Packs a manifest, the code and the weights into one .slmpack file as
// docs/ARTIFACT.md lays it out. The same contents always give the same bytes.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/artifact/SigningKey.h"
#include "runtime/format/slmpack.pb.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace slmc {

/// One tensor of the weights section.
struct WeightBlob {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype;                // "f32"
  std::string layout = "row_major";
  llvm::ArrayRef<char> bytes;       // viewed, not copied: weights may be mapped gigabytes
  uint64_t offset = 0;              // from the start of the weights section, 64-byte aligned
};

/// Everything a .slmpack holds.
struct ArtifactContents {
  slm::artifact::Manifest manifest; // all but `tensors`, which the writer fills from `weights`
  std::string code;                 // the ELF shared object
  std::vector<WeightBlob> weights;  // placed; the manifest lists them in this order
  std::optional<SigningKey> signer; // signs the file (a signature block ends it) when set
};

/// Places each weight 64-byte aligned after the one before it, in order, for
/// callers whose code generation has not placed them already. Returns the
/// size of the weights section.
uint64_t layoutWeights(llvm::MutableArrayRef<WeightBlob> weights);

/// Writes `contents` to `path` through a temporary file beside it, renamed
/// into place once complete: on failure nothing is left behind. Weights may
/// come in any order but must be 64-byte aligned and must not overlap.
llvm::Error writeArtifact(const ArtifactContents &contents, llvm::StringRef path);

} // namespace slmc
