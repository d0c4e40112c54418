/*===- manifest.c - decoding the manifest with nanopb ---------------------===*
 *
 * nanopb's generated tables (from runtime/format/slmpack.proto and
 * slmpack.options) drive the decoding: every length and varint is
 * bounds-checked, fields this runtime does not know are skipped by their wire
 * type, as protobuf parsers do, so newer compilers may add fields. The stream
 * reads from a cursor of ours so that an error can name the byte where the
 * decoder stopped.
 *
 *===----------------------------------------------------------------------===*/

#include "manifest.h"

#include "error.h"

#include <pb_decode.h>
#include <stdlib.h>
#include <string.h>

typedef struct cursor {
  const uint8_t *base, *pos, *end;
} cursor;

static bool read_from_cursor(pb_istream_t *stream, pb_byte_t *buf, size_t count) {
  cursor *c = stream->state;
  if ((size_t)(c->end - c->pos) < count)
    return false;
  memcpy(buf, c->pos, count);
  c->pos += count;
  return true;
}

typedef struct bytes_view {
  const uint8_t *data;
  size_t size;
} bytes_view;

/* Tokenizer.data: notes where the bytes are and steps over them. A
 * length-delimited field's stream is ours (read_from_cursor), so stepping over
 * is moving the cursor. A field of another wire type (a crafted manifest) comes
 * through a stream nanopb makes over a buffer of its own, whose state is no
 * cursor: refused (the fuzzer found this; test/fuzz/corpus/slmpack_manifest). */
static bool note_tokenizer_bytes(pb_istream_t *stream, const pb_field_t *field, void **arg) {
  (void)field;
  if (stream->callback != read_from_cursor)
    PB_RETURN_ERROR(stream, "tokenizer data is not length-delimited");
  cursor *c = stream->state;
  bytes_view *view = *arg;
  view->data = c->pos;
  view->size = stream->bytes_left;
  c->pos += stream->bytes_left;
  stream->bytes_left = 0;
  return true;
}

static slm_status out_of_memory(const char *path) {
  return slm_fail(SLM_ERROR_MEMORY, "%s: out of memory decoding the manifest", path);
}

/* The public form of an entry point's graph tensors; names and dtypes point
 * into the decoded message. */
static slm_tensor_desc *describe_tensors(const slm_artifact_TensorInfo *tensors, pb_size_t count) {
  slm_tensor_desc *descs = calloc(count ? count : 1, sizeof *descs);
  if (!descs)
    return NULL;
  for (pb_size_t i = 0; i < count; ++i)
    descs[i] = (slm_tensor_desc){slm_text(tensors[i].name), tensors[i].dtype, tensors[i].shape,
                                 (int64_t)tensors[i].shape_count, 0};
  return descs;
}

static slm_status describe_entry_points(const char *path, slm_manifest *m) {
  pb_size_t count = m->wire.entry_points_count;
  m->entry_points = calloc(count ? count : 1, sizeof *m->entry_points);
  if (!m->entry_points)
    return out_of_memory(path);
  for (pb_size_t i = 0; i < count; ++i) {
    const slm_artifact_EntryPoint *wire = &m->wire.entry_points[i];
    slm_entry_point *entry = &m->entry_points[m->entry_point_count++];
    entry->name = slm_text(wire->name);
    entry->kind_name = slm_text(wire->kind);
    entry->inputs = describe_tensors(wire->inputs, wire->inputs_count);
    entry->input_count = wire->inputs_count;
    entry->outputs = describe_tensors(wire->outputs, wire->outputs_count);
    entry->output_count = wire->outputs_count;
    if (!entry->inputs || !entry->outputs)
      return out_of_memory(path);
  }
  return SLM_OK;
}

slm_status slm_manifest_decode(const char *path, const uint8_t *data, size_t size,
                               slm_manifest *manifest) {
  memset(manifest, 0, sizeof *manifest);
  cursor c = {data, data, data + size};
  pb_istream_t stream = {read_from_cursor, &c, size, NULL};
  bytes_view tokenizer = {NULL, 0};
  manifest->wire.tokenizer.data.funcs.decode = note_tokenizer_bytes;
  manifest->wire.tokenizer.data.arg = &tokenizer;
  slm_status status = SLM_OK;
  if (!pb_decode_ex(&stream, slm_artifact_Manifest_fields, &manifest->wire, PB_DECODE_NOINIT))
    status = slm_fail(SLM_ERROR_FORMAT, "%s: corrupted manifest: %s at byte %zu", path,
                      PB_GET_ERROR(&stream), (size_t)(c.pos - c.base));
  manifest->wire.tokenizer.data.arg = NULL;
  manifest->tokenizer_data = tokenizer.data;
  manifest->tokenizer_size = tokenizer.size;
  if (status == SLM_OK)
    status = describe_entry_points(path, manifest);
  if (status != SLM_OK)
    slm_manifest_free(manifest);
  return status;
}

void slm_manifest_free(slm_manifest *manifest) {
  for (size_t i = 0; i < manifest->entry_point_count; ++i) {
    free(manifest->entry_points[i].inputs);
    free(manifest->entry_points[i].outputs);
  }
  free(manifest->entry_points);
  pb_release(slm_artifact_Manifest_fields, &manifest->wire);
  memset(manifest, 0, sizeof *manifest);
}

const slm_entry_point *slm_manifest_entry(const slm_manifest *manifest, slm_entry_kind kind) {
  for (size_t i = 0; i < manifest->entry_point_count; ++i)
    if (manifest->entry_points[i].kind == kind)
      return &manifest->entry_points[i];
  return NULL;
}
