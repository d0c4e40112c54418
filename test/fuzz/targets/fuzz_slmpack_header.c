/*===- fuzz_slmpack_header.c - the .slmpack header and checksum -----------===*
 * Bytes as a whole artifact file: the header's checks (magic, version, sizes,
 * sections inside the file, checksum) and, when they pass, the manifest's
 * decoding and checks, as slm_artifact_inspect runs them (nothing executed).
 *===----------------------------------------------------------------------===*/
#include "header.h"
#include "manifest.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  slm_artifact_layout layout;
  if (slm_read_header("fuzz.slmpack", data, size, &layout) != SLM_OK)
    return 0;
  slm_manifest manifest;
  if (slm_manifest_decode("fuzz.slmpack", data + layout.manifest_offset, layout.manifest_size,
                          &manifest) != SLM_OK)
    return 0;
  slm_manifest_check("fuzz.slmpack", &manifest);
  slm_manifest_free(&manifest);
  return 0;
}
