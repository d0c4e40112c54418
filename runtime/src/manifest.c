/*===- manifest.c - a protobuf wire-format decoder for the manifest -------===*
 *
 * Only the fields the runtime needs are read; every other field is skipped
 * by its wire type, as protobuf parsers do, so newer compilers may add fields.
 * A corrupted manifest is a format error naming the byte where it went wrong.
 *
 *===----------------------------------------------------------------------===*/

#include "manifest.h"

#include "error.h"
#include "little_endian.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LENGTH = 2, WIRE_FIXED32 = 5 };

typedef struct cursor {
  const uint8_t *pos;
  const uint8_t *end;
} cursor;

typedef struct decoder {
  const char *path;
  const uint8_t *base; /* byte offsets in messages count from here */
} decoder;

typedef struct field {
  uint32_t number; /* 0 at the end of the message */
  uint32_t wire_type;
  uint64_t value;  /* varint and fixed fields */
  cursor bytes;    /* length-delimited fields */
  const uint8_t *start;
} field;

static slm_status corrupted(const decoder *d, const uint8_t *at, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static slm_status corrupted(const decoder *d, const uint8_t *at, const char *format, ...) {
  char problem[256];
  va_list args;
  va_start(args, format);
  vsnprintf(problem, sizeof problem, format, args);
  va_end(args);
  return slm_fail(SLM_ERROR_FORMAT, "%s: corrupted manifest: %s at byte %zu", d->path, problem,
                  (size_t)(at - d->base));
}

static slm_status out_of_memory(const decoder *d) {
  return slm_fail(SLM_ERROR_MEMORY, "%s: out of memory decoding the manifest", d->path);
}

static slm_status read_varint(const decoder *d, cursor *c, uint64_t *value) {
  const uint8_t *start = c->pos;
  uint64_t result = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (c->pos == c->end)
      return corrupted(d, start, "truncated varint");
    uint8_t byte = *c->pos++;
    result |= (uint64_t)(byte & 0x7F) << shift;
    if (!(byte & 0x80)) {
      *value = result;
      return SLM_OK;
    }
  }
  return corrupted(d, start, "varint longer than 10 bytes");
}

static slm_status read_fixed(const decoder *d, cursor *c, unsigned size, uint64_t *value) {
  if ((size_t)(c->end - c->pos) < size)
    return corrupted(d, c->pos, "truncated fixed-size field");
  *value = slm_load_le(c->pos, size);
  c->pos += size;
  return SLM_OK;
}

/* Reads the next field of the message under `c`, payload included. */
static slm_status next_field(const decoder *d, cursor *c, field *f) {
  f->number = 0;
  if (c->pos == c->end)
    return SLM_OK;
  f->start = c->pos;
  uint64_t tag;
  slm_status status = read_varint(d, c, &tag);
  if (status != SLM_OK)
    return status;
  if (tag >> 3 == 0 || tag >> 3 > 0x1FFFFFFF)
    return corrupted(d, f->start, "field number %llu out of range", (unsigned long long)(tag >> 3));
  f->wire_type = (uint32_t)(tag & 7);
  switch (f->wire_type) {
  case WIRE_VARINT:
    status = read_varint(d, c, &f->value);
    break;
  case WIRE_FIXED64:
    status = read_fixed(d, c, 8, &f->value);
    break;
  case WIRE_FIXED32:
    status = read_fixed(d, c, 4, &f->value);
    break;
  case WIRE_LENGTH: {
    uint64_t length;
    const uint8_t *length_at = c->pos;
    status = read_varint(d, c, &length);
    if (status != SLM_OK)
      return status;
    if (length > (uint64_t)(c->end - c->pos))
      return corrupted(d, length_at, "length %llu runs past the end of its message",
                       (unsigned long long)length);
    f->bytes.pos = c->pos;
    f->bytes.end = c->pos + length;
    c->pos += length;
    break;
  }
  default:
    return corrupted(d, f->start, "unsupported wire type %u", f->wire_type);
  }
  if (status == SLM_OK)
    f->number = (uint32_t)(tag >> 3);
  return status;
}

static slm_status expect_wire_type(const decoder *d, const field *f, uint32_t wire_type) {
  if (f->wire_type == wire_type)
    return SLM_OK;
  return corrupted(d, f->start, "field %u has wire type %u instead of %u", f->number,
                   f->wire_type, wire_type);
}

static slm_status take_string(const decoder *d, const field *f, char **out) {
  slm_status status = expect_wire_type(d, f, WIRE_LENGTH);
  if (status != SLM_OK)
    return status;
  size_t size = (size_t)(f->bytes.end - f->bytes.pos);
  char *copy = malloc(size + 1);
  if (!copy)
    return out_of_memory(d);
  memcpy(copy, f->bytes.pos, size);
  copy[size] = '\0';
  free(*out);
  *out = copy;
  return SLM_OK;
}

static slm_status take_varint(const decoder *d, const field *f, uint64_t *out) {
  slm_status status = expect_wire_type(d, f, WIRE_VARINT);
  if (status == SLM_OK)
    *out = f->value;
  return status;
}

