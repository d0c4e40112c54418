/*===- fuzz_tokenizer_file.c - tokenizer.json and tokenizer.bin -----------===*
 * Bytes as a tokenizer file (a tokenizer.json if it opens with '{', else a
 * llama2.c tokenizer.bin): loading, and, when it loads, encoding and decoding
 * a fixed text through whatever pipeline the file describes.
 *===----------------------------------------------------------------------===*/
#include "slm_tokenizer.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char error[256];
  slm_tokenizer *tok = slm_tok_load((const char *)data, size, error, sizeof error);
  if (!tok)
    return 0;
  static const char text[] = "Once upon a time, 12 caf\xc3\xa9s <s> said \"hi\"\n\t!";
  slm_tok_encode_options options = {1, NULL, NULL};
  int32_t *ids = NULL;
  size_t count = 0;
  if (slm_tok_encode(tok, text, sizeof text - 1, &options, &ids, &count, error, sizeof error) ==
      0) {
    char *decoded = NULL;
    size_t len = 0;
    if (slm_tok_decode(tok, ids, count, 1, &decoded, &len, error, sizeof error) == 0)
      free(decoded);
    char *pieces = NULL;
    size_t piece_len = 0;
    for (size_t i = 0; i < count; ++i)
      slm_tok_decode_piece(tok, i ? ids[i - 1] : -1, ids[i], &pieces, &piece_len);
    free(pieces);
  }
  free(ids);
  slm_tok_free(tok);
  return 0;
}
