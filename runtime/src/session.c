/*===- session.c - running an artifact's entry points ---------------------===*
 *
 * A session holds what one sequence needs: the KV cache, the activation arena,
 * the logits and the threads. Arguments are checked before any code runs, so a
 * refused call leaves the session as it was.
 *
 *===----------------------------------------------------------------------===*/

#include "artifact.h"
#include "error.h"
#include "thread_pool.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Zeroed, page-aligned (so 64-byte aligned) memory that the OS commits as it
 * is touched: a large KV cache costs only the positions used. */
typedef struct buffer {
  void *data;
  size_t size;
} buffer;

struct slm_session {
  slm_artifact *artifact;
  slm_thread_pool *pool;
  buffer arena;
  buffer kv_cache;
  buffer logits;     /* what one decoder_step call writes */
  buffer all_logits; /* every row of a prefill longer than one call, when asked for */
  const float *result;
  int64_t result_rows;
  int64_t position;
};

static slm_status map_buffer(const slm_session *session, buffer *b, uint64_t size,
                             const char *what) {
  if (size == 0)
    return SLM_OK;
  void *data = size > SIZE_MAX ? MAP_FAILED
                               : mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (data == MAP_FAILED)
    return slm_fail(SLM_ERROR_MEMORY, "%s: cannot allocate %llu bytes for the %s",
                    session->artifact->path, (unsigned long long)size, what);
  b->data = data;
  b->size = (size_t)size;
  return SLM_OK;
}

static void unmap_buffer(buffer *b) {
  if (b->data)
    munmap(b->data, b->size);
  b->data = NULL;
  b->size = 0;
}

slm_status slm_session_create(slm_artifact *artifact, int threads, slm_session **out) {
  *out = NULL;
  if (!artifact->code_loaded)
    return slm_fail(SLM_ERROR_ARGUMENT,
                    "%s: was opened for inspection; open it with slm_artifact_open to run it",
                    artifact->path);
  if (threads < 0)
    return slm_fail(SLM_ERROR_ARGUMENT, "%s: a session cannot have %d threads", artifact->path,
                    threads);
  if (threads == 0) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    threads = online > 0 ? (int)online : 1;
  }
  slm_session *session = calloc(1, sizeof *session);
  if (!session)
    return slm_fail(SLM_ERROR_MEMORY, "%s: out of memory", artifact->path);
  session->artifact = artifact;
  const slm_manifest *manifest = &artifact->manifest;
  slm_status status = map_buffer(session, &session->arena, manifest->wire.memory.arena_size, "arena");
  if (status == SLM_OK)
    status = map_buffer(session, &session->kv_cache, manifest->wire.memory.kv_cache_size, "KV cache");
  if (status == SLM_OK)
    status = map_buffer(session, &session->logits, manifest->wire.memory.logits_size, "logits");
  if (status == SLM_OK && !(session->pool = slm_thread_pool_create(threads)))
    status = slm_fail(SLM_ERROR_MEMORY, "%s: cannot start %d threads", artifact->path, threads);
  if (status != SLM_OK) {
    slm_session_destroy(session);
    return status;
  }
  *out = session;
  return SLM_OK;
}

void slm_session_destroy(slm_session *session) {
  if (!session)
    return;
  if (session->pool)
    slm_thread_pool_destroy(session->pool);
  unmap_buffer(&session->arena);
  unmap_buffer(&session->kv_cache);
  unmap_buffer(&session->logits);
  unmap_buffer(&session->all_logits);
  free(session);
}

void slm_session_reset(slm_session *session) {
  session->position = 0;
  session->result = NULL;
  session->result_rows = 0;
}

int64_t slm_session_position(const slm_session *session) { return session->position; }

int slm_session_rewind(slm_session *session, int64_t position) {
  if (position < 0)
    position = 0;
  if (position >= session->position)
    return 1;
  /* A ring cache's slots past `position` hold older positions no more. */
  int kept = session->artifact->manifest.wire.model.sliding_window <= 0;
  session->position = kept ? position : 0;
  session->result = NULL;
  session->result_rows = 0;
  return kept;
}

static slm_status check_tokens(const slm_session *session, const int32_t *tokens, int64_t count) {
  const slm_artifact *artifact = session->artifact;
  const slm_manifest *manifest = &artifact->manifest;
  if (!artifact->decoder_step)
    return slm_fail(SLM_ERROR_ARGUMENT, "%s: has no decoder_step entry point", artifact->path);
  if (count <= 0 || !tokens)
    return slm_fail(SLM_ERROR_ARGUMENT, "%s: no tokens to append", artifact->path);
  for (int64_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= manifest->wire.model.vocab_size)
      return slm_fail(SLM_ERROR_ARGUMENT,
                      "%s: token %d (at index %lld) is outside the vocabulary of %lld tokens",
                      artifact->path, tokens[i], (long long)i, (long long)manifest->wire.model.vocab_size);
  if (count > manifest->wire.model.max_context - session->position)
    return slm_fail(SLM_ERROR_ARGUMENT,
                    "%s: %lld tokens at position %lld do not fit the context of %lld positions",
                    artifact->path, (long long)count, (long long)session->position,
                    (long long)manifest->wire.model.max_context);
  return SLM_OK;
}

