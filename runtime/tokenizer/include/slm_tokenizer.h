/*===- slm_tokenizer.h - libslmtok: text <-> token ids --------------*- C -*-===*
 *
 * The tokenizer of the compiler and of the device, one implementation: C11,
 * libc and utf8proc (statically linked). It reads Hugging Face tokenizer.json
 * files (BPE models: byte-level as GPT-2, Qwen, Llama 3 and SmolLM ship them,
 * and SentencePiece-style as Llama 2, Phi-3, Mistral and Gemma do) and runs
 * their pipeline: added tokens, normalizer, pre-tokenizer, model,
 * post-processor; and the decoder back. It also reads llama2.c's
 * tokenizer.bin and encodes and decodes as run.c does.
 *
 * Errors: functions that can fail return NULL or -1 and write a message into
 * the caller's `error` buffer (the caller adds the file's name).
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_TOKENIZER_H
#define SLM_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct slm_tokenizer slm_tokenizer;

/* Loads the contents of a tokenizer.json. A component the library does not
 * implement is refused by name (e.g. "pre_tokenizer type 'BertPreTokenizer'
 * is not supported"), never approximated. */
slm_tokenizer *slm_tok_load_json(const char *json, size_t size, char *error, size_t error_size);
/* Loads the contents of a llama2.c tokenizer.bin. */
slm_tokenizer *slm_tok_load_llama2c(const char *data, size_t size, char *error,
                                    size_t error_size);
/* Either, by content: JSON opens with '{' (after white space). */
slm_tokenizer *slm_tok_load(const char *data, size_t size, char *error, size_t error_size);
void slm_tok_free(slm_tokenizer *tok);

/* llama2.c tokenizers: the BOS id that encoding adds (and after which a
 * piece's leading space is dropped) and the EOS id; run.c's 1 and 2 unless
 * set. A tokenizer.json ignores them: its post-processor and added tokens say. */
void slm_tok_set_special_ids(slm_tokenizer *tok, int32_t bos, int32_t eos);

typedef struct {
  /* Add the post-processor's special tokens (e.g. BOS). Special tokens written
   * in the text are recognised either way. */
  int add_special;
  /* Called for each character that the vocabulary cannot spell (no token, no
   * byte token) and so becomes the unknown token, or nothing when the model
   * has none (the tokenizers library's behaviour); NULL to ignore. */
  void (*on_unknown)(void *context, const char *character, size_t len);
  void *context;
} slm_tok_encode_options;

/* The ids of UTF-8 `text` (*ids malloc'ed, *count of them; free() it). */
int slm_tok_encode(const slm_tokenizer *tok, const char *text, size_t len,
                   const slm_tok_encode_options *options, int32_t **ids, size_t *count,
                   char *error, size_t error_size);

/* The text of `ids` through the tokenizer's decoder (*text malloc'ed and
 * NUL-terminated, *len bytes; free() it). skip_special drops special added
 * tokens. Invalid UTF-8 that byte tokens leave becomes U+FFFD, as the
 * Hugging Face decoders do. */
int slm_tok_decode(const slm_tokenizer *tok, const int32_t *ids, size_t n, int skip_special,
                   char **text, size_t *len, char *error, size_t error_size);

/* The bytes `id` adds to a stream of generated text after `previous` (-1 at
 * the start): the decoder's output for one token, its leading space dropped
 * where the decoder drops the first one, byte tokens as raw bytes (a UTF-8
 * character may come in several pieces). Appends to *out (realloc'ed). */
int slm_tok_decode_piece(const slm_tokenizer *tok, int32_t previous, int32_t id, char **out,
                         size_t *len);

/* One more than the largest id of the vocabulary and the added tokens. */
int32_t slm_tok_vocab_size(const slm_tokenizer *tok);
/* A token's string as the vocabulary holds it, or NULL for an id it lacks. */
const char *slm_tok_token(const slm_tokenizer *tok, int32_t id, size_t *len);
/* The id of a token string, or -1. */
int32_t slm_tok_id(const slm_tokenizer *tok, const char *token, size_t len);
/* Whether id is an added token marked special. */
int slm_tok_is_special(const slm_tokenizer *tok, int32_t id);
/* The ids the post-processor adds in front of and after a single sequence
 * (e.g. BOS), at most `capacity` each; returns the counts through the
 * pointers. */
void slm_tok_special_frame(const slm_tokenizer *tok, int32_t *front, size_t *front_count,
                           int32_t *back, size_t *back_count, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* SLM_TOKENIZER_H */
