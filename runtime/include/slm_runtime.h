/*===- slm_runtime.h - the slmc tiny runtime ----------------------*- C -*-===*
 *
 * Loads a .slmpack artifact and runs it. Depends on libc, libm, pthreads and
 * libdl only. Every function that can fail returns an slm_status; the message
 * of the last failure on the calling thread is slm_last_error().
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_RUNTIME_H
#define SLM_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libslmrt is built with hidden visibility; only these functions are exported. */
#define SLM_API __attribute__((visibility("default")))

typedef enum slm_status {
  SLM_OK = 0,
  SLM_ERROR_IO = 1,          /* cannot open, read or map the file */
  SLM_ERROR_FORMAT = 2,      /* bad magic, version, bounds or manifest */
  SLM_ERROR_CHECKSUM = 3,    /* the file's bytes do not match its checksum */
  SLM_ERROR_UNSUPPORTED = 4, /* the CPU lacks a required feature; unknown entry kind, dtype */
  SLM_ERROR_ARGUMENT = 5,    /* a bad argument (token out of range, context full, ...) */
  SLM_ERROR_EXECUTION = 6,   /* the compiled code failed */
  SLM_ERROR_MEMORY = 7,
  SLM_ERROR_SIGNATURE = 8,   /* unsigned, signed by an untrusted key, or the signature fails */
} slm_status;

typedef struct slm_artifact slm_artifact;
typedef struct slm_session slm_session;

/* The message of the last failure on this thread ("" if none). */
SLM_API const char *slm_last_error(void);

/* Opens, maps and validates an artifact: header, bounds, version, checksum,
 * manifest, and the CPU features the code requires against the running CPU;
 * then loads the code. An artifact may be shared by sessions on several
 * threads. */
SLM_API slm_status slm_artifact_open(const char *path, slm_artifact **out);

/* An Ed25519 public key (docs/ARTIFACT.md, "Signatures"). */
#define SLM_PUBLIC_KEY_SIZE 32
typedef struct slm_public_key {
  uint8_t bytes[SLM_PUBLIC_KEY_SIZE];
} slm_public_key;
/* slm_artifact_open for a device that runs only what a trusted key signed:
 * before the manifest is decoded or any code is mapped, the artifact must
 * carry a signature by one of the `key_count` keys that matches its bytes
 * (SLM_ERROR_SIGNATURE otherwise). key_count 0 is slm_artifact_open. A runtime
 * built without signatures (SLMRT_SIGNATURES=OFF, libc only) refuses key_count
 * > 0 with SLM_ERROR_UNSUPPORTED. */
SLM_API slm_status slm_artifact_open_trusted(const char *path, const slm_public_key *keys,
                                             size_t key_count, slm_artifact **out);
/* slm_artifact_inspect with slm_artifact_open_trusted's signature check. */
SLM_API slm_status slm_artifact_inspect_trusted(const char *path, const slm_public_key *keys,
                                                size_t key_count, slm_artifact **out);
/* Reads a public key file as `slmc keygen` writes it: the line
 * "slmc-ed25519-public-key " followed by 64 hex digits. */
SLM_API slm_status slm_public_key_read(const char *path, slm_public_key *key);
/* Every check of slm_artifact_open but the CPU features, without loading the
 * code: for tools that look at artifacts built for other machines. Such an
 * artifact cannot create sessions. */
SLM_API slm_status slm_artifact_inspect(const char *path, slm_artifact **out);
SLM_API void slm_artifact_close(slm_artifact *artifact);

/* The serialized slm.artifact.Manifest, pointing into the mapped file. */
SLM_API const void *slm_artifact_manifest(const slm_artifact *artifact, size_t *size);

/* Where the header puts the sections (docs/ARTIFACT.md). */
typedef struct slm_artifact_layout {
  uint32_t format_version;
  uint64_t file_size;
  uint64_t manifest_offset, manifest_size;
  uint64_t code_offset, code_size;
  uint64_t weights_offset, weights_size;
  uint64_t checksum;
  uint64_t signature_offset, signature_size; /* both 0 when unsigned */
} slm_artifact_layout;
SLM_API void slm_artifact_get_layout(const slm_artifact *artifact, slm_artifact_layout *layout);
/* Fills `key` with the key the artifact says signed it and returns 1, or
 * returns 0 when it is unsigned. Only slm_artifact_open_trusted checks the
 * signature itself. */
SLM_API int slm_artifact_signer(const slm_artifact *artifact, slm_public_key *key);

