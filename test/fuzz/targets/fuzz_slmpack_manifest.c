/*===- fuzz_slmpack_manifest.c - the manifest section ---------------------===*
 * Bytes as the manifest section (protobuf, decoded by nanopb), past the
 * header's checksum that would otherwise stop nearly every mutation: decoding,
 * then the runtime's checks of entry points, dtypes and buffers.
 *===----------------------------------------------------------------------===*/
#include "manifest.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  slm_manifest manifest;
  if (slm_manifest_decode("fuzz.slmpack", data, size, &manifest) != SLM_OK)
    return 0;
  slm_manifest_check("fuzz.slmpack", &manifest);
  slm_manifest_free(&manifest);
  return 0;
}
