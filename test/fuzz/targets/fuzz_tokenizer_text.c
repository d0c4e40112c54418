/*===- fuzz_tokenizer_text.c - encoding and decoding arbitrary bytes ------===*
 * Bytes as text for real tokenizers (TinyStories-656K's SentencePiece-style
 * BPE and Qwen3's byte-level BPE with its regex pre-tokenizer, from
 * SLMC_FUZZ_DATA): encoding (invalid UTF-8 included), decoding the ids
 * back, piece by piece too, and the bytes as token ids.
 *===----------------------------------------------------------------------===*/
#include "slm_tokenizer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static slm_tokenizer *load(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "fuzz_tokenizer_text: cannot open %s\n", path);
    abort();
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *data = malloc((size_t)size);
  if (!data || fread(data, 1, (size_t)size, f) != (size_t)size)
    abort();
  fclose(f);
  char error[256];
  slm_tokenizer *tok = slm_tok_load(data, (size_t)size, error, sizeof error);
  free(data);
  if (!tok) {
    fprintf(stderr, "fuzz_tokenizer_text: %s: %s\n", path, error);
    abort();
  }
  return tok;
}

static void exercise(const slm_tokenizer *tok, const uint8_t *data, size_t size) {
  char error[256];
  slm_tok_encode_options options = {(int)(size & 1), NULL, NULL};
  int32_t *ids = NULL;
  size_t count = 0;
  if (slm_tok_encode(tok, (const char *)data, size, &options, &ids, &count, error,
                     sizeof error) == 0) {
    char *text = NULL;
    size_t len = 0;
    if (slm_tok_decode(tok, ids, count, 0, &text, &len, error, sizeof error) == 0)
      free(text);
  }
  free(ids);
  /* The bytes as ids (any value, in range or not): decoding must refuse or cope. */
  size_t n = size / 4;
  int32_t *raw = malloc(n ? n * sizeof *raw : 1);
  if (!raw)
    return;
  memcpy(raw, data, n * sizeof *raw);
  char *text = NULL, *pieces = NULL;
  size_t len = 0, piece_len = 0;
  if (slm_tok_decode(tok, raw, n, 1, &text, &len, error, sizeof error) == 0)
    free(text);
  for (size_t i = 0; i < n; ++i)
    slm_tok_decode_piece(tok, i ? raw[i - 1] : -1, raw[i], &pieces, &piece_len);
  free(pieces);
  free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static slm_tokenizer *tokenizers[2];
  if (!tokenizers[0]) {
    tokenizers[0] = load(SLMC_FUZZ_DATA "/tinystories-656k/tokenizer.json");
    tokenizers[1] = load(SLMC_FUZZ_DATA "/tokenizers/qwen3-0.6b/tokenizer.json");
  }
  for (int t = 0; t < 2; ++t)
    exercise(tokenizers[t], data, size);
  return 0;
}