typedef struct slm_model_info {
  const char *architecture;
  const char *target;        /* target name, e.g. "x86-64-avx2" */
  const char *producer;      /* e.g. "slmc 0.1.0" */
  int64_t vocab_size;
  int64_t max_context;
  int64_t max_tokens_per_call;
  int32_t bos_token_id;
  int32_t eos_token_id;
} slm_model_info;
SLM_API void slm_artifact_info(const slm_artifact *artifact, slm_model_info *info);

/* The tokenizer file carried by the artifact; kind is "llama2c" or "huggingface".
 * The bytes point into the mapped file and live as long as the artifact. */
SLM_API const void *slm_artifact_tokenizer(const slm_artifact *artifact, size_t *size,
                                           const char **kind);

/* How a conversation becomes text for an instruction-tuned model: the Jinja
 * chat template (rendered by libslmtok's slm_chat.h), the bos/eos text it
 * reads, and the tokens that end a reply. Points into the artifact. */
typedef struct slm_chat_format {
  const char *template_source;
  const char *bos_token;
  const char *eos_token;
  const int64_t *stop_token_ids;
  int64_t stop_token_count;
} slm_chat_format;
/* Fills `format` and returns 1 when the artifact carries a chat template, 0
 * (and an empty `format`) when it does not. */
SLM_API int slm_artifact_chat_format(const slm_artifact *artifact, slm_chat_format *format);

/* One input or output of a "graph" entry point. */
typedef struct slm_tensor_desc {
  const char *name;
  const char *dtype;     /* "f32", "i64", "i32" or "i1" (one byte per element) */
  const int64_t *shape;
  int64_t rank;
  uint64_t size;         /* bytes */
} slm_tensor_desc;
/* The inputs and outputs slm_session_run_graph takes (none without a "graph"
 * entry point). */
SLM_API void slm_artifact_graph_signature(const slm_artifact *artifact,
                                          const slm_tensor_desc **inputs, int64_t *input_count,
                                          const slm_tensor_desc **outputs, int64_t *output_count);

/* A session owns the KV cache, the activation arena and a pool of `threads`
 * threads (0: one per online CPU). One thread uses a session at a time. */
SLM_API slm_status slm_session_create(slm_artifact *artifact, int threads, slm_session **out);
SLM_API void slm_session_destroy(slm_session *session);
/* Forgets every position (the KV cache is reused from position 0). */
SLM_API void slm_session_reset(slm_session *session);
SLM_API int64_t slm_session_position(const slm_session *session);
/* Keeps the first `position` positions and forgets the rest (a chat whose
 * re-rendered history differs from what was generated); no-op past the end.
 * Returns 1, or 0 when the positions cannot be kept: a sliding-window model's
 * ring cache has overwritten what they need, and the session is reset. */
SLM_API int slm_session_rewind(slm_session *session, int64_t position);

/* Appends tokens at the current position (split into chunks of at most
 * max_tokens_per_call). With all_logits the logits of every token are kept,
 * else only the last token's. Tokens outside the vocabulary and tokens past
 * max_context are refused before anything runs; if the code fails, the
 * position counts the chunks that ran. */
SLM_API slm_status slm_session_prefill(slm_session *session, const int32_t *tokens,
                                       int64_t count, int all_logits);
/* Appends one token. */
SLM_API slm_status slm_session_decode(slm_session *session, int32_t token);
/* The logits of the last prefill/decode: *rows x vocab_size floats, row-major,
 * valid until the next call on the session (NULL and 0 rows before the first,
 * after a reset, or after code that failed). */
SLM_API const float *slm_session_logits(const slm_session *session, int64_t *rows);

/* Runs the "graph" entry point: inputs/outputs as slm_artifact_graph_signature
 * lists them. */
SLM_API slm_status slm_session_run_graph(slm_session *session, const void *const *inputs,
                                         void *const *outputs);

typedef struct slm_sampler_config {
  float temperature;  /* 0: greedy (the first maximum) */
  int32_t top_k;      /* 0: off */
  float top_p;        /* 1 or 0: off */
  uint64_t seed;
} slm_sampler_config;
typedef struct slm_sampler {
  slm_sampler_config config;
  uint64_t state;
} slm_sampler;
SLM_API void slm_sampler_init(slm_sampler *sampler, const slm_sampler_config *config);
/* Picks a token from one row of logits. Deterministic for a seed. Returns -1
 * (see slm_last_error) for an empty row or when out of memory. */
SLM_API int32_t slm_sample(slm_sampler *sampler, const float *logits, int64_t vocab_size);

#ifdef __cplusplus
}
#endif

#endif /* SLM_RUNTIME_H */
