/*===- artifact.c - opening, validating and describing a .slmpack ---------===*/

#include "artifact.h"

#include "cpu_features.h"
#include "error.h"
#include "header.h"
#include "signature.h"
#include "slm_signature.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static slm_status map_file(slm_artifact *artifact) {
  const char *path = artifact->path;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return slm_fail(SLM_ERROR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat info;
  slm_status status = SLM_OK;
  if (fstat(fd, &info) != 0)
    status = slm_fail(SLM_ERROR_IO, "%s: cannot stat: %s", path, strerror(errno));
  else if (!S_ISREG(info.st_mode))
    status = slm_fail(SLM_ERROR_IO, "%s: not a regular file", path);
  else if (info.st_size > 0) {
    void *file = mmap(NULL, (size_t)info.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (file == MAP_FAILED)
      status = slm_fail(SLM_ERROR_IO, "%s: cannot map: %s", path, strerror(errno));
    else {
      artifact->file = file;
      artifact->file_size = (uint64_t)info.st_size;
    }
  }
  close(fd);
  return status;
}

/* Every check but the CPU's, in the order docs/ARTIFACT.md gives; the
 * signature (with trusted keys) before anything reads the manifest. */
static slm_status open_and_validate(const char *path, const slm_public_key *keys,
                                    size_t key_count, slm_artifact **out) {
  *out = NULL;
  slm_artifact *artifact = calloc(1, sizeof *artifact);
  if (!artifact || !(artifact->path = strdup(path))) {
    free(artifact);
    return slm_fail(SLM_ERROR_MEMORY, "%s: out of memory", path);
  }
  slm_status status = map_file(artifact);
  if (status == SLM_OK)
    status = slm_read_header(path, artifact->file, artifact->file_size, &artifact->layout);
  if (status == SLM_OK)
    status = slm_verify_signature(path, artifact->file, &artifact->layout, keys, key_count);
  if (status == SLM_OK)
    status = slm_manifest_decode(path, artifact->file + artifact->layout.manifest_offset,
                                 artifact->layout.manifest_size, &artifact->manifest);
  if (status == SLM_OK)
    status = slm_manifest_check(path, &artifact->manifest);
  if (status != SLM_OK) {
    slm_artifact_close(artifact);
    return status;
  }
  *out = artifact;
  return SLM_OK;
}

static slm_status load_code(slm_artifact *artifact) {
  const slm_manifest *manifest = &artifact->manifest;
  slm_status status = slm_code_load(artifact->path, artifact->file + artifact->layout.code_offset,
                                    artifact->layout.code_size, &artifact->code);
  if (status != SLM_OK)
    return status;
  artifact->code_loaded = true;
  for (size_t i = 0; i < manifest->entry_point_count; ++i) {
    const slm_entry_point *entry = &manifest->entry_points[i];
    void *symbol = slm_code_symbol(artifact->path, &artifact->code, entry->name);
    if (!symbol)
      return SLM_ERROR_FORMAT;
    /* dlsym returns functions as object pointers; POSIX makes the cast valid. */
    if (entry->kind == SLM_ENTRY_DECODER_STEP)
      artifact->decoder_step = (slm_decoder_step_fn)symbol;
    else
      artifact->graph = (slm_graph_fn)symbol;
  }
  return SLM_OK;
}

slm_status slm_artifact_inspect(const char *path, slm_artifact **out) {
  return open_and_validate(path, NULL, 0, out);
}

slm_status slm_artifact_inspect_trusted(const char *path, const slm_public_key *keys,
                                        size_t key_count, slm_artifact **out) {
  return open_and_validate(path, keys, key_count, out);
}

slm_status slm_artifact_open(const char *path, slm_artifact **out) {
  return slm_artifact_open_trusted(path, NULL, 0, out);
}

slm_status slm_artifact_open_trusted(const char *path, const slm_public_key *keys,
                                     size_t key_count, slm_artifact **out) {
  *out = NULL;
  slm_artifact *artifact;
  slm_status status = open_and_validate(path, keys, key_count, &artifact);
  if (status != SLM_OK)
    return status;
  const slm_manifest *manifest = &artifact->manifest;
  const slm_artifact_Target *target = &manifest->wire.target;
  status = slm_check_cpu_features(path, slm_text(target->name),
                                  target->required_features,
                                  target->required_features_count);
  if (status == SLM_OK)
    status = load_code(artifact);
  if (status != SLM_OK) {
    slm_artifact_close(artifact);
    return status;
  }
  *out = artifact;
  return SLM_OK;
}

void slm_artifact_close(slm_artifact *artifact) {
  if (!artifact)
    return;
  if (artifact->code_loaded)
    slm_code_unload(&artifact->code);
  slm_manifest_free(&artifact->manifest);
  if (artifact->file)
    munmap((void *)artifact->file, artifact->file_size);
  free(artifact->path);
  free(artifact);
}

const void *slm_artifact_manifest(const slm_artifact *artifact, size_t *size) {
  *size = artifact->layout.manifest_size;
  return artifact->file + artifact->layout.manifest_offset;
}

void slm_artifact_get_layout(const slm_artifact *artifact, slm_artifact_layout *layout) {
  *layout = artifact->layout;
}

int slm_artifact_signer(const slm_artifact *artifact, slm_public_key *key) {
  if (artifact->layout.signature_size == 0)
    return 0;
  memcpy(key->bytes,
         artifact->file + artifact->layout.signature_offset + SLM_SIGNATURE_KEY_OFFSET,
         SLM_PUBLIC_KEY_SIZE);
  return 1;
}

void slm_artifact_info(const slm_artifact *artifact, slm_model_info *info) {
  const slm_manifest *manifest = &artifact->manifest;
  const slm_artifact_ModelConfig *model = &manifest->wire.model;
  info->architecture = slm_text(model->architecture);
  info->target = slm_text(manifest->wire.target.name);
  info->producer = slm_text(manifest->wire.producer);
  info->vocab_size = model->vocab_size;
  info->max_context = model->max_context;
  info->max_tokens_per_call = manifest->wire.memory.max_tokens_per_call;
  info->bos_token_id = model->bos_token_id;
  info->eos_token_id = model->eos_token_id;
}

const void *slm_artifact_tokenizer(const slm_artifact *artifact, size_t *size, const char **kind) {
  *size = artifact->manifest.tokenizer_size;
  if (kind)
    *kind = slm_text(artifact->manifest.wire.tokenizer.kind);
  return artifact->manifest.tokenizer_data;
}

int slm_artifact_chat_format(const slm_artifact *artifact, slm_chat_format *format) {
  const slm_artifact_Tokenizer *tokenizer = &artifact->manifest.wire.tokenizer;
  const slm_artifact_ChatTemplate *chat = &tokenizer->chat;
  int present = artifact->manifest.wire.has_tokenizer && tokenizer->has_chat && chat->source;
  *format = (slm_chat_format){NULL, "", "", NULL, 0};
  if (!present)
    return 0;
  *format = (slm_chat_format){chat->source, slm_text(chat->bos_token), slm_text(chat->eos_token),
                              chat->stop_token_ids, (int64_t)chat->stop_token_ids_count};
  return 1;
}

void slm_artifact_graph_signature(const slm_artifact *artifact, const slm_tensor_desc **inputs,
                                  int64_t *input_count, const slm_tensor_desc **outputs,
                                  int64_t *output_count) {
  const slm_entry_point *graph = slm_manifest_entry(&artifact->manifest, SLM_ENTRY_GRAPH);
  *inputs = graph ? graph->inputs : NULL;
  *input_count = graph ? graph->input_count : 0;
  *outputs = graph ? graph->outputs : NULL;
  *output_count = graph ? graph->output_count : 0;
}
