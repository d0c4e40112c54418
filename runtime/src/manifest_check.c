/*===- manifest_check.c - does the manifest fit this runtime? -------------===*
 *
 * A manifest can be well-formed protobuf and still describe what the runtime
 * cannot run: an unknown entry kind, buffers too small for the model, graph
 * tensors of unknown dtypes. These checks keep such files from ever reaching
 * the code.
 *
 *===----------------------------------------------------------------------===*/

#include "manifest.h"

#include "error.h"

#include <string.h>

static uint64_t dtype_size(const char *dtype) {
  if (!dtype)
    return 0;
  if (!strcmp(dtype, "f32") || !strcmp(dtype, "i32"))
    return 4;
  if (!strcmp(dtype, "i64"))
    return 8;
  if (!strcmp(dtype, "i1"))
    return 1;
  return 0;
}

/* Computes the byte size of each graph input or output. */
static slm_status check_graph_tensors(const char *path, const slm_entry_point *entry,
                                      slm_tensor_desc *tensors, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    slm_tensor_desc *tensor = &tensors[i];
    uint64_t size = dtype_size(tensor->dtype);
    if (size == 0)
      return slm_fail(SLM_ERROR_UNSUPPORTED,
                      "%s: entry point '%s': tensor '%s' has dtype '%s', which this runtime "
                      "does not know",
                      path, entry->name, tensor->name, tensor->dtype ? tensor->dtype : "");
    for (int64_t axis = 0; axis < tensor->rank; ++axis) {
      int64_t dim = tensor->shape[axis];
      if (dim < 0 || (dim > 0 && size > UINT64_MAX / (uint64_t)dim))
        return slm_fail(SLM_ERROR_FORMAT,
                        "%s: entry point '%s': tensor '%s' has an invalid shape", path,
                        entry->name, tensor->name);
      size *= (uint64_t)dim;
    }
    tensor->size = size;
  }
  return SLM_OK;
}

static slm_status check_decoder_plan(const char *path, const slm_artifact_Manifest *m) {
  if (m->model.vocab_size <= 0 || m->model.vocab_size > INT32_MAX)
    return slm_fail(SLM_ERROR_FORMAT, "%s: manifest: vocab_size %lld is out of range", path,
                    (long long)m->model.vocab_size);
  if (m->model.max_context <= 0)
    return slm_fail(SLM_ERROR_FORMAT, "%s: manifest: max_context %lld is not positive", path,
                    (long long)m->model.max_context);
  if (m->memory.max_tokens_per_call <= 0)
    return slm_fail(SLM_ERROR_FORMAT, "%s: manifest: max_tokens_per_call %lld is not positive",
                    path, (long long)m->memory.max_tokens_per_call);
  uint64_t row_bytes = (uint64_t)m->model.vocab_size * sizeof(float);
  if ((uint64_t)m->memory.max_tokens_per_call > m->memory.logits_size / row_bytes)
    return slm_fail(SLM_ERROR_FORMAT,
                    "%s: manifest: logits_size %llu is smaller than max_tokens_per_call %lld x "
                    "vocab_size %lld x 4",
                    path, (unsigned long long)m->memory.logits_size, (long long)m->memory.max_tokens_per_call,
                    (long long)m->model.vocab_size);
  return SLM_OK;
}

slm_status slm_manifest_check(const char *path, slm_manifest *m) {
  if (m->entry_point_count == 0)
    return slm_fail(SLM_ERROR_FORMAT, "%s: manifest lists no entry points", path);
  slm_status status = SLM_OK;
  for (size_t i = 0; i < m->entry_point_count && status == SLM_OK; ++i) {
    slm_entry_point *entry = &m->entry_points[i];
    if (!strcmp(entry->kind_name, "decoder_step"))
      entry->kind = SLM_ENTRY_DECODER_STEP;
    else if (!strcmp(entry->kind_name, "graph"))
      entry->kind = SLM_ENTRY_GRAPH;
    else
      return slm_fail(SLM_ERROR_UNSUPPORTED,
                      "%s: entry point '%s' has kind '%s', which this runtime does not know", path,
                      entry->name, entry->kind_name);
    if (!entry->name[0])
      return slm_fail(SLM_ERROR_FORMAT, "%s: entry point %zu has no name", path, i);
    if (slm_manifest_entry(m, entry->kind) != entry)
      return slm_fail(SLM_ERROR_FORMAT, "%s: more than one '%s' entry point", path,
                      entry->kind_name);
    if (entry->kind == SLM_ENTRY_DECODER_STEP)
      status = check_decoder_plan(path, &m->wire);
    if (status == SLM_OK)
      status = check_graph_tensors(path, entry, entry->inputs, entry->input_count);
    if (status == SLM_OK)
      status = check_graph_tensors(path, entry, entry->outputs, entry->output_count);
  }
  return status;
}
