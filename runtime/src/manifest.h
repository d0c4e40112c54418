/*===- manifest.h - the part of the manifest the runtime uses ------*- C -*-===*
 *
 * Decoded from the protobuf wire format of compiler/artifact/slmpack.proto
 * without a protobuf library. Strings are copies; the tokenizer data points
 * into the decoded bytes.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_MANIFEST_H
#define SLM_MANIFEST_H

#include "slm_runtime.h"

typedef enum slm_entry_kind { SLM_ENTRY_DECODER_STEP, SLM_ENTRY_GRAPH } slm_entry_kind;

typedef struct slm_entry_point {
  char *name;
  char *kind_name;
  slm_entry_kind kind;
  slm_tensor_desc *inputs;
  int64_t input_count;
  slm_tensor_desc *outputs;
  int64_t output_count;
} slm_entry_point;

typedef struct slm_manifest {
  char *producer;
  char *target_name;
  char *target_triple;
  char **required_features;
  size_t required_feature_count;
  char *architecture;
  int64_t vocab_size;
  int64_t max_context;
  int32_t bos_token_id;
  int32_t eos_token_id;
  slm_entry_point *entry_points;
  size_t entry_point_count;
  uint64_t arena_size;
  uint64_t kv_cache_size;
  int64_t max_tokens_per_call;
  uint64_t logits_size;
  char *tokenizer_kind;
  const uint8_t *tokenizer_data;
  size_t tokenizer_size;
} slm_manifest;

/* Decodes the manifest of the artifact at `path`, every length and varint
 * bounds-checked. On failure `manifest` holds nothing to free. */
slm_status slm_manifest_decode(const char *path, const uint8_t *data, size_t size,
                               slm_manifest *manifest);
void slm_manifest_free(slm_manifest *manifest);

/* Checks that the runtime can run what the manifest describes (known entry
 * kinds and dtypes, buffers that fit the model) and sets each entry point's
 * kind and each graph tensor's size. */
slm_status slm_manifest_check(const char *path, slm_manifest *manifest);

/* The manifest's entry point of `kind`, or NULL. */
const slm_entry_point *slm_manifest_entry(const slm_manifest *manifest, slm_entry_kind kind);

#endif
