/*===- manifest.h - the manifest as the runtime reads it ------------*- C -*-===*
 *
 * The manifest's schema is runtime/format/slmpack.proto, declared once: the
 * compiler writes it with libprotobuf, the runtime decodes it with nanopb
 * into the structs nanopb generates from the same file (slmpack.nanopb.h), so
 * the model's and the memory plan's fields exist in one place. On top of the
 * decoded message the runtime keeps a view of each entry point: its kind and
 * its graph tensors in the public slm_tensor_desc form.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_MANIFEST_H
#define SLM_MANIFEST_H

#include "slm_runtime.h"
#include "slmpack.nanopb.h"

typedef enum slm_entry_kind { SLM_ENTRY_DECODER_STEP, SLM_ENTRY_GRAPH } slm_entry_kind;

typedef struct slm_entry_point {
  const char *name;      /* never NULL */
  const char *kind_name; /* never NULL */
  slm_entry_kind kind;   /* set by slm_manifest_check */
  slm_tensor_desc *inputs;
  int64_t input_count;
  slm_tensor_desc *outputs;
  int64_t output_count;
} slm_entry_point;

typedef struct slm_manifest {
  slm_artifact_Manifest wire; /* as decoded; absent strings are NULL (see slm_text) */
  slm_entry_point *entry_points;
  size_t entry_point_count;
  const uint8_t *tokenizer_data; /* into the decoded bytes, not a copy */
  size_t tokenizer_size;
} slm_manifest;

/* Decodes the manifest of the artifact at `path`. On failure `manifest` holds
 * nothing to free. */
slm_status slm_manifest_decode(const char *path, const uint8_t *data, size_t size,
                               slm_manifest *manifest);
void slm_manifest_free(slm_manifest *manifest);

/* Checks that the runtime can run what the manifest describes (known entry
 * kinds and dtypes, buffers that fit the model) and sets each entry point's
 * kind and each graph tensor's size. */
slm_status slm_manifest_check(const char *path, slm_manifest *manifest);

/* The manifest's entry point of `kind`, or NULL. */
const slm_entry_point *slm_manifest_entry(const slm_manifest *manifest, slm_entry_kind kind);

/* A decoded string, "" where the field was absent (proto3 writes no empty strings). */
static inline const char *slm_text(const char *decoded) { return decoded ? decoded : ""; }

#endif