static slm_status take_int64(const decoder *d, const field *f, int64_t *out) {
  uint64_t value;
  slm_status status = take_varint(d, f, &value);
  if (status == SLM_OK)
    *out = (int64_t)value;
  return status;
}

/* int32 values are sign-extended to 64 bits on the wire. */
static slm_status take_int32(const decoder *d, const field *f, int32_t *out) {
  uint64_t value;
  slm_status status = take_varint(d, f, &value);
  if (status == SLM_OK)
    *out = (int32_t)(uint32_t)value;
  return status;
}

/* The array of `count` elements with one more, zeroed, at its end; NULL
 * (leaving the array as it was) when out of memory. */
static void *grow_by_one(void *array, size_t count, size_t element_size) {
  char *grown = realloc(array, (count + 1) * element_size);
  if (grown)
    memset(grown + count * element_size, 0, element_size);
  return grown;
}

static slm_status append_int64(const decoder *d, int64_t **array, size_t *count, uint64_t value) {
  int64_t *grown = grow_by_one(*array, *count, sizeof *grown);
  if (!grown)
    return out_of_memory(d);
  *array = grown;
  grown[(*count)++] = (int64_t)value;
  return SLM_OK;
}

/* Repeated int64: packed, or one value per field as older writers emit. */
static slm_status take_repeated_int64(const decoder *d, const field *f, int64_t **array,
                                      size_t *count) {
  if (f->wire_type == WIRE_VARINT)
    return append_int64(d, array, count, f->value);
  slm_status status = expect_wire_type(d, f, WIRE_LENGTH);
  for (cursor c = f->bytes; status == SLM_OK && c.pos != c.end;) {
    uint64_t value;
    status = read_varint(d, &c, &value);
    if (status == SLM_OK)
      status = append_int64(d, array, count, value);
  }
  return status;
}

static slm_status take_repeated_string(const decoder *d, const field *f, char ***array,
                                       size_t *count) {
  char **grown = grow_by_one(*array, *count, sizeof *grown);
  if (!grown)
    return out_of_memory(d);
  *array = grown;
  return take_string(d, f, &grown[(*count)++]);
}

typedef slm_status (*message_decoder)(const decoder *d, const field *f, void *out);

/* Calls decode_field for every field of the message in `f`. */
static slm_status decode_message(const decoder *d, const field *f, message_decoder decode_field,
                                 void *out) {
  slm_status status = expect_wire_type(d, f, WIRE_LENGTH);
  cursor c = f->bytes;
  field inner;
  while (status == SLM_OK && (status = next_field(d, &c, &inner)) == SLM_OK && inner.number != 0)
    status = decode_field(d, &inner, out);
  return status;
}

static slm_status decode_target(const decoder *d, const field *f, void *out) {
  slm_manifest *m = out;
  switch (f->number) {
  case 1:
    return take_string(d, f, &m->target_name);
  case 2:
    return take_string(d, f, &m->target_triple);
  case 5:
    return take_repeated_string(d, f, &m->required_features, &m->required_feature_count);
  default:
    return SLM_OK;
  }
}

static slm_status decode_model(const decoder *d, const field *f, void *out) {
  slm_manifest *m = out;
  switch (f->number) {
  case 1:
    return take_string(d, f, &m->architecture);
  case 2:
    return take_int64(d, f, &m->vocab_size);
  case 8:
    return take_int64(d, f, &m->max_context);
  case 9:
    return take_int32(d, f, &m->bos_token_id);
  case 10:
    return take_int32(d, f, &m->eos_token_id);
  default:
    return SLM_OK;
  }
}

/* Absent strings read as "" so that users need not test for NULL. */
static slm_status default_to_empty(const decoder *d, char **string) {
  if (!*string && !(*string = calloc(1, 1)))
    return out_of_memory(d);
  return SLM_OK;
}

/* The parts of a slm_tensor_desc while they are decoded. */
typedef struct tensor_under_construction {
  char *name;
  char *dtype;
  int64_t *shape;
  size_t rank;
} tensor_under_construction;

static slm_status decode_tensor(const decoder *d, const field *f, void *out) {
  tensor_under_construction *t = out;
  switch (f->number) {
  case 1:
    return take_string(d, f, &t->name);
  case 2:
    return take_repeated_int64(d, f, &t->shape, &t->rank);
  case 3:
    return take_string(d, f, &t->dtype);
  default:
    return SLM_OK;
  }
}

static slm_status take_tensor(const decoder *d, const field *f, slm_tensor_desc **array,
                              int64_t *count) {
  slm_tensor_desc *grown = grow_by_one(*array, (size_t)*count, sizeof *grown);
  if (!grown)
    return out_of_memory(d);
  *array = grown;
  tensor_under_construction t = {0};
  slm_status status = decode_message(d, f, decode_tensor, &t);
  if (status == SLM_OK)
    status = default_to_empty(d, &t.name);
  grown[(*count)++] = (slm_tensor_desc){t.name, t.dtype, t.shape, (int64_t)t.rank, 0};
  return status;
}

