//===- ArtifactReader.cpp - reading .slmpack manifests --------------------===//

#include "compiler/artifact/ArtifactReader.h"

#include "compiler/support/Error.h"

#include <climits>
#include <memory>

namespace slmc {

llvm::Expected<ArtifactManifest> readArtifactManifest(llvm::StringRef path) {
  slm_artifact *opened;
  if (slm_artifact_inspect(path.str().c_str(), &opened) != SLM_OK)
    return makeError("{0}", slm_last_error());
  std::unique_ptr<slm_artifact, decltype(&slm_artifact_close)> artifact(opened,
                                                                         slm_artifact_close);
  return manifestOf(artifact.get(), path);
}

llvm::Expected<ArtifactManifest> manifestOf(const slm_artifact *artifact, llvm::StringRef path) {
  ArtifactManifest result;
  slm_artifact_get_layout(artifact, &result.layout);
  size_t size;
  const void *bytes = slm_artifact_manifest(artifact, &size);
  if (size > INT_MAX || !result.manifest.ParseFromArray(bytes, static_cast<int>(size)))
    return makeError("{0}: the manifest is not a valid slm.artifact.Manifest", path);
  return result;
}

} // namespace slmc
