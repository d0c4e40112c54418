/*===- fuzz_slmpack_header.c - the .slmpack header and its sections -------===*
 * Bytes as a whole artifact file: the header's checks (magic, version, sizes,
 * sections inside the file, alignment, the signature block) and, when they
 * pass, the signature check against a key (a signed file's own key, so that
 * the Ed25519 verification runs) and the manifest's decoding and checks, as
 * slm_artifact_open_trusted runs them (nothing executed).
 * Odd-sized inputs are taken as they are, so the checksum check itself is
 * fuzzed; even-sized ones get a correct checksum first, or nearly every
 * mutation would stop there and the checks after it would go unexplored.
 *===----------------------------------------------------------------------===*/
#include "header.h"
#include "manifest.h"
#include "signature.h"
#include "slm_checksum.h"
#include "slm_signature.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *file = malloc(size ? size : 1);
  if (!file)
    return 0;
  memcpy(file, data, size);
  if (size % 2 == 0 && size >= SLM_CHECKSUM_OFFSET + 8) {
    memset(file + SLM_CHECKSUM_OFFSET, 0, 8);
    uint64_t checksum = slm_slmpack_checksum(file, size);
    for (int i = 0; i < 8; ++i)
      file[SLM_CHECKSUM_OFFSET + i] = (uint8_t)(checksum >> (8 * i));
  }
  slm_artifact_layout layout;
  slm_manifest manifest;
  if (slm_read_header("fuzz.slmpack", file, size, &layout) == SLM_OK) {
    slm_public_key key = {{0}};
    if (layout.signature_size != 0)
      memcpy(key.bytes, file + layout.signature_offset + SLM_SIGNATURE_KEY_OFFSET,
             SLM_PUBLIC_KEY_SIZE);
    slm_verify_signature("fuzz.slmpack", file, &layout, &key, 1);
    if (slm_manifest_decode("fuzz.slmpack", file + layout.manifest_offset, layout.manifest_size,
                            &manifest) == SLM_OK) {
      slm_manifest_check("fuzz.slmpack", &manifest);
      slm_manifest_free(&manifest);
    }
  }
  free(file);
  return 0;
}
