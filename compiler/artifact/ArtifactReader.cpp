//===- ArtifactReader.cpp - reading .slmpack manifests --------------------===//

#include "compiler/artifact/ArtifactReader.h"

#include "compiler/support/Error.h"

#include <climits>
#include <memory>

namespace slmc {

llvm::Expected<ArtifactManifest>
readArtifactManifest(llvm::StringRef path, llvm::ArrayRef<slm_public_key> trustedKeys) {
  slm_artifact *opened;
  if (slm_artifact_inspect_trusted(path.str().c_str(), trustedKeys.data(), trustedKeys.size(),
                                   &opened) != SLM_OK)
    return makeError("{0}", slm_last_error());
  std::unique_ptr<slm_artifact, decltype(&slm_artifact_close)> artifact(opened,
                                                                         slm_artifact_close);
  return manifestOf(artifact.get(), path);
}

llvm::Expected<ArtifactManifest> manifestOf(const slm_artifact *artifact, llvm::StringRef path) {
  ArtifactManifest result;
  slm_artifact_get_layout(artifact, &result.layout);
  if (slm_public_key key; slm_artifact_signer(artifact, &key))
    result.signer = key;
  size_t size;
  const void *bytes = slm_artifact_manifest(artifact, &size);
  if (size > INT_MAX || !result.manifest.ParseFromArray(bytes, static_cast<int>(size)))
    return makeError("{0}: the manifest is not a valid slm.artifact.Manifest", path);
  return result;
}

llvm::Expected<slm_public_key> readPublicKey(llvm::StringRef path) {
  slm_public_key key;
  if (slm_public_key_read(path.str().c_str(), &key) != SLM_OK)
    return makeError("{0}", slm_last_error());
  return key;
}

} // namespace slmc
