/*===- tokenizer_impl.h - what libslmtok's files share --------------*- C -*-===*/
#ifndef SLM_TOK_IMPL_H
#define SLM_TOK_IMPL_H

#include "slm_tokenizer.h"

#include "tok_json.h"
#include "tok_regex.h"
#include "tok_text.h"

typedef struct {
  const char *s;
  size_t len;
} tok_str;

/* Ids size tables: one beyond any real vocabulary (Gemma's is 256,000) is a
 * broken or hostile file, not a vocabulary. */
#define TOK_MAX_ID (1 << 22)

/*===--- merging pairs (merge.c) -------------------------------------------===*/

typedef struct {
  int32_t id, prev, next; /* a merged-away symbol has id -1 */
} tok_symbol;

/* Whether adjacent symbols `left`, `right` merge; if so, the merge's priority
 * (lower merges first) and the merged symbol's id. */
typedef int (*tok_merge_rule)(const void *context, int32_t left, int32_t right,
                              double *priority, int32_t *merged);

/* Merges symbols[0, n) (their ids; prev/next are set here) until no pair
 * merges; the result is the list from symbols[0] by next. -1: out of memory. */
int tok_merge_symbols(tok_symbol *symbols, int32_t n, tok_merge_rule rule, const void *context);

/*===--- the BPE model (bpe.c) ---------------------------------------------===*/

typedef struct {
  /* token string -> id: open addressing over `ids` (-1 empty), 2^k slots */
  int32_t *slots;
  uint32_t mask;
  tok_str *tokens; /* id -> string ({NULL, 0} for ids no token has) */
  int32_t size;    /* one more than the largest id */
} tok_vocab;

typedef struct {
  uint64_t *keys; /* (left id << 32 | right id) + 1; 0 empty */
  int32_t *ranks, *merged;
  uint32_t mask;
} tok_merges;

typedef struct {
  tok_vocab vocab;
  tok_merges merges;
  int32_t unk;        /* -1: none */
  int fuse_unk, byte_fallback, ignore_merges;
  tok_str prefix, suffix; /* continuing_subword_prefix, end_of_word_suffix */
  int32_t byte_ids[256];  /* <0xXX>, or -1 */
} tok_bpe;

int tok_vocab_put(tok_vocab *v, const char *s, size_t len, int32_t id);
int32_t tok_vocab_get(const tok_vocab *v, const char *s, size_t len);
/* Names id's string without making it the string's id (a later duplicate). */
int tok_vocab_set_token(tok_vocab *v, const char *s, size_t len, int32_t id);
/* Reads model.vocab and model.merges. */
int tok_bpe_load(tok_bpe *bpe, const tok_json_doc *d, const tok_json *model, char *error,
                 size_t error_size);
/* Appends the ids of one pre-token (word) to *ids; characters that become
 * the unknown token (or nothing) are reported through `options`. */
int tok_bpe_encode(const tok_bpe *bpe, const char *word, size_t len,
                   const slm_tok_encode_options *options, int32_t **ids, size_t *count,
                   size_t *capacity);
void tok_bpe_free(tok_bpe *bpe);
/* Appends id to a growing array. */
int tok_ids_push(int32_t **ids, size_t *count, size_t *capacity, int32_t id);

/*===--- pipeline components (load.c) --------------------------------------===*/

typedef enum {
  /* normalizers */
  STEP_NFC, STEP_NFD, STEP_NFKC, STEP_NFKD, STEP_LOWERCASE, STEP_STRIP, STEP_PREPEND,
  STEP_REPLACE,
  /* pre-tokenizers */
  STEP_BYTE_LEVEL, STEP_SPLIT, STEP_METASPACE, /* Digits, Whitespace, ...: fixed Splits */
  /* decoders (and STEP_BYTE_LEVEL, STEP_METASPACE, STEP_REPLACE, STEP_STRIP) */
  STEP_BYTE_FALLBACK, STEP_FUSE
} tok_step_kind;

typedef enum { SPLIT_REMOVED, SPLIT_ISOLATED, SPLIT_MERGED_PREVIOUS, SPLIT_MERGED_NEXT,
               SPLIT_CONTIGUOUS } tok_split_behavior;