/* Makes room for `count` rows of logits when they span several calls. */
static slm_status reserve_all_logits(slm_session *session, int64_t count) {
  uint64_t row_size = (uint64_t)session->artifact->manifest.wire.model.vocab_size * sizeof(float);
  uint64_t size = (uint64_t)count > UINT64_MAX / row_size ? UINT64_MAX : (uint64_t)count * row_size;
  if (size <= session->all_logits.size)
    return SLM_OK;
  unmap_buffer(&session->all_logits);
  return map_buffer(session, &session->all_logits, size, "logits of the prefill");
}

slm_status slm_session_prefill(slm_session *session, const int32_t *tokens, int64_t count,
                               int all_logits) {
  slm_status status = check_tokens(session, tokens, count);
  const slm_artifact *artifact = session->artifact;
  const slm_manifest *manifest = &artifact->manifest;
  bool gather_rows = all_logits && count > manifest->wire.memory.max_tokens_per_call;
  /* The code computes only the last token's logits, written to row 0. */
  bool last_only = !all_logits && manifest->wire.memory.last_logits_on_request;
  if (status == SLM_OK && gather_rows)
    status = reserve_all_logits(session, count);
  if (status != SLM_OK)
    return status;
  session->result = NULL;
  session->result_rows = 0;

  const int64_t vocab = manifest->wire.model.vocab_size;
  float *logits = session->logits.data;
  int64_t chunk = 0;
  for (int64_t done = 0; done < count; done += chunk) {
    chunk = count - done < manifest->wire.memory.max_tokens_per_call ? count - done
                                                         : manifest->wire.memory.max_tokens_per_call;
    slm_step_args args = {
        .abi_version = SLM_KERNEL_ABI_VERSION,
        .flags = last_only ? SLM_STEP_LAST_LOGITS : 0,
        .tokens = tokens + done,
        .n_tokens = chunk,
        .position = session->position,
        .weights = artifact->file + artifact->layout.weights_offset,
        .arena = session->arena.data,
        .kv_cache = session->kv_cache.data,
        .logits = logits,
        .parallel_for = slm_thread_pool_parallel_for(session->pool),
        .pool = session->pool,
    };
    int32_t code = artifact->decoder_step(&args);
    if (code != 0)
      return slm_fail(SLM_ERROR_EXECUTION, "%s: %s failed with code %d at position %lld",
                      artifact->path, slm_manifest_entry(manifest, SLM_ENTRY_DECODER_STEP)->name,
                      code, (long long)session->position);
    session->position += chunk;
    if (gather_rows)
      memcpy((float *)session->all_logits.data + done * vocab, logits,
             (size_t)(chunk * vocab) * sizeof(float));
  }
  if (gather_rows)
    session->result = session->all_logits.data;
  else
    session->result = all_logits || last_only ? logits : logits + (chunk - 1) * vocab;
  session->result_rows = all_logits ? count : 1;
  return SLM_OK;
}

slm_status slm_session_decode(slm_session *session, int32_t token) {
  return slm_session_prefill(session, &token, 1, 0);
}

const float *slm_session_logits(const slm_session *session, int64_t *rows) {
  *rows = session->result_rows;
  return session->result;
}

slm_status slm_session_run_graph(slm_session *session, const void *const *inputs,
                                 void *const *outputs) {
  const slm_artifact *artifact = session->artifact;
  if (!artifact->graph)
    return slm_fail(SLM_ERROR_ARGUMENT, "%s: has no graph entry point", artifact->path);
  slm_graph_args args = {
      .abi_version = SLM_KERNEL_ABI_VERSION,
      .inputs = inputs,
      .outputs = outputs,
      .weights = artifact->file + artifact->layout.weights_offset,
      .arena = session->arena.data,
      .parallel_for = slm_thread_pool_parallel_for(session->pool),
      .pool = session->pool,
  };
  int32_t code = artifact->graph(&args);
  if (code != 0)
    return slm_fail(SLM_ERROR_EXECUTION, "%s: %s failed with code %d", artifact->path,
                    slm_manifest_entry(&artifact->manifest, SLM_ENTRY_GRAPH)->name, code);
  return SLM_OK;
}
