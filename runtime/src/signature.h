/*===- signature.h - checking a .slmpack's signature ---------------*- C -*-===*/
#ifndef SLM_SIGNATURE_CHECK_H
#define SLM_SIGNATURE_CHECK_H

#include "slm_runtime.h"

/* With key_count > 0: the file must carry a signature block (the header has
 * located and bounded it) by one of `keys` whose signature matches the
 * file's bytes. SLM_OK when key_count is 0. */
slm_status slm_verify_signature(const char *path, const uint8_t *file,
                                const slm_artifact_layout *layout, const slm_public_key *keys,
                                size_t key_count);

#endif
