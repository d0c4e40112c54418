/*===- header.h - the header and the sections it points to --------*- C -*-===*/
#ifndef SLM_HEADER_H
#define SLM_HEADER_H

#include "slm_runtime.h"

#define SLM_FORMAT_VERSION 1
#define SLM_HEADER_SIZE 128

/* Checks the header of the `size`-byte file at `file` as docs/ARTIFACT.md
 * orders it (magic, header, version, header size, file size, sections,
 * checksum) and returns where its sections lie. */
slm_status slm_read_header(const char *path, const uint8_t *file, uint64_t size,
                           slm_artifact_layout *layout);

#endif