typedef enum { PREPEND_ALWAYS, PREPEND_FIRST, PREPEND_NEVER } tok_prepend_scheme;

typedef struct {
  tok_step_kind kind;
  tok_str text;         /* Prepend, Replace's content, Strip's content, Metaspace's replacement */
  tok_str literal;      /* Replace/Split: a String pattern */
  tok_regex *regex;     /* Replace/Split: a Regex pattern (else literal) */
  tok_split_behavior behavior;
  int invert;
  int left, right;      /* Strip (normalizer: booleans; decoder: counts) */
  int add_prefix_space; /* ByteLevel */
  int use_regex;        /* ByteLevel */
  tok_prepend_scheme prepend; /* Metaspace */
  int split;            /* Metaspace */
} tok_step;

typedef struct {
  tok_step *steps;
  int count;
} tok_steps;

typedef struct {
  tok_str content;
  tok_str match; /* what is looked for: content, normalized for normalized tokens (owned) */
  int32_t id;
  int special, lstrip, rstrip, normalized, single_word;
  int owns_match;
} tok_added;

/* llama2.c's tokenizer.bin (llama2c.c); its pieces are in slm_tokenizer's bpe.vocab. */
typedef struct {
  char *data;    /* the file; NULL for a tokenizer.json */
  float *scores; /* per id */
  int32_t count, bos, eos;
  int has_byte_tokens; /* ids 3..258 are <0x00>..<0xFF> */
} tok_llama2c;

int tok_llama2c_load(slm_tokenizer *tok, const char *data, size_t size, char *error,
                     size_t error_size);
int tok_llama2c_encode(const slm_tokenizer *tok, const char *text, size_t len,
                       const slm_tok_encode_options *options, int32_t **ids, size_t *count,
                       char *error, size_t error_size);
int tok_llama2c_decode_piece(const slm_tokenizer *tok, int32_t previous, int32_t id,
                             tok_buf *out);

/* The byte a "<0xNN>" token stands for, or -1. */
int tok_byte_token(const char *s, size_t n);

struct slm_tokenizer {
  tok_llama2c llama2c;
  tok_json_doc doc; /* every string below points into its arena */
  tok_bpe bpe;
  tok_vocab added_vocab; /* added token contents -> ids */
  tok_added *added;
  int added_count;
  int32_t vocab_size; /* one more than the largest id of the vocabulary and the added tokens */
  uint8_t *special;   /* per id: an added special token */
  tok_steps normalizer, pre_tokenizer, decoder;
  int32_t *front, *back; /* ids the post-processor puts around a single sequence */
  size_t front_count, back_count;
  tok_regex *gpt2_regex; /* ByteLevel's split, compiled once */
  int32_t byte_char[256];                    /* the byte-level alphabet ... */
  int16_t char_byte[TOK_BYTE_LEVEL_CHARS];   /* ... and back (-1: no byte) */
};

int tok_load_pipeline(slm_tokenizer *tok, char *error, size_t error_size);
void tok_free_steps(tok_steps *steps);

/*===--- pieces of text between the stages (encode.c, decode.c) ------------===*/

typedef struct {
  size_t start, len;
  int32_t added;  /* an added token's id, or -1 for text still to tokenize */
  int at_origin;  /* the piece starts at the beginning of the input (Metaspace "first") */
} tok_piece;

typedef struct {
  tok_buf text;
  tok_piece *pieces;
  size_t count, capacity;
} tok_pieces;

int tok_pieces_add(tok_pieces *p, const char *s, size_t len, int32_t added, int at_origin);
void tok_pieces_free(tok_pieces *p);

/* The normalizer's output for one string. */
int tok_normalize(const slm_tokenizer *tok, const tok_steps *steps, const char *s, size_t len,
                  tok_buf *out);
/* Every match of a Replace step's pattern in s replaced by its content. */
int tok_replace_all(const tok_step *step, const char *s, size_t len, tok_buf *out);
/* Pre-tokenizer steps on every text piece of `in` (added pieces pass through). */
int tok_pre_tokenize(const slm_tokenizer *tok, const tok_pieces *in, tok_pieces *out, char *error,
                     size_t error_size);

#endif /* SLM_TOK_IMPL_H */