static slm_status decode_entry_point(const decoder *d, const field *f, void *out) {
  slm_entry_point *entry = out;
  switch (f->number) {
  case 1:
    return take_string(d, f, &entry->name);
  case 2:
    return take_string(d, f, &entry->kind_name);
  case 3:
    return take_tensor(d, f, &entry->inputs, &entry->input_count);
  case 4:
    return take_tensor(d, f, &entry->outputs, &entry->output_count);
  default:
    return SLM_OK;
  }
}

static slm_status decode_memory(const decoder *d, const field *f, void *out) {
  slm_manifest *m = out;
  switch (f->number) {
  case 1:
    return take_varint(d, f, &m->arena_size);
  case 2:
    return take_varint(d, f, &m->kv_cache_size);
  case 3:
    return take_int64(d, f, &m->max_tokens_per_call);
  case 4:
    return take_varint(d, f, &m->logits_size);
  default:
    return SLM_OK;
  }
}

static slm_status decode_tokenizer(const decoder *d, const field *f, void *out) {
  slm_manifest *m = out;
  switch (f->number) {
  case 1:
    return take_string(d, f, &m->tokenizer_kind);
  case 2: {
    slm_status status = expect_wire_type(d, f, WIRE_LENGTH);
    m->tokenizer_data = f->bytes.pos;
    m->tokenizer_size = (size_t)(f->bytes.end - f->bytes.pos);
    return status;
  }
  default:
    return SLM_OK;
  }
}

static slm_status decode_manifest(const decoder *d, const field *f, void *out) {
  slm_manifest *m = out;
  switch (f->number) {
  case 1:
    return take_string(d, f, &m->producer);
  case 2:
    return decode_message(d, f, decode_target, m);
  case 3:
    return decode_message(d, f, decode_model, m);
  case 5: {
    slm_entry_point *grown = grow_by_one(m->entry_points, m->entry_point_count, sizeof *grown);
    if (!grown)
      return out_of_memory(d);
    m->entry_points = grown;
    return decode_message(d, f, decode_entry_point, &grown[m->entry_point_count++]);
  }
  case 6:
    return decode_message(d, f, decode_memory, m);
  case 7:
    return decode_message(d, f, decode_tokenizer, m);
  default:
    return SLM_OK;
  }
}

static slm_status fill_missing_strings(const decoder *d, slm_manifest *m) {
  char **strings[] = {&m->producer, &m->target_name, &m->target_triple, &m->architecture,
                      &m->tokenizer_kind};
  slm_status status = SLM_OK;
  for (size_t i = 0; i < sizeof strings / sizeof *strings && status == SLM_OK; ++i)
    status = default_to_empty(d, strings[i]);
  for (size_t i = 0; i < m->entry_point_count && status == SLM_OK; ++i) {
    slm_entry_point *entry = &m->entry_points[i];
    status = default_to_empty(d, &entry->name);
    if (status == SLM_OK)
      status = default_to_empty(d, &entry->kind_name);
  }
  return status;
}

slm_status slm_manifest_decode(const char *path, const uint8_t *data, size_t size,
                               slm_manifest *manifest) {
  memset(manifest, 0, sizeof *manifest);
  decoder d = {path, data};
  field whole = {.number = 1, .wire_type = WIRE_LENGTH, .bytes = {data, data + size}, .start = data};
  slm_status status = decode_message(&d, &whole, decode_manifest, manifest);
  if (status == SLM_OK)
    status = fill_missing_strings(&d, manifest);
  if (status != SLM_OK)
    slm_manifest_free(manifest);
  return status;
}

static void free_tensors(slm_tensor_desc *tensors, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    free((void *)tensors[i].name);
    free((void *)tensors[i].dtype);
    free((void *)tensors[i].shape);
  }
  free(tensors);
}

void slm_manifest_free(slm_manifest *manifest) {
  free(manifest->producer);
  free(manifest->target_name);
  free(manifest->target_triple);
  for (size_t i = 0; i < manifest->required_feature_count; ++i)
    free(manifest->required_features[i]);
  free(manifest->required_features);
  free(manifest->architecture);
  for (size_t i = 0; i < manifest->entry_point_count; ++i) {
    slm_entry_point *entry = &manifest->entry_points[i];
    free(entry->name);
    free(entry->kind_name);
    free_tensors(entry->inputs, entry->input_count);
    free_tensors(entry->outputs, entry->output_count);
  }
  free(manifest->entry_points);
  free(manifest->tokenizer_kind);
  memset(manifest, 0, sizeof *manifest);
}

const slm_entry_point *slm_manifest_entry(const slm_manifest *manifest, slm_entry_kind kind) {
  for (size_t i = 0; i < manifest->entry_point_count; ++i)
    if (manifest->entry_points[i].kind == kind)
      return &manifest->entry_points[i];
  return NULL;
}
